//! `testvenus`: a small stand-in for Coda's venus, run inside the qemu
//! guest of the end-to-end pioctl test (`shared/spec/pioctl-kernel-test.md`).
//!
//! `testvenus LOG SCENARIO ANSWERS` opens `/dev/cfs0`, forks a child that
//! mounts `/coda` and runs the scenario (one `coda-rs` invocation per line:
//! `run ID CWD STDIN-HEX ARGS...`, tab separated; `list ID DIR`),
//! and serves the kernel's upcalls until the child exits. Both processes
//! append one-line records to LOG (O_APPEND, one write per line, so the
//! order is the real order):
//!
//! - `UPCALL <op> unique=.. len=.. uid=.. <details>` for every upcall;
//! - `PIOCTL transport=ioctl|file nr=.. path=.. follow=.. in=<hex>
//!   errno=.. out=<hex> raw=<hex>` for every pioctl venus executes (`raw` is
//!   the CODA_IOCTL upcall for T2, the request file contents for T1);
//! - `VFOPENFAIL ...` when a T1 request fails while venus opens the file;
//! - `BEGIN <id>` / `END <id> status=.. stdout=<hex> stderr=<hex>` around
//!   each scenario step, `LIST <id> <entries>` for directory listings.
//!
//! It is test code: it answers only what the scenario needs and panics on
//! setup errors.

mod sys;
mod world;

use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, IntoRawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cfs_ioctl::upcall::{encode_ioctl_reply, IoctlUpcall};
use world::{hex, link_target, node, unhex, Venus, PIOCTL_VNODE, REALM, VDIR, VLNK, VOLUME, VREG};

/// `VC_MAXMSGSIZE`: the largest message on /dev/cfs0.
const MAX_MSG: usize = 8552;
/// The whole run must finish within this time.
const DEADLINE: Duration = Duration::from_secs(90);

const CODA_ROOT: u32 = 2;
const CODA_OPEN_BY_FD: u32 = 3;
const CODA_CLOSE: u32 = 5;
const CODA_IOCTL: u32 = 6;
const CODA_GETATTR: u32 = 7;
const CODA_SETATTR: u32 = 8;
const CODA_ACCESS: u32 = 9;
const CODA_LOOKUP: u32 = 10;
const CODA_READLINK: u32 = 19;
const CODA_SIGNAL: u32 = 23;
const CODA_STATFS: u32 = 34;
const CODA_ACCESS_INTENT: u32 = 37;

fn op_name(op: u32) -> String {
    match op {
        CODA_ROOT => "ROOT".into(),
        CODA_OPEN_BY_FD => "OPEN_BY_FD".into(),
        CODA_CLOSE => "CLOSE".into(),
        CODA_IOCTL => "IOCTL".into(),
        CODA_GETATTR => "GETATTR".into(),
        CODA_SETATTR => "SETATTR".into(),
        CODA_ACCESS => "ACCESS".into(),
        CODA_LOOKUP => "LOOKUP".into(),
        CODA_READLINK => "READLINK".into(),
        CODA_SIGNAL => "SIGNAL".into(),
        CODA_STATFS => "STATFS".into(),
        CODA_ACCESS_INTENT => "ACCESS_INTENT".into(),
        other => format!("OP{other}"),
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes(s.try_into().unwrap()))
        .unwrap_or(0)
}

/// The append-only record log shared by both processes.
struct Log(File);

impl Log {
    fn open(path: &str) -> Log {
        Log(OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open log"))
    }

    fn line(&self, text: &str) {
        let mut l = text.to_string();
        l.push('\n');
        // One write per line: O_APPEND keeps lines whole and ordered.
        (&self.0).write_all(l.as_bytes()).expect("write log");
    }
}

/// Reply header: opcode, unique, result.
fn header(op: u32, unique: u32, result: i32) -> Vec<u8> {
    let mut v = Vec::with_capacity(32);
    v.extend_from_slice(&op.to_le_bytes());
    v.extend_from_slice(&unique.to_le_bytes());
    v.extend_from_slice(&result.to_le_bytes());
    v
}

fn fid_bytes(vnode: u32, unique: u32) -> [u8; 16] {
    let mut f = [0u8; 16];
    for (i, v) in [REALM, VOLUME, vnode, unique].iter().enumerate() {
        f[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
    }
    f
}

/// `coda_vattr` (136 bytes) for an object.
fn vattr(vtype: u32, mode: u16, uid: u32, vnode: u32, size: u64) -> [u8; 136] {
    let mut a = [0u8; 136];
    a[0..4].copy_from_slice(&vtype.to_le_bytes());
    a[8..10].copy_from_slice(&mode.to_le_bytes());
    let nlink: u16 = if vtype == VDIR { 2 } else { 1 };
    a[10..12].copy_from_slice(&nlink.to_le_bytes());
    a[12..16].copy_from_slice(&uid.to_le_bytes());
    a[24..32].copy_from_slice(&u64::from(vnode).to_le_bytes());
    a[32..40].copy_from_slice(&size.to_le_bytes());
    a[40..48].copy_from_slice(&4096u64.to_le_bytes());
    let t = 1_700_000_000u64.to_le_bytes();
    for off in [48, 64, 80] {
        a[off..off + 8].copy_from_slice(&t);
    }
    a
}

/// A virtual pioctl file venus fabricated: its container and owner.
struct PioctlFile {
    container: String,
    uid: u32,
}

struct Server {
    dev: File,
    log: Log,
    venus: Venus,
    files: std::collections::HashMap<u32, PioctlFile>,
}

impl Server {
    fn reply(&mut self, bytes: &[u8]) {
        // A failed write means the caller went away; record it.
        if let Err(e) = (&self.dev).write_all(bytes) {
            self.log.line(&format!("REPLYFAIL {e}"));
        }
    }

    /// Serves one upcall.
    fn handle(&mut self, msg: &[u8]) {
        let op = u32_at(msg, 0);
        let unique = u32_at(msg, 4);
        let uid = u32_at(msg, 16);
        let fid_vnode = u32_at(msg, 28);
        let fid_unique = u32_at(msg, 32);
        let mut detail = String::new();
        let reply: Option<Vec<u8>> = match op {
            CODA_ROOT => {
                let mut r = header(op, unique, 0);
                r.extend_from_slice(&fid_bytes(1, 1));
                Some(r)
            }
            CODA_GETATTR => {
                detail = format!("vnode={fid_vnode:x}");
                let attr = if fid_vnode == PIOCTL_VNODE {
                    let owner = self.files.get(&fid_unique).map_or(0, |f| f.uid);
                    Some(vattr(VREG, 0o600, owner, fid_vnode, 0))
                } else {
                    node(fid_vnode).map(|n| {
                        let (mode, size) = match n.vtype {
                            VDIR => (0o755, 0),
                            VLNK => (0o777, link_target(fid_vnode).map_or(0, str::len)),
                            _ => (0o644, 0),
                        };
                        vattr(n.vtype, mode, 0, fid_vnode, size as u64)
                    })
                };
                Some(match attr {
                    Some(a) => {
                        let mut r = header(op, unique, 0);
                        r.extend_from_slice(&[0; 4]);
                        r.extend_from_slice(&a);
                        r
                    }
                    None => header(op, unique, libc::ENOENT),
                })
            }
            CODA_ACCESS => {
                detail = format!("vnode={fid_vnode:x} mask={}", u32_at(msg, 36));
                Some(header(op, unique, 0))
            }
            CODA_LOOKUP => {
                let name_off = u32_at(msg, 36) as usize;
                let name = msg
                    .get(name_off..)
                    .map(|n| &n[..n.iter().position(|&b| b == 0).unwrap_or(n.len())])
                    .unwrap_or(b"");
                let name = String::from_utf8_lossy(name).into_owned();
                detail = format!("dir={fid_vnode:x} name={name}");
                let found =
                    if let Some(h) = name.strip_prefix(cfs_ioctl::virtual_file::PIOCTL_PREFIX) {
                        // Real venus fabricates the object in the root (§3.1).
                        match (fid_vnode, u32::from_str_radix(h, 16)) {
                            (1, Ok(n)) if h.len() == 8 => {
                                self.files.entry(n).or_insert(PioctlFile {
                                    container: format!("/tmp/pioctl.{h}"),
                                    uid,
                                });
                                Some((PIOCTL_VNODE, n, VREG))
                            }
                            _ => None,
                        }
                    } else {
                        world::lookup(fid_vnode, &name)
                            .map(|v| (v, v, node(v).map_or(VREG, |n| n.vtype)))
                    };
                Some(match found {
                    Some((vnode, uniq, vtype)) => {
                        let mut r = header(op, unique, 0);
                        r.extend_from_slice(&fid_bytes(vnode, uniq));
                        r.extend_from_slice(&vtype.to_le_bytes());
                        r
                    }
                    None => header(op, unique, libc::ENOENT),
                })
            }
            CODA_OPEN_BY_FD => {
                let flags = u32_at(msg, 36);
                detail = format!("vnode={fid_vnode:x} flags={flags:#x}");
                Some(self.open_by_fd(unique, fid_vnode, fid_unique, flags))
            }
            CODA_SETATTR => {
                let size = u64::from_le_bytes(msg[72..80].try_into().unwrap_or([0; 8]));
                detail = format!("vnode={fid_vnode:x} size={size:#x}");
                if let Some(f) = self.files.get(&fid_unique) {
                    if fid_vnode == PIOCTL_VNODE && size == 0 {
                        let _ = File::create(&f.container);
                    }
                }
                Some(header(op, unique, 0))
            }
            CODA_ACCESS_INTENT => {
                let mode = u32_at(msg, 44);
                detail = format!("vnode={fid_vnode:x} type={mode}");
                // READ_FINISH (4) and WRITE_FINISH (5) are asynchronous:
                // a reply would be an error (kernel-test spec §3.3).
                (mode != 4 && mode != 5).then(|| header(op, unique, 0))
            }
            CODA_CLOSE => {
                let flags = u32_at(msg, 36);
                detail = format!("vnode={fid_vnode:x} flags={flags:#x}");
                if fid_vnode == PIOCTL_VNODE && flags & 3 == 1 {
                    if let Some(f) = self.files.remove(&fid_unique) {
                        let _ = std::fs::remove_file(&f.container);
                    }
                }
                Some(header(op, unique, 0))
            }
            CODA_IOCTL => Some(self.ioctl(msg)),
            CODA_READLINK => {
                detail = format!("vnode={fid_vnode:x}");
                Some(match link_target(fid_vnode) {
                    Some(t) => {
                        let mut r = header(op, unique, 0);
                        r.extend_from_slice(&(t.len() as u32).to_le_bytes());
                        r.extend_from_slice(&24u64.to_le_bytes());
                        r.extend_from_slice(t.as_bytes());
                        r
                    }
                    None => header(op, unique, libc::EINVAL),
                })
            }
            CODA_STATFS => {
                let mut r = header(op, unique, 0);
                for v in [1_000_000i32, 500_000, 500_000, 100_000, 50_000] {
                    r.extend_from_slice(&v.to_le_bytes());
                }
                Some(r)
            }
            CODA_SIGNAL => None,
            _ => Some(header(op, unique, libc::EOPNOTSUPP)),
        };
        self.log.line(&format!(
            "UPCALL {} unique={unique} len={} uid={uid} {detail}",
            op_name(op),
            msg.len()
        ));
        // An empty reply means the handler has already answered.
        if let Some(r) = reply.filter(|r| !r.is_empty()) {
            self.reply(&r);
        }
    }

    /// CODA_OPEN_BY_FD: only virtual pioctl files can be opened.
    fn open_by_fd(&mut self, unique: u32, vnode: u32, fid_unique: u32, flags: u32) -> Vec<u8> {
        let op = CODA_OPEN_BY_FD;
        let Some(container) = self.files.get(&fid_unique).map(|f| f.container.clone()) else {
            return header(op, unique, libc::EOPNOTSUPP);
        };
        if vnode != PIOCTL_VNODE {
            return header(op, unique, libc::EOPNOTSUPP);
        }
        let writing = flags & 2 != 0;
        let file = if writing {
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(flags & 0x10 != 0)
                .mode(0o600)
                .open(&container)
        } else {
            // A read-only open executes the pioctl (spec §3.3).
            match self.run_virtual_file(&container) {
                Ok(()) => File::open(&container),
                Err(errno) => return header(op, unique, errno),
            }
        };
        match file {
            Ok(f) => {
                let fd = f.into_raw_fd();
                let mut r = header(op, unique, 0);
                r.extend_from_slice(&fd.to_le_bytes());
                self.reply(&r);
                // The kernel took its own reference during the write.
                // SAFETY: fd came from into_raw_fd above and is closed once.
                unsafe { libc::close(fd) };
                Vec::new()
            }
            Err(e) => header(op, unique, e.raw_os_error().unwrap_or(libc::EIO)),
        }
    }

    /// Parses the T1 request in `container`, runs it and writes the
    /// response; an Err is the errno for the open itself (spec §3.3).
    fn run_virtual_file(&mut self, container: &str) -> Result<(), i32> {
        let mut req = Vec::new();
        File::open(container)
            .and_then(|mut f| f.read_to_end(&mut req))
            .map_err(|_| libc::EIO)?;
        let fail = |errno: i32, why: &str, log: &Log| {
            log.line(&format!(
                "VFOPENFAIL errno={errno} why={why} raw={}",
                hex(&req)
            ));
            Err(errno)
        };
        // Header: five decimal numbers, each ended by a newline, then NUL.
        let mut nums = [0i64; 5];
        let mut pos = 0;
        for n in &mut nums {
            let end = match req[pos..].iter().position(|&b| b == b'\n') {
                Some(e) => pos + e,
                None => return fail(libc::EIO, "header", &self.log),
            };
            match std::str::from_utf8(&req[pos..end])
                .ok()
                .and_then(|t| t.parse().ok())
            {
                Some(v) => *n = v,
                None => return fail(libc::EIO, "header", &self.log),
            }
            pos = end + 1;
        }
        if req.get(pos) != Some(&0) {
            return fail(libc::EIO, "separator", &self.log);
        }
        pos += 1;
        let [nr, plen, follow, in_size, out_size] = nums;
        if !(0..=255).contains(&nr)
            || !(0..=2048).contains(&in_size)
            || !(0..=2048).contains(&out_size)
        {
            return fail(libc::EINVAL, "limits", &self.log);
        }
        if !(0..=1024).contains(&plen) || req.len() < pos + plen as usize {
            return fail(libc::EINVAL, "path", &self.log);
        }
        let path = req[pos..pos + plen as usize].to_vec();
        pos += plen as usize;
        let vnode = match world::resolve(&path, follow != 0) {
            Ok(v) => v,
            Err(errno) => return fail(errno, "resolve", &self.log),
        };
        if req.len() < pos + in_size as usize {
            return fail(libc::EFAULT, "input", &self.log);
        }
        let input = req[pos..pos + in_size as usize].to_vec();
        let obj = node(vnode).map_or("?", |n| n.path);
        let (errno, out) = self.venus.execute(nr as u8, obj, &input);
        self.log.line(&format!(
            "PIOCTL transport=file nr={nr} path={obj} follow={follow} out_size={out_size} in={} errno={errno} out={} raw={}",
            hex(&input),
            hex(&out),
            hex(&req)
        ));
        let mut resp = format!("{errno}\n{}\n", out.len()).into_bytes();
        resp.push(0);
        resp.extend_from_slice(&out);
        std::fs::write(container, &resp).map_err(|_| libc::EIO)
    }

    /// CODA_IOCTL (T2): run the pioctl on the object the kernel resolved.
    fn ioctl(&mut self, msg: &[u8]) -> Vec<u8> {
        let up = match IoctlUpcall::parse(msg) {
            Ok(u) => u,
            Err(e) => {
                self.log.line(&format!("BADIOCTL {e} raw={}", hex(msg)));
                return header(CODA_IOCTL, u32_at(msg, 4), libc::EINVAL);
            }
        };
        let obj = node(up.fid[2]).map_or("?", |n| n.path);
        let (errno, out) = if (up.cmd >> 8) & 0xff != u32::from(b'V') {
            (libc::EOPNOTSUPP, Vec::new())
        } else {
            self.venus.execute(up.opcode().0, obj, &up.input)
        };
        self.log.line(&format!(
            "PIOCTL transport=ioctl nr={} path={obj} follow=- out_size=- in={} errno={errno} out={} raw={}",
            up.opcode().0,
            hex(&up.input),
            hex(&out),
            hex(msg)
        ));
        let out = if errno == 0 { out } else { Vec::new() };
        encode_ioctl_reply(up.unique, errno as u32, &out)
    }
}

/// The child: mounts /coda, runs every scenario step, exits.
fn run_scenario(dev_fd: i32, scenario: &str, log: &Log) -> i32 {
    let data: [i32; 2] = [1, dev_fd];
    let (src, dst, fs) = (c"coda", c"/coda", c"coda");
    // SAFETY: all pointers are valid NUL-terminated strings and `data` is a
    // live `struct coda_mount_data` (version 1, the /dev/cfs0 fd).
    let rc = unsafe {
        libc::mount(
            src.as_ptr(),
            dst.as_ptr(),
            fs.as_ptr(),
            0,
            data.as_ptr().cast(),
        )
    };
    if rc != 0 {
        log.line(&format!("MOUNTFAIL {}", std::io::Error::last_os_error()));
        return 1;
    }
    log.line("MOUNTED");
    for line in scenario.lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["run", id, cwd, stdin, args @ ..] => {
                log.line(&format!("BEGIN {id}"));
                let stdin = unhex(stdin).expect("stdin hex");
                let mut child = Command::new("/bin/coda-rs")
                    .args(args)
                    .current_dir(cwd)
                    .env_clear()
                    .env("PATH", "/bin")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn coda-rs");
                let mut pipe = child.stdin.take().expect("stdin pipe");
                let _ = pipe.write_all(&stdin);
                drop(pipe);
                let out = child.wait_with_output().expect("wait for coda-rs");
                log.line(&format!(
                    "END {id} status={} stdout={} stderr={}",
                    out.status.code().unwrap_or(-1),
                    hex(&out.stdout),
                    hex(&out.stderr)
                ));
            }
            ["list", id, dir] => {
                let mut names: Vec<String> = match std::fs::read_dir(dir) {
                    Ok(rd) => rd
                        .filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect(),
                    Err(e) => vec![format!("<error {e}>")],
                };
                names.sort();
                log.line(&format!("LIST {id} [{}]", names.join(",")));
            }
            _ => log.line(&format!("BADSTEP {line}")),
        }
    }
    0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, log_path, scenario_path, answers_path] = args.as_slice() else {
        eprintln!("usage: testvenus LOG SCENARIO ANSWERS");
        std::process::exit(2);
    };
    let log = Log::open(log_path);
    let scenario = std::fs::read_to_string(scenario_path).expect("read scenario");
    let answers = std::fs::read_to_string(answers_path).expect("read answers");
    let venus = Venus::from_table(&answers).unwrap_or_else(|e| panic!("{e}"));

    let dev = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/cfs0")
        .expect("open /dev/cfs0");
    let fd = dev.as_raw_fd();
    let (rc, version) = match sys::ioctl_cioc_kernel_version(&dev) {
        Ok(version) => (0, version),
        Err(errno) => (-errno.raw_os_error(), 0),
    };
    log.line(&format!("KERNEL_VERSION rc={rc} version={version}"));

    // SAFETY: the process is single-threaded here; the child only runs
    // async-signal-safe code until it execs or uses its own copies.
    let child = unsafe { libc::fork() };
    if child == 0 {
        let code = run_scenario(fd, &scenario, &log);
        std::process::exit(code);
    }
    assert!(child > 0, "fork failed");

    let mut server = Server {
        dev,
        log,
        venus,
        files: std::collections::HashMap::new(),
    };
    let start = Instant::now();
    let mut buf = vec![0u8; MAX_MSG + 1024];
    let status = loop {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, 100) };
        if n > 0 && pfd.revents & libc::POLLIN != 0 {
            match (&server.dev).read(&mut buf) {
                Ok(len) if len > 0 => {
                    let msg = buf[..len].to_vec();
                    server.handle(&msg);
                }
                Ok(_) => {}
                Err(e) => server.log.line(&format!("READFAIL {e}")),
            }
            continue;
        }
        let mut st = 0;
        // SAFETY: plain waitpid on our own child.
        let r = unsafe { libc::waitpid(child, &mut st, libc::WNOHANG) };
        if r == child {
            break st;
        }
        if start.elapsed() > DEADLINE {
            server.log.line("TIMEOUT killing the scenario");
            // SAFETY: signalling our own child.
            unsafe { libc::kill(child, libc::SIGKILL) };
        }
    };
    let target = CString::new("/coda").unwrap();
    // SAFETY: valid NUL-terminated path.
    let rc = unsafe { libc::umount(target.as_ptr()) };
    server.log.line(&format!(
        "FINISHED child_status={status} umount_rc={rc} seconds={:.3}",
        start.elapsed().as_secs_f64()
    ));
}
