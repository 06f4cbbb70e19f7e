//! End to end through the real Linux `coda` module: Debian's kernel boots
//! under qemu (TCG), our static test venus serves `/dev/cfs0` and mounts
//! `/coda`, and the static `coda-rs` runs every `cfs` subcommand over both
//! transports (`shared/spec/pioctl-kernel-test.md`).
//!
//! The host side fetches the kernel, busybox and qemu with
//! `scripts/qemu/fetch.sh` (apt-get download + dpkg -x into a cache, nothing
//! installed), builds the two static binaries, writes a newc initramfs,
//! boots, and then checks what venus recorded against the golden buffers of
//! `layout.txt` and what coda-rs printed against cfs's texts.
//!
//! This test fails (it never skips) when the pieces cannot be fetched or
//! qemu cannot run. Set `CODA_RS_QEMU_CACHE` to move the download cache
//! (default `$HOME/.cache/coda-rs-qemu`).

mod cfs_support;
mod qemu_support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use cfs_support::{dump, layout, section, split_vf, Section};
use qemu_support::{fields, hex, unhex, var, Checker, Newc, INIT_PRELUDE};

// ---------------------------------------------------------------- set-up

struct Pieces {
    kernel: PathBuf,
    coda_ko: PathBuf,
    busybox: PathBuf,
    qemu_root: PathBuf,
}

fn fetch() -> Pieces {
    let (status, vars) = qemu_support::run_fetch("fetch.sh");
    assert!(
        status.success(),
        "scripts/qemu/fetch.sh failed ({status}): the qemu test needs apt access to Debian's \
         linux-image-amd64, busybox-static and qemu-system-x86"
    );
    Pieces {
        kernel: var(&vars, "KERNEL"),
        coda_ko: var(&vars, "CODA_KO"),
        busybox: var(&vars, "BUSYBOX"),
        qemu_root: var(&vars, "QEMU_ROOT"),
    }
}

/// What `/init` does after [`qemu_support::INIT_PRELUDE`].
const INIT: &str = r#"if insmod /lib/modules/coda.ko; then echo "@@INSMOD ok"; else echo "@@INSMOD failed"; fi
/bin/testvenus /tmp/log /scenario.txt /answers.txt
echo "@@VENUS_EXIT $?"
echo "@@LOG-BEGIN"
cat /tmp/log
echo "@@LOG-END"
dmesg | grep coda: | sed 's/^/@@DMESG /'
echo "@@DONE uptime $(cat /proc/uptime)"
poweroff -f
"#;

fn initramfs(p: &Pieces, coda_rs: &Path, venus: &Path, scenario: &str, answers: &str) -> Vec<u8> {
    let mut a = Newc::guest(&p.busybox, &["coda", "notcoda", "lib", "lib/modules"]);
    a.file("init", 0o755, format!("{INIT_PRELUDE}{INIT}").as_bytes());
    a.file("bin/coda-rs", 0o755, &std::fs::read(coda_rs).unwrap());
    a.file("bin/testvenus", 0o755, &std::fs::read(venus).unwrap());
    a.file(
        "lib/modules/coda.ko",
        0o644,
        &std::fs::read(&p.coda_ko).unwrap(),
    );
    a.file("scenario.txt", 0o644, scenario.as_bytes());
    a.file("answers.txt", 0o644, answers.as_bytes());
    a.finish()
}

// ---------------------------------------------------------------- records

/// A pioctl venus executed.
#[derive(Debug)]
struct Recorded {
    transport: String,
    nr: u8,
    path: String,
    follow: String,
    input: Vec<u8>,
    errno: i32,
    raw: Vec<u8>,
}

/// What happened during one scenario step.
#[derive(Debug, Default)]
struct Step {
    status: i32,
    stdout: String,
    stderr: String,
    pioctls: Vec<Recorded>,
    upcalls: Vec<String>,
    open_failures: Vec<HashMap<String, String>>,
    listing: Option<String>,
}

fn parse_log(console: &str) -> (HashMap<String, Step>, Vec<String>) {
    let mut steps: HashMap<String, Step> = HashMap::new();
    let mut current: Option<String> = None;
    let mut all = Vec::new();
    let mut inside = false;
    for line in console.lines() {
        if line.starts_with("@@LOG-BEGIN") {
            inside = true;
            continue;
        }
        if line.starts_with("@@LOG-END") {
            inside = false;
            continue;
        }
        if !inside {
            continue;
        }
        all.push(line.to_string());
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "BEGIN" => {
                current = Some(rest.to_string());
                steps.entry(rest.to_string()).or_default();
            }
            "END" => {
                let id = rest.split_whitespace().next().unwrap().to_string();
                let f = fields(rest);
                let s = steps.entry(id).or_default();
                s.status = f["status"].parse().unwrap();
                s.stdout = String::from_utf8(unhex(&f["stdout"])).unwrap();
                s.stderr = String::from_utf8(unhex(&f["stderr"])).unwrap();
                current = None;
            }
            "LIST" => {
                let (id, list) = rest.split_once(' ').unwrap();
                steps.entry(id.to_string()).or_default().listing = Some(list.to_string());
            }
            "PIOCTL" => {
                let f = fields(rest);
                let rec = Recorded {
                    transport: f["transport"].clone(),
                    nr: f["nr"].parse().unwrap(),
                    path: f["path"].clone(),
                    follow: f["follow"].clone(),
                    input: unhex(&f["in"]),
                    errno: f["errno"].parse().unwrap(),
                    raw: unhex(&f["raw"]),
                };
                if let Some(id) = &current {
                    steps.get_mut(id).unwrap().pioctls.push(rec);
                }
            }
            "UPCALL" => {
                if let Some(id) = &current {
                    steps.get_mut(id).unwrap().upcalls.push(rest.to_string());
                }
            }
            "VFOPENFAIL" => {
                if let Some(id) = &current {
                    steps.get_mut(id).unwrap().open_failures.push(fields(rest));
                }
            }
            _ => {}
        }
    }
    (steps, all)
}

// ---------------------------------------------------------------- scenario

/// A replicated volume with an offline message and a motd, laid out by
/// hand from spec §6.4 (not by our encoder).
#[rustfmt::skip]
const REPLICATED_LV: &[u8] = &[
    0x02, 0x01, 0x00, 0x7f,             // Vid 0x7f000102
    0x00, 0x00, 0x00, 0x00,             // ParentId
    0x01, 0x01, 0x01, 0x00,             // Online, InService, Blessed, NeedsSalvage
    0x03, 0x00, 0x00, 0x00,             // Type 3 = Replicated
    0x00, 0x00, 0x00, 0x00,             // MinQuota 0
    0x20, 0xa1, 0x07, 0x00,             // MaxQuota 500000
    0x69, 0x7a, 0x00, 0x00,             // BlocksInUse 31337
    0xb0, 0x71, 0x0b, 0x00,             // PartBlocksAvail 750000
    0x40, 0x42, 0x0f, 0x00,             // PartMaxBlocks 1000000
    0x00, 0x00, 0x00, 0x00,             // Unused
    b'r', b'e', b'p', b':', b'p', b'r', b'o', b'j', b'e', b'c', b't', b's', 0,
    0x02, 0x00, 0x00, 0x00,             // conn_state Reachable
    0x01, 0x00, 0x00, 0x00,             // conflict
    0x00, 0x00, 0x00, 0x00,             // cml_count 0
    b's', b'e', b'r', b'v', b'e', b'r', b' ', b'd', b'o', b'w', b'n', 0,
    b'r', b'e', b's', b't', b'o', b'r', b'e', b' ', b'a', b't', b' ', b'9', 0,
    0x58, 0x02, 0x00, 0x00,             // age 600 s
    0xdc, 0x05, 0x00, 0x00,             // hogtime 1500 ms
    0, 0, 0, 0, 0, 0, 0, 0,             // cml_bytes
];

/// What cfs prints for REPLICATED_LV (spec §6.4 line by line).
const REPLICATED_TEXT: &str = "  Status of volume 7f000102 (2130706690) named \"rep:projects\"
  Offline message is \"server down\"
  Message of the day is \"restore at 9\"
  Volume type is Replicated
  Connection State is Reachable
  Reintegration age: 600 sec, time 1.500 sec
  Minimum quota is 0, maximum quota is 500000
  Current blocks used are 31337
  The partition has 750000 blocks available out of 1000000
  *** There are pending conflicts in this volume ***

";

/// The expanded ACL after `sa ... newuser rl` (spec §6.6 format).
const ACL_WITH_NEWUSER: &str = "      System:AnyUser  rl      
                 jan  rlidwka 
             newuser  rl      
             baduser -rl      
";

struct Golden {
    sections: Vec<Section>,
}

impl Golden {
    fn dump(&self, sec: &str, label: &str) -> Vec<u8> {
        dump(section(&self.sections, sec), label).to_vec()
    }

    /// The indented cfs output lines after "# cfs prints" in a section.
    fn printed(&self, sec: &str) -> Vec<String> {
        section(&self.sections, sec)
            .text
            .iter()
            .skip_while(|l| !l.starts_with("# cfs prints"))
            .skip(1)
            .take_while(|l| !l.starts_with('#'))
            .filter(|l| !l.is_empty())
            .cloned()
            .collect()
    }
}

/// The answers venus gives, from the golden out buffers.
fn answers(g: &Golden) -> String {
    let rows: Vec<(u8, &str, String, i32, Vec<u8>)> = vec![
        (198, "/", "*".into(), 0, vec![]),
        (6, "/usr/jan/file", "*".into(), 0, vec![]),
        (37, "/usr/jan", "*".into(), 0, vec![]),
        (28, "/tmp/restored", hex(b"vol1\0"), 0, vec![]),
        (28, "/tmp/restored", hex(b"missing\0"), libc::ENOENT, vec![]),
        (28, "/tmp/restored", hex(b"locked\0"), libc::EACCES, vec![]),
        (142, "/tmp/inited", "*".into(), 0, vec![]),
        (4, "/usr/jan", "*".into(), 0, g.dump("cfs lv", "out buffer")),
        (4, "/usr/rep", "*".into(), 0, REPLICATED_LV.to_vec()),
        (
            197,
            "/usr/jan",
            "*".into(),
            0,
            g.dump("cfs getfid", "out buffer"),
        ),
        (
            197,
            "/usr/jan/file",
            "*".into(),
            0,
            g.dump("cfs getfid", "out buffer"),
        ),
        (
            197,
            "/usr/link",
            "*".into(),
            0,
            g.dump("cfs getfid", "out buffer"),
        ),
        (2, "/usr/jan", "*".into(), 0, g.dump("cfs la", "out buffer")),
        (1, "/usr/jan", "*".into(), 0, vec![]),
        (
            10,
            "/",
            "*".into(),
            0,
            g.dump("cfs checkservers", "out buffer"),
        ),
        (
            14,
            "/usr/jan",
            "*".into(),
            0,
            g.dump("cfs whereis", "out buffer"),
        ),
    ];
    rows.into_iter()
        .map(|(nr, path, input, errno, out)| {
            format!("{nr}\t{path}\t{input}\t{errno}\t{}\n", hex(&out))
        })
        .collect()
}

/// The steps run inside the guest, for one transport: (id, stdin, args).
fn steps_for(t: &str) -> Vec<(String, &'static str, &'static str, Vec<&'static str>)> {
    let s = |id: &str, stdin: &'static str, args: &[&'static str]| {
        let mut v = vec!["cfs", args[0], "--transport"];
        v.push(if t == "file" { "file" } else { "ioctl" });
        v.extend_from_slice(&args[1..]);
        (format!("{t}:{id}"), "/", stdin, v)
    };
    let in_dir = |id: &str, cwd: &'static str, args: &[&'static str]| {
        let (id, _, stdin, v) = s(id, "", args);
        (id, cwd, stdin, v)
    };
    vec![
        s("flushcache-declined", "y\n", &["flushcache"]),
        s(
            "flushobject-declined",
            "y\n",
            &["flushobject", "/coda/usr/jan/file"],
        ),
        s(
            "flushvolume-declined",
            "y\n",
            &["flushvolume", "/coda/usr/jan"],
        ),
        s("flushcache", "", &["flushcache", "--yes"]),
        s("flushobject", "", &["fl", "--yes", "/coda/usr/jan/file"]),
        s(
            "flushvolume",
            "",
            &["flushvolume", "--yes", "/coda/usr/jan"],
        ),
        s("rmmount", "", &["rmmount", "/coda/tmp/restored/vol1"]),
        s(
            "rmmount-errors",
            "",
            &[
                "rmmount",
                "/coda/tmp/restored/missing",
                "/coda/tmp/restored/vol1",
                "/coda/tmp/restored/locked",
            ],
        ),
        s(
            "mkmount",
            "",
            &["mkmount", "/coda/tmp/inited/vol1", "users:jan"],
        ),
        s("lv", "", &["lv", "/coda/usr/jan"]),
        s("lv-local", "", &["lv", "--local", "/coda/usr/jan"]),
        s("lv-replicated", "", &["lv", "/coda/usr/rep"]),
        s(
            "lv-json",
            "",
            &["lv", "--json", "/coda/usr/rep", "/coda/usr/jan"],
        ),
        s("lv-missing", "", &["lv", "/coda/nonexistent"]),
        s("getfid", "", &["getfid", "/coda/usr/jan"]),
        s("la", "", &["la", "/coda/usr/jan"]),
        s("sa-jan", "", &["sa", "/coda/usr/jan", "jan", "all"]),
        s("sa-newuser", "", &["sa", "/coda/usr/jan", "newuser", "rl"]),
        s("la-after-sa", "", &["la", "/coda/usr/jan"]),
        s("sa-remove", "", &["sa", "/coda/usr/jan", "newuser", "none"]),
        s(
            "sa-negative",
            "",
            &["sa", "--negative", "/coda/usr/jan", "baduser", "rl"],
        ),
        s("la-restored", "", &["la", "/coda/usr/jan"]),
        s("checkservers", "", &["checkservers"]),
        s("checkservers-list", "", &["cs", "192.0.2.10", "192.0.2.11"]),
        s("whereis", "", &["whereis", "/coda/usr/jan"]),
        s("whereis-json", "", &["whereis", "--json", "/coda/usr/jan"]),
        s("checkservers-json", "", &["checkservers", "--json"]),
        s(
            "getfid-two",
            "",
            &["getfid", "/coda/usr/jan", "/coda/usr/jan/file"],
        ),
        s("getfid-json", "", &["getfid", "--json", "/coda/usr/jan"]),
        s(
            "rmmount-json",
            "",
            &["rmmount", "--json", "/coda/tmp/restored/missing"],
        ),
        in_dir("lv-relative", "/coda/usr", &["lv", "jan"]),
        s("getfid-link", "", &["getfid", "/coda/usr/link"]),
        s("lv-link", "", &["lv", "/coda/usr/link"]),
        s(
            "notcoda-flush",
            "",
            &["flushcache", "--yes", "--mountpoint", "/notcoda"],
        ),
        s(
            "notcoda-lv",
            "",
            &["lv", "--mountpoint", "/notcoda", "/notcoda/x"],
        ),
    ]
}

fn scenario() -> String {
    let mut out = String::new();
    for t in ["file", "ioctl"] {
        for (id, cwd, stdin, args) in steps_for(t) {
            out.push_str(&format!(
                "run\t{id}\t{cwd}\t{}\t{}\n",
                hex(stdin.as_bytes()),
                args.join("\t")
            ));
        }
        out.push_str(&format!("list\t{t}:notcoda-listing\t/notcoda\n"));
    }
    out
}

// ---------------------------------------------------------------- checks

/// Compares a recorded pioctl with the golden virtual-file request it
/// must equal: byte for byte over T1; over T2 the upcall's opcode, command,
/// object and input (the kernel resolved the path).
fn check_pioctl(c: &mut Checker, ctx: &str, rec: Option<&Recorded>, golden_vf: &[u8]) {
    let Some(rec) = rec else {
        c.failures.push(format!("{ctx}: venus received no pioctl"));
        return;
    };
    let want = split_vf(golden_vf);
    c.eq(&format!("{ctx} nr"), rec.nr, want.nr);
    c.eq(&format!("{ctx} input"), hex(&rec.input), hex(&want.input));
    let want_path = if want.path.is_empty() {
        "/".to_string()
    } else {
        String::from_utf8(want.path.clone()).unwrap()
    };
    c.eq(
        &format!("{ctx} object"),
        rec.path.as_str(),
        want_path.as_str(),
    );
    if rec.transport == "file" {
        c.eq(
            &format!("{ctx} request bytes"),
            hex(&rec.raw),
            hex(golden_vf),
        );
        c.eq(
            &format!("{ctx} follow"),
            rec.follow.clone(),
            want.follow.to_string(),
        );
    } else {
        let raw = &rec.raw;
        let cmd = u32::from_le_bytes(raw[36..40].try_into().unwrap());
        c.eq(
            &format!("{ctx} opcode"),
            u32::from_le_bytes(raw[0..4].try_into().unwrap()),
            6,
        );
        c.eq(&format!("{ctx} cmd"), cmd, 0x4018_5600 | u32::from(want.nr));
        c.eq(&format!("{ctx} len"), raw.len(), 56 + want.input.len());
    }
}

/// Compares a recorded CODA_IOCTL upcall with a golden UP dump, ignoring
/// unique, pid, pgid, uid and fid (layout.txt README).
fn check_up(c: &mut Checker, ctx: &str, rec: Option<&Recorded>, golden_up: &[u8]) {
    let Some(rec) = rec else {
        c.failures.push(format!("{ctx}: venus received no pioctl"));
        return;
    };
    let mask = |b: &[u8]| {
        let mut b = b.to_vec();
        for i in 4..36.min(b.len()) {
            b[i] = 0;
        }
        hex(&b)
    };
    c.eq(
        &format!("{ctx} upcall bytes"),
        mask(&rec.raw),
        mask(golden_up),
    );
}

#[test]
fn cfs_subcommands_through_the_linux_coda_module() {
    let (_, sections) = layout();
    let g = Golden { sections };
    let pieces = fetch();
    let bins = qemu_support::build_static();
    let (coda_rs, venus) = (bins.coda_rs, bins.testvenus);

    let work = coda_rs_tests::scratch();
    let initrd = work.path().join("initramfs.cpio");
    std::fs::write(
        &initrd,
        initramfs(&pieces, &coda_rs, &venus, &scenario(), &answers(&g)),
    )
    .unwrap();
    let console_path = qemu_support::target_dir().join("console.txt");
    let (console, took) =
        qemu_support::boot(&pieces.qemu_root, &pieces.kernel, &initrd, &console_path);
    eprintln!(
        "qemu boot to power-off: {:.1} s (console: {})",
        took.as_secs_f64(),
        console_path.display()
    );

    assert!(
        console.contains("@@INSMOD ok"),
        "coda.ko did not load:\n{console}"
    );
    assert!(
        console.contains("@@VENUS_EXIT 0"),
        "test venus failed:\n{console}"
    );
    let (steps, all) = parse_log(&console);
    assert!(
        all.iter().any(|l| l == "MOUNTED"),
        "mount failed:\n{console}"
    );
    assert!(
        all.iter()
            .any(|l| l.starts_with("KERNEL_VERSION rc=0 version=5")),
        "CIOC_KERNEL_VERSION:\n{console}"
    );
    assert!(
        all.iter()
            .any(|l| l.starts_with("FINISHED child_status=0 umount_rc=0")),
        "scenario did not finish cleanly:\n{console}"
    );

    let mut c = Checker {
        failures: Vec::new(),
    };
    let lv_text: String = g
        .printed("cfs lv")
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + "\n";
    let la_text: String = g
        .printed("cfs la")
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    let getfid_line = section(&g.sections, "cfs getfid")
        .text
        .iter()
        .find(|l| l.starts_with("FID = "))
        .unwrap()
        .clone();

    for t in ["file", "ioctl"] {
        let step = |id: &str| -> &Step {
            steps
                .get(&format!("{t}:{id}"))
                .unwrap_or_else(|| panic!("step {t}:{id} missing from the log:\n{console}"))
        };
        let ok = |c: &mut Checker, id: &str| {
            let s = step(id);
            c.check(s.status == 0, || {
                format!("{t}:{id}: exit {} stderr {:?}", s.status, s.stderr)
            });
        };

        // Flushes without --yes (stdin is a pipe): refused, nothing sent.
        for id in [
            "flushcache-declined",
            "flushobject-declined",
            "flushvolume-declined",
        ] {
            let s = step(id);
            c.eq(&format!("{t}:{id} exit"), s.status, 3);
            c.check(
                s.stderr.contains("--yes") && s.stderr.contains("nothing sent"),
                || format!("{t}:{id} stderr {:?}", s.stderr),
            );
            c.check(s.upcalls.is_empty() && s.pioctls.is_empty(), || {
                format!("{t}:{id}: venus saw {:?}", s.upcalls)
            });
        }

        for (id, sec, label) in [
            ("flushcache", "cfs flushcache", "VF request"),
            ("flushobject", "cfs fl ", "VF request"),
            ("flushvolume", "cfs flushvolume", "VF request"),
            ("rmmount", "cfs rmmount", "VF request"),
            (
                "mkmount",
                "cfs mkmount /coda/tmp/inited/vol1 users:jan",
                "VF request",
            ),
            ("lv", "cfs lv", "VF request (local_only=0)"),
            ("lv-local", "cfs lv", "VF request (-local"),
            ("getfid", "cfs getfid", "VF request"),
            ("la", "cfs la", "VF request"),
            ("checkservers", "cfs checkservers", "VF request (probe all)"),
            (
                "checkservers-list",
                "cfs checkservers",
                "VF request (cfs cs",
            ),
        ] {
            ok(&mut c, id);
            let s = step(id);
            c.eq(&format!("{t}:{id} pioctl count"), s.pioctls.len(), 1);
            check_pioctl(
                &mut c,
                &format!("{t}:{id}"),
                s.pioctls.first(),
                &g.dump(sec, label),
            );
        }
        if t == "ioctl" {
            for (id, sec) in [
                ("flushcache", "cfs flushcache"),
                ("rmmount", "cfs rmmount"),
                ("mkmount", "cfs mkmount /coda/tmp/inited/vol1 users:jan"),
            ] {
                check_up(
                    &mut c,
                    &format!("{t}:{id}"),
                    step(id).pioctls.first(),
                    &g.dump(sec, "UP CODA_IOCTL"),
                );
            }
        } else {
            // The kernel-level sequence of one T1 pioctl (spec §3.5).
            let s = step("flushcache");
            let seq: Vec<String> = s
                .upcalls
                .iter()
                .filter(|u| {
                    !u.starts_with("ACCESS ")
                        && !u.starts_with("GETATTR")
                        && !u.starts_with("STATFS")
                })
                .map(|u| {
                    let f = fields(u);
                    let op = u.split_whitespace().next().unwrap();
                    match op {
                        "LOOKUP" => {
                            let name = f["name"].clone();
                            let ok = name.len() == 18
                                && name.starts_with("...PIOCTL.")
                                && name[10..]
                                    .bytes()
                                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
                            format!("LOOKUP {}", if ok { "...PIOCTL.<8 hex>" } else { &name })
                        }
                        "OPEN_BY_FD" | "CLOSE" => format!("{op} {}", f["flags"]),
                        "ACCESS_INTENT" => format!("{op} {}", f["type"]),
                        _ => op.to_string(),
                    }
                })
                .collect();
            c.eq(
                "file:flushcache upcall sequence",
                seq,
                [
                    "LOOKUP ...PIOCTL.<8 hex>",
                    "OPEN_BY_FD 0x212",
                    "SETATTR",
                    "ACCESS_INTENT 2",
                    "ACCESS_INTENT 5",
                    "CLOSE 0x2",
                    "OPEN_BY_FD 0x1",
                    "ACCESS_INTENT 1",
                    "ACCESS_INTENT 4",
                    "CLOSE 0x1",
                ]
                .map(String::from)
                .to_vec(),
            );
        }
        for id in [
            "flushcache",
            "flushobject",
            "flushvolume",
            "rmmount",
            "mkmount",
        ] {
            let s = step(id);
            c.eq(&format!("{t}:{id} stdout"), s.stdout.as_str(), "");
        }

        // rmmount: every argument processed, ENOENT and EACCES reported.
        let s = step("rmmount-errors");
        c.eq(&format!("{t}:rmmount-errors exit"), s.status, 1);
        let answered: Vec<(Vec<u8>, i32)> = s
            .pioctls
            .iter()
            .map(|p| (p.input.clone(), p.errno))
            .collect();
        c.eq(
            &format!("{t}:rmmount-errors pioctls"),
            answered,
            vec![
                (b"missing\0".to_vec(), 2),
                (b"vol1\0".to_vec(), 0),
                (b"locked\0".to_vec(), 13),
            ],
        );
        c.eq(
            &format!("{t}:rmmount-errors stderr"),
            s.stderr.as_str(),
            "coda-rs: /coda/tmp/restored/missing: VIOC_AFS_DELETE_MT_PT: No such file or directory (os error 2)\n\
             coda-rs: /coda/tmp/restored/locked: VIOC_AFS_DELETE_MT_PT: Permission denied (os error 13)\n",
        );

        // mkmount carries "name/volume\0".
        c.eq(
            &format!("{t}:mkmount input"),
            step("mkmount").pioctls.first().map(|p| p.input.clone()),
            Some(b"vol1/users:jan\0".to_vec()),
        );

        // lv texts.
        c.eq(
            &format!("{t}:lv stdout"),
            step("lv").stdout.as_str(),
            lv_text.as_str(),
        );
        let local_text: String = lv_text
            .lines()
            .filter(|l| {
                !l.contains("quota is")
                    && !l.contains("blocks used")
                    && !l.contains("The partition")
            })
            .map(|l| format!("{l}\n"))
            .collect();
        c.eq(
            &format!("{t}:lv-local stdout"),
            step("lv-local").stdout.as_str(),
            local_text.as_str(),
        );
        ok(&mut c, "lv-replicated");
        c.eq(
            &format!("{t}:lv-replicated stdout"),
            step("lv-replicated").stdout.as_str(),
            REPLICATED_TEXT,
        );

        // lv --json.
        ok(&mut c, "lv-json");
        match serde_json::from_str::<serde_json::Value>(&step("lv-json").stdout) {
            Ok(v) => {
                let want = serde_json::json!([
                    {
                        "path": "/coda/usr/rep", "volume_id": 0x7f00_0102u32, "volume_id_hex": "7f000102",
                        "name": "rep:projects",
                        "type": "Replicated", "connection_state": "Reachable",
                        "min_quota": 0, "max_quota": 500000, "blocks_in_use": 31337,
                        "partition_blocks_available": 750000, "partition_max_blocks": 1000000,
                        "offline_message": "server down", "motd": "restore at 9",
                    },
                    {
                        "path": "/coda/usr/jan", "volume_id": 0x0100_0001u32, "volume_id_hex": "01000001",
                        "name": "users:jan",
                        "type": "ReadWrite", "connection_state": "Reachable",
                        "min_quota": 0, "max_quota": 0, "blocks_in_use": 123456,
                        "partition_blocks_available": 1000000, "partition_max_blocks": 2000000,
                        "offline_message": "", "motd": "welcome",
                    },
                ]);
                c.eq(&format!("{t}:lv-json"), v, want);
            }
            Err(e) => c.failures.push(format!(
                "{t}:lv-json: bad JSON {e}: {:?}",
                step("lv-json").stdout
            )),
        }

        // A missing path: T2 reports venus's ENOENT; under T1 the kernel
        // turns venus's open error into EIO (spec §3.4).
        let s = step("lv-missing");
        c.eq(&format!("{t}:lv-missing exit"), s.status, 1);
        c.eq(&format!("{t}:lv-missing stdout"), s.stdout.as_str(), "");
        if t == "file" {
            c.check(
                s.stderr.starts_with(
                    "coda-rs: /coda/nonexistent: VIOCGETVOLSTAT: the request failed inside venus",
                ) && s.stderr.contains("Input/output error (os error 5)"),
                || format!("file:lv-missing stderr {:?}", s.stderr),
            );
            let f = s.open_failures.first();
            c.check(
                f.is_some_and(|f| f["errno"] == "2" && f["why"] == "resolve"),
                || format!("file:lv-missing: venus open failures {:?}", s.open_failures),
            );
        } else {
            c.eq(
                "ioctl:lv-missing stderr",
                s.stderr.as_str(),
                "coda-rs: /coda/nonexistent: VIOCGETVOLSTAT: No such file or directory (os error 2)\n",
            );
            c.check(s.pioctls.is_empty(), || {
                "ioctl:lv-missing reached venus as a pioctl".into()
            });
        }

        // getfid, la, sa round trip.
        c.eq(
            &format!("{t}:getfid stdout"),
            step("getfid").stdout.as_str(),
            format!("{getfid_line}\n").as_str(),
        );
        c.eq(
            &format!("{t}:la stdout"),
            step("la").stdout.as_str(),
            la_text.as_str(),
        );
        ok(&mut c, "sa-jan");
        let s = step("sa-jan");
        c.eq(&format!("{t}:sa-jan pioctls"), s.pioctls.len(), 2);
        check_pioctl(
            &mut c,
            &format!("{t}:sa-jan get"),
            s.pioctls.first(),
            &g.dump("cfs la", "VF request"),
        );
        check_pioctl(
            &mut c,
            &format!("{t}:sa-jan set"),
            s.pioctls.get(1),
            &g.dump("cfs sa", "VF request"),
        );
        ok(&mut c, "sa-newuser");
        c.eq(
            &format!("{t}:sa-newuser set input"),
            step("sa-newuser")
                .pioctls
                .get(1)
                .map(|p| String::from_utf8_lossy(&p.input).into_owned()),
            Some("3\n1\nSystem:AnyUser 9\njan 127\nnewuser 9\nbaduser 9\n\0".to_string()),
        );
        c.eq(
            &format!("{t}:la-after-sa stdout"),
            step("la-after-sa").stdout.as_str(),
            ACL_WITH_NEWUSER,
        );
        ok(&mut c, "sa-remove");
        ok(&mut c, "sa-negative");
        check_pioctl(
            &mut c,
            &format!("{t}:sa-negative set"),
            step("sa-negative").pioctls.get(1),
            &g.dump("cfs sa", "VF request"),
        );
        c.eq(
            &format!("{t}:la-restored stdout"),
            step("la-restored").stdout.as_str(),
            la_text.as_str(),
        );

        // checkservers and whereis.
        c.eq(
            &format!("{t}:checkservers stdout"),
            step("checkservers").stdout.as_str(),
            "These servers still down:   192.0.2.11\n",
        );
        c.eq(
            &format!("{t}:checkservers stderr"),
            step("checkservers").stderr.as_str(),
            "Contacting servers .....\n",
        );
        ok(&mut c, "whereis");
        let s = step("whereis");
        c.eq(
            &format!("{t}:whereis stdout"),
            s.stdout.as_str(),
            "  192.0.2.10  192.0.2.11\n",
        );
        // No golden VF request for whereis: spec §5 row 14 (path, follow 1,
        // no input, out 2048).
        check_pioctl(
            &mut c,
            &format!("{t}:whereis"),
            s.pioctls.first(),
            b"14\n8\n1\n0\n2048\n\0/usr/jan",
        );

        // JSON forms, getfid's per-argument prefix, a relative path.
        let json_of = |c: &mut Checker, id: &str| -> serde_json::Value {
            let s = step(id);
            serde_json::from_str(&s.stdout).unwrap_or_else(|e| {
                c.failures
                    .push(format!("{t}:{id}: bad JSON {e}: {:?}", s.stdout));
                serde_json::Value::Null
            })
        };
        let v = json_of(&mut c, "whereis-json");
        c.eq(
            &format!("{t}:whereis-json"),
            v,
            serde_json::json!([{
                "path": "/coda/usr/jan",
                "servers": ["192.0.2.10", "192.0.2.11"],
                "replica_volume_ids": [0x0100_0002u32, 0x0200_0002u32],
                "replica_volume_ids_hex": ["01000002", "02000002"],
            }]),
        );
        let v = json_of(&mut c, "checkservers-json");
        c.eq(
            &format!("{t}:checkservers-json"),
            v,
            serde_json::json!({ "down": ["192.0.2.11"] }),
        );
        let v = json_of(&mut c, "getfid-json");
        c.eq(
            &format!("{t}:getfid-json"),
            v,
            serde_json::json!([{
                "path": "/coda/usr/jan",
                "fid": "1000001.1.1@example.org",
                "volume_id": 0x0100_0001u32, "volume_id_hex": "01000001",
                "vnode": 1, "unique": 1,
                "realm": "example.org",
                "version_vector": {
                    "versions": [5, 5, 0, 0, 0, 0, 0, 0],
                    "store_host_id": 0x7f00_0001u32,
                    "store_uniquifier": 0x2a,
                    "flags": 0,
                },
            }]),
        );
        c.eq(
            &format!("{t}:getfid-two stdout"),
            step("getfid-two").stdout.as_str(),
            format!("     /coda/usr/jan  {getfid_line}\n/coda/usr/jan/file  {getfid_line}\n")
                .as_str(),
        );
        let s = step("rmmount-json");
        c.eq(&format!("{t}:rmmount-json exit"), s.status, 1);
        let v = json_of(&mut c, "rmmount-json");
        c.eq(
            &format!("{t}:rmmount-json ok"),
            v[0]["ok"].clone(),
            serde_json::json!(false),
        );
        c.eq(
            &format!("{t}:rmmount-json errno"),
            v[0]["errno"].clone(),
            serde_json::json!(2),
        );
        c.eq(
            &format!("{t}:lv-relative stdout"),
            step("lv-relative").stdout.as_str(),
            lv_text.as_str(),
        );
        check_pioctl(
            &mut c,
            &format!("{t}:lv-relative"),
            step("lv-relative").pioctls.first(),
            &g.dump("cfs lv", "VF request (local_only=0)"),
        );

        // The follow flag: getfid names the symlink itself, lv its target.
        for (id, object, follow) in [
            ("getfid-link", "/usr/link", "0"),
            ("lv-link", "/usr/jan", "1"),
        ] {
            ok(&mut c, id);
            let p = step(id).pioctls.first();
            c.eq(
                &format!("{t}:{id} object"),
                p.map(|p| p.path.as_str()),
                Some(object),
            );
            if t == "file" {
                c.eq(
                    &format!("{t}:{id} follow"),
                    p.map(|p| p.follow.as_str()),
                    Some(follow),
                );
            }
        }

        // A mount point that is not Coda: refused, nothing sent or created.
        for id in ["notcoda-flush", "notcoda-lv"] {
            let s = step(id);
            c.eq(&format!("{t}:{id} exit"), s.status, 1);
            c.check(s.stderr.contains("/notcoda: not a Coda mount"), || {
                format!("{t}:{id} stderr {:?}", s.stderr)
            });
            c.check(s.upcalls.is_empty(), || {
                format!("{t}:{id}: venus saw {:?}", s.upcalls)
            });
        }
        c.eq(
            &format!("{t}:notcoda listing"),
            step("notcoda-listing").listing.as_deref(),
            Some("[]"),
        );
    }

    c.finish(&console_path);
}
