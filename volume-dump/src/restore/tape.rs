//! Reading dumps from tape (spec §14): record-by-record input that never
//! loses a record, filemarks, positioning, and dumps wrapped in tar
//! archives (the layout of Coda's backup manual: a label tar holding
//! `TAPELABEL`, then one tar of dump files per tape file), read by
//! [`crate::tar::TarStream`].
//!
//! The drive is behind the small [`TapeDevice`] trait: [`DeviceTape`]
//! drives a real one with `read(2)`, `MTIOCTOP` and `MTIOCGET`;
//! [`TapeEmulator`] is a device-like model for tests of what the Linux `st`
//! driver does (checked against it on a `scsi_debug` tape by
//! `tests/tests/tape_qemu.rs`): `ENOMEM` that consumes the record when the
//! buffer is too short, `EINVAL` for a read outside the drive's block
//! limits, fixed-block mode, `MTBSR`, `MTFSF`, filemarks, end of data.

use std::fs::File;
use std::io::{self, Read};

use rustix::io::Errno;

use super::RestoreError;
use crate::sys::{ioctl_mtiocget_block_size, ioctl_mtioctop, MtOpcode};

/// Largest record read first: larger than any block size drives use by
/// default (Linux `st` limits records to the driver buffer, normally at
/// most 1 MiB).
pub const DEFAULT_READ_SIZE: usize = 1024 * 1024;
/// Largest record accepted at all.
pub const MAX_RECORD: usize = 16 * 1024 * 1024;

/// The errno of an I/O error, if it has one.
fn errno(e: &io::Error) -> Option<Errno> {
    Errno::from_io_error(e)
}

mod emulator;
pub use emulator::TapeEmulator;

/// What the restore needs of a tape drive.
pub trait TapeDevice {
    /// Reads the next record into `buf`; `Ok(0)` at a filemark (which is
    /// then passed). A record longer than `buf` fails with `ENOMEM` *after*
    /// the drive has passed it.
    fn read_record(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// Spaces forward past `count` filemarks (`MTFSF`).
    fn forward_files(&mut self, count: u32) -> io::Result<()>;
    /// Spaces back `count` records (`MTBSR`).
    fn back_records(&mut self, count: u32) -> io::Result<()>;
    /// The block size when the drive is in fixed-block mode (a read then
    /// returns as many whole blocks as fit); `None` in variable-block mode
    /// or when the drive cannot say.
    fn fixed_block_size(&mut self) -> Option<usize> {
        None
    }
}

/// A real tape drive (Linux `st`/`nst` device).
pub struct DeviceTape {
    file: File,
}

impl DeviceTape {
    /// Opens a tape device for reading.
    pub fn open(path: &std::path::Path) -> io::Result<Self> {
        Ok(DeviceTape {
            file: File::open(path)?,
        })
    }

    fn op(&self, op: MtOpcode, count: u32) -> io::Result<()> {
        let count = i32::try_from(count)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "count too large"))?;
        Ok(ioctl_mtioctop(&self.file, op, count)?)
    }
}

impl TapeDevice for DeviceTape {
    fn read_record(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
    fn forward_files(&mut self, count: u32) -> io::Result<()> {
        self.op(MtOpcode::ForwardFiles, count)
    }
    fn back_records(&mut self, count: u32) -> io::Result<()> {
        self.op(MtOpcode::BackRecords, count)
    }
    fn fixed_block_size(&mut self) -> Option<usize> {
        ioctl_mtiocget_block_size(&self.file).ok()?
    }
}

/// One tape file as a byte stream: records are read whole into a buffer
/// large enough for any record, so none is lost; the stream ends at the
/// filemark.
pub struct TapeReader<T> {
    dev: T,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    forced: bool,
    done: bool,
    block_size: Option<usize>,
    records: u64,
    bytes: u64,
}

impl<T: TapeDevice> TapeReader<T> {
    /// Reads the current tape file of `dev`. `block_size`: force the read
    /// size (a larger record is then an error); `None` detects it, reading
    /// with a [`DEFAULT_READ_SIZE`] buffer grown (after `MTBSR`) whenever a
    /// record does not fit.
    pub fn new(dev: T, block_size: Option<usize>) -> Self {
        let size = block_size.unwrap_or(DEFAULT_READ_SIZE).clamp(1, MAX_RECORD);
        TapeReader {
            dev,
            buf: vec![0; size],
            pos: 0,
            end: 0,
            forced: block_size.is_some(),
            done: false,
            block_size: None,
            records: 0,
            bytes: 0,
        }
    }

    /// Like [`TapeReader::new`] detecting the block size, but starting
    /// with a read buffer of `size` bytes (grown after each `ENOMEM`, see
    /// [`next_read_size`]).
    pub fn with_initial_size(dev: T, size: usize) -> Self {
        let mut r = Self::new(dev, None);
        r.buf = vec![0; size.clamp(1, MAX_RECORD)];
        r
    }

    /// Positions `dev` at tape file `n` (0-based, counted from the current
    /// position, normally the beginning of the tape) with `MTFSF`, then
    /// reads that file.
    pub fn at_file(mut dev: T, n: u32, block_size: Option<usize>) -> Result<Self, RestoreError> {
        if n > 0 {
            dev.forward_files(n).map_err(|e| {
                RestoreError::Tape(format!(
                    "cannot space forward to tape file {n} (MTFSF): {e}"
                ))
            })?;
        }
        Ok(Self::new(dev, block_size))
    }

    /// The drive's block size, known after the first record: the one the
    /// drive reports in fixed-block mode (where one read returns several
    /// blocks), else the size of the first record read.
    pub fn block_size(&self) -> Option<usize> {
        self.block_size
    }

    /// Records read so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The device, positioned after what was read (after the filemark if
    /// the stream was read to its end).
    pub fn into_device(self) -> T {
        self.dev
    }

    /// Reads the rest of this tape file (up to its filemark) and discards it.
    pub fn skip_to_filemark(&mut self) -> io::Result<()> {
        while self.fill()? {
            self.pos = self.end;
        }
        Ok(())
    }

    /// Reads the next record; false at the filemark.
    fn fill(&mut self) -> io::Result<bool> {
        if self.done {
            return Ok(false);
        }
        loop {
            match self.dev.read_record(&mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    return Ok(false);
                }
                Ok(n) => {
                    if self.block_size.is_none() {
                        self.block_size = Some(self.dev.fixed_block_size().unwrap_or(n));
                    }
                    self.records += 1;
                    self.pos = 0;
                    self.end = n;
                    return Ok(true);
                }
                Err(e) if errno(&e) == Some(Errno::NOMEM) => {
                    let at = self.bytes;
                    if self.forced || self.buf.len() >= MAX_RECORD {
                        return Err(io::Error::other(format!(
                            "tape record {} (after byte {at}) is larger than the {}-byte read size{}",
                            self.records + 1,
                            self.buf.len(),
                            if self.forced { " given with --block-size" } else { "" }
                        )));
                    }
                    // The drive passed the record: space back and re-read it
                    // with a larger buffer.
                    self.dev.back_records(1).map_err(|e| {
                        io::Error::other(format!(
                            "tape record {} did not fit in {} bytes and spacing back (MTBSR) failed: {e}",
                            self.records + 1,
                            self.buf.len()
                        ))
                    })?;
                    self.buf = vec![0; next_read_size(self.buf.len())];
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let hint = match (errno(&e), self.dev.fixed_block_size()) {
                        (Some(Errno::IO), Some(b)) => format!(
                            " (the drive is in fixed-block mode with {b}-byte blocks and cannot \
                             read a record of another size so: set variable-block mode, e.g. \
                             `mt setblk 0`)"
                        ),
                        (Some(Errno::INVAL), _) => format!(
                            " (the drive refused a {}-byte read: outside its block size limits)",
                            self.buf.len()
                        ),
                        _ => String::new(),
                    };
                    return Err(io::Error::new(
                        e.kind(),
                        format!(
                            "tape read error at record {} (byte {}): {e}{hint}",
                            self.records + 1,
                            self.bytes
                        ),
                    ));
                }
            }
        }
    }
}

/// The read size to try after a record did not fit in `len` bytes: ×4,
/// but never past [`DEFAULT_READ_SIZE`] in one step (1 MiB is the largest
/// block many drives accept at all, `scsi_debug`'s too, and `st` refuses a
/// larger read with `EINVAL`), then ×2, up to [`MAX_RECORD`].
pub fn next_read_size(len: usize) -> usize {
    if len < DEFAULT_READ_SIZE {
        (len * 4).min(DEFAULT_READ_SIZE)
    } else {
        (len * 2).min(MAX_RECORD)
    }
}

impl<T: TapeDevice> Read for TapeReader<T> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.end && !self.fill()? {
            return Ok(0);
        }
        let n = out.len().min(self.end - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<T: TapeDevice + ?Sized> TapeDevice for &mut T {
    fn read_record(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (**self).read_record(buf)
    }
    fn forward_files(&mut self, count: u32) -> io::Result<()> {
        (**self).forward_files(count)
    }
    fn back_records(&mut self, count: u32) -> io::Result<()> {
        (**self).back_records(count)
    }
    fn fixed_block_size(&mut self) -> Option<usize> {
        (**self).fixed_block_size()
    }
}
