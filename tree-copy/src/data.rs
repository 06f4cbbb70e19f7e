//! File data: copied by the kernel over the data segments of a file
//! ([`beneath::RangeCopy`]: `copy_file_range`, or large `pread`/`pwrite`
//! buffers where the kernel or filesystem cannot); holes are found with
//! `SEEK_DATA`/`SEEK_HOLE` and left as holes. Every byte of the source is
//! read once.

use std::fs::File;
use std::io;

use beneath::{CopyError, RangeCopy};
use rustix::fs::SeekFrom;
use rustix::io::Errno;

/// Size of the buffer of the verification reads, per worker thread.
pub const BUFFER_SIZE: usize = beneath::COPY_BUFFER;

/// An error while copying data: which side failed matters for the report.
#[derive(Debug)]
pub enum DataError {
    /// Reading the source (or seeking in it) failed.
    Read(io::Error),
    /// Writing the destination failed.
    Write(io::Error),
}

impl From<CopyError> for DataError {
    fn from(e: CopyError) -> Self {
        match e {
            CopyError::Read(e) => DataError::Read(e),
            CopyError::Write(e) => DataError::Write(e),
        }
    }
}

/// Copies the first `size` bytes of `src` into the empty file `dst` (less
/// when the source shrinks meanwhile). When `sparse` is set, only the
/// data segments are copied, holes stay holes and `dst`'s length is set
/// to `size`. Returns the number of bytes asked for in data segments.
pub fn copy_data(src: &File, dst: &File, size: u64, sparse: bool) -> Result<u64, DataError> {
    let mut copier = RangeCopy::new();
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
            copier.copy(src, start, dst, start, end - start)?;
            moved += end - start;
            pos = end;
        }
    } else {
        copier.copy(src, 0, dst, 0, size)?;
        moved += size;
    }
    if sparse {
        // A trailing hole is made by the length alone.
        dst.set_len(size).map_err(DataError::Write)?;
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::fs::FileExt;

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
}
