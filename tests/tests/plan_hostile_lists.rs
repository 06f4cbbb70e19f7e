//! Lists copied from a broken or tampered server: names and partitions
//! that would escape a directory or break a command are refused where the
//! line is read, with the file and line, before anything is printed or
//! written. `plan recreate` and `plan dumplists` fail (exit 1, as for any
//! malformed line); `reinit init` is a usage error (exit 2) and leaves the
//! state directory as it was, or does not create it.

use crate::plan_support;

use std::path::Path;

use plan_support::{
    assert_one_line_error, coda_rs, lists, plan, reinit_init, scratch, snapshot, vol, volume_line,
    vrlist_line, Vol,
};
use recovery_plan::dumplist::Dumplist;
use recovery_plan::Error;

/// Volume names Coda's rules or coda-rs's refuse (spec §15.2/§15.3: no
/// blanks, shorter than 32 bytes; coda-rs: printable ASCII, no `/`, not
/// `.`/`..`, no leading `-`).
const BAD_NAMES: [&str; 15] = [
    "x/y",
    "../x",
    "/etc",
    "..",
    ".",
    "a\u{1}b",
    "a\u{1b}[31mred",
    "a\tb",
    "a\rb",
    "caf\u{e9}",
    "a\u{7f}",
    "-rf",
    "../../../../../../../etc/passwd",
    "abcdefghijklmnopqrstuvwxyz012345",
    "$(touch${IFS}pwned)/../../x",
];

const BAD_PARTITIONS: [&str; 7] = [
    "vicepa",
    "./vicepa",
    "/vicepa/../etc",
    "/..",
    "/vice\tpa",
    "/vice\u{1b}pa",
    "/vic\u{e9}pa",
];

const BAD_HOSTS: [&str; 6] = ["-h", "v;m", "$(id)", "a/b", "v\u{1}m", ".x"];

/// The good server the hostile line is added to: two ordinary volumes.
fn good() -> Vec<Vol> {
    vec![vol(0, "good", "/vicepa"), vol(1, "fine", "/vicepa")]
}

struct Case {
    /// What the case is, for failure messages.
    label: String,
    volume_list: String,
    vrlist: String,
    /// The file and 1-based line the error must name.
    file: &'static str,
    line: usize,
}

/// Every hostile list: a bad volume name on line 4 of the VolumeList, a bad
/// group name on line 3 of the VRList, a bad partition on a volume line and
/// on a partition line, a bad host name, and a name with a blank (which
/// splits the line into too many fields).
fn cases() -> Vec<Case> {
    let (vl, vr) = lists(&good());
    let mut cases = Vec::new();
    for name in BAD_NAMES {
        let mut v = vol(2, "x", "/vicepa");
        v.name = name.to_string();
        cases.push(Case {
            label: format!("volume name {name:?}"),
            volume_list: format!("{vl}{}", volume_line(&v)),
            vrlist: vr.clone(),
            file: "VolumeList",
            line: 4,
        });
        let mut g = vol(2, "x", "/vicepa");
        g.group = name.to_string();
        cases.push(Case {
            label: format!("group name {name:?}"),
            volume_list: vl.clone(),
            vrlist: format!("{vr}{}", vrlist_line(&g)),
            file: "VRList",
            line: 3,
        });
    }
    for part in BAD_PARTITIONS {
        let v = vol(2, "x", part);
        cases.push(Case {
            label: format!("partition {part:?} on a volume line"),
            volume_list: format!("{vl}{}", volume_line(&v)),
            vrlist: vr.clone(),
            file: "VolumeList",
            line: 4,
        });
        cases.push(Case {
            label: format!("partition {part:?} on a partition line"),
            volume_list: format!("P{part} Hvm T1 F1\n{vl}"),
            vrlist: vr.clone(),
            file: "VolumeList",
            line: 1,
        });
    }
    for host in BAD_HOSTS {
        cases.push(Case {
            label: format!("host {host:?}"),
            volume_list: format!("{vl}P/vicepb H{host} T1 F1\n"),
            vrlist: vr.clone(),
            file: "VolumeList",
            line: 4,
        });
    }
    for spaced in ["a b", "$(rm -rf /)"] {
        let mut v = vol(2, "x", "/vicepa");
        v.name = spaced.to_string();
        cases.push(Case {
            label: format!("name with a blank {spaced:?}"),
            volume_list: format!("{vl}{}", volume_line(&v)),
            vrlist: vr.clone(),
            file: "VolumeList",
            line: 4,
        });
    }
    cases
}

fn write_lists(root: &Path, case: &Case) {
    std::fs::write(root.join("VolumeList"), &case.volume_list).unwrap();
    std::fs::write(root.join("VRList"), &case.vrlist).unwrap();
}

#[test]
fn the_good_lists_are_accepted() {
    // The fixture is valid without the hostile line.
    let dir = scratch();
    let (vl, vr) = lists(&good());
    std::fs::write(dir.path().join("VolumeList"), vl).unwrap();
    std::fs::write(dir.path().join("VRList"), vr).unwrap();
    let out = reinit_init(dir.path(), "state", &[]);
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn plan_recreate_refuses_before_printing() {
    for case in cases() {
        let dir = scratch();
        let root = dir.path();
        write_lists(root, &case);
        for json in [false, true] {
            let mut cmd = plan("recreate", "VolumeList", "VRList");
            cmd.current_dir(root);
            if json {
                cmd.arg("--json");
            }
            let out = cmd.output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{}: {out:?}", case.label);
            assert!(out.stdout.is_empty(), "{}: printed {out:?}", case.label);
            assert_one_line_error(&out, &format!("coda-rs: {}:{}: ", case.file, case.line));
        }
    }
}

#[test]
fn plan_dumplists_refuses_before_writing() {
    for case in cases() {
        let dir = scratch();
        let root = dir.path();
        write_lists(root, &case);
        let out = plan("dumplists", "VolumeList", "VRList")
            .current_dir(root)
            .args(["--tape-size", "1G", "-o", "out"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}: {out:?}", case.label);
        assert!(out.stdout.is_empty(), "{}: {out:?}", case.label);
        assert_one_line_error(&out, &format!("coda-rs: {}:{}: ", case.file, case.line));
        assert!(!root.join("out").exists(), "{}", case.label);
    }
}

#[test]
fn reinit_init_refuses_and_writes_nothing() {
    for case in cases() {
        let dir = scratch();
        let root = dir.path();
        write_lists(root, &case);
        // No state directory yet: none is created.
        let out = reinit_init(root, "state", &[]);
        assert_eq!(out.status.code(), Some(2), "{}: {out:?}", case.label);
        assert!(out.stdout.is_empty(), "{}: {out:?}", case.label);
        assert_one_line_error(&out, &format!("coda-rs: {}:{}: ", case.file, case.line));
        assert!(!root.join("state").exists(), "{}", case.label);
    }
}

#[test]
fn reinit_init_force_keeps_the_old_runbook() {
    // A runbook from good lists, then hostile lists with --force: refused,
    // and the state directory is byte-identical.
    let dir = scratch();
    let root = dir.path();
    let (vl, vr) = lists(&good());
    std::fs::write(root.join("VolumeList"), vl).unwrap();
    std::fs::write(root.join("VRList"), vr).unwrap();
    assert!(reinit_init(root, "state", &[]).status.success());
    let before = snapshot(&root.join("state"));
    assert!(before.len() >= 4, "{before:?}");
    for case in cases() {
        write_lists(root, &case);
        let out = reinit_init(root, "state", &["--force"]);
        assert_eq!(out.status.code(), Some(2), "{}: {out:?}", case.label);
        assert!(out.stdout.is_empty(), "{}: {out:?}", case.label);
        assert_one_line_error(&out, &format!("coda-rs: {}:{}: ", case.file, case.line));
        assert_eq!(snapshot(&root.join("state")), before, "{}", case.label);
    }
}

#[test]
fn reinit_init_refuses_paths_it_cannot_write_into_commands() {
    use std::os::unix::ffi::OsStrExt;
    let dir = scratch();
    let root = dir.path();
    let (vl, vr) = lists(&good());
    std::fs::write(root.join("VolumeList"), vl).unwrap();
    std::fs::write(root.join("VRList"), vr).unwrap();
    let bad: [(&str, &[u8]); 5] = [
        ("--restore-dir", b"re\xffstore"),
        ("--inited-dir", b"in\nited"),
        ("--dump-dir", b"du\x1bmps"),
        ("--rvm-log", b"LO\rG"),
        ("--state", b"st\xc3"),
    ];
    for (flag, value) in bad {
        let mut args: Vec<(&str, std::ffi::OsString)> = [
            ("--volume-list", "VolumeList"),
            ("--vrlist", "VRList"),
            ("--state", "state"),
            ("--dump-dir", "dumps"),
            ("--rvm-log", "LOG"),
            ("--rvm-log-size", "1M"),
            ("--rvm-data", "DATA"),
            ("--rvm-data-size", "4M"),
        ]
        .into_iter()
        .map(|(f, v)| (f, v.into()))
        .collect();
        args.retain(|(f, _)| *f != flag);
        args.push((flag, std::ffi::OsStr::from_bytes(value).to_os_string()));
        let mut cmd = coda_rs();
        cmd.current_dir(root).args(["reinit", "init"]);
        for (f, v) in &args {
            cmd.arg(f).arg(v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}: {out:?}");
        assert_one_line_error(&out, &format!("coda-rs: {flag}: "));
        assert!(!root.join("state").exists(), "{flag}");
        assert!(
            !root.join(std::ffi::OsStr::from_bytes(value)).exists(),
            "{flag}"
        );
    }
}

#[test]
fn hostile_dumplist_lines() {
    // Dumplist comments (spec §15.1): 1 to 39 non-blank characters; coda-rs
    // also wants them printable ASCII.
    for bad in [
        "7f000001\tF\ta\u{1}b\n",
        "7f000001\tF\tr\u{1b}[2J\n",
        "7f000001\tF\tcaf\u{e9}\n",
        "7f000001\tF\t0123456789012345678901234567890123456789\n",
        "7f000001\tF\ta b\n",
        "7f000001\tF\u{1}\tname\n",
        "7f00000\u{1}\tF\tname\n",
    ] {
        let text = format!("7f000009\tF\tok\n{bad}");
        match Dumplist::parse(text.as_bytes(), "dumplist") {
            Err(e @ Error::Syntax { line: 2, .. }) => {
                let msg = e.to_string();
                assert!(msg.starts_with("dumplist:2: "), "{msg}");
                assert!(!msg.contains(|c: char| c.is_control()), "{msg:?}");
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    // Printable comments, metacharacters included, are kept as they are.
    let text = "7f000001\tF\ts:coda\n7f000002\tI\tu/jan;$(x)\n";
    let d = Dumplist::parse(text.as_bytes(), "dumplist").unwrap();
    assert_eq!(d.entries[1].comment, "u/jan;$(x)");
}

mod name_rules {
    use std::path::{Component, Path};

    use proptest::prelude::*;
    use recovery_plan::names::{PartitionName, VolumeName};

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// The rule of the issue: printable, no blank or `/`, at most 31
        /// bytes (`V_MAXVOLNAMELEN`), and never a name that moves out of
        /// the directory it is joined to.
        #[test]
        fn volume_names(name in "[\\x00-\\x7f\u{e9}./-]{0,34}") {
            let ok = !name.is_empty()
                && name.len() <= 31
                && name.bytes().all(|b| b.is_ascii_graphic() && b != b'/')
                && name != "."
                && name != ".."
                && !name.starts_with('-');
            let checked = VolumeName::new(&name);
            prop_assert_eq!(checked.is_ok(), ok, "{:?}", name);
            if let Ok(v) = checked {
                let dir = Path::new("/coda/tmp/restore");
                let p = v.under(dir);
                prop_assert_eq!(p.parent(), Some(dir));
                prop_assert!(matches!(p.components().next_back(), Some(Component::Normal(_))));
            }
        }

        #[test]
        fn partitions(part in "[\\x00-\\x7f./]{0,12}") {
            let ok = part.starts_with('/')
                && part.bytes().all(|b| b.is_ascii_graphic())
                && !part.split('/').any(|c| c == "..");
            prop_assert_eq!(PartitionName::new(&part).is_ok(), ok, "{:?}", part);
        }
    }
}
