//! Racing `coda-rs copy`: the binary's test hook (`CODA_RS_TEST_RACE_*`)
//! pauses the copier exactly where it is about to trust a source object
//! (before opening what the walk listed, after copying a file's data); the
//! test swaps the object while the copier waits, then lets it go on. So a
//! race test cannot pass without the swap landing in the window, and each
//! one records the pauses it saw.
//!
//! Also a picture of everything outside the copy, to show that nothing
//! there was read into the destination or changed.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::mkfifo;

/// Longest a raced copy may take before it counts as hung.
const HANG: Duration = Duration::from_secs(120);

/// What a raced run did.
#[derive(Debug)]
pub struct Raced {
    /// Exit code.
    pub code: Option<i32>,
    /// Everything on stderr.
    pub stderr: String,
    /// Every pause: (point, source path), in order.
    pub hits: Vec<(String, PathBuf)>,
}

impl Raced {
    /// True when the copier paused at `point` for `path`.
    pub fn hit(&self, point: &str, path: &Path) -> bool {
        self.hits.iter().any(|(p, q)| p == point && q == path)
    }

    /// The stderr lines starting `coda-rs: <path>: `.
    pub fn lines_about(&self, path: &Path) -> Vec<&str> {
        let head = format!("coda-rs: {}: ", path.display());
        self.stderr
            .lines()
            .filter(|l| l.starts_with(&head))
            .collect()
    }
}

/// Runs `coda-rs copy ARGS` with the hook armed for source paths ending
/// with `suffix`. At each pause `on_hit(point, path)` runs (`point` is
/// `open` or `copied`), then the copier goes on. Panics when the copy does
/// not end within two minutes: it hung.
pub fn race_copy(args: &[&OsStr], suffix: &str, mut on_hit: impl FnMut(&str, &Path)) -> Raced {
    let hook = coda_rs_tests::scratch();
    let resume = hook.path().join("resume");
    let hits_file = hook.path().join("hits");
    mkfifo(&resume, 0o600);
    let mut child = Command::new(coda_rs_tests::coda_rs_path())
        .arg("copy")
        .args(args)
        .env("TZ", "UTC")
        .env("CODA_RS_TEST_RACE_SUFFIX", suffix)
        .env("CODA_RS_TEST_RACE_DIR", hook.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + HANG;
    let mut hits = Vec::new();
    let status = loop {
        let text = fs::read_to_string(&hits_file).unwrap_or_default();
        let complete = text.rsplit_once('\n').map_or("", |(done, _)| done);
        let lines: Vec<&str> = complete.lines().collect();
        if lines.len() > hits.len() {
            let (point, path) = lines[hits.len()].split_once(' ').unwrap();
            on_hit(point, Path::new(path));
            hits.push((point.to_string(), PathBuf::from(path)));
            release(&resume, deadline, &mut child);
            continue;
        }
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("coda-rs copy did not finish within {HANG:?}: it hung");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Raced {
        code: status.code(),
        stderr: reader.join().unwrap(),
        hits,
    }
}

/// Lets the paused copier go on: opens the FIFO it reads (as soon as it
/// has it open) and closes it again, which is its end of file.
fn release(resume: &Path, deadline: Instant, child: &mut std::process::Child) {
    loop {
        match fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(resume)
        {
            Ok(f) => return drop(f),
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {}
            Err(e) => panic!("open {}: {e}", resume.display()),
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the copier never came back to the race hook");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Type, mode, owner, size, mtime and content (or link target) of every
/// object below `base`, leaving out the subtrees `skip`: what "nothing
/// outside the copy changed" compares.
pub fn outside(base: &Path, skip: &[&Path]) -> BTreeMap<PathBuf, String> {
    fn go(base: &Path, p: &Path, skip: &[&Path], out: &mut BTreeMap<PathBuf, String>) {
        if skip.contains(&p) {
            return;
        }
        let m = fs::symlink_metadata(p).unwrap();
        let what = if m.file_type().is_symlink() {
            format!("-> {:?}", fs::read_link(p).unwrap())
        } else if m.is_file() {
            format!("{:?}", fs::read(p).unwrap())
        } else {
            String::new()
        };
        out.insert(
            p.strip_prefix(base).unwrap().to_path_buf(),
            format!(
                "mode {:o} owner {}:{} size {} mtime {}.{} ino {} {what}",
                m.mode(),
                m.uid(),
                m.gid(),
                if m.is_dir() { 0 } else { m.size() },
                m.mtime(),
                m.mtime_nsec(),
                m.ino()
            ),
        );
        if m.is_dir() {
            let mut names: Vec<PathBuf> = fs::read_dir(p)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            names.sort();
            for n in names {
                go(base, &n, skip, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    go(base, base, skip, &mut out);
    out
}

/// Every regular file's content below `root`, to show that none of a
/// victim's bytes reached it.
pub fn contents(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for (rel, _) in super::snapshot(root) {
        let p = root.join(&rel);
        if fs::symlink_metadata(&p).unwrap().is_file() {
            out.push((rel, fs::read(&p).unwrap()));
        }
    }
    out
}

/// A scratch directory holding `src` (the tree copied), `dst` (made empty
/// here, so the copy adds nothing to the scratch directory itself),
/// `victim/` and `victim.txt` outside both.
pub struct Sides {
    /// The scratch directory.
    pub base: tempfile::TempDir,
}

impl Sides {
    /// A scratch directory with `src/` and `victim/` made, `dst/` empty.
    pub fn new() -> Sides {
        let s = Sides {
            base: coda_rs_tests::scratch(),
        };
        for d in [s.src(), s.dst(), s.victim()] {
            fs::create_dir(d).unwrap();
        }
        s
    }
    /// The source tree.
    pub fn src(&self) -> PathBuf {
        self.base.path().join("src")
    }
    /// The destination.
    pub fn dst(&self) -> PathBuf {
        self.base.path().join("dst")
    }
    /// A directory outside both.
    pub fn victim(&self) -> PathBuf {
        self.base.path().join("victim")
    }
    /// A file outside both.
    pub fn victim_file(&self) -> PathBuf {
        self.base.path().join("victim.txt")
    }
    /// Everything but SRC and DST (see [`outside`]).
    pub fn outside(&self) -> BTreeMap<PathBuf, String> {
        outside(self.base.path(), &[&self.src(), &self.dst()])
    }
}
