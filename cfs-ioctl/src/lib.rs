//! Venus pioctls issued directly, over the virtual-file and legacy ioctl
//! transports (`shared/spec/pioctl.md`).
//!
//! A [`Pioctl`] is one request (opcode, path, follow flag, input bytes,
//! output capacity). A [`Transport`] delivers it to venus: [`VirtualFile`]
//! (T1, the `<mnt>/...PIOCTL.<hex>` file current cfs uses; the default) or
//! [`ControlIoctl`] (T2, the legacy `ioctl(2)` on `<mnt>/.CONTROL`).
//! [`Client`] checks the mount point and offers typed helpers for the
//! opcodes Coda's recovery procedure needs, with parsers for their replies;
//! [`command::PathCommand`] runs a `cfs` command over its paths and prints
//! the answers as cfs does.
//!
//! Writers that build paths from untrusted names (a dump, a user's tree)
//! use the `*_nofollow` requests: their path must pass
//! [`checked_path::check_path`] (plain names only) and is sent with
//! follow = 0; [`ViceFid::kernel_inode`] ties a getfid answer to the inode
//! number of an object held open.
//!
//! ```no_run
//! use std::path::Path;
//! use cfs_ioctl::{mountpoint, Client, TransportKind};
//!
//! let mnt = mountpoint::discover(None);
//! let venus = Client::connect(&mnt, TransportKind::VirtualFile)?;
//! let status = venus.volume_status(Path::new("/coda/usr/jan"), false)?;
//! println!("{} KiB in use", status.status.blocks_in_use);
//! # Ok::<(), cfs_ioctl::Error>(())
//! ```

pub mod acl;
pub mod checked_path;
mod client;
pub mod command;
pub mod control;
mod error;
pub mod getfid;
pub mod mountpoint;
mod opcode;
mod pioctl;
pub mod recording;
pub mod servers;
mod transport;
pub mod upcall;
pub mod view;
pub mod virtual_file;
pub mod volume_status;

pub use acl::{Acl, AclEntry};
pub use client::Client;
pub use control::ControlIoctl;
pub use error::{Error, Result, Stage};
pub use getfid::{GetFidReply, ViceFid, ViceVersionVector};
pub use opcode::{Opcode, LEGACY_IOCTL_BASE, VICEIOCTL_BASE};
pub use pioctl::{
    reply_cstr, split_parent, Pioctl, CFS_PIOBUFSIZE, GETFID_REPLY_SIZE, MAX_ACL_TEXT,
    MAX_CHECKSERVERS_HOSTS,
};
pub use rustix::io::Errno;
pub use servers::WhereIs;
pub use transport::{Transport, TransportKind};
pub use virtual_file::VirtualFile;
pub use volume_status::{VolumeStatus, VolumeStatusReply};

/// `CODA_SUPER_MAGIC`: `statfs().f_type` of a Coda mount (spec §2.1), which
/// [`mountpoint::check_coda`] requires and [`Error::NotCoda`] reports.
pub const CODA_SUPER_MAGIC: u64 = 0x7375_7245;
