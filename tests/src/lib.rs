//! Helpers shared by the coda-rs integration tests: where the golden files
//! live, scratch directories, a builder for the `coda-rs` binary, and tree
//! snapshots: the drill's [`Manifest`] of a tree, the golden manifests in
//! the same terms ([`golden_manifest`]), and the files of a tree with their
//! bytes ([`file_contents`]).

use std::path::{Path, PathBuf};

pub use drill::manifest::{Entry, Kind, Manifest};

/// Environment variable that overrides where the golden files are found.
pub const GOLDEN_ENV: &str = "CODA_RS_GOLDEN";

/// The repository root (the workspace directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests crate lives inside the workspace")
        .to_path_buf()
}

/// The golden-file directory: `$CODA_RS_GOLDEN`, else `../shared/golden`
/// relative to the repository root.
///
/// Panics with a clear message when the directory is missing: a golden test
/// that cannot find its truth must fail, not pass.
pub fn golden_dir() -> PathBuf {
    let dir = match std::env::var_os(GOLDEN_ENV) {
        Some(d) => PathBuf::from(d),
        None => repo_root().join("..").join("shared").join("golden"),
    };
    assert!(
        dir.is_dir(),
        "golden directory {} not found (set {GOLDEN_ENV})",
        dir.display()
    );
    dir
}

/// Path of one golden file, e.g. `golden("rvm", "log_init_1M.log")`.
pub fn golden(group: &str, name: &str) -> PathBuf {
    let p = golden_dir().join(group).join(name);
    assert!(p.is_file(), "golden file {} not found", p.display());
    p
}

/// Reads a golden file, transparently gunzipping `*.gz` files with the
/// system `gzip` (present on every machine this project targets).
pub fn read_golden(group: &str, name: &str) -> Vec<u8> {
    let p = golden(group, name);
    if name.ends_with(".gz") {
        let out = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(&p)
            .output()
            .expect("run gzip");
        assert!(out.status.success(), "gzip -dc {} failed", p.display());
        out.stdout
    } else {
        std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }
}

/// A fresh scratch directory, removed when dropped.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("coda-rs-test")
        .tempdir()
        .expect("create scratch dir")
}

/// Path of the `coda-rs` binary built from this workspace.
///
/// `cargo test --workspace` builds it next to the test executables; a
/// missing binary is a setup error, reported as such.
pub fn coda_rs_path() -> PathBuf {
    let exe = std::env::current_exe().expect("current test executable");
    // target/<profile>/deps/<test> -> target/<profile>/coda-rs
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in target/<profile>/deps");
    let bin = dir.join("coda-rs");
    assert!(
        bin.is_file(),
        "{} not built: run `cargo build -p coda-rs` or `cargo test --workspace`",
        bin.display()
    );
    bin
}

/// A command for the `coda-rs` binary built from this workspace, with
/// `TZ=UTC` so that printed times are reproducible.
pub fn coda_rs() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(coda_rs_path());
    cmd.env("TZ", "UTC");
    cmd
}

/// True when the tests run as root (loop devices, chown, raw devices).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The names in directory `dir`, sorted (lossy UTF-8): to show what a
/// command left there, temporaries included.
pub fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The drill's manifest of the tree at `dir` (spec §11.7 terms: type,
/// size, mode, owner, mtime, links, SHA-256, target, hard links; the
/// restore's own files in the root left out). Panics on an error.
pub fn tree_manifest(dir: &Path) -> Manifest {
    Manifest::of_tree(dir).unwrap_or_else(|e| panic!("{}", drill::chain_line(&e)))
}

/// The golden manifest `shared/golden/dump/NAME` (`state-*.manifest.json`)
/// as a [`Manifest`]: its paths without the root directory's name, names of
/// one `vnode.unique` as one object. Read by hand from the JSON, so a tree
/// is never checked only against what our own code says of it.
pub fn golden_manifest(name: &str) -> Manifest {
    let text = read_golden("dump", name);
    let list: Vec<serde_json::Value> = serde_json::from_slice(&text).unwrap();
    let field = |e: &serde_json::Value, k: &str| e.get(k).cloned().unwrap_or_default();
    Manifest::from_objects(list.iter().map(|e| {
        let full = e["path"].as_str().expect("path");
        let rel = full.split_once('/').map_or("", |(_, r)| r);
        let kind = match e["type"].as_str().expect("type") {
            "dir" => Kind::Dir,
            "file" => Kind::File,
            "symlink" => Kind::Symlink,
            other => panic!("{name}: {full}: type {other}"),
        };
        let sha256 = field(e, "sha256").as_str().map(|h| {
            let mut b = [0u8; 32];
            for (i, x) in b.iter_mut().enumerate() {
                *x = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).expect("hex");
            }
            b
        });
        let entry = Entry {
            kind,
            size: field(e, "size").as_u64().unwrap_or(0),
            mode: u32::from_str_radix(e["mode"].as_str().expect("mode"), 8).expect("octal"),
            owner: e["owner"].as_u64().expect("owner") as u32,
            mtime: e["mtime"].as_i64().expect("mtime"),
            links: field(e, "links").as_u64().unwrap_or(1),
            sha256,
            target: field(e, "target").as_str().map(|t| t.as_bytes().to_vec()),
            same_as: None,
        };
        let id = (
            e["vnode"].as_u64().expect("vnode"),
            e["unique"].as_u64().expect("unique"),
        );
        (rel.as_bytes().to_vec(), entry, id)
    }))
}

/// Every file below `dir` (path relative to `dir` -> contents; a
/// directory maps to `None`, a symlink to its target after `-> `): to show
/// that a refused command changed no file.
pub fn file_contents(dir: &Path) -> std::collections::BTreeMap<PathBuf, Option<Vec<u8>>> {
    use std::os::unix::ffi::OsStrExt;
    let mut m = std::collections::BTreeMap::new();
    drill::manifest::walk(dir, &mut |rel, p, md| {
        let bytes = if md.is_dir() {
            None
        } else if md.file_type().is_symlink() {
            let t = std::fs::read_link(p).unwrap();
            Some([b"-> ", t.as_os_str().as_bytes()].concat())
        } else {
            Some(std::fs::read(p).unwrap())
        };
        m.insert(rel.to_path_buf(), bytes);
        Ok(true)
    })
    .unwrap_or_else(|e| panic!("{}", drill::chain_line(&e)));
    m
}

/// The state of everything below `dir` except the paths in `skip` (a
/// target an attack test lets the tool write into): for every entry its
/// type, mode, owner, group, mtime (with nanoseconds), size and content
/// digest or link target; for `dir` itself only the names it holds (the
/// creation of a skipped target changes its mtime). Two equal states mean
/// the victims are byte-identical with the same mode, owner and mtime and
/// nothing was created, removed or renamed outside the skipped paths.
pub fn tree_state(dir: &Path, skip: &[&Path]) -> std::collections::BTreeMap<PathBuf, String> {
    let mut m = std::collections::BTreeMap::new();
    let mut names = Vec::new();
    drill::manifest::walk(dir, &mut |rel, p, md| {
        if skip.contains(&p) {
            return Ok(false);
        }
        if rel.parent() == Some(Path::new("")) {
            names.push(rel.to_string_lossy().into_owned());
        }
        m.insert(rel.to_path_buf(), describe(p, md));
        Ok(true)
    })
    .unwrap_or_else(|e| panic!("{}", drill::chain_line(&e)));
    m.insert(PathBuf::new(), format!("names {names:?}"));
    m
}

fn describe(p: &Path, md: &std::fs::Metadata) -> String {
    use std::hash::{Hash, Hasher};
    use std::os::unix::fs::MetadataExt;
    let what = if md.file_type().is_symlink() {
        format!("-> {:?}", std::fs::read_link(p).unwrap())
    } else if md.is_file() {
        // DefaultHasher::new() has fixed keys: equal within a test run.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::fs::read(p).unwrap().hash(&mut h);
        format!("content {:016x}", h.finish())
    } else {
        String::new()
    };
    format!(
        "mode {:o} uid {} gid {} mtime {}.{} size {} {what}",
        md.mode(),
        md.uid(),
        md.gid(),
        md.mtime(),
        md.mtime_nsec(),
        md.size()
    )
}

/// The 4 bytes the qemu tape test (`tape_qemu.rs`, its guest helper
/// `tapetool`) writes at the start of block `block` of tape file `file`:
/// `0` + file, `:`, then the block number in two 7-bit halves with the top
/// bit set. Every byte is non-zero, so the stamps can be found in a byte
/// stream whose other bytes are zero; `scsi_debug` keeps just these 4 bytes
/// of each block.
pub fn tape_stamp(file: u32, block: u32) -> [u8; 4] {
    [
        b'0' + file as u8,
        b':',
        0x80 | ((block >> 7) & 0x7f) as u8,
        0x80 | (block & 0x7f) as u8,
    ]
}

/// Bytes as lowercase hex, `-` for none: how the qemu tests' guest helpers
/// print bytes on the console.
pub fn hex(b: &[u8]) -> String {
    if b.is_empty() {
        return "-".into();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod layout;

#[cfg(test)]
mod suites {
    //! `autotests = false`: a file in `tests/tests/` runs only if a suite in
    //! `tests/suites/` includes it or `Cargo.toml` names it as a `[[test]]`.

    use std::fs;
    use std::path::Path;

    #[test]
    fn suites_list_every_test_file() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut listings = fs::read_to_string(root.join("Cargo.toml")).unwrap();
        for e in fs::read_dir(root.join("suites")).unwrap() {
            listings += &fs::read_to_string(e.unwrap().path()).unwrap();
        }
        let mut missing = Vec::new();
        for e in fs::read_dir(root.join("tests")).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            if !name.ends_with(".rs") {
                continue;
            }
            let in_suite = format!("\"../tests/{name}\"");
            let own = format!("path = \"tests/{name}\"");
            let n = listings.matches(&in_suite).count() + listings.matches(&own).count();
            if n != 1 {
                missing.push(format!("{name} ({n} times)"));
            }
        }
        assert!(
            missing.is_empty(),
            "each tests/tests/*.rs must be included exactly once, by a \
             tests/suites/<area>.rs `#[path = \"../tests/NAME.rs\"] mod NAME;` \
             or a [[test]] in tests/Cargo.toml: {missing:?}"
        );
    }
}
