//! `dump restore` of a dump holding mount links (issue 14; spec
//! `pioctl.md` §6.3: a symlink vnode of mode 0644 whose target is `#`,
//! the volume, `.`): onto a Coda target (here the recording venus of
//! `cfs_ioctl::recording`, selected by its two environment variables) each
//! is made with the mkmount pioctl on its parent, `name/volume` NUL, and
//! never as a symlink; into a plain directory it is the symlink
//! `codadump2tar` makes, with the exact target. `verify --against` agrees
//! with both.

use std::path::{Path, PathBuf};
use std::process::Output;

use coda_rs_tests::{coda_rs, scratch};
use volume_dump::{vnode_type, Data, Dump, IndexEntry};

use crate::hostile::{dir, entry, hostile_dump, link};

/// A hostile-style dump whose root holds the mount link `proj`
/// (`#proj.`), the plain symlink `plain` (`#plain.`, mode 0777, not a
/// mount link), and `sub` holding the mount link `tmp`
/// (`#coda_root.tmp.`): the dump's symlinks to `#proj.` and
/// `#coda_root.tmp.` get mode 0644, as venus makes mount links.
fn mount_dump() -> Vec<u8> {
    let bytes = hostile_dump(
        vec![
            entry("proj", link("#proj.")),
            entry("plain", link("#plain.")),
            entry("sub", dir(vec![entry("tmp", link("#coda_root.tmp."))])),
        ],
        &[],
    );
    let mut dump = Dump::read(&bytes[..], Default::default()).unwrap();
    for e in &mut dump.small.entries {
        if let IndexEntry::Vnode(v, Data::File(target)) = e {
            assert_eq!(v.vnode_type, vnode_type::SYMLINK);
            v.mode = if target == b"#plain." { 0o777 } else { 0o644 };
        }
    }
    dump.write(Vec::new()).unwrap()
}

struct Seam {
    _dir: tempfile::TempDir,
    root: PathBuf,
    dump: PathBuf,
}

impl Seam {
    fn new() -> Seam {
        let dir = scratch();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("coda")).unwrap();
        std::fs::create_dir(root.join("etc")).unwrap();
        std::fs::write(
            root.join("etc/venus.conf"),
            format!("mountpoint={}\n", root.join("coda").display()),
        )
        .unwrap();
        let dump = root.join("mounts.dump");
        std::fs::write(&dump, mount_dump()).unwrap();
        Seam {
            _dir: dir,
            root,
            dump,
        }
    }

    fn log(&self) -> PathBuf {
        self.root.join("pioctl.log")
    }

    /// `coda-rs dump ARGS` with the recording venus at `coda`.
    fn run(&self, args: &[&str]) -> Output {
        coda_rs()
            .arg("dump")
            .args(args)
            .env("CODACONFPATH", self.root.join("etc"))
            .env("CODA_RS_TEST_CODA_MOUNT", self.root.join("coda"))
            .env("CODA_RS_TEST_PIOCTL_LOG", self.log())
            .output()
            .unwrap()
    }

    fn restore(&self, into: &Path) -> Output {
        let dump = self.dump.to_str().unwrap();
        self.run(&["restore", dump, "--into", into.to_str().unwrap()])
    }

    fn verify(&self, into: &Path) -> Output {
        let dump = self.dump.to_str().unwrap();
        self.run(&["verify", dump, "--against", into.to_str().unwrap()])
    }

    /// The recorded pioctls other than getfid.
    fn recorded(&self) -> Vec<String> {
        std::fs::read_to_string(self.log())
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.starts_with("VIOC_GETFID "))
            .map(str::to_string)
            .collect()
    }
}

/// The hex of `text` and a NUL, as the recorder writes a pioctl's input.
fn hex0(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect::<String>() + "00"
}

#[test]
fn onto_a_coda_target_mount_links_are_made_with_mkmount() {
    let seam = Seam::new();
    let into = seam.root.join("coda/vol");
    let out = seam.restore(&into);
    assert!(out.status.success(), "{out:?}");
    // nr 142 on the parent (follow 0: the held directory, no symlink
    // followed), in = name "/" volume NUL (spec §6.3).
    let vol = into.display().to_string();
    assert_eq!(
        seam.recorded(),
        [
            format!(
                "VIOC_ADD_MT_PT path={vol} follow=0 in={}",
                hex0("proj/proj")
            ),
            format!(
                "VIOC_ADD_MT_PT path={vol}/sub follow=0 in={}",
                hex0("tmp/coda_root.tmp")
            ),
        ]
    );
    // Each mkmount right after a getfid of the same directory.
    let log = std::fs::read_to_string(seam.log()).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if let Some(rest) = l.strip_prefix("VIOC_ADD_MT_PT path=") {
            let path = rest.split(' ').next().unwrap();
            assert!(
                i > 0 && lines[i - 1] == format!("VIOC_GETFID path={path} follow=0 in="),
                "{log}"
            );
        }
    }
    // No symlink where the mount links were: the recording venus shows
    // each mount point as a directory, as venus would.
    for name in ["proj", "sub/tmp"] {
        let m = std::fs::symlink_metadata(into.join(name)).unwrap();
        assert!(m.is_dir(), "{name}: {m:?}");
    }
    assert_eq!(
        std::fs::read_link(into.join("plain")).unwrap(),
        Path::new("#plain.")
    );
    let out = seam.verify(&into);
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn into_a_plain_directory_mount_links_are_symlinks() {
    let seam = Seam::new();
    let into = seam.root.join("plain");
    let out = seam.restore(&into);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(seam.recorded(), Vec::<String>::new());
    for (name, target) in [
        ("proj", "#proj."),
        ("plain", "#plain."),
        ("sub/tmp", "#coda_root.tmp."),
    ] {
        assert_eq!(
            std::fs::read_link(into.join(name)).unwrap(),
            Path::new(target),
            "{name}"
        );
    }
    let out = seam.verify(&into);
    assert!(out.status.success(), "{out:?}");
}
