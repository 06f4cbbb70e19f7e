//! Access control lists in their external text form (spec §7.3), as
//! carried by a directory vnode's `'X'` field.
//!
//! ```text
//! <P>\n<M>\n             counts of positive and negative entries (decimal)
//! <name>\t<rights>\n     P positive entries, then M negative entries
//! ```

use std::fmt;

/// Longest ACL text accepted by [`Acl::parse`], in bytes.
pub const MAX_TEXT_LEN: usize = 64 * 1024;
/// Most entries (positive + negative) accepted by [`Acl::parse`]. A
/// server restore accepts at most 20 (§7.3); dumps are read more leniently.
pub const MAX_ENTRIES: usize = 1024;
/// Longest entry name accepted by [`Acl::parse`], in bytes.
pub const MAX_NAME_LEN: usize = 255;

/// A rights bit mask. Spec §7.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rights(pub u32);

impl Rights {
    /// `r`: read files.
    pub const READ: Rights = Rights(1);
    /// `w`: write files.
    pub const WRITE: Rights = Rights(2);
    /// `i`: insert entries.
    pub const INSERT: Rights = Rights(4);
    /// `l`: look up entries.
    pub const LOOKUP: Rights = Rights(8);
    /// `d`: delete entries.
    pub const DELETE: Rights = Rights(16);
    /// `k`: lock files.
    pub const LOCK: Rights = Rights(32);
    /// `a`: administer the ACL.
    pub const ADMINISTER: Rights = Rights(64);
    /// All seven rights (127).
    pub const ALL: Rights = Rights(127);

    /// The rights as letters in Coda's order `rlidwka` (one letter per set
    /// bit; other bits are left out): 9 → `rl`, 127 → `rlidwka`.
    pub fn letters(self) -> String {
        const ORDER: [(u32, char); 7] = [
            (1, 'r'),
            (8, 'l'),
            (4, 'i'),
            (16, 'd'),
            (2, 'w'),
            (32, 'k'),
            (64, 'a'),
        ];
        ORDER
            .iter()
            .filter(|(bit, _)| self.0 & bit != 0)
            .map(|&(_, c)| c)
            .collect()
    }
}

/// One ACL entry: a protection-database name (or a decimal id the server
/// could not translate) and its rights. Spec §7.3.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AclEntry {
    /// Name bytes: non-empty, no whitespace, no NUL.
    pub name: Vec<u8>,
    /// Rights mask.
    pub rights: Rights,
}

impl AclEntry {
    /// An entry from a name and a rights mask.
    pub fn new(name: impl Into<Vec<u8>>, rights: Rights) -> Self {
        AclEntry {
            name: name.into(),
            rights,
        }
    }

    /// True when `name` can be an entry name of the text form: 1 to
    /// [`MAX_NAME_LEN`] bytes, none of them whitespace or NUL (the rule
    /// [`Acl::parse`] applies).
    pub fn valid_name(name: &[u8]) -> bool {
        !name.is_empty() && name.len() <= MAX_NAME_LEN && name.iter().all(|&c| is_name_byte(c))
    }
}

/// A byte that may appear in an entry name: not ASCII whitespace (the
/// vertical tab included), not NUL.
fn is_name_byte(c: u8) -> bool {
    !(c.is_ascii_whitespace() || c == 0 || c == b'\x0b')
}

/// An access control list: positive entries grant rights, negative
/// entries take them away. Spec §7.3.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Acl {
    /// Positive entries, in stored order.
    pub positive: Vec<AclEntry>,
    /// Negative entries, in stored order.
    pub negative: Vec<AclEntry>,
}

/// Why an ACL text could not be parsed, with the byte offset in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclError {
    /// Byte offset in the ACL text.
    pub offset: usize,
    /// What was expected there.
    pub kind: AclErrorKind,
}

/// What was wrong with an ACL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclErrorKind {
    /// The text is longer than [`MAX_TEXT_LEN`].
    TooLong {
        /// Length of the text.
        len: usize,
    },
    /// A count or rights value is not a decimal number (no sign, no
    /// leading zeros, at most u32) followed by the expected separator.
    BadNumber,
    /// More than [`MAX_ENTRIES`] entries are announced.
    TooManyEntries {
        /// Positive plus negative count.
        count: u64,
    },
    /// An entry name is empty, too long, or holds whitespace or NUL.
    BadName,
    /// The text ends before all announced entries.
    Truncated,
    /// Bytes follow the last announced entry.
    TrailingBytes,
}

impl fmt::Display for AclError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ACL text byte {}: ", self.offset)?;
        match &self.kind {
            AclErrorKind::TooLong { len } => {
                write!(f, "text of {len} bytes (expected at most {MAX_TEXT_LEN})")
            }
            AclErrorKind::BadNumber => f.write_str(
                "expected a decimal number (no sign or leading zeros) and its separator",
            ),
            AclErrorKind::TooManyEntries { count } => write!(
                f,
                "{count} entries announced (expected at most {MAX_ENTRIES})"
            ),
            AclErrorKind::BadName => f.write_str(
                "bad entry name (expected 1 to 255 bytes without whitespace or NUL, then a tab)",
            ),
            AclErrorKind::Truncated => f.write_str("text ends inside the entries"),
            AclErrorKind::TrailingBytes => {
                f.write_str("bytes after the last entry (expected the end of the text)")
            }
        }
    }
}

impl std::error::Error for AclError {}

impl Acl {
    /// The ACL of a freshly created volume's root:
    /// `System:Administrators` with all rights. Spec §7.3.
    pub fn new_volume_default() -> Self {
        Acl {
            positive: vec![AclEntry::new("System:Administrators", Rights::ALL)],
            negative: Vec::new(),
        }
    }

    /// Parses the external text form (without the `'X'` field's NUL; one
    /// trailing NUL is tolerated). Strict: only the exact layout the
    /// server prints is accepted.
    pub fn parse(text: &[u8]) -> Result<Acl, AclError> {
        let text = text.strip_suffix(&[0]).unwrap_or(text);
        if text.len() > MAX_TEXT_LEN {
            return Err(AclError {
                offset: 0,
                kind: AclErrorKind::TooLong { len: text.len() },
            });
        }
        let mut p = Parser { text, pos: 0 };
        let plus = p.number(b'\n')?;
        let minus = p.number(b'\n')?;
        let count = u64::from(plus) + u64::from(minus);
        if count > MAX_ENTRIES as u64 {
            return Err(AclError {
                offset: 0,
                kind: AclErrorKind::TooManyEntries { count },
            });
        }
        let mut acl = Acl::default();
        for i in 0..count {
            let entry = p.entry()?;
            if i < u64::from(plus) {
                acl.positive.push(entry);
            } else {
                acl.negative.push(entry);
            }
        }
        if p.pos != text.len() {
            return Err(p.error(AclErrorKind::TrailingBytes));
        }
        Ok(acl)
    }

    /// The external text form (without a NUL), e.g.
    /// `"1\n0\nSystem:Administrators\t127\n"`.
    pub fn to_text(&self) -> Vec<u8> {
        let mut out = format!("{}\n{}\n", self.positive.len(), self.negative.len()).into_bytes();
        for e in self.positive.iter().chain(&self.negative) {
            out.extend_from_slice(&e.name);
            out.push(b'\t');
            out.extend_from_slice(e.rights.0.to_string().as_bytes());
            out.push(b'\n');
        }
        out
    }

    /// Number of entries, positive and negative.
    pub fn len(&self) -> usize {
        self.positive.len() + self.negative.len()
    }

    /// True if the ACL has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Display for Acl {
    /// The text form, with names shown lossily as UTF-8.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_text()))
    }
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, kind: AclErrorKind) -> AclError {
        AclError {
            offset: self.pos,
            kind,
        }
    }

    /// A decimal u32 (at least one digit, no sign) followed by `end`.
    fn number(&mut self, end: u8) -> Result<u32, AclError> {
        let start = self.pos;
        let digits = self.text[start..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if self.text.len() == start {
            return Err(self.error(AclErrorKind::Truncated));
        }
        let mut value: u32 = 0;
        for &c in &self.text[start..start + digits] {
            value = match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u32::from(c - b'0')))
            {
                Some(v) => v,
                None => return Err(self.error(AclErrorKind::BadNumber)),
            };
        }
        if digits > 1 && self.text[start] == b'0' {
            // The server prints `%d`: no leading zeros.
            return Err(self.error(AclErrorKind::BadNumber));
        }
        self.pos = start + digits;
        if digits == 0 || self.text.get(self.pos) != Some(&end) {
            return Err(match self.text.get(self.pos) {
                None => self.error(AclErrorKind::Truncated),
                Some(_) => self.error(AclErrorKind::BadNumber),
            });
        }
        self.pos += 1;
        Ok(value)
    }

    /// `name\trights\n`.
    fn entry(&mut self) -> Result<AclEntry, AclError> {
        let start = self.pos;
        let rest = &self.text[start..];
        if rest.is_empty() {
            return Err(self.error(AclErrorKind::Truncated));
        }
        let len = rest.iter().take_while(|&&c| is_name_byte(c)).count();
        if len == 0 || len > MAX_NAME_LEN || rest.get(len) != Some(&b'\t') {
            return Err(match rest.get(len) {
                None => self.error(AclErrorKind::Truncated),
                Some(_) => self.error(AclErrorKind::BadName),
            });
        }
        self.pos = start + len + 1;
        let rights = self.number(b'\n')?;
        Ok(AclEntry {
            name: rest[..len].to_vec(),
            rights: Rights(rights),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spec_example() {
        // Spec §7.3: the ACL of a fresh volume, 31 bytes with the NUL.
        let text = b"1\n0\nSystem:Administrators\t127\n\0";
        assert_eq!(text.len(), 31);
        let acl = Acl::parse(text).unwrap();
        assert_eq!(acl, Acl::new_volume_default());
        assert_eq!(acl.to_text(), &text[..30]);
    }

    #[test]
    fn rights_letters_from_spec() {
        // Spec §11.5: 9 → rl, 31 → rlidw, 127 → rlidwka, 8 → l.
        assert_eq!(Rights(9).letters(), "rl");
        assert_eq!(Rights(31).letters(), "rlidw");
        assert_eq!(Rights(127).letters(), "rlidwka");
        assert_eq!(Rights(8).letters(), "l");
        assert_eq!(Rights(0).letters(), "");
        assert_eq!(Rights(128 | 1).letters(), "r");
    }

    #[test]
    fn rejects_malformed_texts() {
        let cases: &[(&[u8], usize, AclErrorKind)] = &[
            (b"", 0, AclErrorKind::Truncated),
            (b"1\n", 2, AclErrorKind::Truncated),
            (b"x\n0\n", 0, AclErrorKind::BadNumber),
            (b"-1\n0\n", 0, AclErrorKind::BadNumber),
            (b"1 \n0\n", 1, AclErrorKind::BadNumber),
            (b"2\n0\nadmin\t31\n", 13, AclErrorKind::Truncated),
            (b"1\n0\n", 4, AclErrorKind::Truncated),
            (b"1\n0\nad min\t31\n", 4, AclErrorKind::BadName),
            (b"1\n0\n\t31\n", 4, AclErrorKind::BadName),
            (b"1\n0\nadmin\t\n", 10, AclErrorKind::BadNumber),
            (b"1\n0\nadmin\t31", 12, AclErrorKind::Truncated),
            (b"1\n0\nadmin\t31\nx", 13, AclErrorKind::TrailingBytes),
            (b"1\n0\nadmin\t99999999999\n", 10, AclErrorKind::BadNumber),
            (b"0\n0\n\0\0", 4, AclErrorKind::TrailingBytes),
            (b"01\n0\n", 0, AclErrorKind::BadNumber),
            (b"1\n0\nadmin\t031\n", 10, AclErrorKind::BadNumber),
        ];
        for (text, offset, kind) in cases {
            let err = Acl::parse(text).unwrap_err();
            assert_eq!((err.offset, &err.kind), (*offset, kind), "{text:?}");
        }
    }

    #[test]
    fn caps_entry_count_and_length() {
        let err = Acl::parse(b"1025\n0\n").unwrap_err();
        assert_eq!(err.kind, AclErrorKind::TooManyEntries { count: 1025 });
        let err = Acl::parse(b"4294967295\n4294967295\n").unwrap_err();
        assert!(matches!(err.kind, AclErrorKind::TooManyEntries { .. }));
        let long = vec![b'1'; MAX_TEXT_LEN + 1];
        let err = Acl::parse(&long).unwrap_err();
        assert!(matches!(err.kind, AclErrorKind::TooLong { .. }));
        let name = vec![b'n'; 256];
        let mut text = b"1\n0\n".to_vec();
        text.extend_from_slice(&name);
        text.extend_from_slice(b"\t1\n");
        assert_eq!(Acl::parse(&text).unwrap_err().kind, AclErrorKind::BadName);
    }
}
