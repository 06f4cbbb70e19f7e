//! Every `unsafe` call of the crate, each in a small safe wrapper named
//! after the call it makes (the rustix style): the block-device and loop
//! ioctls, the memory maps of logs and data segments, and `localtime_r`.
//! Errors are returned as they come ([`Errno`] values, compared as such
//! by the callers, never as numbers or text).

use std::fs::File;
use std::os::fd::AsFd;

use rustix::io::Errno;
use rustix::ioctl::{ioctl, opcode, Getter, Opcode, Setter};

/// `BLKGETSIZE64` = `_IOR(0x12, 114, size_t)` (`<linux/fs.h>`).
const BLKGETSIZE64: Opcode = opcode::read::<u64>(0x12, 114);
/// `BLKZEROOUT` = `_IO(0x12, 127)`: the kernel reads a `u64[2]` through it.
const BLKZEROOUT: Opcode = opcode::none(0x12, 127);
/// `LOOP_GET_STATUS64` (`<linux/loop.h>`: a plain number, not an `_IOR`
/// encoding).
const LOOP_GET_STATUS64: Opcode = 0x4C05;

/// The size in bytes of the block device open as `fd`.
#[doc(alias = "BLKGETSIZE64")]
pub fn ioctl_blkgetsize64(fd: impl AsFd) -> Result<u64, Errno> {
    // SAFETY: BLKGETSIZE64 writes one size_t, which is a u64 on the 64-bit
    // targets this crate supports; the Getter provides exactly that much
    // writable memory and `fd` stays borrowed (open) for the call.
    unsafe { ioctl(fd, Getter::<BLKGETSIZE64, u64>::new()) }
}

/// Zeroes `len` bytes at `start` of the block device open as `fd` (both
/// multiples of 512). `Errno::OPNOTSUPP`, `NOTTY` or `INVAL` say the device
/// cannot do it.
#[doc(alias = "BLKZEROOUT")]
pub fn ioctl_blkzeroout(fd: impl AsFd, start: u64, len: u64) -> Result<(), Errno> {
    // SAFETY: BLKZEROOUT reads a pointer to two u64 (start, length); the
    // Setter passes a pointer to exactly such an array, alive for the call.
    unsafe { ioctl(fd, Setter::<BLKZEROOUT, [u64; 2]>::new([start, len])) }
}

/// `struct loop_info64` of `<linux/loop.h>` (x86_64 layout).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct LoopInfo64 {
    /// Device of the backing file, as `new_encode_dev()` encodes it.
    pub lo_device: u64,
    /// Inode of the backing file.
    pub lo_inode: u64,
    /// `lo_rdevice`.
    pub lo_rdevice: u64,
    /// Offset into the backing file.
    pub lo_offset: u64,
    /// Size limit (0: the whole file).
    pub lo_sizelimit: u64,
    /// Loop device number.
    pub lo_number: u32,
    /// Unused by current kernels.
    pub lo_encrypt_type: u32,
    /// Unused by current kernels.
    pub lo_encrypt_key_size: u32,
    /// `LO_FLAGS_*`.
    pub lo_flags: u32,
    /// The backing file's name, truncated to 63 bytes.
    pub lo_file_name: [u8; 64],
    /// Unused by current kernels.
    pub lo_crypt_name: [u8; 64],
    /// Unused by current kernels.
    pub lo_encrypt_key: [u8; 32],
    /// `lo_init`.
    pub lo_init: [u64; 2],
}

const _: () = assert!(std::mem::size_of::<LoopInfo64>() == 232);

/// The status of the loop device open as `fd`; `Errno::NXIO` if nothing
/// is attached.
#[doc(alias = "LOOP_GET_STATUS64")]
pub fn ioctl_loop_get_status64(fd: impl AsFd) -> Result<LoopInfo64, Errno> {
    // SAFETY: LOOP_GET_STATUS64 fills one `struct loop_info64`, whose
    // layout LoopInfo64 reproduces (size checked at compile time); the
    // Getter provides that memory and `fd` stays open for the call.
    unsafe { ioctl(fd, Getter::<LOOP_GET_STATUS64, LoopInfo64>::new()) }
}

/// Maps `[0, len)` of `file` read-only (`mmap(PROT_READ, MAP_PRIVATE)`).
#[doc(alias = "mmap")]
pub fn mmap_read(file: &File, len: u64) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the mapping is read-only and private to this process. If
    // another process truncates or rewrites the file while it is mapped,
    // reads may see changing bytes (every read is bounds-checked, so that
    // gives parse errors) or SIGBUS past a truncation, as for the RVM tools.
    unsafe { memmap2::MmapOptions::new().len(len as usize).map(file) }
}

/// Maps `[0, len)` of `file` shared and writable
/// (`mmap(PROT_READ | PROT_WRITE, MAP_SHARED)`); the caller holds the only
/// reference to the memory and keeps its writes inside `len`.
#[doc(alias = "mmap")]
pub fn mmap_write(file: &File, len: u64) -> std::io::Result<memmap2::MmapMut> {
    // SAFETY: a shared writable mapping of a file the caller holds open; the
    // returned MmapMut is the only reference to that memory. A concurrent
    // truncation by another process could raise SIGBUS, as it would for
    // RVM itself.
    unsafe { memmap2::MmapOptions::new().len(len as usize).map_mut(file) }
}

/// Broken-down local time of `sec` seconds since the epoch (honours `TZ`).
pub fn localtime_r(sec: i64) -> Option<libc::tm> {
    let t: libc::time_t = sec;
    // SAFETY: tm is plain old data, so a zeroed value is valid; localtime_r
    // only reads `t` and writes `tm`, both live locals, and is thread-safe.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            None
        } else {
            Some(tm)
        }
    }
}
