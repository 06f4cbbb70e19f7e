//! Replacing a file atomically: the new contents go to a fresh temporary
//! file (`O_CREAT | O_EXCL | O_NOFOLLOW`, a name never used before), which
//! is then renamed over the old name. Nothing is ever written through an
//! existing entry.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Dir, Error};

/// Temporary names tried before giving up.
const ATTEMPTS: u32 = 1000;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Whether `candidate` is a temporary name [`Dir::replace_file`] may use
/// for `name` (`NAME.tmp` followed by anything): callers reserving `name`
/// reserve these too.
pub fn is_temp_of(candidate: &OsStr, name: &OsStr) -> bool {
    let mut prefix = name.as_bytes().to_vec();
    prefix.extend_from_slice(b".tmp");
    candidate.as_bytes().starts_with(&prefix)
}

/// Whether `candidate` is exactly a name [`Dir::replace_file`] makes for
/// `name` (`NAME.tmp.PID.N`, left behind if the process died between
/// creating and renaming it): what a caller may clean up.
pub fn is_own_temp(candidate: &OsStr, name: &OsStr) -> bool {
    let mut prefix = name.as_bytes().to_vec();
    prefix.extend_from_slice(b".tmp.");
    let Some(rest) = candidate.as_bytes().strip_prefix(prefix.as_slice()) else {
        return false;
    };
    let mut parts = rest.split(|&b| b == b'.');
    let digits =
        |p: Option<&[u8]>| p.is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit));
    digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

fn temp_name(name: &OsStr) -> OsString {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut v = name.as_bytes().to_vec();
    v.extend_from_slice(format!(".tmp.{}.{n}", std::process::id()).as_bytes());
    OsString::from_vec(v)
}

impl Dir {
    /// Replaces the regular file `name` by one holding `contents` with
    /// permission bits `mode`: written to a new temporary file (see
    /// [`is_temp_of`]), flushed to the device when `durable`, then renamed
    /// over `name` (a symlink there is replaced, never followed; a
    /// directory there is an error).
    pub fn replace_file(
        &self,
        name: impl AsRef<OsStr>,
        contents: &[u8],
        mode: u32,
        durable: bool,
    ) -> Result<(), Error> {
        let name = self.check(name.as_ref(), "replacing a file")?;
        let (tmp, mut f) = {
            let mut tries = 0;
            loop {
                let tmp = temp_name(name);
                match self.create_file(&tmp, 0o600) {
                    Ok(f) => break (tmp, f),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < ATTEMPTS => {
                        tries += 1
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        let at = |op| self.at(&tmp, op);
        let written = f
            .write_all(contents)
            .map_err(|e| at("writing a file").io(e))
            .and_then(|()| {
                rustix::fs::fchmod(&f, rustix::fs::Mode::from_raw_mode(mode as _))
                    .map_err(|e| at("setting the mode").errno(e))
            })
            .and_then(|()| {
                if durable {
                    f.sync_data().map_err(|e| at("flushing a file").io(e))
                } else {
                    Ok(())
                }
            });
        drop(f);
        let done = written.and_then(|()| self.rename(&tmp, self, name));
        if done.is_err() {
            let _ = self.remove_file(&tmp);
        }
        done
    }
}
