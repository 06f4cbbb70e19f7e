//! The `_VIOC_GETFID` reply: fid, version vector, realm (spec §6.5).

use crate::error::{Error, Result};
use crate::pioctl::GETFID_REPLY_SIZE;
use crate::Opcode;

/// `ViceFid`: volume, vnode, unique.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViceFid {
    /// Volume id.
    pub volume: u32,
    /// Vnode number.
    pub vnode: u32,
    /// Uniquifier.
    pub unique: u32,
}

/// `ViceVersionVector`: 8 site versions, the store id and flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViceVersionVector {
    /// Per-site versions.
    pub versions: [i32; 8],
    /// `StoreId.HostId`.
    pub host_id: u32,
    /// `StoreId.Uniquifier`.
    pub uniquifier: u32,
    /// Flags.
    pub flags: u32,
}

/// `struct GetFid`, 124 bytes (spec §6.5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetFidReply {
    /// The object's fid.
    pub fid: ViceFid,
    /// Its version vector (meaningful for replicated objects).
    pub vv: ViceVersionVector,
    /// The realm name (at most 64 bytes).
    pub realm: Vec<u8>,
}

impl ViceFid {
    /// The inode number the Linux `coda` module gives the object with this
    /// fid (`coda_f2i`): `unique ^ vnode << 10 ^ volume << 20 ^ realm`,
    /// computed in 32 bits, where `realm` is venus's number for the
    /// object's realm, the first word of the kernel's fid (getfid returns
    /// the realm's name, not that number). The qemu transcript shows the
    /// root fid `00000001.7f000000.00000001.00000001` as inode 1024.
    pub fn kernel_inode(&self, realm: u32) -> u64 {
        u64::from(self.fid_hash() ^ realm)
    }

    /// The realm number for which [`ViceFid::kernel_inode`] is `ino`, or
    /// `None` when `ino` is wider than 32 bits (not a Coda inode number).
    /// Two objects of one realm that yield different numbers are not what
    /// their fids say.
    pub fn kernel_realm(&self, ino: u64) -> Option<u32> {
        u32::try_from(ino).ok().map(|i| i ^ self.fid_hash())
    }

    fn fid_hash(&self) -> u32 {
        self.unique ^ (self.vnode << 10) ^ (self.volume << 20)
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

impl GetFidReply {
    /// Decodes the 124-byte reply.
    pub fn parse(bytes: &[u8]) -> Result<GetFidReply> {
        let size = usize::from(GETFID_REPLY_SIZE);
        if bytes.len() < size {
            return Err(Error::BadReply {
                op: Opcode::GETFID,
                offset: bytes.len(),
                expected: format!("a {size}-byte GetFid reply"),
            });
        }
        let fid = ViceFid {
            volume: u32_at(bytes, 0),
            vnode: u32_at(bytes, 4),
            unique: u32_at(bytes, 8),
        };
        let mut versions = [0i32; 8];
        for (i, v) in versions.iter_mut().enumerate() {
            *v = u32_at(bytes, 12 + 4 * i) as i32;
        }
        let vv = ViceVersionVector {
            versions,
            host_id: u32_at(bytes, 44),
            uniquifier: u32_at(bytes, 48),
            flags: u32_at(bytes, 52),
        };
        let realm_field = &bytes[56..56 + 65];
        let len = realm_field
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| Error::BadReply {
                op: Opcode::GETFID,
                offset: 56,
                expected: "a NUL-terminated realm of at most 64 bytes".into(),
            })?;
        Ok(GetFidReply {
            fid,
            vv,
            realm: realm_field[..len].to_vec(),
        })
    }

    /// Encodes the reply as venus sends it (realm truncated to 64 bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(usize::from(GETFID_REPLY_SIZE));
        for v in [self.fid.volume, self.fid.vnode, self.fid.unique] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in self.vv.versions {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [self.vv.host_id, self.vv.uniquifier, self.vv.flags] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let realm = &self.realm[..self.realm.len().min(64)];
        out.extend_from_slice(realm);
        out.resize(usize::from(GETFID_REPLY_SIZE), 0);
        out
    }

    /// The FID text cfs prints: `<vol>.<vnode>.<unique>@<realm>` in hex.
    pub fn fid_text(&self) -> String {
        format!(
            "{:x}.{:x}.{:x}@{}",
            self.fid.volume,
            self.fid.vnode,
            self.fid.unique,
            String::from_utf8_lossy(&self.realm)
        )
    }

    /// The VV text cfs prints:
    /// `[ s0 .. s7 ] [ hostid.uniq ] [ flags ]`, flags in `%#x` style.
    pub fn vv_text(&self) -> String {
        let sites: Vec<String> = self.vv.versions.iter().map(|v| v.to_string()).collect();
        let flags = if self.vv.flags == 0 {
            "0".to_string()
        } else {
            format!("{:#x}", self.vv.flags)
        };
        format!(
            "[ {} ] [ {:x}.{:x} ] [ {flags} ]",
            sites.join(" "),
            self.vv.host_id,
            self.vv.uniquifier
        )
    }

    /// The line `cfs getfid` prints (without the per-argument prefix):
    /// `FID = %-20s  VV = %-24s`.
    pub fn cfs_line(&self) -> String {
        format!("FID = {:<20}  VV = {:<24}", self.fid_text(), self.vv_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The qemu run (golden/pioctl/qemu-transcript.txt) logs the root fid
    /// as `(realm.volume.vnode.unique)` and the inode the kernel made of it.
    #[test]
    fn kernel_inode_matches_the_real_module() {
        let dir = std::env::var_os("CODA_RS_GOLDEN").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/golden"),
            std::path::PathBuf::from,
        );
        let text = std::fs::read_to_string(dir.join("pioctl/qemu-transcript.txt")).unwrap();
        let after = |key: &str| {
            let line = text.lines().find(|l| l.contains(key)).unwrap();
            line[line.find(key).unwrap() + key.len()..]
                .trim()
                .to_string()
        };
        let fid = after("rootfid is ");
        let words: Vec<u32> = fid
            .trim_matches(|c| c == '(' || c == ')')
            .split('.')
            .map(|w| u32::from_str_radix(w, 16).unwrap())
            .collect();
        let ino: u64 = after("rootinode is ")
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let f = ViceFid {
            volume: words[1],
            vnode: words[2],
            unique: words[3],
        };
        assert_eq!(f.kernel_inode(words[0]), ino);
        assert_eq!(f.kernel_realm(ino), Some(words[0]));
        assert_eq!(f.kernel_realm(1 << 40), None);
        // Another object of the same realm maps back to the same realm.
        let g = ViceFid {
            volume: words[1],
            vnode: 6,
            unique: 3,
        };
        assert_eq!(g.kernel_realm(g.kernel_inode(words[0])), Some(words[0]));
        assert_ne!(g.kernel_realm(ino), Some(words[0]));
    }
}
