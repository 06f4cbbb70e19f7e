//! `dump restore` failing on the target: ENOSPC stops with the vnode and
//! path named, exit 1, the journal consistent; after space is made, a
//! `--resume` completes the same tree (root only: uses a small tmpfs).

mod restore_support;

use std::process::Command;

use coda_rs_tests::{coda_rs, is_root, scratch};
use restore_support::{golden_dump, manifest_differences};

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn no_space_then_resume() {
    if !is_root() {
        eprintln!("skipped: needs root to mount a tmpfs");
        return;
    }
    let t = scratch();
    let mnt = t.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=100k", "tmpfs"])
        .arg(&mnt)
        .status()
        .unwrap()
        .success();
    if !ok {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    }
    let _m = Mount(mnt.clone());
    let into = mnt.join("vol");
    let out = coda_rs()
        .args(["dump", "restore", "--journal-every", "5", "--into"])
        .arg(&into)
        .arg(golden_dump("server-a-full.dump"))
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("No space left on device"), "{err}");
    assert!(err.contains("vnode 0x"), "{err}");
    assert!(err.contains(&into.display().to_string()), "{err}");
    let journal: serde_json::Value =
        serde_json::from_slice(&std::fs::read(into.join(".coda-rs-restore.json")).unwrap())
            .unwrap();
    assert_eq!(journal["phase"], "objects");
    let ok = Command::new("mount")
        .args(["-o", "remount,size=10m"])
        .arg(&mnt)
        .status()
        .unwrap()
        .success();
    assert!(ok, "remount tmpfs");
    coda_rs()
        .args(["dump", "restore", "--resume", "--into"])
        .arg(&into)
        .arg(golden_dump("server-a-full.dump"))
        .assert()
        .success();
    assert_eq!(
        manifest_differences(&into, "state-a.manifest.json"),
        Vec::<String>::new()
    );
}
