//! What a stream holds, told from its first bytes before any parser reads
//! it: a volume dump (D_DUMPHEADER then DUMPBEGINMAGIC, spec §3), a tar
//! archive (`ustar` at byte 257), an RVM log or data segment (the
//! version strings RVM writes near their start), or compressed data
//! (gzip, xz, zstd, bzip2 magic numbers). Gzip is decoded on the fly
//! ([`decompress`]); the others are named so that the admin can decompress
//! them first.

use std::io::{self, BufReader, Read};

use crate::tag::{BEGIN_MAGIC, DUMP_HEADER};

/// How many bytes [`sniff`] looks at (a tar header block).
pub const SNIFF_LEN: usize = 512;

/// Read size of the gzip decoder's input.
const GZIP_BUF: usize = 1 << 20;

/// What the first bytes of a stream say it is (in JSON: `volume_dump`,
/// `tar`, `rvm_log`, `rvm_segment`, `gzip`, …, `empty`, `unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A volume dump stream.
    VolumeDump,
    /// A tar archive (ustar or GNU).
    Tar,
    /// An RVM log (its status block).
    RvmLog,
    /// An RVM data segment (its segment header).
    RvmSegment,
    /// gzip-compressed data.
    Gzip,
    /// xz-compressed data.
    Xz,
    /// zstd-compressed data.
    Zstd,
    /// bzip2-compressed data.
    Bzip2,
    /// Nothing at all.
    Empty,
    /// None of the above.
    Unknown,
}

impl Kind {
    /// What it is, for a message: `a volume dump`, `gzip-compressed data`.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::VolumeDump => "a volume dump",
            Kind::Tar => "a tar archive",
            Kind::RvmLog => "an RVM log",
            Kind::RvmSegment => "an RVM data segment",
            Kind::Gzip => "gzip-compressed data",
            Kind::Xz => "xz-compressed data",
            Kind::Zstd => "zstd-compressed data",
            Kind::Bzip2 => "bzip2-compressed data",
            Kind::Empty => "empty",
            Kind::Unknown => "not a known kind of file",
        }
    }

    /// The command that decompresses it to stdout, for compressed kinds.
    pub fn decompressor(self) -> Option<&'static str> {
        match self {
            Kind::Gzip => Some("zcat"),
            Kind::Xz => Some("xzcat"),
            Kind::Zstd => Some("zstdcat"),
            Kind::Bzip2 => Some("bzcat"),
            _ => None,
        }
    }
}

/// Tells the kind of a stream from its first bytes (up to [`SNIFF_LEN`];
/// fewer when the stream is shorter).
pub fn sniff(head: &[u8]) -> Kind {
    let starts = |magic: &[u8]| head.starts_with(magic);
    let text_at = |at: usize, s: &[u8]| head.get(at..at + s.len()) == Some(s);
    if head.is_empty() {
        Kind::Empty
    } else if head[0] == DUMP_HEADER && starts_magic(&head[1..]) {
        Kind::VolumeDump
    } else if starts(&[0x1f, 0x8b]) {
        Kind::Gzip
    } else if starts(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Kind::Xz
    } else if starts(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Kind::Zstd
    } else if starts(b"BZh") {
        Kind::Bzip2
    } else if text_at(257, b"ustar") {
        Kind::Tar
    } else if text_at(16, b"RVM Interface Version") {
        // The log status block: struct id, then the version strings.
        Kind::RvmLog
    } else if text_at(4, b"RVM Segment Loader") {
        Kind::RvmSegment
    } else {
        Kind::Unknown
    }
}

/// True when `b` starts with DUMPBEGINMAGIC (big-endian, as dumps are).
fn starts_magic(b: &[u8]) -> bool {
    b.get(..4) == Some(&BEGIN_MAGIC.to_be_bytes()[..])
}

/// A stream whose first bytes were read to tell its kind, then given
/// back in front of the rest.
pub struct Sniffed<'a> {
    /// The kind of the (decompressed) data.
    pub kind: Kind,
    /// Set when the data was gzip-compressed and is decoded on the fly.
    pub gzip: bool,
    /// The data from its first byte.
    pub reader: Box<dyn Read + 'a>,
}

/// Reads the first bytes of `input` and tells its kind; gzip-compressed
/// data (one member or several, as `gzip` and `cat a.gz b.gz` make) is
/// decoded while it is read, streaming, and its content's kind is told.
/// Memory stays bounded: a 1 MiB input buffer and the decoder's window.
pub fn decompress<'a>(input: Box<dyn Read + 'a>) -> io::Result<Sniffed<'a>> {
    let (kind, reader) = peek(input)?;
    if kind != Kind::Gzip {
        return Ok(Sniffed {
            kind,
            gzip: false,
            reader,
        });
    }
    let decoded = flate2::bufread::MultiGzDecoder::new(BufReader::with_capacity(GZIP_BUF, reader));
    let (kind, reader) = peek(Box::new(decoded))?;
    Ok(Sniffed {
        kind,
        gzip: true,
        reader,
    })
}

/// The kind of `input` and a reader that still yields every byte.
fn peek<'a>(mut input: Box<dyn Read + 'a>) -> io::Result<(Kind, Box<dyn Read + 'a>)> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    while head.len() < SNIFF_LEN {
        let n = (&mut input)
            .take((SNIFF_LEN - head.len()) as u64)
            .read_to_end(&mut head)?;
        if n == 0 {
            break;
        }
    }
    let kind = sniff(&head);
    Ok((kind, Box::new(io::Cursor::new(head).chain(input))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_inputs_are_unknown_or_empty() {
        assert_eq!(sniff(&[]), Kind::Empty);
        assert_eq!(sniff(&[0x01]), Kind::Unknown);
        assert_eq!(sniff(&[0x1f]), Kind::Unknown);
        assert_eq!(sniff(b"RVM"), Kind::Unknown);
    }
}
