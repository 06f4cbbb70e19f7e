//! The drill's sample volume: a deterministic tree generated, then
//! changed, inside the drill's working directory. Every write goes through
//! the beneath layer, relative to the working directory's fd: nothing is
//! created, rewritten, moved or re-moded through a symlink (the sample
//! holds symlinks of its own, absolute and dangling ones included).

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use beneath::{Access, FileKind, Root};

use crate::{Error, Result, Size};

/// Date of the full dump's state (header stamps, spec §8.3).
pub const DATE_FULL: u32 = 1_700_000_000;
/// Date of the incremental's state.
pub const DATE_INCR: u32 = 1_700_086_400;

/// A deterministic pseudo-random generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.fill(&mut v);
        v
    }
}

/// File sizes of the sample (those of the "mixed" benchmark recipe).
const SIZES: [usize; 8] = [0, 100, 700, 1500, 4096, 9000, 16384, 30000];

/// What a generation or change did.
#[derive(Debug, Default)]
pub struct Tally {
    /// Directories made.
    pub dirs: u64,
    /// Files written.
    pub files: u64,
    /// Symlinks made.
    pub symlinks: u64,
    /// Hard links made.
    pub hard_links: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Files and trees removed.
    pub removed: u64,
    /// Renames.
    pub renamed: u64,
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} directories, {} files, {} symlinks, {} hard links, {} bytes written",
            self.dirs, self.files, self.symlinks, self.hard_links, self.bytes
        )?;
        if self.removed + self.renamed > 0 {
            write!(f, "; {} removed, {} renamed", self.removed, self.renamed)?;
        }
        Ok(())
    }
}

fn shape(size: Size) -> (usize, usize, usize, usize, usize) {
    // (top directories, subdirectories each, files per directory,
    //  large files, large file size)
    match size {
        Size::Small => (5, 3, 12, 3, 1 << 20),
        Size::Medium => (20, 4, 25, 12, 4 << 20),
    }
}

/// Writes beneath the drill's working directory; paths are relative to it.
struct Work<'a>(&'a Root);

impl Work<'_> {
    fn mkdir(&self, rel: &Path, t: &mut Tally) -> Result<()> {
        let (d, n) = self.0.parent(rel)?;
        d.mkdir(n, 0o755)?;
        t.dirs += 1;
        Ok(())
    }

    /// A new file holding `data`.
    fn create(&self, rel: &Path, data: &[u8], t: &mut Tally) -> Result<()> {
        let (d, n) = self.0.parent(rel)?;
        let mut f = d.create_file(n, 0o644)?;
        f.write_all(data)
            .map_err(Error::io(d.path().join(n), "cannot write"))?;
        t.files += 1;
        t.bytes += data.len() as u64;
        Ok(())
    }

    /// An existing regular file (never a symlink), opened as `access`.
    fn open(&self, rel: &Path, access: Access) -> Result<std::fs::File> {
        let (d, n) = self.0.parent(rel)?;
        Ok(d.open_file(n, access)?)
    }

    /// Replaces the content of an existing regular file in place (its
    /// inode, and so its hard links, kept).
    fn rewrite(&self, rel: &Path, data: &[u8], t: &mut Tally) -> Result<()> {
        let mut f = self.open(rel, Access::Write)?;
        f.set_len(0)
            .and_then(|()| f.write_all(data))
            .map_err(Error::io(self.0.path().join(rel), "cannot write"))?;
        t.files += 1;
        t.bytes += data.len() as u64;
        Ok(())
    }

    fn read(&self, rel: &Path) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        self.open(rel, Access::Read)?
            .read_to_end(&mut v)
            .map_err(Error::io(self.0.path().join(rel), "cannot read"))?;
        Ok(v)
    }

    fn chmod(&self, rel: &Path, mode: u32) -> Result<()> {
        let (d, n) = self.0.parent(rel)?;
        Ok(d.set_mode_at(n, mode)?)
    }

    fn set_mtime(&self, rel: &Path, secs: u64) -> Result<()> {
        let (d, n) = self.0.parent(rel)?;
        Ok(d.set_times_at(n, &beneath::times(secs as i64))?)
    }

    fn symlink(&self, rel: &Path, target: &str, t: &mut Tally) -> Result<()> {
        let (d, n) = self.0.parent(rel)?;
        d.symlink(n, target)?;
        t.symlinks += 1;
        Ok(())
    }

    fn hard_link(&self, from: &Path, to: &Path, t: &mut Tally) -> Result<()> {
        let (fd, fname) = self.0.parent(from)?;
        let (td, tname) = self.0.parent(to)?;
        fd.hard_link(fname, &td, tname)?;
        t.hard_links += 1;
        Ok(())
    }

    fn remove(&self, rel: &Path) -> Result<()> {
        let (d, n) = self.0.parent(rel)?;
        Ok(d.remove_all(n)?)
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        let (fd, fname) = self.0.parent(from)?;
        let (td, tname) = self.0.parent(to)?;
        Ok(fd.rename(fname, &td, tname)?)
    }

    /// The regular files of directory `rel` (not symlinks), sorted.
    fn files_in(&self, rel: &Path) -> Result<Vec<(PathBuf, u64)>> {
        let d = self.0.dir(rel)?;
        let mut names = Vec::new();
        for e in d.entries()? {
            names.push(e?.name);
        }
        names.sort();
        let mut out = Vec::new();
        for n in names {
            let st = d.stat(&n)?;
            if FileKind::of(&st) == FileKind::File {
                out.push((rel.join(&n), st.st_size as u64));
            }
        }
        Ok(out)
    }
}

/// Generates the sample volume tree at `rel` (which must not exist) in the
/// working directory `work`.
pub fn generate(work: &Root, rel: &Path, size: Size) -> Result<Tally> {
    let w = Work(work);
    let mut rng = Rng(0x00c0_da00_d811_0001);
    let mut t = Tally::default();
    let (tops, subs, per_dir, larges, large_size) = shape(size);
    w.mkdir(rel, &mut t)?;
    let mut mtime = u64::from(DATE_FULL) - 86_400;
    let mut dirs = Vec::new();
    for i in 0..tops {
        let top = rel.join(match i {
            0 => "Ünïcödé répertoire".to_string(),
            1 => "日本語のフォルダ".to_string(),
            _ => format!("dir-{i:02}"),
        });
        w.mkdir(&top, &mut t)?;
        dirs.push(top.clone());
        for j in 0..subs {
            let sub = top.join(format!("sub-{j}"));
            w.mkdir(&sub, &mut t)?;
            dirs.push(sub.clone());
            if j == 0 {
                let deeper = sub.join("deeper");
                let deepest = deeper.join("deepest");
                w.mkdir(&deeper, &mut t)?;
                w.mkdir(&deepest, &mut t)?;
                dirs.push(deeper);
                dirs.push(deepest);
            }
        }
    }
    for (d, dir) in dirs.iter().enumerate() {
        for k in 0..per_dir {
            let name = match (d % 7, k) {
                (0, 1) => "café.txt".to_string(),
                (1, 2) => "naïve résumé.md".to_string(),
                (2, 3) => "emoji-😀.bin".to_string(),
                _ => format!("file-{k:03}.dat"),
            };
            let n = SIZES[rng.below(SIZES.len() as u64) as usize];
            let p = dir.join(name);
            w.create(&p, &rng.bytes(n), &mut t)?;
            if k % 5 == 4 {
                w.chmod(&p, 0o755)?;
            }
            mtime += 37;
            w.set_mtime(&p, mtime)?;
        }
        w.symlink(&dir.join("link-to-first"), "file-000.dat", &mut t)?;
    }
    for k in 0..larges {
        let p = rel.join(format!("large-{k}.bin"));
        w.create(&p, &rng.bytes(large_size + k * 4097), &mut t)?;
        mtime += 101;
        w.set_mtime(&p, mtime)?;
    }
    let readme = rel.join("README");
    w.create(
        &readme,
        b"A Coda volume made up by coda-rs drill.\n",
        &mut t,
    )?;
    w.hard_link(&readme, &rel.join("README.hardlink"), &mut t)?;
    w.create(&rel.join("empty"), b"", &mut t)?;
    w.symlink(
        &rel.join("absolute-link"),
        "/coda/example.org/some/where",
        &mut t,
    )?;
    w.symlink(&rel.join("dangling-link"), "no-such-file", &mut t)?;
    // Directory times last, deepest first, once their entries exist.
    for dir in dirs.iter().rev() {
        mtime += 3;
        w.set_mtime(dir, mtime)?;
    }
    w.set_mtime(rel, mtime + 3)?;
    Ok(t)
}

/// Changes the tree at `rel`: modifies, adds, deletes and renames files,
/// removes a directory tree, adds a directory, changes modes.
pub fn change(work: &Root, rel: &Path, size: Size) -> Result<Tally> {
    let w = Work(work);
    let mut rng = Rng(0x00c0_da00_d811_0002);
    let mut t = Tally::default();
    let (tops, _, _, _, _) = shape(size);
    let now = u64::from(DATE_INCR);
    // Modify every third file of a subdirectory of the second top
    // directory in place, and one byte in the middle of a large file.
    let second = rel.join("日本語のフォルダ");
    for (i, (p, len)) in w.files_in(&second.join("sub-1"))?.iter().enumerate() {
        if i % 3 == 0 {
            w.rewrite(p, &rng.bytes((*len as usize).max(10)), &mut t)?;
        }
    }
    let large = rel.join("large-1.bin");
    let mut bytes = w.read(&large)?;
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    w.rewrite(&large, &bytes, &mut t)?;
    // Both names of the hard link see the new content.
    let readme = rel.join("README");
    let mut f = w.open(&readme, Access::Write)?;
    f.seek(std::io::SeekFrom::End(0))
        .and_then(|_| f.write_all(b"Changed after the full dump.\n"))
        .map_err(Error::io(work.path().join(&readme), "cannot append"))?;
    t.bytes += 29;
    // Delete files and a whole directory tree.
    w.remove(&rel.join("empty"))?;
    w.remove(&rel.join("large-0.bin"))?;
    t.removed += 2;
    w.remove(&rel.join(format!("dir-{:02}", tops - 1)))?;
    t.removed += 1;
    // Renames: within a directory, across directories, a directory.
    let u = rel.join("Ünïcödé répertoire");
    w.rename(&u.join("file-005.dat"), &u.join("file-005-renamed.dat"))?;
    w.rename(
        &u.join("sub-1").join("file-006.dat"),
        &rel.join("moved-up.dat"),
    )?;
    w.rename(&u.join("sub-2"), &rel.join("dir-02").join("moved-dir"))?;
    t.renamed += 3;
    // Additions: a new directory with files, a new symlink, a file replaced
    // by a directory.
    let new = rel.join("new dir ✓");
    w.mkdir(&new, &mut t)?;
    for k in 0..10 {
        let n = SIZES[rng.below(SIZES.len() as u64) as usize];
        w.create(&new.join(format!("added-{k}.txt")), &rng.bytes(n), &mut t)?;
    }
    w.symlink(&new.join("readme-link"), "../README", &mut t)?;
    let replaced = rel.join("dir-02").join("file-000.dat");
    w.remove(&replaced)?;
    w.mkdir(&replaced, &mut t)?;
    w.create(&replaced.join("inside"), b"was a file\n", &mut t)?;
    // Mode changes.
    w.chmod(&rel.join("dir-02").join("file-004.dat"), 0o600)?;
    w.chmod(&rel.join("dir-02"), 0o750)?;
    // Give the files written now a fixed mtime so reruns look alike.
    w.set_mtime(&new, now)?;
    Ok(t)
}

/// Flips one byte in the middle of file `rel` of the working directory,
/// keeping its mode and mtime, as silent corruption would.
pub fn corrupt(work: &Root, rel: &Path) -> Result<()> {
    let (d, n) = work.parent(rel)?;
    let st = d.stat(n)?;
    d.set_mode_at(n, 0o600)?;
    let mut f = d.open_file(n, Access::ReadWrite)?;
    let shown = d.path().join(n);
    let io = |e: std::io::Error| Error::Io {
        path: shown.clone(),
        what: "cannot corrupt",
        source: e,
    };
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).map_err(io)?;
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    f.rewind().map_err(io)?;
    f.write_all(&bytes).map_err(io)?;
    rustix::fs::fchmod(&f, rustix::fs::Mode::from_raw_mode(st.st_mode & 0o7777))
        .map_err(|e| io(e.into()))?;
    let times = beneath::Timestamps {
        last_access: beneath::Timespec {
            tv_sec: st.st_atime,
            tv_nsec: st.st_atime_nsec as _,
        },
        last_modification: beneath::Timespec {
            tv_sec: st.st_mtime,
            tv_nsec: st.st_mtime_nsec as _,
        },
    };
    rustix::fs::futimens(&f, &times).map_err(|e| io(e.into()))
}
