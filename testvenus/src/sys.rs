//! The one ioctl the stand-in venus makes, in a small safe wrapper named
//! after it (the rustix style).

use std::os::fd::AsFd;

use rustix::io::Errno;
use rustix::ioctl::{ioctl, opcode, Opcode, Updater};

/// `CIOC_KERNEL_VERSION` = `_IOWR('c', 10, size_t)` (`<linux/coda.h>`).
const CIOC_KERNEL_VERSION: Opcode = opcode::read_write::<usize>(b'c', 10);

/// The Coda kernel module's protocol version, asked on `/dev/cfs0`.
#[doc(alias = "CIOC_KERNEL_VERSION")]
pub fn ioctl_cioc_kernel_version(fd: impl AsFd) -> Result<usize, Errno> {
    let mut version: usize = 0;
    // SAFETY: CIOC_KERNEL_VERSION reads and writes one size_t (a usize)
    // through its pointer; the Updater passes a pointer to `version`,
    // alive for the call, and `fd` stays borrowed (open).
    unsafe { ioctl(fd, Updater::<CIOC_KERNEL_VERSION, usize>::new(&mut version)) }?;
    Ok(version)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_opcode_is_linux_coda_h_s() {
        // 0xc008630a: _IOWR('c', 10, size_t) on x86_64.
        assert_eq!(super::CIOC_KERNEL_VERSION as u64, 0xc008_630a);
    }
}
