//! The drill's verifications: each dump passes `dump verify`, each tree
//! equals the changed source, the RVM log is valid and recovery a no-op.

use std::fs::{self, File};
use std::io::BufReader;
use std::path::Path;

use volume_dump::verify::{Severity, VerifyOptions};

use crate::manifest::Manifest;
use crate::report::Check;
use crate::{chain_line, Error, Result};

/// Compares the tree at `root` with `want`; the detail lists the first
/// differences.
pub(crate) fn tree(name: &str, want: &Manifest, root: &Path) -> Check {
    let diffs = match Manifest::of_tree(root) {
        Ok(got) => want.differences(&got),
        Err(e) => vec![chain_line(&e)],
    };
    let ok = diffs.is_empty();
    let detail = if ok {
        format!(
            "{} objects equal (paths, types, sizes, SHA-256, modes, owners, mtimes, \
             link counts, link targets, hard links)",
            want.len()
        )
    } else {
        let n = diffs.len();
        format!(
            "{n} difference(s): {}",
            diffs.into_iter().take(5).collect::<Vec<_>>().join("; ")
        )
    };
    Check {
        name: name.into(),
        ok,
        detail,
    }
}

/// Runs `dump verify` on the dump at `path` (with the restore checks for
/// the full dump) and checks its level.
pub(crate) fn dump(path: &Path, full: bool) -> Check {
    let name = format!(
        "{} dump passes verify",
        if full { "full" } else { "incremental" }
    );
    let r = File::open(path)
        .map_err(Error::io(path, "cannot open"))
        .and_then(|f| {
            volume_dump::verify::verify(
                BufReader::with_capacity(1 << 20, f),
                VerifyOptions {
                    restore_checks: full,
                    ..Default::default()
                },
            )
            .map_err(Error::dump(path.display().to_string()))
        });
    let rep = match r {
        Ok(rep) => rep,
        Err(e) => {
            return Check {
                name,
                ok: false,
                detail: chain_line(&e),
            }
        }
    };
    let errors: Vec<&str> = rep
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.message.as_str())
        .collect();
    let level_ok = rep.header.is_full() == full;
    Check {
        name,
        ok: errors.is_empty() && level_ok,
        detail: if !level_ok {
            format!("header level is {}", rep.header.incremental)
        } else if errors.is_empty() {
            format!(
                "{} + {} vnode records, {} removals, {} bytes",
                rep.vnodes[0], rep.vnodes[1], rep.removed, rep.bytes
            )
        } else {
            errors.join("; ")
        },
    }
}

/// The RVM pair: the log's status block reads, the log is empty, recovery
/// finds nothing to apply, the data segment has its size.
pub(crate) fn rvm(log: &Path, data: &Path, data_size: u64) -> Check {
    let (ok, detail) = match rvm_state(log, data, data_size) {
        Ok(detail) => (true, detail),
        Err(e) => (false, chain_line(&e)),
    };
    Check {
        name: "RVM log valid, recover is a no-op".into(),
        ok,
        detail,
    }
}

fn rvm_state(log: &Path, data: &Path, data_size: u64) -> Result<String> {
    let l = rvm::log_device::LocatedLog::open(log, false, false, rvm::reader::ChecksumRule::Rvm)?;
    let s = &l.status;
    if s.log_head != s.log_tail {
        return Err(Error::Check(format!(
            "log not empty: head {} tail {}",
            s.log_head, s.log_tail
        )));
    }
    let opts = rvm::recover::RecoverOptions {
        raw: false,
        data: None,
        map: Vec::new(),
        dry_run: false,
        force: false,
        rescue: false,
        abort_at: None,
    };
    let read = || fs::read(data).map_err(Error::io(data, "cannot read"));
    let before = read()?;
    let r = rvm::recover::recover(log, &opts)?;
    if !r.applied.is_empty() || r.head != r.tail {
        return Err(Error::Check(format!(
            "recover applied {} transaction(s)",
            r.applied.len()
        )));
    }
    let after = read()?;
    if after != before {
        return Err(Error::Check("recover changed the data segment".into()));
    }
    if after.len() as u64 != data_size {
        return Err(Error::Check(format!(
            "data segment is {} bytes, expected {data_size}",
            after.len()
        )));
    }
    Ok(format!(
        "log empty (head = tail = {}), recover applied nothing, data segment {} bytes unchanged",
        s.log_tail, data_size
    ))
}
