//! Whether a target is in use by the system: a block device that is
//! mounted, held by device-mapper, md or swap (itself, its whole disk or one
//! of its partitions), and a regular file that backs a loop device or is an
//! active swap file. Such a target is never written, whatever `--force`
//! says (`--force` only overrides "holds data"). The exclusive open that
//! backs these checks up lives in [`crate::claim`].
//!
//! Sources: `/proc/self/mountinfo`, `/proc/swaps`, `/sys/dev/block/M:m`
//! (holders, partitions) and the loop driver (`LOOP_GET_STATUS64`, which
//! names the backing file by device and inode number, so a renamed or
//! hard-linked file is still recognized).

use std::fs::File;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// What the kernel calls an opened target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    /// A regular file: the device of its filesystem and its inode number.
    File {
        /// `st_dev`.
        dev: u64,
        /// `st_ino`.
        ino: u64,
    },
    /// A block device: its device number.
    Block {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
}

impl Identity {
    /// The identity of an open file (`fstat`); `None` for other file types.
    pub fn of_file(file: &File, path: &Path) -> Result<Option<Identity>> {
        let m = file
            .metadata()
            .map_err(|e| Error::io(path, "cannot stat", e))?;
        Ok(Self::of_metadata(&m))
    }

    /// The identity of what `path` names now (symlinks followed); `None`
    /// if it does not exist or is neither a file nor a block device.
    pub fn of_path(path: &Path) -> Option<Identity> {
        Self::of_metadata(&std::fs::metadata(path).ok()?)
    }

    fn of_metadata(m: &std::fs::Metadata) -> Option<Identity> {
        if m.is_file() {
            Some(Identity::File {
                dev: m.dev(),
                ino: m.ino(),
            })
        } else if m.file_type().is_block_device() {
            Some(Identity::Block {
                major: rustix::fs::major(m.rdev()),
                minor: rustix::fs::minor(m.rdev()),
            })
        } else {
            None
        }
    }
}

/// Refuses `path` (whose identity is `id`) if the system uses it; the
/// error names the mount point, the holder, the swap area or the loop
/// device.
pub fn check(path: &Path, id: Identity) -> Result<()> {
    let what = match id {
        Identity::Block { major, minor } => block_user(major, minor),
        Identity::File { dev, ino } => file_user(dev, ino),
    };
    match what {
        Some(what) => Err(Error::InUse {
            path: path.to_path_buf(),
            what,
        }),
        None => Ok(()),
    }
}

/// A block device and how it relates to the target.
struct Related {
    /// "" for the target itself, else e.g. "its partition sdb1 ".
    label: String,
    major: u32,
    minor: u32,
}

/// The target device, plus its whole disk (if it is a partition) or its
/// partitions (if it is a whole disk), from sysfs.
fn related(major: u32, minor: u32) -> Vec<Related> {
    let mut out = vec![Related {
        label: String::new(),
        major,
        minor,
    }];
    let Ok(dir) = std::fs::canonicalize(format!("/sys/dev/block/{major}:{minor}")) else {
        return out;
    };
    let name = |d: &Path| {
        d.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    if dir.join("partition").exists() {
        if let Some(parent) = dir.parent() {
            if let Some((ma, mi)) = read_dev(&parent.join("dev")) {
                out.push(Related {
                    label: format!("its whole disk {} ", name(parent)),
                    major: ma,
                    minor: mi,
                });
            }
        }
    } else if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.join("partition").exists() {
                if let Some((ma, mi)) = read_dev(&p.join("dev")) {
                    out.push(Related {
                        label: format!("its partition {} ", name(&p)),
                        major: ma,
                        minor: mi,
                    });
                }
            }
        }
    }
    out
}

/// Parses a sysfs `dev` file ("M:m\n").
fn read_dev(path: &Path) -> Option<(u32, u32)> {
    parse_dev(std::fs::read_to_string(path).ok()?.trim())
}

fn parse_dev(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Why a block device must not be written, if it must not.
fn block_user(major: u32, minor: u32) -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let swaps = std::fs::read_to_string("/proc/swaps").unwrap_or_default();
    for r in related(major, minor) {
        if let Some(mp) = mount_point(&mounts, r.major, r.minor) {
            return Some(format!("{}is mounted on {}", r.label, mp.display()));
        }
        if let Some(h) = holder(r.major, r.minor) {
            return Some(format!("{}is in use by {h}", r.label));
        }
        let is_it = |p: &Path| {
            Identity::of_path(p)
                == Some(Identity::Block {
                    major: r.major,
                    minor: r.minor,
                })
        };
        if swap_areas(&swaps).iter().any(|p| is_it(p)) {
            return Some(format!("{}is in use as swap space", r.label));
        }
    }
    None
}

/// The first holder listed in `/sys/dev/block/M:m/holders`, described.
fn holder(major: u32, minor: u32) -> Option<String> {
    let dir = format!("/sys/dev/block/{major}:{minor}/holders");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let h = names.into_iter().next()?;
    let sys = Path::new("/sys/block").join(&h);
    if let Ok(dm) = std::fs::read_to_string(sys.join("dm/name")) {
        return Some(format!("device-mapper device {h} ({})", dm.trim()));
    }
    if sys.join("md").exists() {
        return Some(format!("md array {h}"));
    }
    Some(format!("{h} (listed in its sysfs holders)"))
}

/// Why a regular file must not be written, if it must not.
fn file_user(dev: u64, ino: u64) -> Option<String> {
    let swaps = std::fs::read_to_string("/proc/swaps").unwrap_or_default();
    let me = Identity::File { dev, ino };
    if swap_areas(&swaps)
        .iter()
        .any(|p| Identity::of_path(p) == Some(me))
    {
        return Some("is an active swap file".into());
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let entries = std::fs::read_dir("/sys/block").ok()?;
    let mut loops: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("loop"))
        .collect();
    loops.sort();
    for name in loops {
        let sys = Path::new("/sys/block").join(&name);
        let Some((major, minor)) = read_dev(&sys.join("dev")) else {
            continue;
        };
        let Some(backing) = loop_backing(&sys, &name, major, minor) else {
            continue;
        };
        if backing != me {
            continue;
        }
        let dev = format!("/dev/{name}");
        let mounted = related(major, minor)
            .into_iter()
            .find_map(|r| Some((r.label, mount_point(&mounts, r.major, r.minor)?)));
        return Some(match mounted {
            Some((label, mp)) => format!(
                "backs the loop device {dev}, and {} is mounted on {}",
                if label.is_empty() {
                    "it".to_string()
                } else {
                    label.trim_start_matches("its ").trim_end().to_string()
                },
                mp.display()
            ),
            None => format!("backs the loop device {dev} (detach it with losetup -d {dev} first)"),
        });
    }
    None
}

/// The backing file of an attached loop device, by identity: from the loop
/// driver through the device node when it is there (device and inode
/// numbers), else by looking up the path sysfs reports.
fn loop_backing(sys: &Path, name: &str, major: u32, minor: u32) -> Option<Identity> {
    let text = std::fs::read_to_string(sys.join("loop/backing_file")).ok()?;
    let node = PathBuf::from(format!("/dev/{name}"));
    let node_ok = Identity::of_path(&node) == Some(Identity::Block { major, minor });
    if node_ok {
        if let Some(id) = loop_status(&node) {
            return Some(id);
        }
    }
    Identity::of_path(Path::new(text.trim_end_matches('\n')))
}

/// `struct loop_info64` of `<linux/loop.h>` (x86_64 layout).
#[repr(C)]
struct LoopInfo64 {
    lo_device: u64,
    lo_inode: u64,
    lo_rdevice: u64,
    lo_offset: u64,
    lo_sizelimit: u64,
    lo_number: u32,
    lo_encrypt_type: u32,
    lo_encrypt_key_size: u32,
    lo_flags: u32,
    lo_file_name: [u8; 64],
    lo_crypt_name: [u8; 64],
    lo_encrypt_key: [u8; 32],
    lo_init: [u64; 2],
}

const _: () = assert!(std::mem::size_of::<LoopInfo64>() == 232);

/// `LOOP_GET_STATUS64` (a plain number, not an `_IOR` encoding).
const LOOP_GET_STATUS64: rustix::ioctl::Opcode = 0x4C05;

/// Device and inode of a loop device's backing file, from the driver.
fn loop_status(node: &Path) -> Option<Identity> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(
        node,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )
    .ok()?;
    // SAFETY: LOOP_GET_STATUS64 fills one `struct loop_info64`, whose
    // layout `LoopInfo64` reproduces (size checked at compile time); the
    // fd is a loop device we just opened and own.
    let info = unsafe {
        rustix::ioctl::ioctl(
            &fd,
            rustix::ioctl::Getter::<LOOP_GET_STATUS64, LoopInfo64>::new(),
        )
    }
    .ok()?;
    // The kernel encodes lo_device with new_encode_dev().
    let d = info.lo_device;
    let dev = rustix::fs::makedev(
        ((d >> 8) & 0xfff) as u32,
        ((d & 0xff) | ((d >> 12) & 0xfff00)) as u32,
    );
    Some(Identity::File {
        dev,
        ino: info.lo_inode,
    })
}

/// The mount point of the first mount whose device is M:m (field 3 of
/// `/proc/self/mountinfo`) or whose source names that block device (for
/// filesystems such as btrfs that report an anonymous device number).
fn mount_point(mountinfo: &str, major: u32, minor: u32) -> Option<PathBuf> {
    let want = Identity::Block { major, minor };
    mountinfo.lines().find_map(|line| {
        let m = MountLine::parse(line)?;
        let by_number = parse_dev(m.dev) == Some((major, minor));
        let by_source =
            m.source.starts_with('/') && Identity::of_path(&m.source_path()) == Some(want);
        (by_number || by_source).then(|| PathBuf::from(unescape(m.mount_point)))
    })
}

/// The fields of one `/proc/self/mountinfo` line that matter here.
#[derive(Debug, PartialEq, Eq)]
struct MountLine<'a> {
    dev: &'a str,
    mount_point: &'a str,
    source: &'a str,
}

impl<'a> MountLine<'a> {
    /// `ID PARENT M:m ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER`.
    fn parse(line: &'a str) -> Option<Self> {
        let fields: Vec<&str> = line.split(' ').collect();
        let sep = fields.iter().position(|&f| f == "-")?;
        if sep < 6 {
            return None;
        }
        Some(MountLine {
            dev: fields[2],
            mount_point: fields[4],
            source: fields.get(sep + 2).copied().unwrap_or(""),
        })
    }

    fn source_path(&self) -> PathBuf {
        PathBuf::from(unescape(self.source))
    }
}

/// Paths listed in `/proc/swaps` (first column, after the header line).
fn swap_areas(swaps: &str) -> Vec<PathBuf> {
    swaps
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(|p| PathBuf::from(unescape(p)))
        .collect()
}

/// Undoes the kernel's octal escapes (`\040` for a space, ...) in
/// mountinfo and swaps fields.
fn unescape(s: &str) -> String {
    use std::os::unix::ffi::OsStringExt;
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let oct = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (b[i], oct) {
            (b'\\', Some(d)) => {
                let v = d.iter().fold(0u32, |v, c| v * 8 + u32::from(c - b'0'));
                out.push(v as u8);
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    std::ffi::OsString::from_vec(out)
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
91 27 7:3 / /tmp/with\\040space rw,relatime shared:40 master:2 - ext4 /dev/loop3 rw
";

    #[test]
    fn mountinfo_fields_with_optional_fields_and_escapes() {
        let l = MountLine::parse(MOUNTINFO.lines().nth(2).unwrap()).unwrap();
        assert_eq!(
            l,
            MountLine {
                dev: "7:3",
                mount_point: "/tmp/with\\040space",
                source: "/dev/loop3"
            }
        );
        assert_eq!(
            mount_point(MOUNTINFO, 7, 3),
            Some(PathBuf::from("/tmp/with space"))
        );
        assert_eq!(mount_point(MOUNTINFO, 253, 0), Some(PathBuf::from("/")));
        assert_eq!(mount_point(MOUNTINFO, 7, 4), None);
        assert_eq!(MountLine::parse("garbage"), None);
        assert_eq!(MountLine::parse("1 2 - x y z"), None);
    }

    #[test]
    fn swaps_and_escapes() {
        let s = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/zram0                              partition\t8388604\t\t0\t\t100\n/swap\\040file file 1 0 -2\n";
        assert_eq!(
            swap_areas(s),
            vec![PathBuf::from("/dev/zram0"), PathBuf::from("/swap file")]
        );
        assert_eq!(unescape("a\\134b\\"), "a\\b\\");
        assert_eq!(unescape("\\01"), "\\01");
        assert_eq!(parse_dev("7:0"), Some((7, 0)));
        assert_eq!(parse_dev("7"), None);
    }
}
