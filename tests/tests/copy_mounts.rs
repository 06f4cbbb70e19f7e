//! `coda-rs copy` across filesystems: a tmpfs mounted inside the source
//! (root only, as CI runs). Data coming from another filesystem takes the
//! read/write fallback where copy_file_range refuses (EXDEV), and
//! `--one-file-system` lists the mount point without entering it.

mod copy_support;

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use copy_support::*;

/// A tmpfs mounted for the duration of a test.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path) -> Tmpfs {
        fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64M", "coda-rs-test"])
            .arg(at)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mount tmpfs on {} (as root)", at.display());
        Tmpfs(at.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn copies_from_another_filesystem_and_honours_one_file_system() {
    if !is_root() {
        eprintln!("skipped: mounting a tmpfs needs root (CI runs as root)");
        return;
    }
    let dir = scratch();
    let src = dir.path().join("src");
    fs::create_dir(&src).unwrap();
    write_pattern(&src.join("on-disk"), 100_000, 1);
    let mnt = Tmpfs::mount(&src.join("mnt"));
    fs::create_dir(mnt.0.join("sub")).unwrap();
    write_pattern(&mnt.0.join("sub/on-tmpfs"), (3 << 20) + 5, 2);
    write_pattern(&mnt.0.join("small"), 10, 3);
    // A sparse file on tmpfs: holes must survive the fallback path too.
    {
        use std::os::unix::fs::FileExt;
        let f = fs::File::create(mnt.0.join("sparse")).unwrap();
        f.write_all_at(b"middle", 20 << 20).unwrap();
        f.set_len(40 << 20).unwrap();
    }
    stamp_tree(&src);

    let all = dir.path().join("all");
    let (code, _, err) = run_copy(&[src.as_os_str(), all.as_os_str()], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_same_tree(
        &src,
        &all,
        Check {
            owner: true,
            xattrs: false,
        },
    );

    let one = dir.path().join("one");
    let (code, _, err) = run_copy(
        &[
            src.as_os_str(),
            one.as_os_str(),
            OsStr::new("--one-file-system"),
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(same_content(&src.join("on-disk"), &one.join("on-disk")));
    assert!(one.join("mnt").is_dir(), "the mount point itself is copied");
    assert_eq!(fs::read_dir(one.join("mnt")).unwrap().count(), 0);
    drop(mnt);
}
