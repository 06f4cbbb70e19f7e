//! Hostile dumps written byte by byte from the spec, not with the crate's
//! writer: directory pages (§12.1–§12.6) whose entries may hold any bytes,
//! and a dump around them (§1, §6, §7) after the header and volume data of
//! the golden `native-full.dump` (its first 312 bytes, §16). Every entry's
//! stream offset is known, so tests can check the offsets errors name.
//! Also: a victim file outside the target and a check that it and the
//! directory around the target are untouched.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use coda_rs_tests::{coda_rs, is_root, read_golden, tree_state};

pub type Fid = (u32, u32);
pub const ROOT: Fid = (1, 1);

const PAGE: usize = 2048;
const BLOB: usize = 32;

/// Hash chain of a name (spec §12.4), written out from the spec.
pub fn hash(name: &[u8]) -> usize {
    let mut h: i32 = 0;
    for &c in name {
        h = h.wrapping_mul(173).wrapping_add(i32::from(c as i8));
    }
    let t = (h & 127) as usize;
    if t == 0 || h >= 0 {
        t
    } else {
        128 - t
    }
}

/// One entry to place: raw name bytes (written as given, then a NUL unless
/// `terminated` is false) and the fid it names.
#[derive(Debug, Clone)]
pub struct Raw {
    pub name: Vec<u8>,
    pub fid: Fid,
    pub terminated: bool,
}

pub fn e(name: &[u8], fid: Fid) -> Raw {
    Raw {
        name: name.to_vec(),
        fid,
        terminated: true,
    }
}

/// Directory pages holding `entries` in that creation order (spec §12.6:
/// first free run of blobs, head of the hash chain), without refusing any
/// name. Returns the pages and each entry's first blob.
pub fn pages(entries: &[Raw]) -> (Vec<u8>, Vec<usize>) {
    let mut d = vec![0u8; PAGE];
    d[..4].copy_from_slice(&1234u32.to_be_bytes());
    d[32..160].fill(64);
    let mut pages = 1;
    let mut used = vec![13usize]; // next free blob index per page
    let mut blobs = Vec::new();
    for r in entries {
        let len = if r.terminated {
            r.name.len() + 1
        } else {
            r.name.len()
        };
        // Spec §12.3: 1 + ((strlen + 1 + 15) >> 5) blobs.
        let n = 1 + (len + 15) / 32;
        let page = match (0..pages).find(|&p| used[p] + n <= 64) {
            Some(p) => p,
            None => {
                d.resize((pages + 1) * PAGE, 0);
                let base = pages * PAGE;
                d[base..base + 4].copy_from_slice(&1234u32.to_be_bytes());
                used.push(1);
                pages += 1;
                pages - 1
            }
        };
        let blob = page * 64 + used[page];
        used[page] += n;
        let at = blob * BLOB;
        let bucket = hash(&r.name);
        let head = 160 + 2 * bucket;
        let old = [d[head], d[head + 1]];
        d[at] = 1;
        d[at + 2..at + 4].copy_from_slice(&old);
        d[at + 4..at + 8].copy_from_slice(&r.fid.0.to_be_bytes());
        d[at + 8..at + 12].copy_from_slice(&r.fid.1.to_be_bytes());
        d[at + 12..at + 12 + r.name.len()].copy_from_slice(&r.name);
        d[head..head + 2].copy_from_slice(&(blob as u16).to_be_bytes());
        blobs.push(blob);
    }
    // Page headers: free counts, bitmaps, allomap (§12.1, §12.2).
    for (p, &next) in used.iter().enumerate() {
        let base = p * PAGE;
        let free = 64 - next;
        d[base + 4] = free as u8;
        for j in 0..next {
            d[base + 5 + j / 8] |= 1 << (j % 8);
        }
        d[32 + p] = free as u8;
    }
    (d, blobs)
}

/// A directory of the dump: its fid, parent fid (vnode fields `p`, `q`)
/// and entries (include `.` and `..` for a normal directory).
#[derive(Debug, Clone)]
pub struct Dir {
    pub fid: Fid,
    pub parent: Fid,
    pub entries: Vec<Raw>,
}

/// A normal directory: `.`, `..`, then `rest`.
pub fn dir(fid: Fid, parent: Fid, rest: Vec<Raw>) -> Dir {
    let mut entries = vec![e(b".", fid), e(b"..", parent)];
    entries.extend(rest);
    Dir {
        fid,
        parent,
        entries,
    }
}

/// A file (type 1) or symlink (type 3) of the dump.
#[derive(Debug, Clone)]
pub struct Obj {
    pub fid: Fid,
    pub parent: Fid,
    pub symlink: bool,
    pub data: Vec<u8>,
}

pub fn file(fid: Fid, parent: Fid, data: &[u8]) -> Obj {
    Obj {
        fid,
        parent,
        symlink: false,
        data: data.to_vec(),
    }
}

pub fn symlink(fid: Fid, parent: Fid, target: &[u8]) -> Obj {
    Obj {
        fid,
        parent,
        symlink: true,
        data: target.to_vec(),
    }
}

/// A written dump and where each directory entry landed.
pub struct Built {
    pub bytes: Vec<u8>,
    /// Stream offset of the first blob of entry `j` of directory `i`.
    pub entry_offsets: Vec<Vec<u64>>,
}

impl Built {
    pub fn offset(&self, dir: usize, entry: usize) -> u64 {
        self.entry_offsets[dir][entry]
    }
}

fn u32be(out: &mut Vec<u8>, tag: u8, v: u32) {
    out.push(tag);
    out.extend_from_slice(&v.to_be_bytes());
}

/// The common vnode fields of spec §7.1, in the writer's order.
fn vnode_fields(out: &mut Vec<u8>, fid: Fid, ty: u8, mode: u16, len: u32, parent: Fid) {
    out.push(0x05);
    out.extend_from_slice(&fid.0.to_be_bytes());
    out.extend_from_slice(&fid.1.to_be_bytes());
    out.extend_from_slice(&[b't', ty]);
    out.push(b'b');
    out.extend_from_slice(&mode.to_be_bytes());
    out.push(b'l');
    out.extend_from_slice(&1u16.to_be_bytes());
    u32be(out, b'L', len);
    u32be(out, b'v', 1);
    out.push(b'V');
    for tag in [
        b'0', b'1', b'2', b'3', b'4', b'5', b'6', b'7', b's', b'u', b'f',
    ] {
        u32be(out, tag, 0);
    }
    out.push(0x07);
    u32be(out, b'm', 1_700_000_000);
    u32be(out, b'a', 0);
    u32be(out, b'o', 0);
    u32be(out, b'p', parent.0);
    u32be(out, b'q', parent.1);
}

/// A full dump of `dirs` (large index, in the order given) and `objs`
/// (small index), after native-full's header and volume data.
pub fn build(dirs: &[Dir], objs: &[Obj]) -> Built {
    let golden = read_golden("dump", "native-full.dump");
    let mut out = golden[..312].to_vec();
    out.push(0x04);
    u32be(&mut out, b'v', dirs.len() as u32);
    u32be(&mut out, b's', 128);
    let mut entry_offsets = Vec::new();
    for d in dirs {
        let (p, blobs) = pages(&d.entries);
        let parent = if d.fid == ROOT { (0, 0) } else { d.parent };
        vnode_fields(&mut out, d.fid, 2, 0o755, p.len() as u32, parent);
        let acl = b"1\n0\nSystem:Administrators\t127\n\0";
        u32be(&mut out, b'X', acl.len() as u32);
        out.extend_from_slice(acl);
        u32be(&mut out, 0x0b, (p.len() / PAGE) as u32);
        let data_at = out.len() as u64;
        for page in p.chunks(PAGE) {
            out.push(b'P');
            out.extend_from_slice(page);
        }
        entry_offsets.push(
            blobs
                .iter()
                .map(|&b| data_at + (b / 64) as u64 + 1 + (b * BLOB) as u64)
                .collect(),
        );
    }
    out.push(0x03);
    u32be(&mut out, b'v', objs.len() as u32);
    u32be(&mut out, b's', 256);
    for o in objs {
        let (ty, mode) = if o.symlink { (3, 0o777) } else { (1, 0o644) };
        vnode_fields(&mut out, o.fid, ty, mode, o.data.len() as u32, o.parent);
        u32be(&mut out, 0x0c, o.data.len() as u32);
        out.extend_from_slice(&o.data);
    }
    u32be(&mut out, 0x08, 0x3A21_4B6E);
    Built {
        bytes: out,
        entry_offsets,
    }
}

/// The volume name of native-full (the tar's root name).
pub const VOLUME: &str = "testvol.0.backup";

/// A file outside the target (`dir/victim`, mode 0600, owned by 4321
/// when the tests run as root) and the state of everything in `dir`
/// ([`coda_rs_tests::tree_state`]) but the paths a command may write.
pub struct Victim {
    dir: PathBuf,
    skip: Vec<PathBuf>,
    before: BTreeMap<PathBuf, String>,
}

/// Makes `dir/victim` and records the state of `dir`, leaving out the
/// names in `writable` (a target, an output directory).
pub fn victim(dir: &Path, writable: &[&str]) -> Victim {
    let path = dir.join("victim");
    fs::write(&path, b"precious data, not to be touched\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    if is_root() {
        std::os::unix::fs::chown(&path, Some(4321), Some(4321)).unwrap();
    }
    let skip: Vec<PathBuf> = writable.iter().map(|w| dir.join(w)).collect();
    let before = state(dir, &skip);
    Victim {
        dir: dir.to_path_buf(),
        skip,
        before,
    }
}

fn state(dir: &Path, skip: &[PathBuf]) -> BTreeMap<PathBuf, String> {
    let skip: Vec<&Path> = skip.iter().map(PathBuf::as_path).collect();
    tree_state(dir, &skip)
}

impl Victim {
    /// The victim is byte-identical with the same mode, owner and mtime,
    /// and nothing was created, removed or changed outside the writable
    /// paths.
    pub fn assert_untouched(&self, what: &str) {
        assert_eq!(state(&self.dir, &self.skip), self.before, "{what}");
    }
}

/// The error output of a failed command: exactly one line starting with
/// `coda-rs: `, no panic.
pub fn one_line_error(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr).into_owned();
    assert!(!text.contains("panicked"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one error line expected: {text}");
    assert!(lines[0].starts_with("coda-rs: "), "{text}");
    lines[0].to_string()
}

/// Writes `b` as `dir/hostile.dump`.
pub fn write_dump(dir: &Path, b: &Built) -> PathBuf {
    let p = dir.join("hostile.dump");
    fs::write(&p, &b.bytes).unwrap();
    p
}

/// Runs `dump restore` of `dump` (in `dir`) into `dir/target`, which must
/// fail with exit 1, leave a victim next to the target untouched and
/// restore no object; returns the one error line.
pub fn refused_restore(dir: &Path, dump: &Path, what: &str) -> String {
    let victim = victim(dir, &["target"]);
    let into = dir.join("target");
    let res = coda_rs()
        .args(["dump", "restore", "--acls", "skip", "--into"])
        .arg(&into)
        .arg(dump)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(1), "{what}");
    let line = one_line_error(&res.stderr);
    victim.assert_untouched(what);
    if into.exists() {
        let made: Vec<_> = fs::read_dir(&into)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != ".coda-rs-restore.json")
            .collect();
        assert!(made.is_empty(), "{what}: {made:?}");
    }
    line
}
