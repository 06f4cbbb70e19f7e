//! Transport T1: the virtual pioctl file `<mnt>/...PIOCTL.<8 hex>`
//! (spec §3), the protocol of current cfs.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use crate::error::{Error, Result, Stage};
use crate::{Opcode, Pioctl, Transport};

/// Prefix of the virtual pioctl file name (spec §3.1).
pub const PIOCTL_PREFIX: &str = "...PIOCTL.";

/// Largest `in_size` / `out_size` venus accepts over T1 (spec §2.3).
pub const MAX_BUFFER: usize = 2048;

/// Longest path venus accepts over T1, `CODA_MAXPATHLEN` (spec §2.3).
pub const MAX_PATH: usize = 1024;

/// The path text venus resolves for `path`: the mount point prefix removed
/// (`/coda/usr/jan` → `/usr/jan`, `/coda` → empty), `/` for a
/// filesystem-wide request, relative paths made absolute with `cwd` after
/// dropping a leading `.` or `./` (spec §3.2).
///
/// Unlike libpioctl the prefix must end at a component boundary
/// (`/codafoo` is not inside `/coda`), and a path outside the mount point is
/// refused before anything is created.
pub fn venus_path(path: Option<&Path>, mountpoint: &Path, cwd: &Path) -> Result<Vec<u8>> {
    let Some(path) = path else {
        return Ok(b"/".to_vec());
    };
    let raw = path.as_os_str().as_bytes();
    let absolute: PathBuf = if raw.starts_with(b"/") {
        path.to_path_buf()
    } else {
        let rest = if raw == b"." {
            &b""[..]
        } else if let Some(r) = raw.strip_prefix(b"./") {
            r
        } else {
            raw
        };
        let rest = std::ffi::OsStr::from_bytes(rest);
        if rest.is_empty() {
            cwd.to_path_buf()
        } else {
            cwd.join(rest)
        }
    };
    let mut mnt = mountpoint.as_os_str().as_bytes();
    while mnt.len() > 1 && mnt.ends_with(b"/") {
        mnt = &mnt[..mnt.len() - 1];
    }
    let abs = absolute.as_os_str().as_bytes();
    if abs.contains(&0) {
        return Err(Error::NulInPath { path: absolute });
    }
    match abs.strip_prefix(mnt) {
        Some(rest) if rest.is_empty() || rest.starts_with(b"/") || mnt == b"/" => Ok(rest.to_vec()),
        _ => Err(Error::OutsideMount {
            path: absolute,
            mountpoint: mountpoint.to_path_buf(),
        }),
    }
}

/// The bytes written into the pioctl file: `nr\nplen\nfollow\nin_size\n
/// out_size\n`, a NUL, the path (no terminator), the input (spec §3.2).
pub fn encode_request(pioctl: &Pioctl, venus_path: &[u8]) -> Vec<u8> {
    let header = format!(
        "{}\n{}\n{}\n{}\n{}\n",
        pioctl.opcode.0,
        venus_path.len(),
        u8::from(pioctl.follow),
        pioctl.input.len(),
        pioctl.out_size
    );
    let mut out = Vec::with_capacity(header.len() + 1 + venus_path.len() + pioctl.input.len());
    out.extend_from_slice(header.as_bytes());
    out.push(0);
    out.extend_from_slice(venus_path);
    out.extend_from_slice(&pioctl.input);
    out
}

/// A decoded response from the pioctl file (spec §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Venus's result: 0 or a positive errno.
    pub error: i32,
    /// The output bytes.
    pub data: Vec<u8>,
}

/// Reads one ASCII decimal number ended by `\n` at `*pos`.
fn read_number(
    bytes: &[u8],
    pos: &mut usize,
    what: &str,
) -> std::result::Result<i64, (usize, String)> {
    let start = *pos;
    let mut end = start;
    if bytes.get(end) == Some(&b'-') {
        end += 1;
    }
    let digits_start = end;
    while end < bytes.len() && bytes[end].is_ascii_digit() && end - digits_start < 12 {
        end += 1;
    }
    if end == digits_start || bytes.get(end) != Some(&b'\n') {
        return Err((
            end,
            format!("{what} as a decimal number ended by a newline"),
        ));
    }
    let text = std::str::from_utf8(&bytes[start..end]).expect("ASCII digits");
    let value = text
        .parse::<i64>()
        .map_err(|_| (start, format!("{what} in range")))?;
    *pos = end + 1;
    Ok(value)
}

/// Decodes the response venus wrote: `error\nsize\n`, a NUL, `size` bytes
/// (spec §3.3). A `size` larger than `out_size` is refused, as libpioctl
/// does ("pioctl response too large").
pub fn parse_response(op: Opcode, bytes: &[u8], out_size: u16) -> Result<Response> {
    let bad = |(offset, expected): (usize, String)| Error::BadReply {
        op,
        offset,
        expected,
    };
    let mut pos = 0;
    let error = read_number(bytes, &mut pos, "the error code").map_err(bad)?;
    let error = i32::try_from(error).map_err(|_| bad((0, "an errno in range".into())))?;
    let size_at = pos;
    let size = read_number(bytes, &mut pos, "the output size").map_err(bad)?;
    if bytes.get(pos) != Some(&0) {
        return Err(bad((pos, "a NUL separator".into())));
    }
    pos += 1;
    if size < 0 || size > i64::from(out_size) {
        return Err(bad((
            size_at,
            format!("an output size of at most {out_size} (got {size})"),
        )));
    }
    let size = size as usize;
    if bytes.len() - pos < size {
        return Err(bad((
            bytes.len(),
            format!("{size} output bytes (got {})", bytes.len() - pos),
        )));
    }
    Ok(Response {
        error,
        data: bytes[pos..pos + size].to_vec(),
    })
}

/// Encodes a response as venus writes it (spec §3.3). Used by tests and
/// test doubles of venus.
pub fn encode_response(response: &Response) -> Vec<u8> {
    let mut out = format!("{}\n{}\n", response.error, response.data.len()).into_bytes();
    out.push(0);
    out.extend_from_slice(&response.data);
    out
}

/// Transport T1: writes the request into `<mnt>/...PIOCTL.<hex>`, then
/// reads the response back from the same file (spec §3).
#[derive(Debug, Clone)]
pub struct VirtualFile {
    mountpoint: PathBuf,
}

impl VirtualFile {
    /// A T1 transport for the Coda mount at `mountpoint`. It does not check
    /// that `mountpoint` is a Coda mount; [`crate::Client::connect`] does.
    pub fn new(mountpoint: impl Into<PathBuf>) -> VirtualFile {
        VirtualFile {
            mountpoint: mountpoint.into(),
        }
    }

    /// A fresh file name: the prefix and 32 random bits in lowercase hex.
    fn file_name() -> String {
        use std::hash::{BuildHasher, Hasher};
        // RandomState is seeded from the OS random source per process; the
        // pid and a counter keep names distinct within one process too.
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.write_u32(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        format!("{PIOCTL_PREFIX}{:08x}", h.finish() as u32)
    }
}

fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_io_error(e).unwrap_or(Errno::IO)
}

impl Transport for VirtualFile {
    fn mountpoint(&self) -> &Path {
        &self.mountpoint
    }

    fn call(&self, pioctl: &Pioctl) -> Result<Vec<u8>> {
        let op = pioctl.opcode;
        let cwd = std::env::current_dir().map_err(|e| Error::Pioctl {
            op,
            stage: Stage::WriteRequest,
            errno: errno_of(&e),
        })?;
        let vpath = venus_path(pioctl.path.as_deref(), &self.mountpoint, &cwd)?;
        for (what, len, limit) in [
            ("path", vpath.len(), MAX_PATH),
            ("input", pioctl.input.len(), MAX_BUFFER),
            ("output", usize::from(pioctl.out_size), MAX_BUFFER),
        ] {
            if len > limit {
                return Err(Error::TooLarge {
                    op,
                    what,
                    len,
                    limit,
                });
            }
        }
        let request = encode_request(pioctl, &vpath);
        let name = Self::file_name();

        let fail = |stage| {
            move |e: Errno| Error::Pioctl {
                op,
                stage,
                errno: e,
            }
        };
        // The mount point is the admin's path (it may pass through
        // symlinks); the pioctl file is opened beneath it without following
        // a symlink. `O_PATH` makes no upcall, so the kernel sequence of
        // spec §3.5 is unchanged.
        let mnt = rustix::fs::open(
            &self.mountpoint,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(fail(Stage::WriteRequest))?;
        // Write phase: fopen "w" = O_WRONLY|O_CREAT|O_TRUNC (spec §3.5).
        // Not O_EXCL: venus fabricates the object at lookup (spec §3.1).
        let w = rustix::fs::openat(
            &mnt,
            name.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(fail(Stage::WriteRequest))?;
        let mut w = File::from(w);
        w.write_all(&request)
            .map_err(|e| fail(Stage::WriteRequest)(errno_of(&e)))?;
        drop(w);

        // Read phase: venus executes the pioctl inside this open.
        let r = rustix::fs::openat(
            &mnt,
            name.as_str(),
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(fail(Stage::VenusOpen))?;
        drop(mnt);
        let mut r = File::from(r);
        // Read until the response is complete (in practice one read, like
        // cfs's fread) or the file ends.
        let mut bytes = Vec::new();
        let mut chunk = vec![0u8; 64 + usize::from(pioctl.out_size)];
        loop {
            let n = match r.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(fail(Stage::ReadResponse)(errno_of(&e))),
            };
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&chunk[..n]);
            if parse_response(op, &bytes, pioctl.out_size).is_ok() {
                break;
            }
        }
        drop(r);

        let response = parse_response(op, &bytes, pioctl.out_size)?;
        if response.error != 0 {
            return Err(Error::Pioctl {
                op,
                stage: Stage::Venus,
                errno: Errno::from_raw_os_error(response.error),
            });
        }
        Ok(response.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venus_path_strips_the_mount_point() {
        let cwd = Path::new("/coda/usr");
        let vp = |p: Option<&str>| venus_path(p.map(Path::new), Path::new("/coda"), cwd);
        assert_eq!(vp(None).unwrap(), b"/");
        assert_eq!(vp(Some("/coda")).unwrap(), b"");
        assert_eq!(vp(Some("/coda/usr/jan")).unwrap(), b"/usr/jan");
        assert_eq!(vp(Some("jan")).unwrap(), b"/usr/jan");
        assert_eq!(vp(Some("./jan")).unwrap(), b"/usr/jan");
        assert_eq!(vp(Some(".")).unwrap(), b"/usr");
        assert!(matches!(
            vp(Some("/codafoo")),
            Err(Error::OutsideMount { .. })
        ));
        assert!(matches!(vp(Some("/etc")), Err(Error::OutsideMount { .. })));
        assert!(matches!(
            vp(Some("/coda/a\0b")),
            Err(Error::NulInPath { .. })
        ));
        let trailing = venus_path(Some(Path::new("/coda/x")), Path::new("/coda/"), cwd);
        assert_eq!(trailing.unwrap(), b"/x");
    }

    #[test]
    fn response_errors_name_the_offset() {
        let op = Opcode::GETVOLSTAT;
        assert!(matches!(
            parse_response(op, b"0\n", 10),
            Err(Error::BadReply { offset: 2, .. })
        ));
        assert!(matches!(
            parse_response(op, b"0\n5\n\0ab", 10),
            Err(Error::BadReply { .. })
        ));
        assert!(matches!(
            parse_response(op, b"0\n5\n\0abcde", 4),
            Err(Error::BadReply { .. })
        ));
        assert!(matches!(
            parse_response(op, b"x\n0\n\0", 4),
            Err(Error::BadReply { offset: 0, .. })
        ));
        assert_eq!(
            parse_response(op, b"-2\n0\n\0", 0).unwrap(),
            Response {
                error: -2,
                data: vec![]
            }
        );
    }
}
