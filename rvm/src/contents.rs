//! What a target holds, and whether it may be overwritten: nothing, an RVM
//! log status block (spec §4), an RVM segment header (spec §7.1), a
//! filesystem or swap signature, or other bytes.
//!
//! Three policies ([`Overwrite`]): by default anything that holds data is
//! refused; `--replace-rvm` overwrites only zeros and the RVM structure the
//! target is being formatted as (re-formatting RVM, never user data);
//! `--force` overwrites data. None of them overrides a target in use
//! ([`crate::in_use`]).

use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::Path;

use rustix::fs::SeekFrom;
use rustix::io::Errno;

use crate::claim::Claim;
use crate::device::{Target, FILL_CHUNK};
use crate::error::{Error, Result};
use crate::segment::SegmentHeader;
use crate::status::RAW_RESERVED;
use crate::status::{StatusBlock, STATUS_SIZE};

/// How much of a device must be zero for it to count as unused.
pub const PROBE_LEN: u64 = 1 << 20;

/// How a formatter treats a target that already holds something.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overwrite {
    /// Refuse anything that holds data (an RVM structure included).
    #[default]
    Refuse,
    /// Overwrite only an all-zero target or one that holds the RVM
    /// structure being formatted (`--replace-rvm`).
    ReplaceRvm,
    /// Overwrite whatever it holds (`--force`).
    Force,
}

impl Overwrite {
    /// The policy the command-line flags ask for (`force` wins).
    pub fn from_flags(force: bool, replace_rvm: bool) -> Self {
        match (force, replace_rvm) {
            (true, _) => Overwrite::Force,
            (false, true) => Overwrite::ReplaceRvm,
            (false, false) => Overwrite::Refuse,
        }
    }
}

/// What a target is being formatted as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// An RVM log.
    Log,
    /// An RDS data segment.
    Data,
}

/// Applies `overwrite` to the claimed target, which is about to be
/// formatted as `role`; `block_span` is the byte range a block device will
/// have overwritten (a regular file loses all its bytes).
pub fn check_overwrite(
    claim: &Claim,
    role: Role,
    overwrite: Overwrite,
    block_span: Range<u64>,
) -> Result<()> {
    let path = claim.path();
    match overwrite {
        Overwrite::Force => Ok(()),
        Overwrite::Refuse => match holds_data(claim)? {
            Some(reason) => Err(Error::Refused {
                path: path.to_path_buf(),
                reason,
            }),
            None => Ok(()),
        },
        Overwrite::ReplaceRvm => {
            let (file, span) = match (claim.file(), claim.target()) {
                (Some(f), Target::File(n)) if n > 0 => (f, 0..n),
                (Some(f), Target::Block(n)) => (f, block_span.start..block_span.end.min(n)),
                _ => return Ok(()),
            };
            let head = read_head(file, path, claim.target())?;
            let found = rvm_structure(&head);
            let role_name = match role {
                Role::Log => "an RVM log",
                Role::Data => "an RVM data segment",
            };
            let what = match (role, found) {
                (Role::Log, Some(Rvm::Log(_))) | (Role::Data, Some(Rvm::Segment)) => return Ok(()),
                (Role::Log, Some(Rvm::Segment)) => {
                    "holds an RVM data segment header, not an RVM log".to_string()
                }
                (Role::Data, Some(Rvm::Log(_))) => {
                    "holds a valid RVM log, not an RVM data segment".to_string()
                }
                (_, None) => {
                    match foreign(&head) {
                        Some(f) => format!("holds {f}"),
                        None => match first_nonzero(file, path, span)? {
                            Some(at) => {
                                format!("holds data that is not RVM (first nonzero byte at offset {at})")
                            }
                            None => return Ok(()),
                        },
                    }
                }
            };
            Err(Error::NotRvm {
                path: path.to_path_buf(),
                what,
                role: role_name,
            })
        }
    }
}

/// Says what an existing target holds, if anything worth protecting: a
/// valid RVM log (file or raw layout), an RVM segment header, a non-empty
/// file, or (devices) non-zero bytes in the first MiB.
pub fn holds_data(claim: &Claim) -> Result<Option<String>> {
    let path = claim.path();
    let (file, len, block) = match (claim.file(), claim.target()) {
        (Some(f), Target::File(n)) if n > 0 => (f, n, false),
        (Some(f), Target::Block(n)) => (f, n, true),
        _ => return Ok(None),
    };
    let head = read_head(file, path, claim.target())?;
    match rvm_structure(&head) {
        Some(Rvm::Log(raw)) => {
            let kind = if raw { "raw-partition" } else { "file" };
            return Ok(Some(format!("holds a valid RVM log ({kind} layout)")));
        }
        Some(Rvm::Segment) => return Ok(Some("holds an RVM data segment header".into())),
        None => {}
    }
    let sig = foreign(&head);
    if block {
        Ok(match sig {
            Some(f) => Some(format!("the device holds {f}")),
            None if head.iter().any(|&b| b != 0) => {
                Some("the device is in use: its first MiB is not all zero".into())
            }
            None => None,
        })
    } else {
        Ok(Some(match sig {
            Some(f) => format!("is an existing file of {len} bytes holding {f}"),
            None => format!("is an existing file of {len} bytes"),
        }))
    }
}

/// An RVM structure found at the start of a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rvm {
    /// A valid log status block; true for the raw layout (at 8192).
    Log(bool),
    /// A segment header.
    Segment,
}

fn rvm_structure(head: &[u8]) -> Option<Rvm> {
    for (base, raw) in [(0usize, false), (RAW_RESERVED as usize, true)] {
        if let Some(area) = head.get(base..base + STATUS_SIZE) {
            if StatusBlock::decode(area).is_ok() {
                return Some(Rvm::Log(raw));
            }
        }
    }
    SegmentHeader::decode(head).map(|_| Rvm::Segment)
}

/// The first MiB of the target (less if it is shorter).
fn read_head(file: &File, path: &Path, target: Target) -> Result<Vec<u8>> {
    let len = match target {
        Target::File(n) | Target::Block(n) => n,
        Target::Missing => 0,
    };
    let mut head = vec![0u8; PROBE_LEN.min(len) as usize];
    crate::device::read_at(file, path, &mut head, 0)?;
    Ok(head)
}

/// Names a filesystem, volume or swap signature in the first MiB
/// (well-known magic numbers only; absence proves nothing).
pub fn foreign(head: &[u8]) -> Option<String> {
    let at = |off: usize, magic: &[u8]| head.get(off..off + magic.len()) == Some(magic);
    let le32 = |off: usize| crate::le::u32_at(head, off);
    if at(1080, &[0x53, 0xEF]) {
        // ext2/3/4 superblock at 1024: s_feature_compat +92, incompat +96.
        let incompat = le32(1024 + 96);
        let kind = if incompat & (0x40 | 0x80 | 0x200) != 0 {
            "ext4"
        } else if le32(1024 + 92) & 0x4 != 0 {
            "ext3"
        } else {
            "ext2"
        };
        return Some(format!(
            "an {kind} filesystem (superblock magic 0xEF53 at byte 1080)"
        ));
    }
    let known: [(usize, &[u8], &str); 6] = [
        (0, b"XFSB", "an XFS filesystem (magic \"XFSB\" at byte 0)"),
        (
            65600,
            b"_BHRfS_M",
            "a btrfs filesystem (magic \"_BHRfS_M\" at byte 65600)",
        ),
        (
            4086,
            b"SWAPSPACE2",
            "Linux swap space (\"SWAPSPACE2\" at byte 4086)",
        ),
        (
            4086,
            b"SWAP-SPACE",
            "Linux swap space (\"SWAP-SPACE\" at byte 4086)",
        ),
        (
            0,
            b"LUKS\xba\xbe",
            "a LUKS encrypted volume (magic at byte 0)",
        ),
        (
            536,
            b"LVM2 001",
            "an LVM physical volume (label at byte 512)",
        ),
    ];
    known
        .iter()
        .find(|(off, magic, _)| at(*off, magic))
        .map(|(_, _, what)| (*what).to_string())
}

/// Offset of the first nonzero byte in `span` of `file`, skipping the holes
/// of sparse files (`SEEK_DATA`); reads in large chunks, bounded memory.
pub fn first_nonzero(file: &File, path: &Path, span: Range<u64>) -> Result<Option<u64>> {
    let mut buf = vec![0u8; FILL_CHUNK.min(span.end.saturating_sub(span.start) as usize)];
    let mut at = span.start;
    while at < span.end {
        match rustix::fs::seek(file, SeekFrom::Data(at)) {
            Ok(d) if d >= span.end => return Ok(None),
            Ok(d) => at = d.max(at),
            Err(Errno::NXIO) => return Ok(None),
            Err(_) => {} // no SEEK_DATA here (a block device): read it all
        }
        let n = ((span.end - at) as usize).min(buf.len());
        let got = match file.read_at(&mut buf[..n], at) {
            Ok(0) => return Ok(None),
            Ok(g) => g,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, format!("cannot read at byte {at}"), e)),
        };
        if let Some(i) = buf[..got].iter().position(|&b| b != 0) {
            return Ok(Some(at + i as u64));
        }
        at += got as u64;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let mut h = vec![0u8; 1 << 17];
        assert_eq!(foreign(&h), None);
        h[1080] = 0x53;
        h[1081] = 0xEF;
        assert!(foreign(&h).unwrap().starts_with("an ext2 filesystem"));
        h[1024 + 92] = 4;
        assert!(foreign(&h).unwrap().starts_with("an ext3 filesystem"));
        h[1024 + 96] = 0x40;
        assert!(foreign(&h).unwrap().starts_with("an ext4 filesystem"));
        let mut x = vec![0u8; 8192];
        x[..4].copy_from_slice(b"XFSB");
        assert!(foreign(&x).unwrap().contains("XFS"));
        let mut s = vec![0u8; 4096];
        s[4086..].copy_from_slice(b"SWAPSPACE2");
        assert!(foreign(&s).unwrap().contains("swap"));
        assert_eq!(foreign(&s[..4095]), None, "short buffers never panic");
    }

    #[test]
    fn first_nonzero_skips_holes_and_finds_the_byte() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&p)
            .unwrap();
        f.set_len(64 << 20).unwrap();
        assert_eq!(first_nonzero(&f, &p, 0..64 << 20).unwrap(), None);
        f.write_all_at(&[7], (40 << 20) + 5).unwrap();
        assert_eq!(
            first_nonzero(&f, &p, 0..64 << 20).unwrap(),
            Some((40 << 20) + 5)
        );
        assert_eq!(first_nonzero(&f, &p, 0..40 << 20).unwrap(), None);
        assert_eq!(
            first_nonzero(&f, &p, (40 << 20) + 5..(40 << 20) + 6).unwrap(),
            Some((40 << 20) + 5)
        );
    }
}
