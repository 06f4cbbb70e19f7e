//! [`TapeEmulator`]: a tape drive in memory for tests, modelled on what the
//! Linux `st` driver does (checked against it on a `scsi_debug` tape by
//! `tests/tests/tape_qemu.rs`).

use std::io;

use rustix::io::Errno;

use super::TapeDevice;

/// A tape in memory: tape files made of records, a filemark after each
/// file, then end of data. Behaves like the Linux `st` driver: at end of
/// data the first read returns 0 and later ones fail with `EIO`; in
/// variable-block mode (the default) a read outside the block limits fails
/// with `EINVAL` and a record longer than the buffer with `ENOMEM` after
/// passing it; in fixed-block mode a read returns as many whole blocks as
/// fit, up to the filemark, and a record of another size fails with `EIO`
/// without being passed (a read shorter than one block, which `st` serves
/// from its own buffer, is refused with `EINVAL`).
#[derive(Debug, Clone)]
pub struct TapeEmulator {
    /// Tape files, each a list of records.
    files: Vec<Vec<Vec<u8>>>,
    file: usize,
    /// Next record in the current file; `len` = at the filemark.
    record: usize,
    /// End of data was reported once (by a read returning 0).
    eod_seen: bool,
    /// Smallest and largest variable-mode read the drive accepts.
    limits: (usize, usize),
    /// Fixed-block mode with this block size.
    fixed: Option<usize>,
    /// Counters, for tests: reads that failed with ENOMEM, MTBSR calls.
    pub enomem_reads: u64,
    /// MTBSR operations performed.
    pub back_spaces: u64,
}

impl Default for TapeEmulator {
    fn default() -> Self {
        TapeEmulator {
            files: Vec::new(),
            file: 0,
            record: 0,
            eod_seen: false,
            limits: (1, usize::MAX),
            fixed: None,
            enomem_reads: 0,
            back_spaces: 0,
        }
    }
}

fn os_error(errno: Errno) -> io::Error {
    errno.into()
}

impl TapeEmulator {
    /// An empty tape.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the drive's block limits (`READ BLOCK LIMITS`; `scsi_debug`:
    /// 512 to 1 MiB): variable-mode reads outside them fail with `EINVAL`.
    pub fn set_block_limits(&mut self, min: usize, max: usize) -> &mut Self {
        self.limits = (min, max);
        self
    }

    /// Puts the drive in fixed-block mode with `block`-byte blocks
    /// (`MTSETBLK`), or back in variable-block mode with `None`.
    pub fn set_fixed_block_size(&mut self, block: Option<usize>) -> &mut Self {
        self.fixed = block.filter(|&b| b > 0);
        self
    }

    /// Fixed-block mode: whole `block`-byte records up to the filemark.
    fn read_fixed(&mut self, block: usize, buf: &mut [u8]) -> io::Result<usize> {
        if buf.len() < block {
            return Err(os_error(Errno::INVAL));
        }
        let records = &self.files[self.file];
        let mut got = 0;
        while let Some(rec) = records.get(self.record) {
            if rec.len() != block {
                // st: "Incorrect block size", and it spaces back.
                return if got == 0 {
                    Err(os_error(Errno::IO))
                } else {
                    Ok(got)
                };
            }
            if got + block > buf.len() {
                break;
            }
            buf[got..got + block].copy_from_slice(rec);
            got += block;
            self.record += 1;
        }
        if got == 0 {
            self.file += 1;
            self.record = 0;
        }
        Ok(got)
    }

    /// Appends a tape file cut into records of `block` bytes (the last
    /// one may be shorter).
    pub fn push_file(&mut self, data: &[u8], block: usize) -> &mut Self {
        let sizes = std::iter::repeat(block.max(1));
        self.push_file_sizes(data, sizes)
    }

    /// Appends a tape file cut into records of the given sizes in turn
    /// (variable-block mode), repeating the last size.
    pub fn push_file_sizes(
        &mut self,
        data: &[u8],
        sizes: impl IntoIterator<Item = usize>,
    ) -> &mut Self {
        let mut records = Vec::new();
        let mut sizes = sizes.into_iter();
        let mut last = 512;
        let mut at = 0;
        while at < data.len() {
            last = sizes.next().unwrap_or(last).max(1);
            let end = (at + last).min(data.len());
            records.push(data[at..end].to_vec());
            at = end;
        }
        self.files.push(records);
        self
    }
}

impl TapeDevice for TapeEmulator {
    fn read_record(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.file >= self.files.len() {
            // End of data: st returns 0 once (blank check), then EIO.
            if std::mem::replace(&mut self.eod_seen, true) {
                return Err(os_error(Errno::IO));
            }
            return Ok(0);
        }
        if let Some(block) = self.fixed {
            return self.read_fixed(block, buf);
        }
        if buf.len() < self.limits.0 || buf.len() > self.limits.1 {
            return Err(os_error(Errno::INVAL));
        }
        match self.files[self.file].get(self.record) {
            None => {
                self.file += 1;
                self.record = 0;
                Ok(0)
            }
            Some(rec) => {
                self.record += 1;
                if rec.len() > buf.len() {
                    self.enomem_reads += 1;
                    return Err(os_error(Errno::NOMEM));
                }
                buf[..rec.len()].copy_from_slice(rec);
                Ok(rec.len())
            }
        }
    }

    fn forward_files(&mut self, count: u32) -> io::Result<()> {
        for _ in 0..count {
            if self.file >= self.files.len() {
                return Err(os_error(Errno::IO));
            }
            self.file += 1;
            self.record = 0;
        }
        Ok(())
    }

    fn back_records(&mut self, count: u32) -> io::Result<()> {
        self.back_spaces += 1;
        if (count as usize) > self.record {
            return Err(os_error(Errno::IO));
        }
        self.record -= count as usize;
        Ok(())
    }

    fn fixed_block_size(&mut self) -> Option<usize> {
        self.fixed
    }
}
