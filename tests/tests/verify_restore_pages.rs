//! `verify --restore-checks` warns about each directory of 3 or more pages:
//! the real server's restore on 64-bit Linux stores it so that the server
//! aborts at its next start ("Magic wrong in Page"). `harness-a-full.dump`'s
//! `manyfiles` (7.4) has 3 pages (golden README); dumps without such a
//! directory get no such warning.

use coda_rs_tests::read_golden;
use volume_dump::verify::{verify, Severity, VerifyOptions};

fn page_warnings(name: &str, restore_checks: bool) -> Vec<String> {
    let opts = VerifyOptions {
        restore_checks,
        ..VerifyOptions::default()
    };
    let rep = verify(&read_golden("dump", name)[..], opts).unwrap();
    rep.problems
        .iter()
        .filter(|p| p.message.contains("Magic wrong in Page"))
        .inspect(|p| assert_eq!(p.severity, Severity::Warning))
        .map(|p| p.message.clone())
        .collect()
}

#[test]
fn the_three_page_directory_is_named() {
    for name in [
        "harness-a-full.dump",
        "server-a-full.dump",
        "harness-b-full.dump",
        "merged-a+b.dump",
    ] {
        let w = page_warnings(name, true);
        assert_eq!(w.len(), 1, "{name}: {w:?}");
        let w = &w[0];
        assert!(
            w.contains("directory 0x7.0x4 (./manyfiles) has 3 pages"),
            "{name}: {w}"
        );
        assert!(w.contains("64-bit"), "{w}");
        assert!(w.contains("aborts at its next start"), "{w}");
        assert!(page_warnings(name, false).is_empty(), "{name}");
    }
}

#[test]
fn dumps_without_large_directories_get_no_warning() {
    for name in [
        "native-full.dump",
        "native-merged.dump",
        "harness-badinode.dump",
        "server-b-incr.dump",
    ] {
        assert!(page_warnings(name, true).is_empty(), "{name}");
    }
}

#[test]
fn the_command_prints_the_warning_and_exits_0() {
    use coda_rs_tests::{coda_rs, golden};
    let res = coda_rs()
        .args(["dump", "verify", "--restore-checks"])
        .arg(golden("dump", "harness-a-full.dump"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&res.stdout);
    assert_eq!(res.status.code(), Some(0), "{out}");
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("Magic wrong in Page"))
        .collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].contains("warning: directory 0x7.0x4 (./manyfiles) has 3 pages"),
        "{out}"
    );
    let res = coda_rs()
        .args(["dump", "verify"])
        .arg(golden("dump", "harness-a-full.dump"))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&res.stdout).contains("Magic wrong"));
}
