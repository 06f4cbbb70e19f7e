//! Objects on a Coda mount: their identity is the fid (inode numbers there
//! are hashes of fids and may collide), and directories carry Coda ACLs
//! instead of (or besides) mode bits. Both come from venus through the
//! `cfs-ioctl` pioctls (`_VIOC_GETFID`, `_VIOC_GETAL`, `_VIOC_SETAL`).
//! Venus resolves those by name, so before a setacl the copier checks with
//! [`RealmOf::check`] that the name still leads to the directory it holds
//! open.

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cfs_ioctl::{mountpoint, Acl, Client, Transport, ViceFid, VirtualFile, CODA_SUPER_MAGIC};

use crate::error::{Failure, Op};
use crate::links::ObjectId;

/// A failed request to venus.
#[derive(Debug)]
pub struct VenusError {
    /// The errno, when the kernel or venus gave one.
    pub errno: Option<i32>,
    /// The whole explanation.
    pub message: String,
}

impl From<cfs_ioctl::Error> for VenusError {
    fn from(e: cfs_ioctl::Error) -> VenusError {
        let errno = match &e {
            cfs_ioctl::Error::Pioctl { errno, .. } => Some(errno.raw_os_error()),
            _ => None,
        };
        VenusError {
            errno,
            message: e.to_string(),
        }
    }
}

impl Failure {
    /// A failure reported by venus.
    pub fn venus(path: impl Into<PathBuf>, op: Op, err: &VenusError) -> Failure {
        Failure {
            path: path.into(),
            op,
            errno: err.errno,
            message: err.message.clone(),
        }
    }
}

/// What the copier asks of venus. [`SystemVenus`] asks the real one; tests
/// substitute their own.
pub trait Venus: Sync {
    /// True when `path` (a directory) lies on a Coda mount.
    fn is_coda(&self, path: &Path) -> bool;
    /// The identity of the object at `path` (not following a symlink).
    fn object_id(&self, path: &Path) -> Result<ObjectId, VenusError>;
    /// The ACL of the directory at `path`.
    fn get_acl(&self, path: &Path) -> Result<Acl, VenusError>;
    /// Replaces the ACL of the directory at `path`.
    fn set_acl(&self, path: &Path, acl: &Acl) -> Result<(), VenusError>;
}

/// Makes the transport of one request.
pub type TransportFactory = Arc<dyn Fn() -> Box<dyn Transport> + Send + Sync>;

/// The local venus, reached through the Coda mount point that
/// `venus.conf` names (or `/coda`), over the virtual-file transport. Every
/// path it sends is checked to be made of plain names and goes with
/// follow = 0 (`cfs_ioctl::checked_path`): a symlink is never followed.
#[derive(Clone)]
pub struct SystemVenus {
    mountpoint: PathBuf,
    transport: TransportFactory,
}

impl fmt::Debug for SystemVenus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SystemVenus")
            .field("mountpoint", &self.mountpoint)
            .finish()
    }
}

impl Default for SystemVenus {
    fn default() -> Self {
        SystemVenus::new(mountpoint::discover(None))
    }
}

impl SystemVenus {
    /// Venus behind the given mount point.
    pub fn new(mountpoint: impl Into<PathBuf>) -> SystemVenus {
        let mountpoint = mountpoint.into();
        let mnt = mountpoint.clone();
        SystemVenus::with_transport(
            mountpoint,
            Arc::new(move || Box::new(VirtualFile::new(&mnt)) as Box<dyn Transport>),
        )
    }

    /// Venus behind `mountpoint`, each request sent over a transport made
    /// by `transport` (tests record and answer them).
    pub fn with_transport(
        mountpoint: impl Into<PathBuf>,
        transport: TransportFactory,
    ) -> SystemVenus {
        SystemVenus {
            mountpoint: mountpoint.into(),
            transport,
        }
    }

    /// A client per request: `Client` is not shared between threads, and
    /// the virtual-file transport holds nothing but the mount point.
    fn client(&self) -> Client {
        Client::with_transport((self.transport)())
    }
}

/// True when `path` lies on a filesystem with Coda's statfs magic.
pub fn on_coda_fs(path: &Path) -> bool {
    rustix::fs::statfs(path).is_ok_and(|s| s.f_type as u64 == CODA_SUPER_MAGIC)
}

impl Venus for SystemVenus {
    fn is_coda(&self, path: &Path) -> bool {
        on_coda_fs(path) && path.starts_with(&self.mountpoint)
    }

    fn object_id(&self, path: &Path) -> Result<ObjectId, VenusError> {
        let reply = self.client().getfid_nofollow(path)?;
        Ok(ObjectId::Fid {
            realm: realm_key(&reply.realm),
            volume: reply.fid.volume,
            vnode: reply.fid.vnode,
            unique: reply.fid.unique,
        })
    }

    fn get_acl(&self, path: &Path) -> Result<Acl, VenusError> {
        Ok(self.client().get_acl_nofollow(path)?)
    }

    fn set_acl(&self, path: &Path, acl: &Acl) -> Result<(), VenusError> {
        Ok(self.client().set_acl_nofollow(path, acl)?)
    }
}

/// What ties venus's names to the inodes of one destination tree: the
/// realm of its root and venus's number for that realm, from the root's
/// fid and the inode number of the root held open
/// ([`cfs_ioctl::ViceFid::kernel_realm`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RealmOf {
    /// [`realm_key`] of the realm name.
    pub realm: u64,
    /// The first word of the kernel's fids in that realm.
    pub number: u32,
}

fn vice_fid(id: &ObjectId) -> Option<(u64, ViceFid)> {
    match *id {
        ObjectId::Fid {
            realm,
            volume,
            vnode,
            unique,
        } => Some((
            realm,
            ViceFid {
                volume,
                vnode,
                unique,
            },
        )),
        ObjectId::Inode { .. } => None,
    }
}

impl RealmOf {
    /// The realm of the root `path`, whose inode number (held open) is `ino`.
    pub fn of_root(venus: &dyn Venus, path: &Path, ino: u64) -> Result<RealmOf, VenusError> {
        let id = venus.object_id(path)?;
        let bad = || VenusError {
            errno: None,
            message: format!("getfid gave no Coda fid matching inode {ino}"),
        };
        let (realm, fid) = vice_fid(&id).ok_or_else(bad)?;
        let number = fid.kernel_realm(ino).ok_or_else(bad)?;
        Ok(RealmOf { realm, number })
    }

    /// Checks that venus resolves `path` (getfid, follow = 0) to the object
    /// whose inode number is `ino` (`what` says where that number comes
    /// from, e.g. "the directory held open"): the object a getacl or
    /// setacl on `path` will reach.
    pub fn check(
        &self,
        venus: &dyn Venus,
        path: &Path,
        ino: u64,
        what: &str,
    ) -> Result<(), VenusError> {
        let id = venus.object_id(path)?;
        match vice_fid(&id) {
            Some((realm, fid)) if realm == self.realm && fid.kernel_inode(self.number) == ino => {
                Ok(())
            }
            Some((realm, fid)) => Err(VenusError {
                errno: None,
                message: format!(
                    "venus resolves the path to fid {:x}.{:x}.{:x}{}, not to {what} (inode {ino}); \
                     no ACL copied (expected the same object)",
                    fid.volume,
                    fid.vnode,
                    fid.unique,
                    if realm == self.realm { "" } else { " in another realm" }
                ),
            }),
            None => Err(VenusError {
                errno: None,
                message: "getfid gave no Coda fid (expected a directory on a Coda mount)".into(),
            }),
        }
    }
}

/// A short key for a realm name, so that identities stay `Copy`.
pub fn realm_key(realm: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    realm.hash(&mut h);
    h.finish()
}
