//! Moving file data with the kernel: `copy_file_range` between two open
//! files at given offsets, so the bytes never pass through user space,
//! falling back for good (per [`RangeCopy`]) to large `pread`/`pwrite`
//! buffers where the kernel or the file systems cannot (two file systems,
//! an old kernel). Tree-copy copies files with it; a restore copies large
//! files out of a dump file with it.

use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use rustix::io::Errno;

/// Size of the fallback buffer, per thread.
pub const COPY_BUFFER: usize = 1 << 20;

/// Largest request handed to one copy_file_range call.
const CFR_CHUNK: u64 = 1 << 30;

thread_local! {
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// An error while copying data: which side failed matters for the report.
#[derive(Debug)]
pub enum CopyError {
    /// Reading the source failed.
    Read(io::Error),
    /// Writing the destination failed.
    Write(io::Error),
}

/// Copies ranges of one file into another; starts with `copy_file_range`
/// and falls back to `pread`/`pwrite` for good once the kernel says it
/// cannot serve this pair of files.
#[derive(Debug, Clone, Copy, Default)]
pub struct RangeCopy {
    read_write: bool,
}

impl RangeCopy {
    /// A copier that tries `copy_file_range` first.
    pub fn new() -> Self {
        Self::default()
    }

    /// Copies `len` bytes of `src` at `src_off` to `dst` at `dst_off`;
    /// returns how many were copied (fewer only when `src` ends first).
    pub fn copy(
        &mut self,
        src: &File,
        src_off: u64,
        dst: &File,
        dst_off: u64,
        len: u64,
    ) -> Result<u64, CopyError> {
        let (mut off_in, mut off_out) = (src_off, dst_off);
        let end = src_off + len;
        while !self.read_write && off_in < end {
            let want = (end - off_in).min(CFR_CHUNK) as usize;
            match rustix::fs::copy_file_range(src, Some(&mut off_in), dst, Some(&mut off_out), want)
            {
                // End of file before `end` (the file shrank), or a file
                // system that answers 0 instead of an error: let plain
                // reads decide.
                Ok(0) => self.read_write = true,
                Ok(_) => {}
                Err(Errno::INTR) => {}
                Err(
                    Errno::XDEV
                    | Errno::NOSYS
                    | Errno::OPNOTSUPP
                    | Errno::INVAL
                    | Errno::BADF
                    | Errno::PERM
                    | Errno::TXTBSY,
                ) => self.read_write = true,
                Err(Errno::IO) => return Err(CopyError::Read(Errno::IO.into())),
                Err(e @ (Errno::NOSPC | Errno::DQUOT | Errno::FBIG)) => {
                    return Err(CopyError::Write(e.into()))
                }
                Err(e) => return Err(CopyError::Read(e.into())),
            }
        }
        if off_in < end {
            off_in += read_write(src, off_in, dst, off_out, end)?;
        }
        Ok(off_in - src_off)
    }
}

/// The fallback: `pread`/`pwrite` through a large per-thread buffer, from
/// `from` up to `end` or end of file; returns the bytes copied.
fn read_write(src: &File, from: u64, dst: &File, to: u64, end: u64) -> Result<u64, CopyError> {
    BUFFER.with(|cell| {
        let mut buf = cell.borrow_mut();
        if buf.len() < COPY_BUFFER {
            buf.resize(COPY_BUFFER, 0);
        }
        let mut done = 0;
        while from + done < end {
            let want = ((end - from - done) as usize).min(buf.len());
            let n = match src.read_at(&mut buf[..want], from + done) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(CopyError::Read(e)),
            };
            dst.write_all_at(&buf[..n], to + done)
                .map_err(CopyError::Write)?;
            done += n as u64;
        }
        Ok(done)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn both_ways_copy_the_range_to_its_new_offset() {
        let dir = tempfile::tempdir().unwrap();
        let data = pattern(3 * COPY_BUFFER + 17);
        File::create(dir.path().join("s"))
            .unwrap()
            .write_all(&data)
            .unwrap();
        let src = File::open(dir.path().join("s")).unwrap();
        let (off, len) = (1000u64, 2 * COPY_BUFFER as u64 + 5);
        for fallback in [false, true] {
            let dp = dir.path().join(format!("d{fallback}"));
            let dst = File::create(&dp).unwrap();
            let n = if fallback {
                read_write(&src, off, &dst, 3, off + len).unwrap()
            } else {
                RangeCopy::new().copy(&src, off, &dst, 3, len).unwrap()
            };
            assert_eq!(n, len);
            let got = std::fs::read(&dp).unwrap();
            assert_eq!(got.len() as u64, 3 + len);
            assert!(got[3..] == data[off as usize..(off + len) as usize]);
            assert!(got[..3] == [0, 0, 0]);
        }
    }

    #[test]
    fn a_short_source_gives_what_it_has() {
        let dir = tempfile::tempdir().unwrap();
        File::create(dir.path().join("s"))
            .unwrap()
            .write_all(&pattern(5000))
            .unwrap();
        let src = File::open(dir.path().join("s")).unwrap();
        let dst = File::create(dir.path().join("d")).unwrap();
        let n = RangeCopy::new().copy(&src, 1000, &dst, 0, 10_000).unwrap();
        assert_eq!(n, 4000);
        assert_eq!(std::fs::read(dir.path().join("d")).unwrap().len(), 4000);
    }
}
