//! Restore and copy leave out a chown or chmod on a new file only where it
//! would change nothing (issue 12); the modes and owners they produce must
//! not depend on that. Each is run under umasks 000, 022 and 077 and into
//! a target whose default ACL (rwx for the owner, r-x for the group,
//! nothing for others) would strip bits from every file created in it:
//! restored trees must still equal the golden manifest, copies the source
//! (mode bits, owner and group as the source has them).

use crate::restore_support;

use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use coda_rs_tests::{coda_rs_path, is_root, scratch};
use restore_support::{golden_dump, manifest_differences};

const UMASKS: [&str; 3] = ["000", "022", "077"];

/// Gives directory `dir` the default ACL u::rwx,g::r-x,o::--- (the
/// `system.posix_acl_default` xattr: version 2, then tag, perm, id).
/// False where the file system has no ACLs.
fn set_default_acl(dir: &Path) -> bool {
    let mut v = 2u32.to_le_bytes().to_vec();
    for (tag, perm) in [(0x01u16, 7u16), (0x04, 5), (0x20, 0)] {
        v.extend_from_slice(&tag.to_le_bytes());
        v.extend_from_slice(&perm.to_le_bytes());
        v.extend_from_slice(&u32::MAX.to_le_bytes());
    }
    let path = CString::new(dir.as_os_str().as_bytes()).unwrap();
    let name = c"system.posix_acl_default";
    // SAFETY: both strings are NUL-terminated and outlive the call; the
    // value pointer and length describe `v`.
    let r = unsafe { libc::setxattr(path.as_ptr(), name.as_ptr(), v.as_ptr().cast(), v.len(), 0) };
    if r != 0 {
        let e = std::io::Error::last_os_error();
        assert_eq!(e.raw_os_error(), Some(libc::EOPNOTSUPP), "setxattr: {e}");
        eprintln!("no ACLs at {}: that variant is left out", dir.display());
    }
    r == 0
}

/// `coda-rs ARGS` run under `umask`; asserts success.
fn run_under(umask: &str, args: &[&std::ffi::OsStr]) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(coda_rs_path())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "umask {umask}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Targets for one umask: a plain empty directory, and one with the
/// default ACL (when the file system has ACLs).
fn targets(base: &Path, umask: &str) -> Vec<std::path::PathBuf> {
    let plain = base.join(format!("plain-{umask}"));
    let acl = base.join(format!("acl-{umask}"));
    fs::create_dir(&plain).unwrap();
    fs::create_dir(&acl).unwrap();
    let mut v = vec![plain];
    if set_default_acl(&acl) {
        v.push(acl);
    }
    v
}

#[test]
fn restored_modes_and_owners_do_not_depend_on_umask_or_default_acl() {
    let t = scratch();
    for umask in UMASKS {
        for into in targets(t.path(), umask) {
            let dump = golden_dump("server-a-full.dump");
            run_under(
                umask,
                &[
                    "dump".as_ref(),
                    "restore".as_ref(),
                    "--quiet".as_ref(),
                    "--into".as_ref(),
                    into.as_os_str(),
                    dump.as_os_str(),
                ],
            );
            assert_eq!(
                manifest_differences(&into, "state-a.manifest.json"),
                Vec::<String>::new(),
                "umask {umask}, {}",
                into.display()
            );
        }
    }
}

#[test]
fn copied_modes_and_owners_do_not_depend_on_umask_or_default_acl() {
    let t = scratch();
    let src = t.path().join("src");
    fs::create_dir_all(src.join("sub")).unwrap();
    let modes = [
        0o644, 0o600, 0o666, 0o640, 0o604, 0o755, 0o777, 0o700, 0o4755, 0o2750, 0o1644, 0o400,
    ];
    // As root the owners vary too: the caller's, another user's, mixed.
    let owners: &[(u32, u32)] = if is_root() {
        &[(0, 0), (1000, 1000), (0, 1000), (1000, 0)]
    } else {
        &[(u32::MAX, u32::MAX)]
    };
    for (k, &mode) in modes.iter().enumerate() {
        for (j, &(uid, gid)) in owners.iter().enumerate() {
            let p = src.join("sub").join(format!("f{k}-{j}"));
            fs::write(&p, format!("{k} {j}")).unwrap();
            if uid != u32::MAX {
                std::os::unix::fs::chown(&p, Some(uid), Some(gid)).unwrap();
            }
            fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    let dst_base = t.path().join("dst");
    fs::create_dir(&dst_base).unwrap();
    for umask in UMASKS {
        for dst in targets(&dst_base, umask) {
            // Copy into a new directory beneath the target.
            let into = dst.join("copy");
            run_under(
                umask,
                &[
                    "copy".as_ref(),
                    "-q".as_ref(),
                    src.as_os_str(),
                    into.as_os_str(),
                ],
            );
            for e in fs::read_dir(src.join("sub")).unwrap() {
                let e = e.unwrap();
                let a = e.metadata().unwrap();
                let b = fs::symlink_metadata(into.join("sub").join(e.file_name())).unwrap();
                let what = format!("umask {umask}, {}, {:?}", dst.display(), e.file_name());
                assert_eq!(b.mode() & 0o7777, a.mode() & 0o7777, "mode: {what}");
                assert_eq!((b.uid(), b.gid()), (a.uid(), a.gid()), "owner: {what}");
            }
        }
    }
}
