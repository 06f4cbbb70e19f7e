//! [`Client`]: typed pioctls over either transport.

use std::net::Ipv4Addr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::acl::Acl;
use crate::checked_path::{check_path, name_problem};
use crate::control::ControlIoctl;
use crate::error::Result;
use crate::getfid::GetFidReply;
use crate::mountpoint::check_coda;
use crate::recording::Recording;
use crate::servers::{parse_down_servers, WhereIs};
use crate::transport::{Transport, TransportKind};
use crate::virtual_file::VirtualFile;
use crate::volume_status::VolumeStatusReply;
use crate::Pioctl;

/// A connection to venus through a checked Coda mount point.
pub struct Client {
    transport: Box<dyn Transport>,
}

impl Client {
    /// Checks that `mountpoint` is a Coda mount (statfs magic, spec §2.1)
    /// and prepares the chosen transport. Nothing is sent or created when
    /// the check fails.
    /// (The test seam [`crate::recording`] answers instead of venus, with
    /// no statfs check, for the directory it names.)
    pub fn connect(mountpoint: &Path, kind: TransportKind) -> Result<Client> {
        if let Some(r) = Recording::from_env().filter(|r| r.covers(mountpoint)) {
            return Ok(Client::with_transport(Box::new(r)));
        }
        check_coda(mountpoint)?;
        Ok(Client::with_transport(match kind {
            TransportKind::VirtualFile => Box::new(VirtualFile::new(mountpoint)),
            TransportKind::ControlIoctl => Box::new(ControlIoctl::new(mountpoint)),
        }))
    }

    /// A client over any transport (no mount point check).
    pub fn with_transport(transport: Box<dyn Transport>) -> Client {
        Client { transport }
    }

    /// The mount point in use.
    pub fn mountpoint(&self) -> &Path {
        self.transport.mountpoint()
    }

    /// Sends a raw pioctl.
    pub fn call(&self, pioctl: &Pioctl) -> Result<Vec<u8>> {
        self.transport.call(pioctl)
    }

    /// `cfs flushcache` (spec §6.1).
    pub fn flush_cache(&self) -> Result<()> {
        self.call(&Pioctl::flush_cache()).map(drop)
    }

    /// `cfs flushobject PATH` (spec §6.1).
    pub fn flush_object(&self, path: &Path) -> Result<()> {
        self.call(&Pioctl::flush_object(path)).map(drop)
    }

    /// `cfs flushvolume PATH` (spec §6.1).
    pub fn flush_volume(&self, path: &Path) -> Result<()> {
        self.call(&Pioctl::flush_volume(path)).map(drop)
    }

    /// `cfs rmmount DIR` (spec §6.2).
    pub fn rmmount(&self, path: &Path) -> Result<()> {
        self.call(&Pioctl::rmmount(path)?).map(drop)
    }

    /// `cfs mkmount DIR VOLUME` (spec §6.3).
    pub fn mkmount(&self, path: &Path, volume: &str) -> Result<()> {
        self.call(&Pioctl::mkmount(path, volume)?).map(drop)
    }

    /// `cfs lv PATH` (spec §6.4).
    pub fn volume_status(&self, path: &Path, local_only: bool) -> Result<VolumeStatusReply> {
        VolumeStatusReply::parse(&self.call(&Pioctl::volume_status(path, local_only))?)
    }

    /// `cfs getfid PATH` (spec §6.5).
    pub fn getfid(&self, path: &Path) -> Result<GetFidReply> {
        GetFidReply::parse(&self.call(&Pioctl::getfid(path))?)
    }

    /// `cfs la PATH` (spec §6.6).
    pub fn get_acl(&self, path: &Path) -> Result<Acl> {
        Acl::parse(&self.call(&Pioctl::get_acl(path))?)
    }

    /// The final step of `cfs sa` (spec §6.6).
    pub fn set_acl(&self, path: &Path, acl: &Acl) -> Result<()> {
        self.call(&Pioctl::set_acl(path, acl)?).map(drop)
    }

    /// getfid of exactly the object `path` names: `path` must be an
    /// absolute path of plain names ([`check_path`]); follow = 0.
    pub fn getfid_nofollow(&self, path: &Path) -> Result<GetFidReply> {
        check_path(path)?;
        self.getfid(path)
    }

    /// getacl of exactly the directory `path` names ([`check_path`]),
    /// sent with follow = 0 (cfs sends 1): a symlink there is not followed.
    pub fn get_acl_nofollow(&self, path: &Path) -> Result<Acl> {
        check_path(path)?;
        Acl::parse(&self.call(&Pioctl::get_acl(path).no_follow())?)
    }

    /// setacl on exactly the directory `path` names ([`check_path`]),
    /// sent with follow = 0 (cfs sends 1). A caller holding the directory
    /// open should first compare [`Client::getfid_nofollow`] with its
    /// inode number ([`crate::ViceFid::kernel_inode`]).
    pub fn set_acl_nofollow(&self, path: &Path, acl: &Acl) -> Result<()> {
        check_path(path)?;
        self.call(&Pioctl::set_acl(path, acl)?.no_follow())
            .map(drop)
    }

    /// mkmount of `parent/name` with the parent resolved as by
    /// [`check_path`] and sent with follow = 0 (cfs sends 1), `name` one
    /// plain name.
    pub fn mkmount_nofollow(&self, parent: &Path, name: &[u8], volume: &str) -> Result<()> {
        check_path(parent)?;
        if let Some(why) = name_problem(name) {
            return Err(crate::Error::BadPath {
                path: parent.join(std::ffi::OsStr::from_bytes(name)),
                reason: why,
            });
        }
        let path = parent.join(std::ffi::OsStr::from_bytes(name));
        self.call(&Pioctl::mkmount(&path, volume)?.no_follow())
            .map(drop)
    }

    /// `cfs checkservers`: the servers still down (spec §6.7).
    pub fn check_servers(&self, hosts: &[Ipv4Addr]) -> Result<Vec<Ipv4Addr>> {
        parse_down_servers(&self.call(&Pioctl::check_servers(hosts)?)?)
    }

    /// `cfs whereis PATH` (spec §6.8).
    pub fn whereis(&self, path: &Path) -> Result<WhereIs> {
        WhereIs::parse(&self.call(&Pioctl::whereis(path))?)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::path::PathBuf;
    use std::rc::Rc;

    use super::*;
    use crate::{Error, Opcode};

    /// Records every request and answers with `reply`.
    struct Recorder {
        calls: Rc<RefCell<Vec<Pioctl>>>,
        reply: Vec<u8>,
    }

    impl Transport for Recorder {
        fn mountpoint(&self) -> &Path {
            Path::new("/coda")
        }
        fn call(&self, p: &Pioctl) -> Result<Vec<u8>> {
            self.calls.borrow_mut().push(p.clone());
            Ok(self.reply.clone())
        }
    }

    fn client(reply: &[u8]) -> (Client, Rc<RefCell<Vec<Pioctl>>>) {
        let calls = Rc::new(RefCell::new(Vec::new()));
        let c = Client::with_transport(Box::new(Recorder {
            calls: calls.clone(),
            reply: reply.to_vec(),
        }));
        (c, calls)
    }

    #[test]
    fn nofollow_requests_send_follow_0_for_checked_paths() {
        let (c, calls) = client(b"1\n0\njan\t9\n\0");
        let dir = Path::new("/coda/tmp/vol/a");
        c.get_acl_nofollow(dir).unwrap();
        let acl = Acl::parse(b"1\n0\njan\t9\n\0").unwrap();
        c.set_acl_nofollow(dir, &acl).unwrap();
        c.mkmount_nofollow(dir, b"vol1", "users:jan").unwrap();
        let calls = calls.borrow();
        let seen: Vec<(Opcode, Option<PathBuf>, bool)> = calls
            .iter()
            .map(|p| (p.opcode, p.path.clone(), p.follow))
            .collect();
        assert_eq!(
            seen,
            vec![
                (Opcode::GETAL, Some(dir.into()), false),
                (Opcode::SETAL, Some(dir.into()), false),
                (Opcode::ADD_MT_PT, Some(dir.into()), false),
            ]
        );
        // Same bytes as cfs apart from the follow flag (spec §6.3, §6.6).
        assert_eq!(calls[1].input, b"1\n0\njan 9\n\0");
        assert_eq!(calls[2].input, b"vol1/users:jan\0");
    }

    #[test]
    fn unchecked_paths_are_never_sent() {
        let (c, calls) = client(&[0; 124]);
        let acl = Acl::default();
        for bad in [
            "/coda/a/../b",
            "/coda/./a",
            "rel/dir",
            "/coda//a",
            "/coda/a/",
        ] {
            let p = Path::new(bad);
            assert!(matches!(c.getfid_nofollow(p), Err(Error::BadPath { .. })));
            assert!(matches!(c.get_acl_nofollow(p), Err(Error::BadPath { .. })));
            assert!(matches!(
                c.set_acl_nofollow(p, &acl),
                Err(Error::BadPath { .. })
            ));
        }
        for name in [&b".."[..], b".", b"", b"a/b", b"a\0"] {
            let r = c.mkmount_nofollow(Path::new("/coda/x"), name, "v");
            assert!(matches!(r, Err(Error::BadPath { .. })), "{name:?}");
        }
        assert!(calls.borrow().is_empty(), "nothing may reach venus");
        c.getfid_nofollow(Path::new("/coda/a")).unwrap();
        assert!(!calls.borrow()[0].follow);
    }
}
