//! Shared helpers of the `copy_*` integration tests: building source trees
//! with every kind of object and attribute, and comparing two trees
//! attribute by attribute with `lstat` and full content comparison.

#![allow(dead_code, unused_imports)] // each test binary uses a different part

use std::collections::{BTreeMap, HashMap};
use std::ffi::{CString, OsStr, OsString};
use std::fs::{self, File};
use std::io::Read;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub use coda_rs_tests::{coda_rs, is_root, scratch};

pub mod race;

fn cstr(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Sets atime and mtime (with nanoseconds) without following a symlink.
pub fn set_times(p: &Path, atime: (i64, i64), mtime: (i64, i64)) {
    let ts = [
        libc::timespec {
            tv_sec: atime.0,
            tv_nsec: atime.1,
        },
        libc::timespec {
            tv_sec: mtime.0,
            tv_nsec: mtime.1,
        },
    ];
    let c = cstr(p);
    // SAFETY: `c` is a valid C string and `ts` two valid timespecs.
    let rc = unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c.as_ptr(),
            ts.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    assert_eq!(rc, 0, "utimensat {}", p.display());
}

/// Gives `p` distinct times derived from `seed`: mtime in the past and
/// atime an hour in the future, so that reading the tree (relatime) never
/// moves an atime and the comparison stays exact.
pub fn stamp(p: &Path, seed: u64) {
    let ns = (seed * 7_919 + 123) as i64 % 1_000_000_000;
    set_times(
        p,
        (now() + 3600 + (seed % 97) as i64, ns),
        (
            1_000_000_000 + seed as i64 * 3,
            (ns * 13 + 1) % 1_000_000_000,
        ),
    );
}

/// Stamps every object below `root` (see [`stamp`]), children first.
pub fn stamp_tree(root: &Path) {
    let snap = snapshot(root);
    for (i, rel) in snap.keys().rev().enumerate() {
        stamp(&root.join(rel), i as u64 + 1);
    }
}

/// Creates a FIFO.
pub fn mkfifo(p: &Path, mode: u32) {
    let c = cstr(p);
    // SAFETY: valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), mode) }, 0, "mkfifo");
}

/// Creates a device node (root only).
pub fn mknod(p: &Path, mode: u32, major: u32, minor: u32) {
    let c = cstr(p);
    // SAFETY: valid C string.
    let rc = unsafe { libc::mknod(c.as_ptr(), mode, libc::makedev(major, minor)) };
    assert_eq!(rc, 0, "mknod {}", p.display());
}

/// Sets an extended attribute on a file.
pub fn set_xattr(p: &Path, name: &str, value: &[u8]) {
    let c = cstr(p);
    let n = CString::new(name).unwrap();
    // SAFETY: valid C strings; the value pointer and length match.
    let rc = unsafe {
        libc::lsetxattr(
            c.as_ptr(),
            n.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    assert_eq!(rc, 0, "setxattr {}", p.display());
}

/// All `user.*` extended attributes of `p`, sorted.
pub fn xattrs(p: &Path) -> Vec<(OsString, Vec<u8>)> {
    let c = cstr(p);
    let mut list = vec![0u8; 65536];
    // SAFETY: the buffer pointer and length match.
    let n = unsafe { libc::llistxattr(c.as_ptr(), list.as_mut_ptr().cast(), list.len()) };
    if n < 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for name in list[..n as usize]
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty())
    {
        if !name.starts_with(b"user.") {
            continue;
        }
        let cn = CString::new(name).unwrap();
        let mut v = vec![0u8; 65536];
        // SAFETY: the buffer pointer and length match.
        let len =
            unsafe { libc::lgetxattr(c.as_ptr(), cn.as_ptr(), v.as_mut_ptr().cast(), v.len()) };
        assert!(len >= 0, "getxattr");
        v.truncate(len as usize);
        out.push((OsString::from_vec(name.to_vec()), v));
    }
    out.sort();
    out
}

/// Writes `len` bytes of a pattern derived from `seed`.
pub fn write_pattern(p: &Path, len: usize, seed: u64) {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let data: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    fs::write(p, data).unwrap();
}

/// Everything `lstat` and the content say about one object.
#[derive(Debug, Clone)]
pub struct Snap {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub rdev: u64,
    pub atime: (i64, i64),
    pub mtime: (i64, i64),
    pub nlink: u64,
    pub blocks: u64,
    pub id: (u64, u64),
    pub link: Option<PathBuf>,
    pub xattrs: Vec<(OsString, Vec<u8>)>,
}

/// `lstat`s every object below `root` (not following symlinks), keyed by
/// path relative to `root` ("" is the root); the walk is the tree walk of
/// the shared manifest (`drill::manifest::walk`).
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Snap> {
    fn snap(p: &Path, m: &fs::Metadata) -> Snap {
        let link = m
            .file_type()
            .is_symlink()
            .then(|| fs::read_link(p).unwrap());
        Snap {
            mode: m.mode(),
            uid: m.uid(),
            gid: m.gid(),
            size: m.size(),
            rdev: m.rdev(),
            atime: (m.atime(), m.atime_nsec()),
            mtime: (m.mtime(), m.mtime_nsec()),
            nlink: m.nlink(),
            blocks: m.blocks(),
            id: (m.dev(), m.ino()),
            link,
            xattrs: xattrs(p),
        }
    }
    let mut out = BTreeMap::new();
    out.insert(
        PathBuf::new(),
        snap(root, &fs::symlink_metadata(root).unwrap()),
    );
    drill::manifest::walk(root, &mut |rel, p, m| {
        out.insert(rel.to_path_buf(), snap(p, m));
        Ok(true)
    })
    .unwrap_or_else(|e| panic!("{}", drill::chain_line(&e)));
    out
}

/// True when two files hold the same bytes (read without touching atime).
pub fn same_content(a: &Path, b: &Path) -> bool {
    let open = |p: &Path| {
        fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOATIME)
            .open(p)
            .unwrap()
    };
    let (mut fa, mut fb): (File, File) = (open(a), open(b));
    let mut ba = vec![0u8; 1 << 20];
    let mut bb = vec![0u8; 1 << 20];
    loop {
        let na = read_full(&mut fa, &mut ba);
        let nb = read_full(&mut fb, &mut bb);
        if na != nb || ba[..na] != bb[..nb] {
            return false;
        }
        if na == 0 {
            return true;
        }
    }
}

fn read_full(f: &mut File, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]).unwrap() {
            0 => break,
            k => n += k,
        }
    }
    n
}

/// What a comparison looks at.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub owner: bool,
    pub xattrs: bool,
}

/// Compares the tree at `dst` with the snapshot `src` of the tree at
/// `src_root`: same names, types, modes, owners, sizes, device numbers,
/// link targets, times to the nanosecond, xattrs, same content, and the
/// same hard-link structure. Returns a list of differences.
pub fn diff_trees(
    src_root: &Path,
    src: &BTreeMap<PathBuf, Snap>,
    dst_root: &Path,
    dst: &BTreeMap<PathBuf, Snap>,
    check: Check,
) -> Vec<String> {
    let mut d = Vec::new();
    let sk: Vec<_> = src.keys().collect();
    let dk: Vec<_> = dst.keys().collect();
    if sk != dk {
        let only_src: Vec<_> = src
            .keys()
            .filter(|k| !dst.contains_key(*k))
            .take(5)
            .collect();
        let only_dst: Vec<_> = dst
            .keys()
            .filter(|k| !src.contains_key(*k))
            .take(5)
            .collect();
        d.push(format!(
            "names differ: only in src {only_src:?}, only in dst {only_dst:?}"
        ));
        return d;
    }
    for (rel, s) in src {
        let t = &dst[rel];
        let mut field = |name: &str, a: String, b: String| {
            if a != b {
                d.push(format!("{}: {name}: src {a}, dst {b}", rel.display()));
            }
        };
        field("mode", format!("{:o}", s.mode), format!("{:o}", t.mode));
        if check.owner {
            field(
                "owner",
                format!("{}:{}", s.uid, s.gid),
                format!("{}:{}", t.uid, t.gid),
            );
        }
        field("rdev", s.rdev.to_string(), t.rdev.to_string());
        field("symlink", format!("{:?}", s.link), format!("{:?}", t.link));
        field("mtime", format!("{:?}", s.mtime), format!("{:?}", t.mtime));
        field("atime", format!("{:?}", s.atime), format!("{:?}", t.atime));
        field("nlink", s.nlink.to_string(), t.nlink.to_string());
        if check.xattrs {
            field(
                "xattrs",
                format!("{:?}", s.xattrs),
                format!("{:?}", t.xattrs),
            );
        }
        let is_dir = s.mode & libc::S_IFMT == libc::S_IFDIR;
        if !is_dir {
            field("size", s.size.to_string(), t.size.to_string());
        }
        if s.mode & libc::S_IFMT == libc::S_IFREG {
            if !same_content(&src_root.join(rel), &dst_root.join(rel)) {
                d.push(format!("{}: content differs", rel.display()));
            }
            // Holes stay holes: no more than twice the source's blocks
            // (plus one block of slack for tiny files).
            if t.blocks > 2 * s.blocks + 8 {
                d.push(format!(
                    "{}: {} blocks, source {}",
                    rel.display(),
                    t.blocks,
                    s.blocks
                ));
            }
        }
        if s.id == t.id {
            d.push(format!(
                "{}: destination is the source object itself",
                rel.display()
            ));
        }
    }
    if link_groups(src) != link_groups(dst) {
        d.push(format!(
            "hard-link groups differ: src {:?}, dst {:?}",
            link_groups(src),
            link_groups(dst)
        ));
    }
    d
}

/// Sets of names that are the same non-directory object.
pub fn link_groups(t: &BTreeMap<PathBuf, Snap>) -> Vec<Vec<PathBuf>> {
    let mut by: HashMap<(u64, u64), Vec<PathBuf>> = HashMap::new();
    for (rel, s) in t {
        if s.mode & libc::S_IFMT != libc::S_IFDIR {
            by.entry(s.id).or_default().push(rel.clone());
        }
    }
    let mut g: Vec<Vec<PathBuf>> = by.into_values().filter(|v| v.len() > 1).collect();
    g.sort();
    g
}

/// Asserts that `dst` is a faithful copy of `src`.
pub fn assert_same_tree(src: &Path, dst: &Path, check: Check) {
    let s = snapshot(src);
    let t = snapshot(dst);
    let d = diff_trees(src, &s, dst, &t, check);
    assert!(d.is_empty(), "copy differs from source:\n{}", d.join("\n"));
}

/// A file name of exactly 255 bytes, the Linux limit.
pub fn long_name() -> OsString {
    let mut n = b"long-".to_vec();
    n.resize(255, b'n');
    OsString::from_vec(n)
}

/// A name that is not valid UTF-8 (Latin-1 "été").
pub fn latin1_name() -> &'static OsStr {
    OsStr::from_bytes(b"latin1-\xe9t\xe9")
}

/// Runs `coda-rs copy ARGS` and returns (exit code, stdout, stderr).
pub fn run_copy(args: &[&OsStr], envs: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut cmd = coda_rs();
    cmd.arg("copy").args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
