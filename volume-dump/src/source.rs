//! Where a dump is read from: a file, standard input (`-`), a tape drive
//! (spec §14: record by record up to the filemark, optionally after
//! spacing forward over tape files), and inside any of them a tar member.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::os::fd::AsFd;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use crate::direct::Direct;
use crate::kind::{self, Kind, Sniffed};
use crate::restore::tape::{DeviceTape, TapeReader};
use crate::tar::TarStream;

/// Read size for a tar archive in a file or a pipe (tapes read whole
/// records already).
const TAR_BUF: usize = 1 << 20;

/// How to read a tape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TapeOptions {
    /// Tape files to space forward over (`MTFSF`) before reading.
    pub file: u32,
    /// Read records of exactly this many bytes; `None` detects the size.
    pub block_size: Option<usize>,
}

/// A dump's source, as named on a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// A file, a tape device, or `-` for standard input.
    pub path: PathBuf,
    /// Read `path` as a tape with these options (see [`is_char_device`]
    /// for when it should be); `None` reads it as a byte stream.
    pub tape: Option<TapeOptions>,
    /// The dump is the member of this name (its whole name or its last
    /// component) of a tar archive.
    pub tar_member: Option<String>,
}

impl Source {
    /// A plain file, or standard input for `-`.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Source {
            path: path.into(),
            tape: None,
            tar_member: None,
        }
    }

    /// True when the source is standard input.
    pub fn is_stdin(&self) -> bool {
        self.path == Path::new("-")
    }

    /// Opens the source and positions it at the dump's first byte. Errors
    /// are those of the device or the archive; the caller names the source
    /// (a tape that cannot space forward names `MTFSF`, a missing member
    /// its name).
    pub fn open(&self) -> io::Result<Box<dyn Read>> {
        self.open_direct().map(|(r, _)| r)
    }

    /// [`Source::open`], and the descriptor the dump is read straight
    /// from when it is an uncompressed dump in a regular file or a pipe
    /// (not a tape, not a tar member): large file data can then be moved
    /// by the kernel ([`Direct`]). A pipe gets a larger buffer either way.
    pub fn open_direct(&self) -> io::Result<(Box<dyn Read>, Option<Direct>)> {
        let (input, direct): (Box<dyn Read>, _) = match (&self.tape, self.is_stdin()) {
            (Some(t), _) => {
                let dev = DeviceTape::open(&self.path)?;
                let r = TapeReader::at_file(dev, t.file, t.block_size).map_err(io::Error::other)?;
                (Box::new(r), None)
            }
            (None, stdin) => {
                let file = if stdin {
                    // Unbuffered (no 8 KiB layer of std's Stdin between
                    // the descriptor and the reader's own buffer); a
                    // closed stdin reads as std reads it (empty).
                    match io::stdin().as_fd().try_clone_to_owned() {
                        Ok(fd) => File::from(fd),
                        Err(_) => return self.finish_open(Box::new(io::stdin().lock()), None),
                    }
                } else {
                    File::open(&self.path)?
                };
                match Direct::new(file) {
                    Ok((d, r)) => (Box::new(r), Some(d)),
                    Err(file) => (Box::new(file), None),
                }
            }
        };
        self.finish_open(input, direct)
    }

    /// The rest of [`Source::open_direct`]: the kind of the stream opened
    /// as `input` (read from `direct`, if any), decompressed, the tar
    /// member found.
    fn finish_open(
        &self,
        input: Box<dyn Read>,
        direct: Option<Direct>,
    ) -> io::Result<(Box<dyn Read>, Option<Direct>)> {
        let Sniffed {
            kind,
            gzip,
            reader: input,
        } = kind::decompress(input)?;
        let want = if self.tar_member.is_some() {
            Kind::Tar
        } else {
            Kind::VolumeDump
        };
        if let Some(why) = wrong_kind(kind, gzip, want) {
            return Err(io::Error::new(io::ErrorKind::InvalidData, why));
        }
        let Some(name) = &self.tar_member else {
            return Ok((input, direct.filter(|_| !gzip)));
        };
        let input: Box<dyn Read> = if self.tape.is_some() {
            input
        } else {
            Box::new(BufReader::with_capacity(TAR_BUF, input))
        };
        let mut tar = TarStream::new(input);
        tar.find(name)?;
        Ok((Box::new(Member(tar)), None))
    }
}

/// Why a stream of `kind` (decoded from gzip when `gzip`) is not the
/// `want` it should be; `None` when it may be (an unknown or empty stream
/// goes to the parser, which names the byte that is wrong).
fn wrong_kind(kind: Kind, gzip: bool, want: Kind) -> Option<String> {
    if kind == want || matches!(kind, Kind::Unknown | Kind::Empty) {
        return None;
    }
    let want_is = want.describe();
    let hint = match (kind.decompressor(), kind, want) {
        // A compressed stream inside gzip is left to the parser's error.
        (Some(cat), ..) => format!("; decompress it first: {cat} FILE | coda-rs ... -"),
        (None, Kind::Tar, Kind::VolumeDump) => "; name the dump inside it with --tar-member".into(),
        _ => String::new(),
    };
    let gz = if gzip { ", gzip-compressed" } else { "" };
    let is = kind.describe();
    Some(format!("this is {is}{gz} (expected {want_is}{hint})"))
}

/// True when `path` is a character device (a tape drive).
pub fn is_char_device(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

/// The length of the dump in the file `path`, when it is known before it
/// is read (a progress meter's total): the size of a regular file that
/// holds a plain (not compressed) dump; `None` for standard input, devices,
/// FIFOs and compressed files (whose decoded size is not their size).
pub fn plain_dump_len(path: &Path) -> Option<u64> {
    if path == Path::new("-") {
        return None;
    }
    // stat first: opening a FIFO would wait for a writer, and reading it
    // would take the bytes from the reader that follows.
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut f = File::open(path).ok()?;
    let meta = f.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut head = [0u8; 16];
    let n = f.read(&mut head).ok()?;
    (kind::sniff(&head[..n]) == Kind::VolumeDump).then_some(meta.len())
}

/// The data of the member a [`TarStream`] is at.
struct Member<R>(TarStream<R>);

impl<R: Read> Read for Member<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.0.data().read(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_dump_file_has_a_known_length() {
        let golden =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/golden/dump/native-full.dump");
        let len = std::fs::metadata(&golden).unwrap().len();
        assert_eq!(plain_dump_len(&golden), Some(len));
        assert_eq!(plain_dump_len(Path::new("-")), None);
        assert_eq!(plain_dump_len(Path::new("/dev/null")), None);
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("x.dump.gz");
        std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]).unwrap();
        assert_eq!(plain_dump_len(&gz), None);
        assert_eq!(plain_dump_len(dir.path()), None);
    }
}
