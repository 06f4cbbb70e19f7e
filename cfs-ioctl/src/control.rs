//! Transport T2: the legacy `ioctl(2)` on `<mnt>/.CONTROL` (spec §4).

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::io::Errno;

use crate::error::{Error, Result, Stage};
use crate::{Pioctl, Transport};

/// Name of the control file in the Coda root (spec §4.3).
pub const CONTROL_FILE: &str = ".CONTROL";

/// `VC_MAXDATASIZE`: largest `in_size` / `out_size` the kernel accepts
/// over T2 (spec §2.3).
pub const MAX_BUFFER: usize = 8192;

/// `struct ViceIoctl` (spec §4.1): 24 bytes on x86_64.
#[repr(C)]
struct ViceIoctl {
    input: *const u8,
    output: *mut u8,
    in_size: u16,
    out_size: u16,
}

/// `struct PioctlData` (spec §4.1): 40 bytes on x86_64.
#[repr(C)]
struct PioctlData {
    path: *const c_char,
    follow: c_int,
    vi: ViceIoctl,
}

// Spec §4.1 / layout.txt "[struct layouts: pioctl user interface]".
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(std::mem::size_of::<ViceIoctl>() == 24);
    assert!(std::mem::align_of::<ViceIoctl>() == 8);
    assert!(std::mem::offset_of!(ViceIoctl, in_size) == 16);
    assert!(std::mem::offset_of!(ViceIoctl, out_size) == 18);
    assert!(std::mem::size_of::<PioctlData>() == 40);
    assert!(std::mem::offset_of!(PioctlData, follow) == 8);
    assert!(std::mem::offset_of!(PioctlData, vi) == 16);
};

/// The legacy request number: `_VICEIOCTL(nr)` with its size field widened
/// by `sizeof(char *) + sizeof(int)` (spec §4.2); `0x402456NN` on x86_64.
pub const fn legacy_request(nr: u8) -> u32 {
    let size = std::mem::size_of::<ViceIoctl>()
        + std::mem::size_of::<*const c_char>()
        + std::mem::size_of::<c_int>();
    (1 << 30) | ((size as u32) << 16) | ((b'V' as u32) << 8) | nr as u32
}

/// One `ioctl(fd, 0x402456NN, &PioctlData)` call.
struct ControlCall<'a> {
    request: u32,
    data: &'a mut PioctlData,
}

// SAFETY: the request numbers built by `legacy_request` are the Coda
// pioctl ioctls, which take a pointer to a `PioctlData` whose `path`, `in`
// and `out` pointers are valid for the sizes given (the caller keeps those
// buffers alive across the call); the kernel writes at most `out_size`
// bytes into `out`, so the call mutates user memory (IS_MUTATING).
unsafe impl rustix::ioctl::Ioctl for ControlCall<'_> {
    type Output = ();
    const IS_MUTATING: bool = true;

    fn opcode(&self) -> rustix::ioctl::Opcode {
        self.request as rustix::ioctl::Opcode
    }

    fn as_ptr(&mut self) -> *mut c_void {
        (self.data as *mut PioctlData).cast()
    }

    unsafe fn output_from_ptr(
        _out: rustix::ioctl::IoctlOutput,
        _extract_output: *mut c_void,
    ) -> rustix::io::Result<()> {
        Ok(())
    }
}

/// The Coda pioctl `nr` on `path` through the control file open as
/// `control`: `input` goes to venus, its answer into `out` (the kernel
/// copies back all of `out`, zero-filled past venus's bytes). Both
/// lengths must fit `u16` (callers keep them within [`MAX_BUFFER`]).
#[doc(alias = "PIOCTL")]
#[doc(alias = "_VICEIOCTL")]
fn ioctl_pioctl(
    control: &File,
    nr: u8,
    path: &CStr,
    follow: bool,
    input: &[u8],
    out: &mut [u8],
) -> std::result::Result<(), Errno> {
    let (Ok(in_size), Ok(out_size)) = (u16::try_from(input.len()), u16::try_from(out.len())) else {
        return Err(Errno::INVAL);
    };
    let mut data = PioctlData {
        path: path.as_ptr(),
        follow: c_int::from(follow),
        vi: ViceIoctl {
            input: if input.is_empty() {
                std::ptr::null()
            } else {
                input.as_ptr()
            },
            output: if out.is_empty() {
                std::ptr::null_mut()
            } else {
                out.as_mut_ptr()
            },
            in_size,
            out_size,
        },
    };
    let call = ControlCall {
        request: legacy_request(nr),
        data: &mut data,
    };
    // SAFETY: `data` points at `path`, `input` and `out`, all borrowed for
    // the call and of the sizes recorded in `data` (see `ControlCall`).
    unsafe { rustix::ioctl::ioctl(control, call) }
}

/// Transport T2: `ioctl(2)` on `<mnt>/.CONTROL`; the kernel resolves the
/// path and forwards a `CODA_IOCTL` upcall to venus (spec §4).
///
/// The kernel does not report the reply length (spec §4.3), so the output
/// is always the whole `out_size` buffer, zero-filled past venus's bytes.
#[derive(Debug, Clone)]
pub struct ControlIoctl {
    mountpoint: PathBuf,
}

impl ControlIoctl {
    /// A T2 transport for the Coda mount at `mountpoint`. It does not check
    /// that `mountpoint` is a Coda mount; [`crate::Client::connect`] does.
    pub fn new(mountpoint: impl Into<PathBuf>) -> ControlIoctl {
        ControlIoctl {
            mountpoint: mountpoint.into(),
        }
    }
}

impl Transport for ControlIoctl {
    fn mountpoint(&self) -> &Path {
        &self.mountpoint
    }

    fn call(&self, pioctl: &Pioctl) -> Result<Vec<u8>> {
        let op = pioctl.opcode;
        for (what, len) in [
            ("input", pioctl.input.len()),
            ("output", usize::from(pioctl.out_size)),
        ] {
            if len > MAX_BUFFER {
                return Err(Error::TooLarge {
                    op,
                    what,
                    len,
                    limit: MAX_BUFFER,
                });
            }
        }
        // A NULL path means the mount point itself (spec §4.3).
        let target = pioctl.path.as_deref().unwrap_or(&self.mountpoint);
        let c_path = CString::new(target.as_os_str().as_bytes()).map_err(|_| Error::NulInPath {
            path: target.to_path_buf(),
        })?;
        let mut out = vec![0u8; usize::from(pioctl.out_size)];
        let control =
            File::open(self.mountpoint.join(CONTROL_FILE)).map_err(|e| Error::Pioctl {
                op,
                stage: Stage::OpenControl,
                errno: Errno::from_io_error(&e).unwrap_or(Errno::IO),
            })?;
        ioctl_pioctl(
            &control,
            op.0,
            &c_path,
            pioctl.follow,
            &pioctl.input,
            &mut out,
        )
        .map_err(|errno| Error::Pioctl {
            op,
            stage: Stage::Ioctl,
            errno,
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_numbers_match_spec() {
        // Spec §4.2: flushcache is 0x402456c6 on x86_64.
        assert_eq!(legacy_request(198), 0x4024_56c6);
        assert_eq!(legacy_request(0), crate::opcode::LEGACY_IOCTL_BASE);
    }
}
