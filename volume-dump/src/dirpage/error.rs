//! Errors found in directory pages.

use std::fmt;

/// A problem found in a directory's pages, with the byte offset (from the
/// start of page 0) where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirPageError {
    /// Byte offset inside the directory's pages (page 0 starts at 0).
    pub offset: usize,
    /// What was wrong.
    pub kind: DirPageErrorKind,
}

/// What was wrong with a directory page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirPageErrorKind {
    /// The data is not a whole number of pages between 1 and 128.
    BadLength {
        /// Length of the data in bytes.
        len: usize,
    },
    /// A page does not start with the tag 1234.
    BadTag {
        /// Page number.
        page: usize,
        /// Tag found.
        found: u32,
    },
    /// An allomap byte is out of range for its page.
    BadAllomap {
        /// Page number.
        page: usize,
        /// Value found.
        found: u8,
    },
    /// The allomap describes another number of pages than the data holds.
    PageCount {
        /// Pages according to the allomap (entries other than 64).
        allomap: usize,
        /// Pages present.
        present: usize,
    },
    /// A page's bitmap does not agree with its allomap free count.
    FreeCount {
        /// Page number.
        page: usize,
        /// Free blobs according to the allomap.
        allomap: u8,
        /// Free blobs according to the page bitmap.
        bitmap: usize,
    },
    /// A hash chain refers to a blob outside the directory or inside a
    /// page header.
    BlobOutOfRange {
        /// Hash chain being followed.
        bucket: usize,
        /// Blob number found.
        blob: u16,
    },
    /// A hash chain visits the same blob twice.
    ChainLoop {
        /// Hash chain being followed.
        bucket: usize,
        /// Blob met a second time.
        blob: u16,
    },
    /// An entry's first blob does not carry the FFIRST flag (1).
    BadFlag {
        /// Blob number of the entry.
        blob: u16,
        /// Flag found.
        found: u8,
    },
    /// An entry name is not NUL-terminated within its page and 256 bytes.
    Unterminated {
        /// Blob number of the entry.
        blob: u16,
    },
    /// An entry name is empty.
    EmptyName {
        /// Blob number of the entry.
        blob: u16,
    },
    /// An entry's blobs run past the end of its page.
    CrossesPage {
        /// Blob number of the entry.
        blob: u16,
    },
    /// An entry overlaps another entry.
    Overlap {
        /// Blob number of the entry.
        blob: u16,
    },
    /// An entry sits on the wrong hash chain.
    WrongBucket {
        /// Blob number of the entry.
        blob: u16,
        /// Chain it was found on.
        found: usize,
        /// Chain its name hashes to.
        expected: usize,
    },
    /// A page bitmap byte differs from the blobs actually used.
    Bitmap {
        /// Page number.
        page: usize,
        /// Byte index in the bitmap (0..7).
        byte: usize,
        /// Byte found.
        found: u8,
        /// Byte implied by the header and entry blobs.
        expected: u8,
    },
    /// A name given to the builder is empty.
    NameEmpty,
    /// A name given to the builder is longer than 255 bytes.
    NameTooLong {
        /// Length of the name.
        len: usize,
    },
    /// A name given to the builder contains NUL or `/`.
    NameInvalid,
    /// A name given to the builder is already in the directory.
    NameExists,
    /// No page among the 128 can take the entry.
    Full,
    /// A listed entry's name cannot leave the format as a file name
    /// (spec §11.7, §12.3).
    BadName {
        /// Blob number of the entry.
        blob: u16,
        /// The name's bytes.
        name: Vec<u8>,
        /// What is wrong with it.
        problem: NameProblem,
    },
}

/// Why a listed entry name is refused (spec §11.7, §12.3, §12.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    /// The name contains `/`.
    Slash,
    /// The name contains a NUL byte.
    Nul,
    /// The directory already lists this name (the Coda directory library
    /// refuses to create a second one).
    Duplicate {
        /// Blob number of the entry listed first.
        first: u16,
    },
    /// `.` names another object than the directory itself.
    Dot {
        /// The object `.` names.
        names: (u32, u32),
        /// The directory.
        dir: (u32, u32),
    },
    /// `..` names another object than the directory's parent (when it is
    /// known: the root's is the root), or an object that is not a
    /// directory.
    DotDot {
        /// The object `..` names.
        names: (u32, u32),
        /// The parent, when known.
        parent: Option<(u32, u32)>,
    },
}

impl DirPageError {
    pub(crate) fn new(offset: usize, kind: DirPageErrorKind) -> Self {
        DirPageError { offset, kind }
    }
}

impl DirPageError {
    /// This error as a stream error of directory `dir`, whose D_DIRPAGES
    /// data starts at stream offset `data_at` (the first `'P'` mark).
    pub fn in_stream(&self, data_at: u64, dir: (u32, u32)) -> crate::Error {
        crate::Error::Format {
            offset: super::stream_offset(data_at, self.offset),
            record: crate::Record::Directory {
                vnode: dir.0,
                unique: dir.1,
            },
            found: self.kind.to_string(),
            expected: self.kind.expected().into(),
        }
    }
}

impl fmt::Display for DirPageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "directory page byte {}: {}", self.offset, self.kind)
    }
}

impl fmt::Display for DirPageErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DirPageErrorKind::*;
        match self {
            BadLength { len } => write!(
                f,
                "{len} bytes of directory pages (expected 1 to 128 pages of 2048 bytes)"
            ),
            BadTag { page, found } => {
                write!(f, "page {page} has tag {found} (expected 1234)")
            }
            BadAllomap { page, found } => {
                write!(f, "allomap entry of page {page} is {found} (out of range)")
            }
            PageCount { allomap, present } => write!(
                f,
                "allomap describes {allomap} pages but {present} are present"
            ),
            FreeCount {
                page,
                allomap,
                bitmap,
            } => write!(
                f,
                "page {page} has {bitmap} free blobs in its bitmap (expected {allomap} from the allomap)"
            ),
            BlobOutOfRange { bucket, blob } => write!(
                f,
                "hash chain {bucket} refers to blob {blob} (outside the directory's entry blobs)"
            ),
            ChainLoop { bucket, blob } => {
                write!(f, "hash chain {bucket} visits blob {blob} twice")
            }
            BadFlag { blob, found } => {
                write!(f, "entry at blob {blob} has flag {found} (expected 1)")
            }
            Unterminated { blob } => {
                write!(f, "name of entry at blob {blob} has no terminating NUL")
            }
            EmptyName { blob } => write!(f, "entry \"\" at blob {blob} has an empty name"),
            CrossesPage { blob } => {
                write!(f, "entry at blob {blob} runs past the end of its page")
            }
            Overlap { blob } => write!(f, "entry at blob {blob} overlaps another entry"),
            WrongBucket {
                blob,
                found,
                expected,
            } => write!(
                f,
                "entry at blob {blob} is on hash chain {found} (expected {expected})"
            ),
            Bitmap {
                page,
                byte,
                found,
                expected,
            } => write!(
                f,
                "page {page} bitmap byte {byte} is {found:#04x} (expected {expected:#04x} from the entries)"
            ),
            NameEmpty => f.write_str("empty entry name"),
            NameTooLong { len } => {
                write!(f, "entry name of {len} bytes (expected at most 255)")
            }
            NameInvalid => f.write_str("entry name contains NUL or '/'"),
            NameExists => f.write_str("entry name already exists in the directory"),
            Full => f.write_str("directory full (no page among 128 can take the entry)"),
            BadName {
                blob,
                name,
                problem,
            } => {
                let name = escape_name(name);
                match problem {
                    NameProblem::Slash => write!(f, "entry {name} at blob {blob} contains '/'"),
                    NameProblem::Nul => write!(f, "entry {name} at blob {blob} contains a NUL byte"),
                    NameProblem::Duplicate { first } => write!(
                        f,
                        "entry {name} at blob {blob} repeats the name of the entry at blob {first}"
                    ),
                    NameProblem::Dot { names, dir } => write!(
                        f,
                        "entry {name} at blob {blob} names {:#x}.{:#x}, not the directory itself {:#x}.{:#x}",
                        names.0, names.1, dir.0, dir.1
                    ),
                    NameProblem::DotDot {
                        names,
                        parent: Some(parent),
                    } => write!(
                        f,
                        "entry {name} at blob {blob} names {:#x}.{:#x}, not the parent {:#x}.{:#x}",
                        names.0, names.1, parent.0, parent.1
                    ),
                    NameProblem::DotDot {
                        names,
                        parent: None,
                    } => write!(
                        f,
                        "entry {name} at blob {blob} names {:#x}.{:#x}, which is not a directory",
                        names.0, names.1
                    ),
                }
            }
        }
    }
}

impl DirPageErrorKind {
    /// What the format allows instead, for error messages.
    pub fn expected(&self) -> &'static str {
        match self {
            DirPageErrorKind::BadName { .. }
            | DirPageErrorKind::EmptyName { .. }
            | DirPageErrorKind::Unterminated { .. } => {
                "names of 1 to 255 bytes without '/' or NUL, each once per directory; \
                 `.` and `..` only for the directory itself and its parent (spec §11.7, §12.3)"
            }
            _ => "directory pages that can be listed (spec §12)",
        }
    }
}

/// A name for a one-line message: in double quotes, printable ASCII kept
/// (`"` and `\` preceded by a backslash), every other byte as `\xNN`, so the
/// text is safe to print on a terminal.
pub fn escape_name(name: &[u8]) -> String {
    let mut s = String::with_capacity(name.len() + 2);
    s.push('"');
    for &c in name {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(char::from(c)),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

impl std::error::Error for DirPageError {}
