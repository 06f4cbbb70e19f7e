//! Objects on a Coda mount: their identity is the fid (inode numbers there
//! are hashes of fids and may collide), and directories carry Coda ACLs
//! instead of (or besides) mode bits. Both come from venus through the
//! `cfs-ioctl` pioctls (`_VIOC_GETFID`, `_VIOC_GETAL`, `_VIOC_SETAL`).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use cfs_ioctl::{mountpoint, Acl, Client, VirtualFile, CODA_SUPER_MAGIC};

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

/// The local venus, reached through the Coda mount point that
/// `venus.conf` names (or `/coda`), over the virtual-file transport.
#[derive(Debug, Clone)]
pub struct SystemVenus {
    mountpoint: PathBuf,
}

impl Default for SystemVenus {
    fn default() -> Self {
        SystemVenus {
            mountpoint: mountpoint::discover(None),
        }
    }
}

impl SystemVenus {
    /// Venus behind the given mount point.
    pub fn new(mountpoint: impl Into<PathBuf>) -> SystemVenus {
        SystemVenus {
            mountpoint: mountpoint.into(),
        }
    }

    /// A client per request: `Client` is not shared between threads, and
    /// the virtual-file transport holds nothing but the mount point.
    fn client(&self) -> Client {
        Client::with_transport(Box::new(VirtualFile::new(&self.mountpoint)))
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
        let reply = self.client().getfid(path)?;
        Ok(ObjectId::Fid {
            realm: realm_key(&reply.realm),
            volume: reply.fid.volume,
            vnode: reply.fid.vnode,
            unique: reply.fid.unique,
        })
    }

    fn get_acl(&self, path: &Path) -> Result<Acl, VenusError> {
        Ok(self.client().get_acl(path)?)
    }

    fn set_acl(&self, path: &Path, acl: &Acl) -> Result<(), VenusError> {
        Ok(self.client().set_acl(path, acl)?)
    }
}

/// A short key for a realm name, so that identities stay `Copy`.
pub fn realm_key(realm: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    realm.hash(&mut h);
    h.finish()
}
