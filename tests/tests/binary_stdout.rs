//! Binary output refuses a terminal (issue 16): `dump create -o -` and
//! `dump to-tar` without `-o`, with stdout a terminal (a pty through
//! util-linux `script`), exit 2 with one line naming stdout and write
//! nothing else to it; with stdout a pipe they write the stream.

use std::path::Path;
use std::process::Command;

use coda_rs_tests::{coda_rs, coda_rs_path, golden, scratch};

/// Single quotes for `sh -c` (the test's own paths).
fn q(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// Runs `args` with stdin, stdout and stderr on a pty; `None` without
/// `script`. Returns the exit code and what the terminal showed.
fn on_a_terminal(args: &str) -> Option<(Option<i32>, String)> {
    let cmd = format!("{} {args}", q(&coda_rs_path()));
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .ok()?;
    Some((
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

#[test]
fn binary_output_refuses_a_terminal() {
    let t = scratch();
    let tree = t.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("f"), b"data").unwrap();
    let dump = golden("dump", "server-a-full.dump");
    let cases = [
        (
            format!(
                "dump create --volume-id 1000001 --volume-name x -o - {}",
                q(&tree)
            ),
            "a volume dump",
        ),
        (format!("dump to-tar {}", q(&dump)), "a tar archive"),
        (format!("dump to-tar {} -o -", q(&dump)), "a tar archive"),
    ];
    for (args, what) in cases {
        let Some((code, shown)) = on_a_terminal(&args) else {
            eprintln!("skipped: no util-linux script");
            return;
        };
        let shown = shown.trim_end();
        assert_eq!(code, Some(2), "{args}: {shown}");
        assert_eq!(shown.lines().count(), 1, "{args}: {shown}");
        assert_eq!(
            shown,
            format!(
                "coda-rs: stdout: is a terminal; {what} is binary (expected -o FILE, or stdout redirected to a file or a pipe)"
            ),
            "{args}"
        );
    }
}

#[test]
fn binary_output_goes_to_a_pipe() {
    let t = scratch();
    let tree = t.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("f"), b"data").unwrap();
    let out = coda_rs()
        .args([
            "dump",
            "create",
            "--volume-id",
            "1000001",
            "--volume-name",
            "x",
        ])
        .args(["-o", "-"])
        .arg(&tree)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // D_DUMPHEADER then DUMPBEGINMAGIC (spec §3).
    assert_eq!(&out.stdout[..5], &[0x01, 0xB3, 0xA1, 0x13, 0x22][..]);
    let out = coda_rs()
        .args(["dump", "to-tar"])
        .arg(golden("dump", "server-a-full.dump"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // A tar: `ustar` at byte 257 of its first header.
    assert_eq!(&out.stdout[257..262], b"ustar");
}
