//! Every `unsafe` call of the crate, each in a small safe wrapper named
//! after the ioctl it makes (the rustix style): the magnetic-tape ioctls
//! of `<sys/mtio.h>` that the tape reader needs. Errors are returned as
//! [`Errno`] values, compared as such by the callers, never as numbers or
//! text.

use std::ffi::{c_int, c_long};
use std::os::fd::AsFd;

use rustix::io::Errno;
use rustix::ioctl::{ioctl, opcode, Getter, Opcode, Setter};

/// `struct mtop` of `<sys/mtio.h>`: `short mt_op; int mt_count;`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
struct MtOp {
    op: i16,
    count: i32,
}

const _: () = assert!(std::mem::size_of::<MtOp>() == 8);

/// `struct mtget` of `<sys/mtio.h>` (five `long`s, two `int`s); only the
/// block size is read, the other fields give the layout.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(dead_code)]
struct MtGet {
    kind: c_long,
    resid: c_long,
    /// Block size (bits 0..24) and density (bits 24..32).
    dsreg: c_long,
    gstat: c_long,
    erreg: c_long,
    fileno: c_int,
    blkno: c_int,
}

const _: () = assert!(
    std::mem::size_of::<MtGet>()
        == 5 * std::mem::size_of::<c_long>() + 2 * std::mem::size_of::<c_int>()
);

/// `MTIOCTOP` = `_IOW('m', 1, struct mtop)`.
const MTIOCTOP: Opcode = opcode::write::<MtOp>(b'm', 1);
/// `MTIOCGET` = `_IOR('m', 2, struct mtget)`.
const MTIOCGET: Opcode = opcode::read::<MtGet>(b'm', 2);
/// `MT_ST_BLKSIZE_MASK`: the block size in `mt_dsreg` (0: variable).
const BLKSIZE_MASK: c_long = 0xff_ffff;

/// A tape operation of `MTIOCTOP` (`mt_op`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MtOpcode {
    /// `MTFSF`: space forward past filemarks.
    ForwardFiles = 1,
    /// `MTBSR`: space back records.
    BackRecords = 4,
}

/// Performs `op` `count` times on the tape drive open as `fd`.
#[doc(alias = "MTIOCTOP")]
pub fn ioctl_mtioctop(fd: impl AsFd, op: MtOpcode, count: i32) -> Result<(), Errno> {
    let arg = MtOp {
        op: op as i16,
        count,
    };
    // SAFETY: MTIOCTOP reads one `struct mtop`, which `MtOp` reproduces
    // (repr(C), size checked above); the Setter passes a pointer to it,
    // alive for the call, and `fd` stays borrowed (open).
    unsafe { ioctl(fd, Setter::<MTIOCTOP, MtOp>::new(arg)) }
}

/// The block size of the tape drive open as `fd` when it is in
/// fixed-block mode (`mt_dsreg`'s low 24 bits of `MTIOCGET`), `None` in
/// variable-block mode.
#[doc(alias = "MTIOCGET")]
pub fn ioctl_mtiocget_block_size(fd: impl AsFd) -> Result<Option<usize>, Errno> {
    // SAFETY: MTIOCGET writes one `struct mtget`, which `MtGet` reproduces
    // (repr(C), size checked above); the Getter provides exactly that much
    // writable memory and `fd` stays borrowed (open) for the call.
    let status = unsafe { ioctl(fd, Getter::<MTIOCGET, MtGet>::new()) }?;
    let size = status.dsreg & BLKSIZE_MASK;
    Ok((size > 0).then_some(size as usize))
}
