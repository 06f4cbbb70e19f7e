//! The test seam of the crate: a [`Transport`] that records every pioctl
//! instead of sending it, for tests of programs that need venus (the
//! `reinit` runbook's `cfs` steps and its Coda mount check) on machines
//! without one.
//!
//! It is selected by two environment variables, both required:
//! [`ENV_MOUNT`] names a directory that counts as the Coda mount point and
//! [`ENV_LOG`] a file that gets one line per pioctl,
//! `<opcode> path=<path> follow=<0|1> in=<hex>`, appended with one write.
//! [`crate::Client::connect`] on that directory (or beneath it) then
//! talks to the recorder, without the statfs check, and the recorder
//! answers getfid with a FID whose `coda_f2i` hash (realm 0) is the inode
//! number of the object at the path ([`FID`] when there is none), as
//! venus's FIDs hash to the kernel's inode numbers, and every other
//! request with no bytes.
//! It also does to the namespace what venus would, so that a program
//! working on the mount finds what it expects: mkmount makes the mount
//! point appear as an empty directory, and rmmount moves the mount point
//! aside into the directory `<log>.rmmount/` (where a test finds what
//! was written into the volume).
//! [`crate::mountpoint::check_coda`] is not affected: programs that
//! decide by it how to write (a restore's ACL mode) still see a plain
//! directory; [`crate::mountpoint::coda_target`] (a restore's mount links
//! and hard links) counts the directory as a Coda mount. Without both variables the crate behaves as if this module
//! did not exist.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::getfid::{GetFidReply, ViceFid, ViceVersionVector};
use crate::transport::Transport;
use crate::{Opcode, Pioctl};

/// The directory that counts as a Coda mount.
pub const ENV_MOUNT: &str = "CODA_RS_TEST_CODA_MOUNT";

/// The file the recorder appends its lines to.
pub const ENV_LOG: &str = "CODA_RS_TEST_PIOCTL_LOG";

/// The FID the recorder answers getfid with.
pub const FID: ViceFid = ViceFid {
    volume: 0x7f00_0001,
    vnode: 1,
    unique: 1,
};

/// A transport that records each pioctl in a file (see the module
/// documentation).
#[derive(Debug, Clone)]
pub struct Recording {
    mountpoint: PathBuf,
    log: PathBuf,
}

impl Recording {
    /// The recorder the environment selects, if it selects one.
    pub fn from_env() -> Option<Recording> {
        let mount = std::env::var_os(ENV_MOUNT).filter(|s| !s.is_empty())?;
        let log = std::env::var_os(ENV_LOG).filter(|s| !s.is_empty())?;
        Some(Recording::new(PathBuf::from(mount), PathBuf::from(log)))
    }

    /// A recorder for the mount `mountpoint` writing to `log`.
    pub fn new(mountpoint: PathBuf, log: PathBuf) -> Recording {
        Recording { mountpoint, log }
    }

    /// True when `path` is the recorder's mount or lies beneath it (both
    /// resolved as the kernel would, when they exist).
    pub fn covers(&self, path: &Path) -> bool {
        let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        real(path).starts_with(real(&self.mountpoint))
    }

    /// The line recorded for `p`.
    pub fn line(p: &Pioctl) -> Vec<u8> {
        let name = p
            .opcode
            .name()
            .map_or_else(|| format!("nr{}", p.opcode.0), str::to_string);
        let path: OsString = p
            .path
            .clone()
            .map_or_else(OsString::new, PathBuf::into_os_string);
        let mut line = format!("{name} path=").into_bytes();
        line.extend_from_slice(path.as_bytes());
        line.extend_from_slice(format!(" follow={} in=", u8::from(p.follow)).as_bytes());
        for b in &p.input {
            line.extend_from_slice(format!("{b:02x}").as_bytes());
        }
        line.push(b'\n');
        line
    }
}

impl Recording {
    /// What venus does to the namespace for mkmount and rmmount (see the
    /// module documentation); best effort, as it is only a stand-in.
    fn namespace(&self, p: &Pioctl) {
        let Some(parent) = &p.path else { return };
        let end = |stop: u8| p.input.iter().position(|&b| b == stop || b == 0);
        if p.opcode == Opcode::ADD_MT_PT {
            if let Some(n) = end(b'/') {
                let name = std::ffi::OsStr::from_bytes(&p.input[..n]);
                let _ = std::fs::create_dir(parent.join(name));
            }
        } else if p.opcode == Opcode::AFS_DELETE_MT_PT {
            if let Some(n) = end(0) {
                let name = std::ffi::OsStr::from_bytes(&p.input[..n]);
                let mut aside = self.log.clone().into_os_string();
                aside.push(".rmmount");
                let aside = PathBuf::from(aside);
                let _ = std::fs::create_dir_all(&aside);
                let _ = std::fs::rename(parent.join(name), aside.join(name));
            }
        }
    }
}

impl Transport for Recording {
    fn mountpoint(&self) -> &Path {
        &self.mountpoint
    }

    fn call(&self, pioctl: &Pioctl) -> Result<Vec<u8>> {
        let line = Recording::line(pioctl);
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| crate::Error::Mountpoint {
                mountpoint: self.log.clone(),
                errno: crate::Errno::from_io_error(&e).unwrap_or(crate::Errno::IO),
            })?;
        // One write per line: lines of concurrent processes do not mix.
        let _ = f.write_all(&line);
        self.namespace(pioctl);
        if pioctl.opcode == Opcode::GETFID {
            let ino = pioctl
                .path
                .as_ref()
                .and_then(|p| std::fs::symlink_metadata(p).ok())
                .map(|m| std::os::unix::fs::MetadataExt::ino(&m) as u32);
            let fid = ino.map_or(FID, |ino| ViceFid {
                unique: ino ^ (FID.vnode << 10) ^ (FID.volume << 20),
                ..FID
            });
            let reply = GetFidReply {
                fid,
                vv: ViceVersionVector::default(),
                realm: b"test".to_vec(),
            };
            return Ok(reply.encode());
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_one_line_per_pioctl_and_answers_getfid() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let r = Recording::new(dir.path().join("coda"), log.clone());
        let out = r.call(&Pioctl::getfid(Path::new("/c/x"))).unwrap();
        assert_eq!(GetFidReply::parse(&out).unwrap().fid, FID);
        let mk = Pioctl::mkmount(Path::new("/c/x/tmp"), "v.tmp").unwrap();
        assert!(r.call(&mk).unwrap().is_empty());
        let text = String::from_utf8(std::fs::read(&log).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with("VIOC_GETFID path=/c/x follow="),
            "{text}"
        );
        assert!(
            lines[1].starts_with("VIOC_ADD_MT_PT path=/c/x follow="),
            "{text}"
        );
        std::fs::create_dir(dir.path().join("coda")).unwrap();
        // mkmount makes the mount point, rmmount moves it aside.
        let coda = dir.path().join("coda");
        r.call(&Pioctl::mkmount(&coda.join("v"), "vol").unwrap())
            .unwrap();
        assert!(coda.join("v").is_dir());
        std::fs::write(coda.join("v/f"), b"x").unwrap();
        r.call(&Pioctl::rmmount(&coda.join("v")).unwrap()).unwrap();
        assert!(!coda.join("v").exists());
        assert_eq!(
            std::fs::read(dir.path().join("log.rmmount/v/f")).unwrap(),
            b"x"
        );
        assert!(r.covers(&dir.path().join("coda/a/b")));
        assert!(r.covers(&dir.path().join("coda")));
        assert!(!r.covers(dir.path()));
        assert!(!r.covers(&dir.path().join("codax")));
        // An object that exists: its fid hashes to its inode number.
        let out = r.call(&Pioctl::getfid(dir.path())).unwrap();
        let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(dir.path()).unwrap());
        assert_eq!(GetFidReply::parse(&out).unwrap().fid.kernel_inode(0), ino);
    }
}
