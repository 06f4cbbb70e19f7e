//! What `dump verify`, `dump verify --against`, `dump restore` and `dump
//! to-tar` report: JSON views, and the text lines of the two verifies.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::HeaderView;
use crate::restore::{Difference, RestoreSummary};
use crate::tar::TarSummary;
use crate::text::lossy;
use crate::verify::{Severity, VerifyReport};

/// `dump verify` of a dump that could be read to its end.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyView {
    /// Bytes up to and including the end marker.
    pub bytes: u64,
    /// Findings that are errors.
    pub errors: usize,
    /// The dump header.
    pub header: HeaderView,
    /// No errors (warnings allowed).
    pub ok: bool,
    /// Every finding, in stream order.
    pub problems: Vec<ProblemView>,
    /// D_RMVNODE records.
    pub removed: u64,
    /// Bytes after the end marker.
    pub trailing_bytes: u64,
    /// Vnode records per index.
    pub vnodes: VnodeCounts,
    /// Findings that are warnings.
    pub warnings: usize,
}

/// Vnode records of the large and the small index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VnodeCounts {
    /// Directories.
    pub large: u64,
    /// Files and symlinks.
    pub small: u64,
}

/// One finding of `dump verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemView {
    /// One line, without the offset.
    pub message: String,
    /// Stream offset it refers to.
    pub offset: u64,
    /// `error` or `warning`.
    pub severity: &'static str,
}

impl From<&crate::verify::Problem> for ProblemView {
    fn from(p: &crate::verify::Problem) -> Self {
        ProblemView {
            message: p.message.clone(),
            offset: p.offset,
            severity: p.severity.name(),
        }
    }
}

impl From<&VerifyReport> for VerifyView {
    fn from(rep: &VerifyReport) -> Self {
        let errors = rep.count(Severity::Error);
        VerifyView {
            bytes: rep.bytes,
            errors,
            header: (&rep.header).into(),
            ok: errors == 0,
            problems: rep.problems.iter().map(ProblemView::from).collect(),
            removed: rep.removed,
            trailing_bytes: rep.trailing_bytes,
            vnodes: VnodeCounts {
                large: rep.vnodes[0],
                small: rep.vnodes[1],
            },
            warnings: rep.count(Severity::Warning),
        }
    }
}

/// `dump verify` of a dump that could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FatalView {
    /// The error that stopped the reading.
    pub fatal: String,
    /// Its stream offset, if it has one.
    pub offset: Option<u64>,
    /// Always false.
    pub ok: bool,
}

impl From<&crate::Error> for FatalView {
    fn from(e: &crate::Error) -> Self {
        FatalView {
            fatal: e.to_string(),
            offset: e.offset(),
            ok: false,
        }
    }
}

/// Writes `dump verify`'s text: one line per finding, then the verdict
/// line, each starting with `subject` (the dump's name).
pub fn write_verify(out: &mut impl Write, subject: &str, rep: &VerifyReport) -> io::Result<()> {
    let errors = rep.count(Severity::Error);
    let warnings = rep.count(Severity::Warning);
    for p in &rep.problems {
        writeln!(
            out,
            "{subject}: byte offset {}: {}: {}",
            p.offset,
            p.severity.name(),
            p.message
        )?;
    }
    let kind = if rep.header.is_full() {
        "full dump".to_string()
    } else {
        format!("incremental dump (level {})", rep.header.incremental)
    };
    writeln!(
        out,
        "{subject}: {}: {kind} of {} ({:08x}), {} directories, {} files/symlinks, {} removals, {} bytes; {errors} errors, {warnings} warnings",
        if errors == 0 { "ok" } else { "FAILED" },
        lossy(&rep.header.volume_name),
        rep.header.volume_id,
        rep.vnodes[0],
        rep.vnodes[1],
        rep.removed,
        rep.bytes,
    )
}

/// `dump verify --against`: the differences between a tree and a dump
/// chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgainstView {
    /// Every difference found.
    pub differences: Vec<DifferenceView>,
    /// Things worth knowing that are not differences (a leftover restore
    /// journal).
    pub notes: Vec<String>,
    /// No differences.
    pub ok: bool,
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DifferenceView {
    /// What differs.
    pub difference: String,
    /// The path relative to the tree's root (empty: the root).
    pub path: String,
}

impl From<&[Difference]> for AgainstView {
    fn from(diffs: &[Difference]) -> Self {
        AgainstView {
            differences: diffs
                .iter()
                .map(|d| DifferenceView {
                    difference: d.what.clone(),
                    path: d.path.display().to_string(),
                })
                .collect(),
            notes: Vec::new(),
            ok: diffs.is_empty(),
        }
    }
}

/// Writes `dump verify --against`'s text: one line per difference (the
/// root is `.`), then the verdict line naming the dump `subject`.
pub fn write_against(
    out: &mut impl Write,
    dir: &Path,
    subject: &str,
    diffs: &[Difference],
) -> io::Result<()> {
    for d in diffs {
        let p = if d.path.as_os_str().is_empty() {
            ".".to_string()
        } else {
            d.path.display().to_string()
        };
        writeln!(out, "{}: {p}: {}", dir.display(), d.what)?;
    }
    writeln!(
        out,
        "{}: {} against {subject}: {} differences",
        dir.display(),
        if diffs.is_empty() { "ok" } else { "FAILED" },
        diffs.len()
    )
}

/// What `dump restore` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestoreView {
    /// The journal said the restore had finished: nothing was done.
    pub already_complete: bool,
    /// File data bytes written.
    pub bytes: u64,
    /// Directories created.
    pub directories: u64,
    /// Regular files written.
    pub files: u64,
    /// Further names of files.
    pub hard_links: u64,
    /// The target directory.
    pub into: String,
    /// Objects the journal said were complete.
    pub resumed_objects: u64,
    /// Wall-clock time.
    pub seconds: f64,
    /// Symbolic links created.
    pub symlinks: u64,
    /// Objects placed under `lost+found`.
    pub unnamed: u64,
    /// Things worth telling the user.
    pub warnings: Vec<String>,
}

impl RestoreView {
    /// The view of `s`, a restore into `into` that took `seconds`.
    pub fn new(s: &RestoreSummary, into: &Path, seconds: f64) -> Self {
        RestoreView {
            already_complete: s.already_complete,
            bytes: s.bytes,
            directories: s.directories,
            files: s.files,
            hard_links: s.hard_links,
            into: into.display().to_string(),
            resumed_objects: s.resumed_objects,
            seconds,
            symlinks: s.symlinks,
            unnamed: s.unnamed,
            warnings: s.warnings.clone(),
        }
    }
}

impl RestoreView {
    /// The one-line summary: counts, bytes, time and rate, and how many
    /// objects a resume found done.
    pub fn line(&self) -> String {
        if self.already_complete {
            return format!(
                "{}: restore already complete (journal); nothing to do",
                self.into
            );
        }
        format!(
            "{}: restored {} directories, {} files, {} symlinks, {} hard links, {}{}",
            self.into,
            self.directories,
            self.files,
            self.symlinks,
            self.hard_links,
            bytes_time_rate(self.bytes, self.seconds),
            if self.resumed_objects > 0 {
                format!(", {} objects already done", self.resumed_objects)
            } else {
                String::new()
            }
        )
    }
}

/// What `dump to-tar` wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)] // the fields of TarSummary, documented there
pub struct TarView {
    pub data_bytes: u64,
    pub directories: u64,
    /// The dump's name.
    pub dump: String,
    pub files: u64,
    pub hard_links: u64,
    /// Where the tar went.
    pub output: String,
    pub pax_headers: u64,
    /// Wall-clock time.
    pub seconds: f64,
    pub symlinks: u64,
    pub tar_bytes: u64,
    pub unnamed: u64,
}

impl TarView {
    /// The view of `s`, the tar of `dump` written to `output` in `seconds`.
    pub fn new(s: &TarSummary, dump: &str, output: &str, seconds: f64) -> Self {
        TarView {
            data_bytes: s.data_bytes,
            directories: s.directories,
            dump: dump.to_string(),
            files: s.files,
            hard_links: s.hard_links,
            output: output.to_string(),
            pax_headers: s.pax_headers,
            seconds,
            symlinks: s.symlinks,
            tar_bytes: s.tar_bytes,
            unnamed: s.unnamed,
        }
    }

    /// The one-line summary: counts, then bytes, time and rate.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{}: {} directories, {} files, {} symlinks, {} hard links",
            self.output, self.directories, self.files, self.symlinks, self.hard_links
        );
        if self.unnamed > 0 {
            line.push_str(&format!(", {} in lost+found", self.unnamed));
        }
        if self.pax_headers > 0 {
            line.push_str(&format!(", {} PAX headers", self.pax_headers));
        }
        line.push_str("; ");
        line.push_str(&bytes_time_rate(self.tar_bytes, self.seconds));
        line
    }
}

/// `N bytes (SIZE) in S s (RATE)` of a summary line, in the units every
/// command prints (`human`: KiB, MiB/s); the rate is left out when no time
/// was measured.
fn bytes_time_rate(bytes: u64, seconds: f64) -> String {
    let mut s = format!("{bytes} bytes");
    if bytes >= 1024 {
        s.push_str(&format!(" ({})", human::size(bytes)));
    }
    s.push_str(&format!(" in {seconds:.2} s"));
    if let Some(rate) = human::rate(bytes, seconds) {
        s.push_str(&format!(" ({rate})"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Summary lines speak the units of cli-conventions.md (powers of
    /// 1024, `MiB/s`), never `MB/s`.
    #[test]
    fn summaries_in_iec_units() {
        let r = RestoreView {
            already_complete: false,
            bytes: 3 << 20,
            directories: 2,
            files: 5,
            hard_links: 1,
            into: "/r".into(),
            resumed_objects: 0,
            seconds: 2.0,
            symlinks: 0,
            unnamed: 0,
            warnings: vec![],
        };
        assert_eq!(
            r.line(),
            "/r: restored 2 directories, 5 files, 0 symlinks, 1 hard links, 3145728 bytes (3.00 MiB) in 2.00 s (1.50 MiB/s)"
        );
        let t = TarView {
            data_bytes: 0,
            directories: 1,
            dump: "d".into(),
            files: 0,
            hard_links: 0,
            output: "x.tar".into(),
            pax_headers: 0,
            seconds: 0.0,
            symlinks: 0,
            tar_bytes: 512,
            unnamed: 0,
        };
        assert_eq!(
            t.line(),
            "x.tar: 1 directories, 0 files, 0 symlinks, 0 hard links; 512 bytes in 0.00 s"
        );
    }
}
