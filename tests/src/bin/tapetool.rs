//! `tapetool`: the guest side of the qemu tape test (`tests/tests/tape_qemu.rs`),
//! a static binary run inside the guest against the kernel's `st` driver on
//! a `scsi_debug` tape.
//!
//! It writes stamped tape files and filemarks with its own `MTIOCTOP` and
//! `MTIOCGET` (request numbers and structures from `<sys/mtio.h>`, not from
//! the library under test), reads tape files back through the library's
//! `DeviceTape` and `TapeReader` (counting `ENOMEM` reads and `MTBSR`), and
//! runs commands. Every result is one line starting with `@@` for the host.
//!
//! Each block starts with its stamp ([`coda_rs_tests::tape_stamp`]) and is
//! zero after it, so a reader finds the blocks in the byte stream whatever
//! the simulated tape keeps.
//!
//! ```text
//! tapetool write DEV FILE BLKSIZE BLOCKS_PER_WRITE SIZE...  MTSETBLK BLKSIZE, the blocks, MTWEOF 1
//! tapetool probe DEV           write a 4096-byte block, read it back: what the tape keeps
//! tapetool op DEV NAME COUNT     one MTIOCTOP (rew, fsf, bsr, setblk, weof)
//! tapetool status ID DEV         MTIOCGET
//! tapetool read ID DEV FILE INITIAL|- BLKSIZE|-   rewind, TapeReader::at_file, read to the filemark
//! tapetool run ID CMD ARGS...    run a command, report status and output
//! ```

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::process::ExitCode;

use coda_rs_tests::hex;
use volume_dump::restore::tape::{DeviceTape, TapeDevice, TapeReader};

/// `struct mtop` (`<sys/mtio.h>`).
#[repr(C)]
struct MtOp {
    op: libc::c_short,
    count: libc::c_int,
}

/// `struct mtget` (`<sys/mtio.h>`: five longs, two ints).
#[repr(C)]
#[derive(Default)]
struct MtGet {
    kind: libc::c_long,
    resid: libc::c_long,
    dsreg: libc::c_long,
    gstat: libc::c_long,
    erreg: libc::c_long,
    fileno: libc::c_int,
    blkno: libc::c_int,
}

/// `_IOW('m', 1, struct mtop)` and `_IOR('m', 2, struct mtget)`: direction
/// (bits 30..32), size (16..30), type `m` (8..16), number.
const MTIOCTOP: libc::c_ulong = 0x4008_6d01;
const MTIOCGET: libc::c_ulong = 0x8000_6d02 | (std::mem::size_of::<MtGet>() as libc::c_ulong) << 16;
const _: () = assert!(std::mem::size_of::<MtOp>() == 8);

/// `mt_op` values.
const OPS: [(&str, libc::c_short); 7] = [
    ("fsf", 1),
    ("bsf", 2),
    ("bsr", 4),
    ("weof", 5),
    ("rew", 6),
    ("setblk", 20),
    ("eom", 12),
];

fn ioctl_op(dev: &File, op: libc::c_short, count: i32) -> io::Result<()> {
    let arg = MtOp { op, count };
    // SAFETY: MTIOCTOP reads one `struct mtop`, which `arg` is (repr(C),
    // size checked); the descriptor is open.
    let r = unsafe { libc::ioctl(dev.as_raw_fd(), MTIOCTOP, &arg as *const MtOp) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn ioctl_get(dev: &File) -> io::Result<MtGet> {
    let mut g = MtGet::default();
    // SAFETY: MTIOCGET writes one `struct mtget` into `g` (repr(C), size
    // checked); the descriptor is open.
    let r = unsafe { libc::ioctl(dev.as_raw_fd(), MTIOCGET, &mut g as *mut MtGet) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(g)
}

fn op_named(dev: &File, name: &str, count: i32) -> io::Result<()> {
    let op = OPS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, o)| *o)
        .ok_or_else(|| io::Error::other(format!("unknown op {name}")))?;
    ioctl_op(dev, op, count)
}

fn open_rw(path: &str) -> io::Result<File> {
    OpenOptions::new().read(true).write(true).open(path)
}

/// Writes one tape file: blocks of the given sizes (fixed mode: each
/// `blksize`), `per_write` blocks per write(2), then one filemark.
fn write(dev: &str, file: u32, blksize: i32, per_write: usize, sizes: &[usize]) -> io::Result<()> {
    let mut f = open_rw(dev)?;
    ioctl_op(&f, 20, blksize)?;
    let mut buf = Vec::new();
    let mut n = 0;
    for (block, &size) in sizes.iter().enumerate() {
        let start = buf.len();
        buf.resize(start + size, 0);
        buf[start..start + 4].copy_from_slice(&coda_rs_tests::tape_stamp(file, block as u32));
        n += 1;
        if n == per_write || block + 1 == sizes.len() {
            let w = f.write(&buf)?;
            if w != buf.len() {
                return Err(io::Error::other(format!(
                    "short write: {w} of {}",
                    buf.len()
                )));
            }
            buf.clear();
            n = 0;
        }
    }
    ioctl_op(&f, 5, 1)
}

/// Writes one variable block whose every byte is set, reads it back and
/// says how much of it came back.
fn probe(dev: &str) -> io::Result<()> {
    let mut f = open_rw(dev)?;
    ioctl_op(&f, 20, 0)?;
    let block: Vec<u8> = (0..4096u32).map(|i| (i % 251 + 1) as u8).collect();
    f.write_all(&block)?;
    ioctl_op(&f, 5, 1)?;
    ioctl_op(&f, 6, 1)?;
    let mut back = vec![0u8; 4096];
    let n = f.read(&mut back)?;
    let kept = back[..n]
        .iter()
        .zip(&block)
        .take_while(|(a, b)| a == b)
        .count();
    let zeros = back[kept..n].iter().filter(|&&b| b == 0).count();
    println!(
        "@@PROBE block length={n} kept={kept} zeros_after={zeros} first={}",
        hex(&back[..n.min(8)])
    );
    ioctl_op(&f, 6, 1)
}

fn status(id: &str, dev: &str) -> io::Result<()> {
    let f = File::open(dev)?;
    let g = ioctl_get(&f)?;
    println!(
        "@@STATUS {id} fileno={} blkno={} blksize={} gstat={:#x} resid={}",
        g.fileno,
        g.blkno,
        g.dsreg & 0xff_ffff,
        g.gstat,
        g.resid
    );
    Ok(())
}

/// The drive, counting what the reader asked of it.
struct Counting {
    dev: DeviceTape,
    enomem: u32,
    back: u32,
    forward: u32,
}

impl TapeDevice for Counting {
    fn read_record(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = self.dev.read_record(buf);
        if matches!(&r, Err(e) if e.raw_os_error() == Some(libc::ENOMEM)) {
            self.enomem += 1;
        }
        r
    }
    fn forward_files(&mut self, count: u32) -> io::Result<()> {
        self.forward += count;
        self.dev.forward_files(count)
    }
    fn back_records(&mut self, count: u32) -> io::Result<()> {
        self.back += count;
        self.dev.back_records(count)
    }
    fn fixed_block_size(&mut self) -> Option<usize> {
        self.dev.fixed_block_size()
    }
}

/// Stamps found in `data`: `offset:stamp` for each run of 4 non-zero bytes
/// (longer runs are reported whole: the tape kept more than the stamp).
fn stamps(data: &[u8]) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if data[i] == 0 {
            i += 1;
            continue;
        }
        let end = data[i..]
            .iter()
            .position(|&b| b == 0)
            .map_or(data.len(), |p| i + p);
        out.push(format!("{i}:{}", hex(&data[i..end])));
        i = end;
    }
    if out.is_empty() {
        "-".into()
    } else {
        out.join(",")
    }
}

fn opt(s: &str) -> Option<usize> {
    (s != "-").then(|| s.parse().expect("a number or -"))
}

/// Rewinds, positions at `file` with `TapeReader::at_file` and reads that
/// tape file to its filemark.
fn read(id: &str, dev: &str, file: u32, initial: Option<usize>, forced: Option<usize>) {
    let outcome = (|| -> io::Result<String> {
        ioctl_op(&File::open(dev)?, 6, 1)?;
        let c = Counting {
            dev: DeviceTape::open(std::path::Path::new(dev))?,
            enomem: 0,
            back: 0,
            forward: 0,
        };
        let mut r = match initial {
            None => TapeReader::at_file(c, file, forced).map_err(io::Error::other)?,
            Some(size) => {
                let mut c = c;
                if file > 0 {
                    c.forward_files(file)?;
                }
                TapeReader::with_initial_size(c, size)
            }
        };
        let mut data = Vec::new();
        let res = r.read_to_end(&mut data);
        let (records, bs) = (r.records(), r.block_size());
        let c = r.into_device();
        Ok(format!(
            "records={records} block_size={} bytes={} enomem={} mtbsr={} mtfsf={} error={} stamps={}",
            bs.map_or("-".into(), |b| b.to_string()),
            data.len(),
            c.enomem,
            c.back,
            c.forward,
            res.err()
                .map_or("-".into(), |e| hex(e.to_string().as_bytes())),
            stamps(&data)
        ))
    })();
    match outcome {
        Ok(line) => println!("@@READ {id} {line}"),
        Err(e) => println!("@@READ {id} failed={}", hex(e.to_string().as_bytes())),
    }
}

fn run(id: &str, cmd: &[String]) {
    match std::process::Command::new(&cmd[0]).args(&cmd[1..]).output() {
        Ok(o) => println!(
            "@@RUN {id} status={} stdout={} stderr={}",
            o.status.code().unwrap_or(-1),
            hex(&o.stdout),
            hex(&o.stderr)
        ),
        Err(e) => println!(
            "@@RUN {id} status=-1 stdout=- stderr={}",
            hex(e.to_string().as_bytes())
        ),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let num = |s: &str| -> i64 { s.parse().expect("a number") };
    let r = match a.as_slice() {
        ["write", dev, file, blksize, per, sizes @ ..] => write(
            dev,
            num(file) as u32,
            num(blksize) as i32,
            num(per) as usize,
            &sizes.iter().map(|s| num(s) as usize).collect::<Vec<_>>(),
        ),
        ["probe", dev] => probe(dev),
        ["op", dev, name, count] => {
            open_rw(dev).and_then(|f| op_named(&f, name, num(count) as i32))
        }
        ["status", id, dev] => status(id, dev),
        ["read", id, dev, file, initial, forced] => {
            read(id, dev, num(file) as u32, opt(initial), opt(forced));
            Ok(())
        }
        ["run", id, cmd @ ..] if !cmd.is_empty() => {
            run(id, &args[2..]);
            Ok(())
        }
        _ => {
            eprintln!("tapetool: bad arguments {args:?}");
            return ExitCode::from(2);
        }
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            println!("@@ERROR {} {e}", a.join(" "));
            ExitCode::FAILURE
        }
    }
}
