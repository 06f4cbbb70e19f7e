//! The [`Pioctl`] request and the builders for the recovery opcodes
//! (spec §1, §5, §6).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use crate::acl::Acl;
use crate::error::{Error, Result};
use crate::Opcode;

/// `CFS_PIOBUFSIZE`: the output capacity cfs always passes (spec §2.3).
pub const CFS_PIOBUFSIZE: u16 = 2048;

/// Size of the `_VIOC_GETFID` reply, `sizeof(struct GetFid)` (spec §6.5).
pub const GETFID_REPLY_SIZE: u16 = 124;

/// Largest ACL text, NUL included, that venus accepts for `_VIOCSETAL`
/// (spec §5, nr 1).
pub const MAX_ACL_TEXT: usize = 1000;

/// Most server addresses `_VIOCCKSERV` takes (spec §6.7).
pub const MAX_CHECKSERVERS_HOSTS: usize = 8;

/// One pioctl request: what cfs hands to `pioctl(path, nr, &vio, follow)`
/// (spec §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pioctl {
    /// The opcode.
    pub opcode: Opcode,
    /// The object the request applies to; `None` for filesystem-wide
    /// requests (sent as `/` in T1 and as the mount point in T2).
    pub path: Option<PathBuf>,
    /// Follow a symlink in the last path component.
    pub follow: bool,
    /// The input bytes.
    pub input: Vec<u8>,
    /// The output capacity the caller offers (spec §2.3: venus ignores it,
    /// but a reply larger than it fails).
    pub out_size: u16,
}

/// Splits `P` as cfs does for rmmount and mkmount: trailing slashes are
/// stripped, then the text is cut at the last `/` into parent and name; with
/// no slash the parent is `.` (spec §6.2, §6.3).
pub fn split_parent(path: &Path) -> (PathBuf, Vec<u8>) {
    use std::os::unix::ffi::OsStrExt;
    let mut bytes = path.as_os_str().as_bytes();
    while bytes.len() > 1 && bytes.ends_with(b"/") {
        bytes = &bytes[..bytes.len() - 1];
    }
    match bytes.iter().rposition(|&b| b == b'/') {
        Some(0) => (PathBuf::from("/"), bytes[1..].to_vec()),
        Some(i) => (
            PathBuf::from(std::ffi::OsStr::from_bytes(&bytes[..i])),
            bytes[i + 1..].to_vec(),
        ),
        None => (PathBuf::from("."), bytes.to_vec()),
    }
}

impl Pioctl {
    /// A request with no input and no output.
    pub fn new(opcode: Opcode, path: Option<&Path>, follow: bool) -> Pioctl {
        Pioctl {
            opcode,
            path: path.map(Path::to_path_buf),
            follow,
            input: Vec::new(),
            out_size: 0,
        }
    }

    /// Sets the input bytes.
    pub fn with_input(mut self, input: Vec<u8>) -> Pioctl {
        self.input = input;
        self
    }

    /// The same request with follow = 0: a symlink in the last component
    /// is the target itself, never followed (spec §1).
    pub fn no_follow(mut self) -> Pioctl {
        self.follow = false;
        self
    }

    /// Sets the output capacity.
    pub fn with_out_size(mut self, out_size: u16) -> Pioctl {
        self.out_size = out_size;
        self
    }

    /// `cfs flushcache`: nr 198, no path, follow 1 (spec §6.1).
    pub fn flush_cache() -> Pioctl {
        Pioctl::new(Opcode::FLUSHCACHE, None, true)
    }

    /// `cfs flushobject` (`fl`): nr 6, follow 0 (spec §6.1).
    pub fn flush_object(path: &Path) -> Pioctl {
        Pioctl::new(Opcode::FLUSH, Some(path), false)
    }

    /// `cfs flushvolume`: nr 37, follow 0 (spec §6.1).
    pub fn flush_volume(path: &Path) -> Pioctl {
        Pioctl::new(Opcode::FLUSHVOLUME, Some(path), false)
    }

    /// `cfs rmmount`: nr 28 on the parent, input `name\0`, follow 0
    /// (spec §6.2).
    pub fn rmmount(path: &Path) -> Result<Pioctl> {
        let (parent, mut name) = split_parent(path);
        if name.is_empty() {
            return Err(Error::BadArgument {
                op: Opcode::AFS_DELETE_MT_PT,
                reason: format!("{}: no mount point name to remove", path.display()),
            });
        }
        name.push(0);
        Ok(Pioctl::new(Opcode::AFS_DELETE_MT_PT, Some(&parent), false).with_input(name))
    }

    /// `cfs mkmount DIR VOLUME`: nr 142 on the parent, input
    /// `name/volume\0`, follow 1 (spec §6.3). An empty volume means "the
    /// volume named by the current path".
    pub fn mkmount(path: &Path, volume: &str) -> Result<Pioctl> {
        let (parent, mut input) = split_parent(path);
        if input.is_empty() {
            return Err(Error::BadArgument {
                op: Opcode::ADD_MT_PT,
                reason: format!("{}: no mount point name to create", path.display()),
            });
        }
        if volume.as_bytes().contains(&0) {
            return Err(Error::BadArgument {
                op: Opcode::ADD_MT_PT,
                reason: "volume name contains a NUL byte".into(),
            });
        }
        input.push(b'/');
        input.extend_from_slice(volume.as_bytes());
        input.push(0);
        Ok(Pioctl::new(Opcode::ADD_MT_PT, Some(&parent), true).with_input(input))
    }

    /// `cfs lv`: nr 4, input int32 `local_only`, output 2048, follow 1
    /// (spec §6.4).
    pub fn volume_status(path: &Path, local_only: bool) -> Pioctl {
        Pioctl::new(Opcode::GETVOLSTAT, Some(path), true)
            .with_input(i32::from(local_only).to_le_bytes().to_vec())
            .with_out_size(CFS_PIOBUFSIZE)
    }

    /// `cfs getfid`: nr 197, no input, output 124, follow 0 (spec §6.5).
    pub fn getfid(path: &Path) -> Pioctl {
        Pioctl::new(Opcode::GETFID, Some(path), false).with_out_size(GETFID_REPLY_SIZE)
    }

    /// `cfs la`: nr 2, output 2048, follow 1 (spec §6.6).
    pub fn get_acl(path: &Path) -> Pioctl {
        Pioctl::new(Opcode::GETAL, Some(path), true).with_out_size(CFS_PIOBUFSIZE)
    }

    /// `cfs sa`'s final step: nr 1, input the ACL text (space separated) and
    /// a NUL, follow 1 (spec §6.6). Refuses text longer than 1000 bytes.
    pub fn set_acl(path: &Path, acl: &Acl) -> Result<Pioctl> {
        let mut text = acl.to_text();
        text.push(0);
        if text.len() > MAX_ACL_TEXT {
            return Err(Error::TooLarge {
                op: Opcode::SETAL,
                what: "ACL text",
                len: text.len(),
                limit: MAX_ACL_TEXT,
            });
        }
        Ok(Pioctl::new(Opcode::SETAL, Some(path), true).with_input(text))
    }

    /// `cfs checkservers [host...]`: nr 10, no path, follow 1, output 2048;
    /// input empty (probe all) or int32 n + n IPv4 addresses in network
    /// order (spec §6.7).
    pub fn check_servers(hosts: &[Ipv4Addr]) -> Result<Pioctl> {
        if hosts.len() > MAX_CHECKSERVERS_HOSTS {
            return Err(Error::BadArgument {
                op: Opcode::CKSERV,
                reason: format!(
                    "{} servers given (expected at most {MAX_CHECKSERVERS_HOSTS})",
                    hosts.len()
                ),
            });
        }
        let mut input = Vec::new();
        if !hosts.is_empty() {
            input.extend_from_slice(&(hosts.len() as i32).to_le_bytes());
            for h in hosts {
                input.extend_from_slice(&h.octets());
            }
        }
        Ok(Pioctl::new(Opcode::CKSERV, None, true)
            .with_input(input)
            .with_out_size(CFS_PIOBUFSIZE))
    }

    /// `cfs whereis`: nr 14, output 2048, follow 1 (spec §6.8).
    pub fn whereis(path: &Path) -> Pioctl {
        Pioctl::new(Opcode::WHEREIS, Some(path), true).with_out_size(CFS_PIOBUFSIZE)
    }
}

/// Builders for the other opcodes whose buffers layout.txt documents
/// (spec §5); `coda-rs cfs` does not offer them as commands.
impl Pioctl {
    /// `cfs lsmount DIR`: nr 29 on the parent, input `name\0`, output 2048,
    /// follow 0.
    pub fn lsmount(path: &Path) -> Pioctl {
        let (parent, mut name) = split_parent(path);
        name.push(0);
        Pioctl::new(Opcode::AFS_STAT_MT_PT, Some(&parent), false)
            .with_input(name)
            .with_out_size(CFS_PIOBUFSIZE)
    }

    /// `cfs getmountpoint VOLID@REALM`: nr 243, input `{VolumeId; char
    /// realm[65]}` padded to 72 bytes, output 2048, follow 1.
    pub fn get_mount_point(volume: u32, realm: &str) -> Result<Pioctl> {
        let mut input = volume.to_le_bytes().to_vec();
        input.extend_from_slice(realm_field(Opcode::GET_MT_PT, realm)?.as_slice());
        input.resize(72, 0);
        Ok(Pioctl::new(Opcode::GET_MT_PT, None, true)
            .with_input(input)
            .with_out_size(CFS_PIOBUFSIZE))
    }

    /// `cfs getpath FID@REALM`: nr 208, input ViceFid + realm + NUL,
    /// output 2048, follow 0.
    pub fn get_path(fid: [u32; 3], realm: &str) -> Result<Pioctl> {
        let mut input = Vec::with_capacity(13 + realm.len());
        for v in fid {
            input.extend_from_slice(&v.to_le_bytes());
        }
        input.extend_from_slice(realm_field(Opcode::GETPATH, realm)?.as_slice());
        input.push(0);
        Ok(Pioctl::new(Opcode::GETPATH, None, false)
            .with_input(input)
            .with_out_size(CFS_PIOBUFSIZE))
    }

    /// `cfs wd` with no directories: nr 238, input u32 age (s), u32 time
    /// (ms), follow 1.
    pub fn write_disconnect_all(age_s: u32, time_ms: u32) -> Pioctl {
        let mut input = age_s.to_le_bytes().to_vec();
        input.extend_from_slice(&time_ms.to_le_bytes());
        Pioctl::new(Opcode::WD_ALL, None, true).with_input(input)
    }

    /// `cfs zonelimit RED YELLOW`: nr 246, input i32 red, i32 yellow,
    /// follow 0.
    pub fn zone_limit(red: i32, yellow: i32) -> Pioctl {
        let mut input = red.to_le_bytes().to_vec();
        input.extend_from_slice(&yellow.to_le_bytes());
        Pioctl::new(Opcode::ZLIMIT, None, false).with_input(input)
    }

    /// `cfs listcache`: nr 242, input u8 long_format, u8 valid, output 2048,
    /// follow 1.
    pub fn list_cache(long_format: bool, valid: u8) -> Pioctl {
        Pioctl::new(Opcode::LISTCACHE, None, true)
            .with_input(vec![u8::from(long_format), valid])
            .with_out_size(CFS_PIOBUFSIZE)
    }

    /// The repair commands: nr 244, input the decimal REP_CMD code + NUL,
    /// output 2048.
    pub fn rep_cmd(path: &Path, code: u32, follow: bool) -> Pioctl {
        let mut input = code.to_string().into_bytes();
        input.push(0);
        Pioctl::new(Opcode::REP_CMD, Some(path), follow)
            .with_input(input)
            .with_out_size(CFS_PIOBUFSIZE)
    }
}

/// A realm name as the fixed `char realm[65]` fields take it (no NUL).
fn realm_field(op: Opcode, realm: &str) -> Result<Vec<u8>> {
    if realm.len() > 64 || realm.as_bytes().contains(&0) {
        return Err(Error::BadArgument {
            op,
            reason: format!("realm {realm:?} is not a name of at most 64 bytes"),
        });
    }
    Ok(realm.as_bytes().to_vec())
}

/// The NUL-terminated text at the start of an output buffer (lsmount's
/// link contents, listcache's temporary file name, ...); `None` when no
/// NUL is present.
pub fn reply_cstr(out: &[u8]) -> Option<&[u8]> {
    out.iter().position(|&b| b == 0).map(|n| &out[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_parent_like_cfs() {
        let s = |p: &str| {
            let (d, n) = split_parent(Path::new(p));
            (
                d.to_string_lossy().into_owned(),
                String::from_utf8(n).unwrap(),
            )
        };
        assert_eq!(
            s("/coda/tmp/restored/vol1"),
            ("/coda/tmp/restored".into(), "vol1".into())
        );
        assert_eq!(
            s("/coda/tmp/restored/vol1///"),
            ("/coda/tmp/restored".into(), "vol1".into())
        );
        assert_eq!(s("vol1"), (".".into(), "vol1".into()));
        assert_eq!(s("/vol1"), ("/".into(), "vol1".into()));
        assert_eq!(s("a/b"), ("a".into(), "b".into()));
    }

    #[test]
    fn rmmount_of_empty_name_is_refused() {
        assert!(Pioctl::rmmount(Path::new("/")).is_err());
        assert!(Pioctl::rmmount(Path::new("")).is_err());
    }

    #[test]
    fn too_many_servers_refused() {
        let hosts = vec![Ipv4Addr::LOCALHOST; 9];
        assert!(Pioctl::check_servers(&hosts).is_err());
        assert!(Pioctl::check_servers(&hosts[..8]).is_ok());
    }
}
