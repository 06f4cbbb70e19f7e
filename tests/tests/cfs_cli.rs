//! `coda-rs cfs` behaviour that needs no venus: refusals and usage errors.
//! Everything that talks to venus is proven through the real kernel in
//! `cfs_qemu.rs`.

use coda_rs_tests::{coda_rs, names, scratch};

#[test]
fn flushes_need_yes_when_stdin_is_not_a_terminal() {
    let dir = scratch();
    for args in [
        vec!["flushcache"],
        vec!["flushobject", "/coda/x"],
        vec!["fl", "/coda/x"],
        vec!["flushvolume", "/coda/x"],
    ] {
        let out = coda_rs()
            .arg("cfs")
            .args(&args)
            .arg("--mountpoint")
            .arg(dir.path())
            .write_stdin("y\n")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--yes") && err.contains("nothing sent"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
    assert!(names(dir.path()).is_empty());
}

#[test]
fn a_mount_point_that_is_not_coda_is_refused_and_left_untouched() {
    let dir = scratch();
    let mnt = dir.path();
    let inside = mnt.join("usr");
    std::fs::create_dir(&inside).unwrap();
    for transport in ["file", "ioctl"] {
        for args in [
            vec!["flushcache", "--yes"],
            vec!["lv", inside.to_str().unwrap()],
            vec![
                "mkmount",
                inside.join("vol1").to_str().unwrap(),
                "users:jan",
            ],
            vec!["rmmount", inside.join("vol1").to_str().unwrap()],
            vec!["getfid", inside.to_str().unwrap()],
            vec!["la", inside.to_str().unwrap()],
            vec!["sa", inside.to_str().unwrap(), "jan", "all"],
            vec!["checkservers"],
            vec!["whereis", inside.to_str().unwrap()],
        ] {
            let out = coda_rs()
                .arg("cfs")
                .args(&args)
                .args(["--transport", transport, "--mountpoint"])
                .arg(mnt)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.starts_with("coda-rs: "), "{err}");
            assert!(err.contains("not a Coda mount"), "{err}");
            assert!(out.stdout.is_empty());
        }
    }
    assert_eq!(names(mnt), vec!["usr"]);
    assert!(names(&inside).is_empty());
}

#[test]
fn mount_point_comes_from_venus_conf() {
    let dir = scratch();
    let conf = dir.path().join("conf");
    let mnt = dir.path().join("mnt");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::create_dir_all(&mnt).unwrap();
    std::fs::write(
        conf.join("venus.conf"),
        format!("# test\nmountpoint=\"{}\"\n", mnt.display()),
    )
    .unwrap();
    let out = coda_rs()
        .args(["cfs", "checkservers"])
        .env("CODACONFPATH", &conf)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}: not a Coda mount", mnt.display())),
        "{err}"
    );
    assert!(names(&mnt).is_empty());
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["sa", "/coda/x", "jan", "rx"],
        vec!["lv"],
        vec!["mkmount"],
        vec!["flushobject"],
        vec!["checkservers", "not-an-address"],
        vec!["lv", "--transport", "pigeon", "/coda"],
    ] {
        let out = coda_rs().arg("cfs").args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

/// Runs `coda-rs ARGS` on a pseudo-terminal (util-linux `script`, part of
/// Debian's essential bsdutils) with `answer` typed in and `env` set;
/// returns the exit code and everything the terminal showed.
fn on_terminal(
    args: &str,
    answer: &str,
    env: &[(&str, &std::path::Path)],
) -> (Option<i32>, String) {
    let cmd = format!("{} {args}", coda_rs_tests::coda_rs_path().display());
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(answer.as_bytes())?;
            child.wait_with_output()
        })
        .expect("run script(1)");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The recording venus's environment (`cfs_ioctl::recording`) for the
/// mount `mnt`, logging into `log`.
fn recording<'a>(
    mnt: &'a std::path::Path,
    log: &'a std::path::Path,
) -> [(&'static str, &'a std::path::Path); 2] {
    [
        (cfs_ioctl::recording::ENV_MOUNT, mnt),
        (cfs_ioctl::recording::ENV_LOG, log),
    ]
}

#[test]
fn flushes_check_the_mount_before_asking_on_a_terminal() {
    // A plain directory as the mount point (venus down, /coda not
    // mounted): refused before the question (issue 16), nothing created.
    let dir = scratch();
    let mnt = dir.path().display();
    for args in [
        format!("cfs flushcache --mountpoint {mnt}"),
        format!("cfs flushobject --mountpoint {mnt} {mnt}/x"),
        format!("cfs flushvolume --mountpoint {mnt} {mnt}/x"),
    ] {
        let (code, shown) = on_terminal(&args, "y\n", &[]);
        assert_eq!(code, Some(1), "{shown}");
        assert!(shown.contains("not a Coda mount"), "{shown}");
        assert!(!shown.contains("DANGER"), "{shown}");
    }
    assert!(names(dir.path()).is_empty());
}

#[test]
fn flushes_prompt_like_cfs_on_a_terminal() {
    // On a mount venus answers for (the recording venus), cfs's question.
    let dir = scratch();
    let coda = dir.path().join("coda");
    std::fs::create_dir(&coda).unwrap();
    let log = dir.path().join("pioctl.log");
    let env = recording(&coda, &log);
    let mnt = coda.display();
    let pioctls = || -> Vec<String> {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.lines().map(str::to_string).collect()
    };
    // Declined: cfs's texts, exit 3, only venus's getfid of the mount
    // point was sent (the check), no flush.
    let (code, shown) = on_terminal(&format!("cfs flushcache --mountpoint {mnt}"), "n\n", &env);
    assert_eq!(code, Some(3), "{shown}");
    assert!(
        shown.contains("\tDANGER:   all files will be lost, if disconnected"),
        "{shown}"
    );
    assert!(
        shown.contains("\tDo you really want to do this? [n] "),
        "{shown}"
    );
    assert!(
        shown.contains("\tDiscretion is the better part of valor!"),
        "{shown}"
    );
    assert_eq!(pioctls(), [format!("VIOC_GETFID path={mnt} follow=0 in=")]);
    // Accepted: checked (the mount point, then the path), then flushed.
    std::fs::remove_file(&log).unwrap();
    let (code, shown) = on_terminal(
        &format!("cfs flushvolume --mountpoint {mnt} {mnt}/x"),
        "y\n",
        &env,
    );
    assert_eq!(code, Some(0), "{shown}");
    assert!(
        shown.contains("\tDANGER:   important files may be lost, if disconnected"),
        "{shown}"
    );
    assert!(
        shown.contains("\tFools rush in where angels fear to tread ........"),
        "{shown}"
    );
    assert_eq!(
        pioctls(),
        [
            format!("VIOC_GETFID path={mnt} follow=0 in="),
            format!("VIOC_GETFID path={mnt}/x follow=0 in="),
            format!("VIOC_FLUSHVOLUME path={mnt}/x follow=0 in="),
        ]
    );
    assert!(names(&coda).is_empty());
}
