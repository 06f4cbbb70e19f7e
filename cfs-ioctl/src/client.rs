//! [`Client`]: typed pioctls over either transport.

use std::net::Ipv4Addr;
use std::path::Path;

use crate::acl::Acl;
use crate::control::ControlIoctl;
use crate::error::Result;
use crate::getfid::GetFidReply;
use crate::mountpoint::check_coda;
use crate::servers::{parse_down_servers, WhereIs};
use crate::virtual_file::VirtualFile;
use crate::volume_status::VolumeStatusReply;
use crate::Pioctl;

/// A way of delivering a [`Pioctl`] to venus and getting its output back.
pub trait Transport {
    /// The Coda mount point this transport talks through.
    fn mountpoint(&self) -> &Path;

    /// Sends one pioctl and returns venus's output bytes. Over T2 that is
    /// the whole `out_size` buffer, as the kernel does not report the
    /// length (spec §4.3).
    fn call(&self, pioctl: &Pioctl) -> Result<Vec<u8>>;
}

/// Which transport to use (spec §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransportKind {
    /// T1, the virtual `...PIOCTL.<hex>` file (current cfs; the default).
    #[default]
    VirtualFile,
    /// T2, the legacy ioctl on `<mnt>/.CONTROL`.
    ControlIoctl,
}

/// A connection to venus through a checked Coda mount point.
pub struct Client {
    transport: Box<dyn Transport>,
}

impl Client {
    /// Checks that `mountpoint` is a Coda mount (statfs magic, spec §2.1)
    /// and prepares the chosen transport. Nothing is sent or created when
    /// the check fails.
    pub fn connect(mountpoint: &Path, kind: TransportKind) -> Result<Client> {
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

    /// `cfs checkservers`: the servers still down (spec §6.7).
    pub fn check_servers(&self, hosts: &[Ipv4Addr]) -> Result<Vec<Ipv4Addr>> {
        parse_down_servers(&self.call(&Pioctl::check_servers(hosts)?)?)
    }

    /// `cfs whereis PATH` (spec §6.8).
    pub fn whereis(&self, path: &Path) -> Result<WhereIs> {
        WhereIs::parse(&self.call(&Pioctl::whereis(path))?)
    }
}
