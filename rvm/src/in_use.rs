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
    let sys = System::live();
    let what = match id {
        Identity::Block { major, minor } => sys.block_user(major, minor),
        Identity::File { dev, ino } => sys.file_user(dev, ino),
    };
    match what {
        Some(what) => Err(Error::InUse {
            path: path.to_path_buf(),
            what,
        }),
        None => Ok(()),
    }
}

/// True if writing `a` could change `b`'s bytes: the same file or device,
/// or block devices of which one is a partition of the other.
pub fn overlaps(a: Identity, b: Identity) -> bool {
    match (a, b) {
        (Identity::Block { major, minor }, Identity::Block { .. }) => {
            System::live().related(major, minor).iter().any(|r| {
                Identity::Block {
                    major: r.major,
                    minor: r.minor,
                } == b
            })
        }
        _ => a == b,
    }
}

/// A block device and how it relates to the target.
struct Related {
    /// "" for the target itself, else e.g. "its partition sdb1 ".
    label: String,
    major: u32,
    minor: u32,
}

/// What the checks read: sysfs and the kernel's mount and swap tables.
struct System {
    /// Where sysfs is mounted (`/sys`).
    sys: PathBuf,
    /// `/proc/self/mountinfo`.
    mountinfo: String,
    /// `/proc/swaps`.
    swaps: String,
}

impl System {
    fn live() -> System {
        System {
            sys: PathBuf::from("/sys"),
            mountinfo: std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default(),
            swaps: std::fs::read_to_string("/proc/swaps").unwrap_or_default(),
        }
    }

    /// The target device, plus its whole disk (if it is a partition) or
    /// its partitions (if it is a whole disk).
    fn related(&self, major: u32, minor: u32) -> Vec<Related> {
        let mut out = vec![Related {
            label: String::new(),
            major,
            minor,
        }];
        let link = self.sys.join(format!("dev/block/{major}:{minor}"));
        let Ok(dir) = std::fs::canonicalize(link) else {
            return out;
        };
        let name = |d: &Path| {
            d.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let mut add = |kind: &str, d: &Path| {
            if let Some((ma, mi)) = read_dev(&d.join("dev")) {
                out.push(Related {
                    label: format!("its {kind} {} ", name(d)),
                    major: ma,
                    minor: mi,
                });
            }
        };
        if dir.join("partition").exists() {
            if let Some(parent) = dir.parent() {
                add("whole disk", parent);
            }
        } else if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut parts: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.join("partition").exists())
                .collect();
            parts.sort();
            for p in parts {
                add("partition", &p);
            }
        }
        out
    }

    /// Why a block device must not be written, if it must not.
    fn block_user(&self, major: u32, minor: u32) -> Option<String> {
        for r in self.related(major, minor) {
            if let Some(mp) = mount_point(&self.mountinfo, r.major, r.minor) {
                return Some(format!("{}is mounted on {mp}", r.label));
            }
            if let Some(h) = self.holder(r.major, r.minor) {
                return Some(format!("{}is in use by {h}", r.label));
            }
            let me = Some(Identity::Block {
                major: r.major,
                minor: r.minor,
            });
            if swap_areas(&self.swaps)
                .iter()
                .any(|p| Identity::of_path(p) == me)
            {
                return Some(format!("{}is in use as swap space", r.label));
            }
        }
        None
    }

    /// The first holder listed in `dev/block/M:m/holders`, described.
    fn holder(&self, major: u32, minor: u32) -> Option<String> {
        let dir = self.sys.join(format!("dev/block/{major}:{minor}/holders"));
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let h = names.into_iter().next()?;
        let dev = self.sys.join("block").join(&h);
        if let Ok(dm) = std::fs::read_to_string(dev.join("dm/name")) {
            return Some(format!("device-mapper device {h} ({})", dm.trim()));
        }
        if dev.join("md").exists() {
            return Some(format!("md array {h}"));
        }
        Some(format!("{h} (listed in its sysfs holders)"))
    }

    /// Why a regular file must not be written, if it must not.
    fn file_user(&self, dev: u64, ino: u64) -> Option<String> {
        let me = Identity::File { dev, ino };
        if swap_areas(&self.swaps)
            .iter()
            .any(|p| Identity::of_path(p) == Some(me))
        {
            return Some("is an active swap file".into());
        }
        let entries = std::fs::read_dir(self.sys.join("block")).ok()?;
        let mut loops: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("loop"))
            .collect();
        loops.sort();
        for name in loops {
            let sys = self.sys.join("block").join(&name);
            let Some((major, minor)) = read_dev(&sys.join("dev")) else {
                continue;
            };
            if loop_backing(&sys, &name, major, minor) != Some(me) {
                continue;
            }
            let dev = format!("/dev/{name}");
            let mounted = self.related(major, minor).into_iter().find_map(|r| {
                let mp = mount_point(&self.mountinfo, r.major, r.minor)?;
                Some((r.label, mp))
            });
            return Some(match mounted {
                Some((label, mp)) => {
                    let which = match label.strip_prefix("its ") {
                        Some(l) => l.trim_end().to_string(),
                        None => "it".to_string(),
                    };
                    format!("backs the loop device {dev}, and {which} is mounted on {mp}")
                }
                None => {
                    format!("backs the loop device {dev} (detach it with losetup -d {dev} first)")
                }
            });
        }
        None
    }
}

/// Parses a sysfs `dev` file ("M:m\n").
fn read_dev(path: &Path) -> Option<(u32, u32)> {
    parse_dev(std::fs::read_to_string(path).ok()?.trim())
}

fn parse_dev(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
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

/// Device and inode of a loop device's backing file, from the driver.
fn loop_status(node: &Path) -> Option<Identity> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(
        node,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )
    .ok()?;
    let info = crate::sys::ioctl_loop_get_status64(&fd).ok()?;
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
/// The mount point is returned for display: control characters stay
/// escaped (`\012`), so an error stays one line.
fn mount_point(mountinfo: &str, major: u32, minor: u32) -> Option<String> {
    let want = Identity::Block { major, minor };
    mountinfo.lines().find_map(|line| {
        let m = MountLine::parse(line)?;
        let by_number = parse_dev(m.dev) == Some((major, minor));
        let by_source =
            m.source.starts_with('/') && Identity::of_path(&m.source_path()) == Some(want);
        (by_number || by_source).then(|| unescape(m.mount_point, true))
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
        PathBuf::from(unescape(self.source, false))
    }
}

/// Paths listed in `/proc/swaps` (first column, after the header line).
fn swap_areas(swaps: &str) -> Vec<PathBuf> {
    swaps
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(|p| PathBuf::from(unescape(p, false)))
        .collect()
}

/// Undoes the kernel's octal escapes (`\040` for a space, ...) in
/// mountinfo and swaps fields; `for_display` keeps control characters
/// escaped.
fn unescape(s: &str, for_display: bool) -> String {
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
                let v = d.iter().fold(0u32, |v, c| v * 8 + u32::from(c - b'0')) as u8;
                if for_display && (v < 0x20 || v == 0x7f) {
                    out.extend_from_slice(&b[i..i + 4]);
                } else {
                    out.push(v);
                }
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
27 1 253:0 / / rw,relatime shared:1 - ext4 /nonexistent/vda rw
91 27 7:3 / /tmp/with\\040space rw,relatime shared:40 master:2 - ext4 /nonexistent/loop3 rw
92 27 8:17 / /srv/new\\012line rw - xfs /nonexistent/sdb1 rw
";

    #[test]
    fn mountinfo_fields_with_optional_fields_and_escapes() {
        let l = MountLine::parse(MOUNTINFO.lines().nth(2).unwrap()).unwrap();
        assert_eq!(
            l,
            MountLine {
                dev: "7:3",
                mount_point: "/tmp/with\\040space",
                source: "/nonexistent/loop3"
            }
        );
        assert_eq!(mount_point(MOUNTINFO, 7, 3).unwrap(), "/tmp/with space");
        assert_eq!(mount_point(MOUNTINFO, 253, 0).unwrap(), "/");
        // A newline in a mount point stays escaped: errors are one line.
        assert_eq!(mount_point(MOUNTINFO, 8, 17).unwrap(), "/srv/new\\012line");
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
        assert_eq!(unescape("a\\134b\\", false), "a\\b\\");
        assert_eq!(unescape("\\01", false), "\\01");
        assert_eq!(unescape("x\\012y", false), "x\ny");
        assert_eq!(parse_dev("7:0"), Some((7, 0)));
        assert_eq!(parse_dev("7"), None);
    }

    /// A sysfs tree as the kernel lays it out: `dev/block/M:m` links to the
    /// device directory; partitions are subdirectories with a `partition`
    /// file; holders list the devices stacked on top.
    fn fake_sysfs(root: &Path) {
        let w = |p: &str, s: &str| {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, s).unwrap();
        };
        let sdb = "devices/pci0/block/sdb";
        w(&format!("{sdb}/dev"), "8:16\n");
        std::fs::create_dir_all(root.join(sdb).join("holders")).unwrap();
        for (n, m) in [(1, 17), (2, 18)] {
            w(&format!("{sdb}/sdb{n}/dev"), &format!("8:{m}\n"));
            w(&format!("{sdb}/sdb{n}/partition"), &format!("{n}\n"));
            std::fs::create_dir_all(root.join(format!("{sdb}/sdb{n}/holders"))).unwrap();
        }
        std::fs::create_dir_all(root.join(format!("{sdb}/sdb2/holders/dm-0"))).unwrap();
        w("devices/virtual/block/dm-0/dm/name", "vg-srv\n");
        w("devices/virtual/block/dm-0/dev", "253:0\n");
        std::fs::create_dir_all(root.join("dev/block")).unwrap();
        std::fs::create_dir_all(root.join("block")).unwrap();
        let link = |from: &str, to: &str| std::os::unix::fs::symlink(to, root.join(from)).unwrap();
        link("dev/block/8:16", "../../devices/pci0/block/sdb");
        link("dev/block/8:17", "../../devices/pci0/block/sdb/sdb1");
        link("dev/block/8:18", "../../devices/pci0/block/sdb/sdb2");
        link("block/dm-0", "../devices/virtual/block/dm-0");
    }

    #[test]
    fn whole_disks_partitions_and_holders() {
        let dir = tempfile::tempdir().unwrap();
        fake_sysfs(dir.path());
        let sys = |mountinfo: &str| System {
            sys: dir.path().to_path_buf(),
            mountinfo: mountinfo.into(),
            swaps: String::new(),
        };
        let quiet = sys("");
        // The whole disk lists both partitions; a partition its disk.
        let labels = |m, n| -> Vec<String> {
            quiet
                .related(m, n)
                .into_iter()
                .map(|r| format!("{}{}:{}", r.label, r.major, r.minor))
                .collect()
        };
        assert_eq!(
            labels(8, 16),
            ["8:16", "its partition sdb1 8:17", "its partition sdb2 8:18"]
        );
        assert_eq!(labels(8, 17), ["8:17", "its whole disk sdb 8:16"]);
        assert_eq!(labels(9, 9), ["9:9"], "unknown to sysfs: itself only");
        // sdb2 carries a device-mapper volume: sdb2 and sdb are in use.
        assert_eq!(
            quiet.block_user(8, 18).unwrap(),
            "is in use by device-mapper device dm-0 (vg-srv)"
        );
        assert_eq!(
            quiet.block_user(8, 16).unwrap(),
            "its partition sdb2 is in use by device-mapper device dm-0 (vg-srv)"
        );
        assert_eq!(quiet.block_user(8, 17), None);
        // sdb1 mounted: sdb1 itself and its whole disk are refused.
        let mounted = sys(MOUNTINFO);
        assert_eq!(
            mounted.block_user(8, 17).unwrap(),
            "is mounted on /srv/new\\012line"
        );
        assert_eq!(
            mounted.block_user(8, 16).unwrap(),
            "its partition sdb1 is mounted on /srv/new\\012line"
        );
    }
}
