//! File data: copy_file_range over the data segments of a file (holes are
//! found with `SEEK_DATA`/`SEEK_HOLE` and left as holes), falling back to
//! large `pread`/`pwrite` buffers where the kernel or filesystem cannot.
//! Every byte of the source is read once.

use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use rustix::fs::SeekFrom;
use rustix::io::Errno;

/// Size of the fallback buffer, per worker thread.
pub const BUFFER_SIZE: usize = 1 << 20;

/// Largest request handed to one copy_file_range call.
const CFR_CHUNK: u64 = 1 << 30;

thread_local! {
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Which way data moves; starts optimistic and falls back for good once
/// the kernel says copy_file_range cannot serve this pair of files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    CopyFileRange,
    ReadWrite,
}

/// An error while copying data: which side failed matters for the report.
#[derive(Debug)]
pub enum DataError {
    /// Reading the source (or seeking in it) failed.
    Read(io::Error),
    /// Writing the destination failed.
    Write(io::Error),
}

/// Copies the first `size` bytes of `src` into the empty file `dst` (less
/// when the source shrinks meanwhile). When `sparse` is set, only the
/// data segments are copied, holes stay holes and `dst`'s length is set
/// to `size`. Returns the number of bytes asked for in data segments.
pub fn copy_data(src: &File, dst: &File, size: u64, sparse: bool) -> Result<u64, DataError> {
    let mut method = Method::CopyFileRange;
    let mut moved = 0;
    if size == 0 {
        return Ok(0);
    }
    if sparse {
        let mut pos = 0;
        while pos < size {
            let start = match rustix::fs::seek(src, SeekFrom::Data(pos)) {
                Ok(s) => s,
                // No data after `pos`: the rest is a hole.
                Err(Errno::NXIO) => break,
                // The filesystem cannot tell: treat the rest as data.
                Err(Errno::INVAL) | Err(Errno::OPNOTSUPP) => pos,
                Err(e) => return Err(DataError::Read(e.into())),
            };
            if start >= size {
                break;
            }
            let end = match rustix::fs::seek(src, SeekFrom::Hole(start)) {
                Ok(h) => h.min(size),
                Err(Errno::INVAL) | Err(Errno::OPNOTSUPP) => size,
                Err(e) => return Err(DataError::Read(e.into())),
            };
            let end = end.max(start + 1).min(size);
            moved += copy_range(src, dst, start, end - start, &mut method)?;
            pos = end;
        }
    } else {
        moved += copy_range(src, dst, 0, size, &mut method)?;
    }
    if sparse {
        // A trailing hole is made by the length alone.
        dst.set_len(size).map_err(DataError::Write)?;
    }
    Ok(moved)
}

/// Copies `len` bytes at `offset` from `src` to the same offset in `dst`.
fn copy_range(
    src: &File,
    dst: &File,
    offset: u64,
    len: u64,
    method: &mut Method,
) -> Result<u64, DataError> {
    let mut off_in = offset;
    let mut off_out = offset;
    let end = offset + len;
    while *method == Method::CopyFileRange && off_in < end {
        let want = (end - off_in).min(CFR_CHUNK) as usize;
        match rustix::fs::copy_file_range(src, Some(&mut off_in), dst, Some(&mut off_out), want) {
            // End of file before `end` (the file shrank), or a filesystem
            // that answers 0 instead of an error: let plain reads decide.
            Ok(0) => *method = Method::ReadWrite,
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
            ) => *method = Method::ReadWrite,
            Err(Errno::IO) => return Err(DataError::Read(Errno::IO.into())),
            Err(e @ (Errno::NOSPC | Errno::DQUOT | Errno::FBIG)) => {
                return Err(DataError::Write(e.into()))
            }
            Err(e) => return Err(DataError::Read(e.into())),
        }
    }
    if off_in < end {
        read_write(src, dst, off_in, end)?;
    }
    Ok(len)
}

/// The fallback: `pread`/`pwrite` through a large per-thread buffer, from
/// `from` up to `end` or end of file.
fn read_write(src: &File, dst: &File, from: u64, end: u64) -> Result<(), DataError> {
    BUFFER.with(|cell| {
        let mut buf = cell.borrow_mut();
        if buf.len() < BUFFER_SIZE {
            buf.resize(BUFFER_SIZE, 0);
        }
        let mut pos = from;
        while pos < end {
            let want = ((end - pos) as usize).min(buf.len());
            let n = match src.read_at(&mut buf[..want], pos) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(DataError::Read(e)),
            };
            dst.write_all_at(&buf[..n], pos).map_err(DataError::Write)?;
            pos += n as u64;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn plain_and_sparse_copies_match() {
        let dir = tempfile::tempdir().unwrap();
        let sp = dir.path().join("s");
        let f = File::create(&sp).unwrap();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        f.write_all_at(&data, 3 << 20).unwrap();
        f.write_all_at(b"tail", (16 << 20) + 5).unwrap();
        f.set_len(40 << 20).unwrap();
        drop(f);
        let size = std::fs::metadata(&sp).unwrap().len();
        for sparse in [false, true] {
            let dp = dir.path().join(format!("d{sparse}"));
            let src = File::open(&sp).unwrap();
            let dst = File::create(&dp).unwrap();
            copy_data(&src, &dst, size, sparse).unwrap();
            drop(dst);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            File::open(&sp).unwrap().read_to_end(&mut a).unwrap();
            File::open(&dp).unwrap().read_to_end(&mut b).unwrap();
            assert!(a == b, "content differs (sparse={sparse})");
        }
    }

    #[test]
    fn fallback_copies_everything() {
        let dir = tempfile::tempdir().unwrap();
        let sp = dir.path().join("s");
        let data: Vec<u8> = (0..(3 * BUFFER_SIZE + 17)).map(|i| i as u8).collect();
        File::create(&sp).unwrap().write_all(&data).unwrap();
        let dp = dir.path().join("d");
        let src = File::open(&sp).unwrap();
        let dst = File::create(&dp).unwrap();
        read_write(&src, &dst, 0, data.len() as u64).unwrap();
        assert!(std::fs::read(&dp).unwrap() == data);
    }
}
