//! Pioctl opcodes and the request numbers built from them (spec §2.2, §4.2).

use std::fmt;

/// A pioctl opcode: the 8-bit `nr` of `_VICEIOCTL(nr)` (spec §1, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Opcode(pub u8);

/// `_VICEIOCTL(0)`: direction write, size 24 (`sizeof(struct ViceIoctl)`),
/// type `'V'` (spec §2.2).
pub const VICEIOCTL_BASE: u32 = 0x4018_5600;

/// The legacy `ioctl(2)` request base on x86_64: the size field widened by
/// `sizeof(char *) + sizeof(int)` = 12, giving size 36 (spec §4.2).
pub const LEGACY_IOCTL_BASE: u32 = 0x4024_5600;

impl Opcode {
    /// `_VIOCSETAL`: set a directory's ACL (spec §6.6).
    pub const SETAL: Opcode = Opcode(1);
    /// `_VIOCGETAL`: read a directory's ACL (spec §6.6).
    pub const GETAL: Opcode = Opcode(2);
    /// `_VIOCGETVOLSTAT`: volume status, `cfs lv` (spec §6.4).
    pub const GETVOLSTAT: Opcode = Opcode(4);
    /// `_VIOCFLUSH`: flush one object, `cfs flushobject`/`fl` (spec §6.1).
    pub const FLUSH: Opcode = Opcode(6);
    /// `_VIOCCKSERV`: probe servers, `cfs checkservers` (spec §6.7).
    pub const CKSERV: Opcode = Opcode(10);
    /// `_VIOCWHEREIS`: replica servers and volume ids (spec §6.8).
    pub const WHEREIS: Opcode = Opcode(14);
    /// `_VIOC_AFS_DELETE_MT_PT`: remove a mount link, `cfs rmmount` (spec §6.2).
    pub const AFS_DELETE_MT_PT: Opcode = Opcode(28);
    /// `_VIOC_FLUSHVOLUME`: flush one volume (spec §6.1).
    pub const FLUSHVOLUME: Opcode = Opcode(37);
    /// `_VIOC_ADD_MT_PT`: create a mount link, `cfs mkmount` (spec §6.3).
    pub const ADD_MT_PT: Opcode = Opcode(142);
    /// `_VIOC_GETFID`: an object's fid and version vector (spec §6.5).
    pub const GETFID: Opcode = Opcode(197);
    /// `_VIOC_FLUSHCACHE`: flush the whole cache (spec §6.1).
    pub const FLUSHCACHE: Opcode = Opcode(198);
    /// `_VIOC_AFS_STAT_MT_PT`: read a mount link, `cfs lsmount` (spec §5).
    pub const AFS_STAT_MT_PT: Opcode = Opcode(29);
    /// `_VIOC_GETPATH`: path of a fid, `cfs getpath` (spec §5).
    pub const GETPATH: Opcode = Opcode(208);
    /// `_VIOC_WD_ALL`: write-disconnect all volumes, `cfs wd` (spec §5).
    pub const WD_ALL: Opcode = Opcode(238);
    /// `_VIOC_LISTCACHE`: list the cache, `cfs listcache` (spec §5).
    pub const LISTCACHE: Opcode = Opcode(242);
    /// `_VIOC_GET_MT_PT`: mount path of a volume, `cfs getmountpoint` (spec §5).
    pub const GET_MT_PT: Opcode = Opcode(243);
    /// `_VIOC_REP_CMD`: local/global repair commands (spec §5).
    pub const REP_CMD: Opcode = Opcode(244);
    /// `_VIOC_ZLIMIT`: cache zone limits, `cfs zonelimit` (spec §5).
    pub const ZLIMIT: Opcode = Opcode(246);

    /// The `_VICEIOCTL(nr)` value venus sees in `coda_ioctl_in.cmd`.
    pub const fn vice_ioctl(self) -> u32 {
        VICEIOCTL_BASE | self.0 as u32
    }

    /// The request number for `ioctl(2)` on `<mnt>/.CONTROL` (x86_64).
    pub const fn legacy_ioctl(self) -> u32 {
        LEGACY_IOCTL_BASE | self.0 as u32
    }

    /// The name cfs uses for this opcode in error messages
    /// (`VIOC_FLUSHCACHE`, ...), if it is one this crate knows.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Opcode::SETAL => "VIOCSETAL",
            Opcode::GETAL => "VIOCGETAL",
            Opcode::GETVOLSTAT => "VIOCGETVOLSTAT",
            Opcode::FLUSH => "VIOCFLUSH",
            Opcode::CKSERV => "VIOCCKSERV",
            Opcode::WHEREIS => "VIOCWHEREIS",
            Opcode::AFS_DELETE_MT_PT => "VIOC_AFS_DELETE_MT_PT",
            Opcode::FLUSHVOLUME => "VIOC_FLUSHVOLUME",
            Opcode::ADD_MT_PT => "VIOC_ADD_MT_PT",
            Opcode::GETFID => "VIOC_GETFID",
            Opcode::FLUSHCACHE => "VIOC_FLUSHCACHE",
            Opcode::AFS_STAT_MT_PT => "VIOC_AFS_STAT_MT_PT",
            Opcode::GETPATH => "VIOC_GETPATH",
            Opcode::WD_ALL => "VIOC_WD_ALL",
            Opcode::LISTCACHE => "VIOC_LISTCACHE",
            Opcode::GET_MT_PT => "VIOC_GET_MT_PT",
            Opcode::REP_CMD => "VIOC_REP_CMD",
            Opcode::ZLIMIT => "VIOC_ZLIMIT",
            _ => return None,
        })
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "pioctl {}", self.0),
        }
    }
}
