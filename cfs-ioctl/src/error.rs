//! The one error type of this crate.

use std::fmt;
use std::path::PathBuf;

use rustix::io::Errno;

use crate::Opcode;

/// Where in a pioctl's life an operating-system error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Creating and writing the request into the virtual pioctl file (T1).
    WriteRequest,
    /// Opening the virtual pioctl file for reading (T1). Venus executes the
    /// pioctl inside this open; the Linux kernel turns every error venus
    /// reports here into EIO (spec §3.4).
    VenusOpen,
    /// Reading the response back from the virtual pioctl file (T1).
    ReadResponse,
    /// Opening `<mnt>/.CONTROL` (T2).
    OpenControl,
    /// The `ioctl(2)` on `.CONTROL` (T2). The errno is venus's own answer or
    /// the kernel's refusal (spec §4.3).
    Ioctl,
    /// Venus answered the request with this errno (T1 response header).
    Venus,
}

/// Errors of the `cfs-ioctl` crate.
#[derive(Debug)]
pub enum Error {
    /// A pioctl failed with an errno.
    Pioctl {
        /// The opcode of the failed request.
        op: Opcode,
        /// Where it failed.
        stage: Stage,
        /// The errno the kernel or venus gave.
        errno: Errno,
    },
    /// The mount point is not a Coda filesystem (statfs magic differs), so
    /// nothing was sent (spec §2.1).
    NotCoda {
        /// The directory that was checked.
        mountpoint: PathBuf,
        /// The filesystem magic found there.
        magic: u64,
    },
    /// The mount point could not be examined.
    Mountpoint {
        /// The directory that was checked.
        mountpoint: PathBuf,
        /// Why it failed.
        errno: Errno,
    },
    /// The path does not lie below the Coda mount point, so the virtual-file
    /// transport cannot name it (spec §3.2). Nothing was sent.
    OutsideMount {
        /// The offending (absolute) path.
        path: PathBuf,
        /// The mount point in use.
        mountpoint: PathBuf,
    },
    /// A path contains a NUL byte.
    NulInPath {
        /// The offending path.
        path: PathBuf,
    },
    /// A buffer or path exceeds a transport limit (spec §2.3). Nothing was
    /// sent.
    TooLarge {
        /// The opcode of the refused request.
        op: Opcode,
        /// What was too large: "input", "output" or "path".
        what: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The largest length allowed.
        limit: usize,
    },
    /// A reply or response does not have the expected layout.
    BadReply {
        /// The opcode whose reply was being decoded.
        op: Opcode,
        /// Byte offset of the problem within the reply.
        offset: usize,
        /// What was expected there.
        expected: String,
    },
    /// A path that venus or the kernel would resolve by name is not made
    /// of plain names only, so it could reach another object than the one
    /// meant (`checked_path`). Nothing was sent.
    BadPath {
        /// The refused path.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An argument that has to be encoded into a request is invalid.
    BadArgument {
        /// The opcode the argument was meant for.
        op: Opcode,
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    /// The errno carried by this error, if any.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Pioctl { errno, .. } | Error::Mountpoint { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    /// The opcode of the request that failed, if the error concerns one.
    pub fn opcode(&self) -> Option<Opcode> {
        match self {
            Error::Pioctl { op, .. }
            | Error::TooLarge { op, .. }
            | Error::BadReply { op, .. }
            | Error::BadArgument { op, .. } => Some(*op),
            _ => None,
        }
    }
}

fn strerror(errno: Errno) -> std::io::Error {
    errno.into()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Pioctl { op, stage, errno } => {
                let e = strerror(*errno);
                match stage {
                    Stage::WriteRequest => {
                        write!(f, "{op}: cannot write the pioctl request file: {e}")
                    }
                    Stage::VenusOpen => write!(
                        f,
                        "{op}: the request failed inside venus (the kernel reports only: {e})"
                    ),
                    Stage::ReadResponse => {
                        write!(f, "{op}: cannot read the pioctl response: {e}")
                    }
                    Stage::OpenControl => write!(f, "{op}: cannot open .CONTROL: {e}"),
                    Stage::Ioctl | Stage::Venus => write!(f, "{op}: {e}"),
                }
            }
            Error::NotCoda { mountpoint, magic } => write!(
                f,
                "{}: not a Coda mount (filesystem magic {magic:#x}); nothing sent \
                 (expected magic {:#x})",
                mountpoint.display(),
                crate::CODA_SUPER_MAGIC
            ),
            Error::Mountpoint { mountpoint, errno } => {
                write!(f, "{}: {}", mountpoint.display(), strerror(*errno))
            }
            Error::OutsideMount { path, mountpoint } => write!(
                f,
                "{}: not inside the Coda mount point {}",
                path.display(),
                mountpoint.display()
            ),
            Error::NulInPath { path } => {
                write!(f, "{}: path contains a NUL byte", path.display())
            }
            Error::TooLarge {
                op,
                what,
                len,
                limit,
            } => write!(
                f,
                "{op}: {what} of {len} bytes is too large (expected at most {limit})"
            ),
            Error::BadReply {
                op,
                offset,
                expected,
            } => write!(
                f,
                "{op}: malformed reply at byte {offset} (expected {expected})"
            ),
            Error::BadPath { path, reason } => write!(
                f,
                "{}: not sent to venus: {reason} (expected an absolute path of plain names)",
                path.display()
            ),
            Error::BadArgument { op, reason } => write!(f, "{op}: {reason}"),
        }
    }
}

impl std::error::Error for Error {}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
