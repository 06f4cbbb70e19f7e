//! [`TapeEmulator`]: a tape drive in memory for tests, modelled on what the
//! Linux `st` driver does.

use std::io;

use super::{TapeDevice, ENOMEM};

/// A tape in memory: tape files made of records, a filemark after each
/// file, then end of data (reads fail with `EIO`, as a drive's blank
/// check). Behaves like the Linux `st` driver in variable-block mode.
#[derive(Debug, Clone, Default)]
pub struct TapeEmulator {
    /// Tape files, each a list of records.
    files: Vec<Vec<Vec<u8>>>,
    file: usize,
    /// Next record in the current file; `len` = at the filemark.
    record: usize,
    /// Counters, for tests: reads that failed with ENOMEM, MTBSR calls.
    pub enomem_reads: u64,
    /// MTBSR operations performed.
    pub back_spaces: u64,
}

impl TapeEmulator {
    /// An empty tape.
    pub fn new() -> Self {
        Self::default()
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
        let Some(file) = self.files.get(self.file) else {
            return Err(io::Error::from_raw_os_error(5)); // EIO: end of data
        };
        match file.get(self.record) {
            None => {
                self.file += 1;
                self.record = 0;
                Ok(0)
            }
            Some(rec) => {
                self.record += 1;
                if rec.len() > buf.len() {
                    self.enomem_reads += 1;
                    return Err(io::Error::from_raw_os_error(ENOMEM));
                }
                buf[..rec.len()].copy_from_slice(rec);
                Ok(rec.len())
            }
        }
    }

    fn forward_files(&mut self, count: u32) -> io::Result<()> {
        for _ in 0..count {
            if self.file >= self.files.len() {
                return Err(io::Error::from_raw_os_error(5));
            }
            self.file += 1;
            self.record = 0;
        }
        Ok(())
    }

    fn back_records(&mut self, count: u32) -> io::Result<()> {
        self.back_spaces += 1;
        if (count as usize) > self.record {
            return Err(io::Error::from_raw_os_error(5));
        }
        self.record -= count as usize;
        Ok(())
    }
}
