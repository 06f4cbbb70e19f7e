//! Shared by the qemu tests (`cfs_qemu.rs`, `tape_qemu.rs`): the download
//! cache and its fetch scripts (`scripts/qemu/`), the static binaries run in
//! the guest, a `newc` initramfs writer, booting qemu (TCG) with a timeout,
//! and the hex encoding the guest uses to print bytes.

#![allow(dead_code)] // each test binary uses part of it

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub use coda_rs_tests::hex;

/// Longest a boot may take before it is considered hung.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(300);

/// The start of every guest's `/init`: proc, sysfs, devtmpfs, a tmpfs on
/// /tmp, busybox's applets, output to the console, a `@@BOOT` line.
pub const INIT_PRELUDE: &str = r#"#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mount -t tmpfs tmpfs /tmp
/bin/busybox --install -s /bin
exec >/dev/console 2>&1 </dev/null
echo "@@BOOT $(uname -r) uptime $(cat /proc/uptime)"
"#;

/// `$CODA_RS_QEMU_CACHE`, default `$HOME/.cache/coda-rs-qemu`.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("CODA_RS_QEMU_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME or CODA_RS_QEMU_CACHE"))
                .join(".cache/coda-rs-qemu")
        })
}

/// Runs `scripts/qemu/<script> <cache>` (its stderr shown) and returns its
/// exit status and the `NAME=path` lines it printed.
pub fn run_fetch(script: &str) -> (ExitStatus, HashMap<String, PathBuf>) {
    let path = coda_rs_tests::repo_root().join("scripts/qemu").join(script);
    let out = Command::new("bash")
        .arg(&path)
        .arg(cache_dir())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", path.display()));
    let vars = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), PathBuf::from(v)))
        .collect();
    (out.status, vars)
}

/// The value `key` of a fetch script's output.
pub fn var(vars: &HashMap<String, PathBuf>, key: &str) -> PathBuf {
    vars.get(key)
        .unwrap_or_else(|| panic!("the fetch script gave no {key}"))
        .clone()
}

/// `<target>/qemu-static`: the static build and the guests' consoles.
pub fn target_dir() -> PathBuf {
    // <target>/debug/deps/<test>
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().join("qemu-static")
}

/// The static binaries the guests run.
pub struct StaticBins {
    /// `coda-rs`.
    pub coda_rs: PathBuf,
    /// The test venus (`testvenus/`).
    pub testvenus: PathBuf,
    /// The tape test's helper (`tests/src/bin/tapetool.rs`).
    pub tapetool: PathBuf,
}

/// Builds the static binaries (release, glibc + crt-static, the README's
/// recipe with a quicker profile) in [`target_dir`]. Every qemu test
/// builds the same set, so that one build serves them all.
pub fn build_static() -> StaticBins {
    let target = target_dir();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(coda_rs_tests::repo_root())
        .args(["build", "--release", "--locked", "-j", "2"])
        .args(["--target", "x86_64-unknown-linux-gnu"])
        .args([
            "-p",
            "coda-rs",
            "-p",
            "coda-rs-testvenus",
            "-p",
            "coda-rs-tests",
        ])
        .args([
            "--bin",
            "coda-rs",
            "--bin",
            "testvenus",
            "--bin",
            "tapetool",
        ])
        .env("CARGO_TARGET_DIR", &target)
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        // Quicker than the shipping profile; the binaries only run tests.
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "true")
        .status()
        .expect("run cargo build for the static binaries");
    assert!(status.success(), "static build failed");
    let dir = target.join("x86_64-unknown-linux-gnu/release");
    let bins = StaticBins {
        coda_rs: dir.join("coda-rs"),
        testvenus: dir.join("testvenus"),
        tapetool: dir.join("tapetool"),
    };
    for b in [&bins.coda_rs, &bins.testvenus, &bins.tapetool] {
        assert_static(b);
    }
    bins
}

/// A static executable has no PT_INTERP program header.
fn assert_static(path: &Path) {
    let elf = std::fs::read(path).unwrap();
    assert_eq!(&elf[..4], b"\x7fELF", "{} is not ELF", path.display());
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        let p_type = u32::from_le_bytes(elf[at..at + 4].try_into().unwrap());
        assert_ne!(
            p_type,
            3,
            "{} is dynamically linked (PT_INTERP)",
            path.display()
        );
    }
}

/// A `newc` cpio archive (the initramfs format), written directly so that
/// device nodes need no root and no `cpio` binary.
pub struct Newc {
    out: Vec<u8>,
    ino: u32,
}

impl Newc {
    /// An archive with the directories, `/dev/console` and busybox every
    /// guest needs (plus `dirs`).
    pub fn guest(busybox: &Path, dirs: &[&str]) -> Newc {
        let mut a = Newc {
            out: Vec::new(),
            ino: 1,
        };
        for d in ["bin", "dev", "proc", "sys", "tmp"].iter().chain(dirs) {
            a.dir(d);
        }
        a.entry("dev/console", 0o020600, (5, 1), &[]);
        a.file("bin/busybox", 0o755, &std::fs::read(busybox).unwrap());
        a
    }

    fn pad(&mut self) {
        while self.out.len() % 4 != 0 {
            self.out.push(0);
        }
    }

    /// One entry: `mode` with its file type bits, `rdev` (major, minor).
    pub fn entry(&mut self, name: &str, mode: u32, rdev: (u32, u32), data: &[u8]) {
        let fields = [
            self.ino,
            mode,
            0,
            0,
            1,
            0,
            data.len() as u32,
            0,
            0,
            rdev.0,
            rdev.1,
            name.len() as u32 + 1,
            0,
        ];
        self.ino += 1;
        self.out.extend_from_slice(b"070701");
        for f in fields {
            self.out.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(0);
        self.pad();
        self.out.extend_from_slice(data);
        self.pad();
    }

    /// A directory.
    pub fn dir(&mut self, name: &str) {
        self.entry(name, 0o040755, (0, 0), &[]);
    }

    /// A regular file.
    pub fn file(&mut self, name: &str, mode: u32, data: &[u8]) {
        self.entry(name, 0o100000 | mode, (0, 0), data);
    }

    /// The archive, with its trailer.
    pub fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, (0, 0), &[]);
        self.out
    }
}

/// Boots `kernel` with `initrd` under the qemu unpacked in `qemu_root`,
/// writes the console to `console` and returns it (carriage returns
/// removed) with the wall time.
pub fn boot(qemu_root: &Path, kernel: &Path, initrd: &Path, console: &Path) -> (String, Duration) {
    let q = qemu_root;
    let lib_path = format!(
        "{}:{}",
        q.join("lib/x86_64-linux-gnu").display(),
        q.join("usr/lib/x86_64-linux-gnu").display()
    );
    let log = std::fs::File::create(console).unwrap();
    let start = Instant::now();
    let mut cmd = Command::new(q.join("usr/bin/qemu-system-x86_64"));
    cmd.env("LD_LIBRARY_PATH", lib_path);
    // Firmware from the unpacked packages; when those packages were
    // already installed system-wide, qemu's default directories serve.
    for dir in ["usr/share/seabios", "usr/share/qemu"] {
        if q.join(dir).is_dir() {
            cmd.arg("-L").arg(q.join(dir));
        }
    }
    let mut child = cmd
        .args(["-accel", "tcg", "-m", "512", "-smp", "1"])
        .args(["-nographic", "-no-reboot", "-nic", "none"])
        .arg("-kernel")
        .arg(kernel)
        .arg("-initrd")
        .arg(initrd)
        .args([
            "-append",
            "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=4",
        ])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start qemu-system-x86_64");
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "qemu exited with {status}");
            break;
        }
        if start.elapsed() > BOOT_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "guest did not power off within {BOOT_TIMEOUT:?}; console: {}",
                console.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let elapsed = start.elapsed();
    let text = String::from_utf8_lossy(&std::fs::read(console).unwrap()).replace('\r', "");
    (text, elapsed)
}

/// Bytes the guest printed as hex (`-` for none).
pub fn unhex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `key=value` fields of a record line.
pub fn fields(line: &str) -> HashMap<String, String> {
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Collects failed expectations so that one run reports all of them.
#[derive(Default)]
pub struct Checker {
    /// What failed, one line each.
    pub failures: Vec<String>,
}

impl Checker {
    /// Records `what` unless `ok`.
    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.failures.push(what());
        }
    }

    /// Fails the test with every failure recorded, naming the console.
    pub fn finish(self, console: &Path) {
        assert!(
            self.failures.is_empty(),
            "{} failed expectations:\n  {}\nconsole: {}",
            self.failures.len(),
            self.failures.join("\n  "),
            console.display()
        );
    }

    /// Records a difference between `got` and `want`.
    pub fn eq<T: PartialEq + std::fmt::Debug>(&mut self, ctx: &str, got: T, want: T) {
        if got != want {
            self.failures
                .push(format!("{ctx}: got {got:?}, want {want:?}"));
        }
    }
}
