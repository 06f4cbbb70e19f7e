//! The drill's sample volume on disk: the [`Recipe`] tree generated, then
//! changed, inside the drill's working directory. Every write goes through
//! the beneath layer, relative to the working directory's fd: nothing is
//! created, rewritten, moved or re-moded through a symlink (the sample
//! holds symlinks of its own, absolute and dangling ones included).

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use beneath::{Access, FileKind, Root};

use super::recipe::{Node, Recipe, SIZES};
use super::rng::Rng;
use super::{Tally, DATE_INCR};
use crate::{Error, Result, Size};

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

/// Generates the drill's sample volume tree of `size` at `rel` (which
/// must not exist) in the working directory `work`.
pub fn generate(work: &Root, rel: &Path, size: Size) -> Result<Tally> {
    let w = Work(work);
    let mut t = Tally::default();
    w.mkdir(rel, &mut t)?;
    Recipe::drill(size).play(&mut |node| match node {
        Node::Dir(p) => w.mkdir(&rel.join(p), &mut t),
        Node::File {
            path,
            data,
            mode,
            mtime,
        } => {
            let p = rel.join(path);
            w.create(&p, &data, &mut t)?;
            if mode != 0o644 {
                w.chmod(&p, mode)?;
            }
            match mtime {
                Some(m) => w.set_mtime(&p, m),
                None => Ok(()),
            }
        }
        Node::Symlink { path, target } => w.symlink(&rel.join(path), target, &mut t),
        Node::HardLink { path, to } => w.hard_link(&rel.join(to), &rel.join(path), &mut t),
        Node::DirTime { path, mtime } if path.as_os_str().is_empty() => w.set_mtime(rel, mtime),
        Node::DirTime { path, mtime } => w.set_mtime(&rel.join(path), mtime),
    })?;
    Ok(t)
}

/// Changes the tree at `rel`: modifies, adds, deletes and renames files,
/// removes a directory tree, adds a directory, changes modes.
pub fn change(work: &Root, rel: &Path, size: Size) -> Result<Tally> {
    let w = Work(work);
    let mut rng = Rng::new(0x00c0_da00_d811_0002);
    let mut t = Tally::default();
    let tops = Recipe::drill(size).tops;
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
