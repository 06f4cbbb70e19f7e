//! The log device (spec §3): a regular file or a raw partition, its
//! status block, and `rvmutl`'s `init_log` (spec §3.2).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::claim::Claim;
pub use crate::contents::PROBE_LEN;
use crate::contents::{check_overwrite, Overwrite, Role};
use crate::device::{self, Target};
use crate::error::{Error, Result};
use crate::in_use::Identity;
pub use crate::status::RAW_RESERVED;
use crate::status::{StatusBlock, STATUS_SIZE};
use crate::uname::Timeval;

/// First record byte of a file log.
pub const FILE_LOG_START: u64 = STATUS_SIZE as u64;
/// First record byte of a raw log.
pub const RAW_LOG_START: u64 = RAW_RESERVED + STATUS_SIZE as u64;
/// Smallest record area `rvmutl` accepts is anything above one sector.
pub const MIN_LOG_SIZE: u64 = 513;

/// An open log device.
#[derive(Debug)]
pub struct LogDevice {
    path: PathBuf,
    file: File,
    raw: bool,
    block: bool,
}

impl LogDevice {
    /// Opens a log. Block devices are raw; `raw` forces the raw layout for
    /// an image stored in a regular file.
    pub fn open(path: &Path, raw: bool, writable: bool) -> Result<Self> {
        if writable {
            let claim = Claim::open_existing(path, true, "an RVM log")?;
            let block = matches!(claim.target(), Target::Block(_));
            return Ok(LogDevice {
                path: path.to_path_buf(),
                file: claim.into_file(false)?,
                raw: raw || block,
                block,
            });
        }
        let target = Target::inspect(path)?;
        let block = matches!(target, Target::Block(_));
        if target == Target::Missing {
            return Err(Error::Target {
                path: path.to_path_buf(),
                what: "does not exist".into(),
                expected: "an RVM log".into(),
            });
        }
        let file = OpenOptions::new()
            .read(true)
            .open(path)
            .map_err(|e| Error::io(path, "cannot open the log", e))?;
        Ok(LogDevice {
            path: path.to_path_buf(),
            file,
            raw: raw || block,
            block,
        })
    }

    /// Device and inode (files) or device number (block devices).
    pub fn identity(&self) -> Result<Option<Identity>> {
        Identity::of_file(&self.file, &self.path)
    }

    /// The path it was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// True for the raw-partition layout.
    pub fn is_raw(&self) -> bool {
        self.raw
    }

    /// True for a block device.
    pub fn is_block(&self) -> bool {
        self.block
    }

    /// Offset of the status block: 0, or 8192 on raw partitions.
    pub fn status_offset(&self) -> u64 {
        if self.raw {
            RAW_RESERVED
        } else {
            0
        }
    }

    /// Expected `log_start`.
    pub fn log_start(&self) -> u64 {
        self.status_offset() + STATUS_SIZE as u64
    }

    /// Reads and validates the status block (spec §4.4) and the pointers
    /// RVM asserts on (spec §11).
    pub fn read_status(&self) -> Result<StatusBlock> {
        let mut buf = [0u8; STATUS_SIZE];
        let base = self.status_offset();
        let len = self.size()?;
        if len < base + STATUS_SIZE as u64 {
            return Err(self.corrupt(
                base,
                format!("the file is only {len} bytes long"),
                format!("a {STATUS_SIZE}-byte RVM status block at byte {base}"),
            ));
        }
        device::read_at(&self.file, &self.path, &mut buf, base)?;
        let s = StatusBlock::decode(&buf).map_err(|p| {
            let (at, what, expected) = p.describe();
            let hint = if self.raw {
                ""
            } else {
                " (a raw-partition image needs --raw)"
            };
            self.corrupt(
                base + at as u64,
                format!("{what}: not a valid RVM log status block{hint}"),
                expected,
            )
        })?;
        if s.log_start != self.log_start() {
            return Err(self.corrupt(
                base + 416,
                format!("log_start {}", s.log_start),
                format!(
                    "{} for a {} log",
                    self.log_start(),
                    if self.raw { "raw" } else { "file" }
                ),
            ));
        }
        let end = self.num_bytes(&s)?;
        for (at, name, v) in [(448, "log_head", s.log_head), (464, "log_tail", s.log_tail)] {
            if v < s.log_start || v > end || v % 8 != 0 {
                return Err(self.corrupt(
                    base + at,
                    format!("{name} {v}"),
                    format!("an 8-aligned offset in [{}, {end}]", s.log_start),
                ));
            }
        }
        if s.prev_log_head != 0 {
            for (at, name, v) in [
                (480, "prev_log_head", s.prev_log_head),
                (496, "prev_log_tail", s.prev_log_tail),
            ] {
                if v < s.log_start || v > end || v % 8 != 0 {
                    return Err(self.corrupt(
                        base + at,
                        format!("{name} {v}"),
                        format!("an 8-aligned offset in [{}, {end}]", s.log_start),
                    ));
                }
            }
        }
        Ok(s)
    }

    /// End of the record area (spec §3.1): C512(file size) for file logs,
    /// log_start + log_size for raw logs (the image must be that long).
    pub fn num_bytes(&self, s: &StatusBlock) -> Result<u64> {
        let len = self.size()?;
        if self.raw {
            let end = s.log_start.checked_add(s.log_size).filter(|&e| e <= len);
            end.ok_or_else(|| {
                self.corrupt(
                    self.status_offset() + 432,
                    format!(
                        "log_size {} reaches past the end of the device ({len} bytes)",
                        s.log_size
                    ),
                    "a record area inside the device".into(),
                )
            })
        } else {
            let end = len & !511;
            if end <= s.log_start {
                return Err(self.corrupt(
                    len,
                    "the file ends inside the status area".into(),
                    "a record area".into(),
                ));
            }
            Ok(end)
        }
    }

    /// Length of the file or device.
    pub fn size(&self) -> Result<u64> {
        if self.block {
            device::device_size(&self.file, &self.path)
        } else {
            Ok(self
                .file
                .metadata()
                .map_err(|e| Error::io(&self.path, "cannot stat", e))?
                .len())
        }
    }

    /// Writes the status block (then fdatasync).
    pub fn write_status(&self, s: &StatusBlock) -> Result<()> {
        device::write_at(&self.file, &self.path, &s.encode(), self.status_offset())?;
        device::sync(&self.file, &self.path)
    }

    /// Maps `[0, len)` of the log read-only.
    pub fn map(&self, len: u64) -> Result<memmap2::Mmap> {
        crate::sys::mmap_read(&self.file, len)
            .map_err(|e| Error::io(&self.path, "cannot map the log", e))
    }

    fn corrupt(&self, offset: u64, what: String, expected: String) -> Error {
        Error::Corrupt {
            path: self.path.clone(),
            offset,
            what,
            expected,
        }
    }
}

/// Options of [`init_log`].
#[derive(Clone, Copy, Debug, Default)]
pub struct InitLogOptions {
    /// Overwrite a target that holds data (never one in use).
    pub force: bool,
    /// Overwrite only a target that is all zero or already holds an RVM
    /// log (`--replace-rvm`); ignored with `force`.
    pub replace_rvm: bool,
    /// Make every check, write nothing; the report is what would be made.
    pub dry_run: bool,
    /// Checked before each chunk of the fill: once set, the format stops
    /// with [`Error::Interrupted`] before the status block is written (a
    /// file it created is removed, an older file emptied).
    pub stop: crate::device::Stop,
}

/// What [`init_log`] made.
#[derive(Clone, Debug)]
pub struct InitLogReport {
    /// The status block written.
    pub status: StatusBlock,
    /// True for the raw-partition layout.
    pub raw: bool,
    /// Bytes from the start of the device to the end of the record area.
    pub total: u64,
}

/// Formats a log like `rvmutl`'s `i LOG SIZE` (spec §3.2): `log_size` is
/// the record-area size (a multiple of 512, > 512). Regular files are
/// created or truncated; block devices keep their first 8192 bytes.
/// The record area is filled with 0xFF, synced, and the status block is
/// written last, stamped `now`; until then the target holds no valid log
/// (the status block of a device is zeroed first), which is where a stop
/// ([`InitLogOptions::stop`]) leaves it.
pub fn init_log(
    path: &Path,
    log_size: u64,
    opts: InitLogOptions,
    now: Timeval,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<InitLogReport> {
    if log_size < MIN_LOG_SIZE || log_size % 512 != 0 {
        return Err(Error::Parameter {
            name: "SIZE",
            value: log_size.to_string(),
            rule: "the log size must be a multiple of 512 greater than 512".into(),
        });
    }
    let claim = Claim::open(path, true)?;
    let target = claim.target();
    let created = target == Target::Missing;
    let raw = matches!(target, Target::Block(_));
    let base = if raw { RAW_RESERVED } else { 0 };
    let total = base + STATUS_SIZE as u64 + log_size;
    if let Target::Block(size) = target {
        if size < total {
            return Err(Error::Target {
                path: path.to_path_buf(),
                what: format!("the device holds only {size} bytes"),
                expected: format!("at least {total} bytes for a {log_size}-byte log (8192 reserved + 2560 status + records)"),
            });
        }
    }
    let overwrite = Overwrite::from_flags(opts.force, opts.replace_rvm);
    check_overwrite(&claim, Role::Log, overwrite, base..total)?;
    let start = base + STATUS_SIZE as u64;
    let status = StatusBlock::fresh(start, log_size, now);
    if opts.dry_run {
        return Ok(InitLogReport { status, raw, total });
    }
    device::check_stop(opts.stop, path)?;
    // Regular files are emptied (rvmutl's O_TRUNC) through the claimed
    // descriptor; a block device stays held O_EXCL until the end.
    let file = claim.into_file(!raw)?;
    let filled = (|| {
        if raw {
            // Invalidate any old status block first, so that a crash during
            // the fill never leaves a valid-looking log.
            device::write_at(&file, path, &[0u8; STATUS_SIZE], base)?;
        }
        device::fill(&file, path, start, log_size, 0xFF, progress, opts.stop)?;
        device::check_stop(opts.stop, path)
    })();
    device::interrupted(filled, path, &file, created, raw)?;
    device::sync(&file, path)?;
    device::write_at(&file, path, &status.encode(), base)?;
    device::sync(&file, path)?;
    Ok(InitLogReport { status, raw, total })
}

/// A log opened for reading with its tail located (spec §6.1).
#[derive(Debug)]
pub struct LocatedLog {
    /// The device.
    pub device: LogDevice,
    /// The status block as read from disk.
    pub disk: StatusBlock,
    /// The in-memory status after tail location.
    pub status: StatusBlock,
    /// End of the record area.
    pub num_bytes: u64,
    /// Details of the scan.
    pub scan: crate::reader::TailScan,
}

impl LocatedLog {
    /// Opens `path` (raw layout for block devices or with `raw`), validates
    /// the status block and locates the tail as RVM does (`rule` picks the
    /// range checksum; [`ChecksumRule::Rvm`](crate::reader::ChecksumRule::Rvm)
    /// reproduces the real tool).
    pub fn open(
        path: &Path,
        raw: bool,
        writable: bool,
        rule: crate::reader::ChecksumRule,
    ) -> Result<Self> {
        let device = LogDevice::open(path, raw, writable)?;
        let disk = device.read_status()?;
        let num_bytes = device.num_bytes(&disk)?;
        let now = Timeval::now();
        if disk.last_trunc > now {
            return Err(Error::Unrecoverable {
                path: path.to_path_buf(),
                what:
                    "the log's last truncation time is later than the system clock (check the date)"
                        .into(),
            });
        }
        let mut status = disk.clone();
        let scan = {
            let map = device.map(num_bytes)?;
            let view = crate::reader::LogView::new(&map, disk.log_start, num_bytes);
            crate::reader::locate_tail(&mut status, &view, now, rule)
        };
        Ok(LocatedLog {
            device,
            disk,
            status,
            num_bytes,
            scan,
        })
    }
}
