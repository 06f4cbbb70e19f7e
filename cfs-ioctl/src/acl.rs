//! Access control lists as venus exchanges them (spec §6.6).

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::Opcode;

/// `PRSFS_READ`.
pub const READ: u32 = 1;
/// `PRSFS_WRITE`.
pub const WRITE: u32 = 2;
/// `PRSFS_INSERT`.
pub const INSERT: u32 = 4;
/// `PRSFS_LOOKUP`.
pub const LOOKUP: u32 = 8;
/// `PRSFS_DELETE`.
pub const DELETE: u32 = 16;
/// `PRSFS_LOCK`.
pub const LOCK: u32 = 32;
/// `PRSFS_ADMINISTER`.
pub const ADMINISTER: u32 = 64;
/// All rights.
pub const ALL: u32 = 127;

/// The rights letters in the order cfs prints them.
const LETTERS: [(char, u32); 7] = [
    ('r', READ),
    ('l', LOOKUP),
    ('i', INSERT),
    ('d', DELETE),
    ('w', WRITE),
    ('k', LOCK),
    ('a', ADMINISTER),
];

/// The letters cfs prints for a rights mask (`rlidwka` order).
pub fn rights_letters(rights: u32) -> String {
    LETTERS
        .iter()
        .filter(|(_, bit)| rights & bit != 0)
        .map(|(c, _)| *c)
        .collect()
}

/// Parses rights as `cfs sa` does: a string of `rlidwka` letters, `all` or
/// `none`. On failure returns the offending text.
pub fn parse_rights(text: &str) -> std::result::Result<u32, String> {
    match text {
        "all" => return Ok(ALL),
        "none" => return Ok(0),
        _ => {}
    }
    let mut rights = 0;
    for c in text.chars() {
        match LETTERS.iter().find(|(l, _)| *l == c) {
            Some((_, bit)) => rights |= bit,
            None => return Err(text.to_string()),
        }
    }
    Ok(rights)
}

/// One ACL entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclEntry {
    /// User or group name.
    pub name: String,
    /// Rights mask.
    pub rights: u32,
}

/// A directory ACL: positive entries, then negative ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acl {
    /// Rights granted.
    pub positive: Vec<AclEntry>,
    /// Rights denied.
    pub negative: Vec<AclEntry>,
}

fn bad(offset: usize, expected: &str) -> Error {
    Error::BadReply {
        op: Opcode::GETAL,
        offset,
        expected: expected.into(),
    }
}

impl Acl {
    /// Parses ACL text: positive count, negative count, then one
    /// `name<whitespace>rights` line per entry; text after the first NUL
    /// is ignored.
    pub fn parse(bytes: &[u8]) -> Result<Acl> {
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        let text =
            std::str::from_utf8(&bytes[..end]).map_err(|e| bad(e.valid_up_to(), "UTF-8 text"))?;
        let mut pos = 0;
        let mut lines = text.split_inclusive('\n');
        let mut next_line = |what: &str| -> Result<(usize, &str)> {
            let line = lines.next().ok_or_else(|| bad(pos, what))?;
            let at = pos;
            pos += line.len();
            let line = line
                .strip_suffix('\n')
                .ok_or_else(|| bad(at + line.len(), "a newline"))?;
            Ok((at, line))
        };
        let (at, n) = next_line("the positive entry count")?;
        let npos: usize = n
            .trim()
            .parse()
            .map_err(|_| bad(at, "the positive entry count"))?;
        let (at, n) = next_line("the negative entry count")?;
        let nneg: usize = n
            .trim()
            .parse()
            .map_err(|_| bad(at, "the negative entry count"))?;
        // Each entry takes at least one byte: larger counts (or counts
        // whose sum overflows) cannot be right.
        let total = npos
            .checked_add(nneg)
            .filter(|&n| n <= text.len())
            .ok_or_else(|| bad(at, "entry counts that fit the text"))?;
        let mut acl = Acl::default();
        for i in 0..total {
            let (at, line) = next_line("an ACL entry")?;
            let mut fields = line.split_whitespace();
            let (Some(name), Some(rights), None) = (fields.next(), fields.next(), fields.next())
            else {
                return Err(bad(at, "an entry `name rights`"));
            };
            let rights: u32 = rights.parse().map_err(|_| bad(at, "decimal rights"))?;
            let entry = AclEntry {
                name: name.to_string(),
                rights,
            };
            if i < npos {
                acl.positive.push(entry);
            } else {
                acl.negative.push(entry);
            }
        }
        Ok(acl)
    }

    /// The ACL as cfs sends it: counts, then `name rights` lines separated
    /// by a space (no NUL; [`crate::Pioctl::set_acl`] adds it).
    pub fn to_text(&self) -> Vec<u8> {
        let mut s = format!("{}\n{}\n", self.positive.len(), self.negative.len());
        for e in self.positive.iter().chain(&self.negative) {
            let _ = writeln!(s, "{} {}", e.name, e.rights);
        }
        s.into_bytes()
    }

    /// Sets `name`'s rights as `cfs sa` does: the entry with that name
    /// (compared case-insensitively) in the positive or, with `negative`,
    /// the negative list is replaced, or one is appended; then entries with
    /// no rights are dropped from both lists.
    pub fn set(&mut self, name: &str, rights: u32, negative: bool) {
        let list = if negative {
            &mut self.negative
        } else {
            &mut self.positive
        };
        match list.iter_mut().find(|e| e.name.eq_ignore_ascii_case(name)) {
            Some(e) => e.rights = rights,
            None => list.push(AclEntry {
                name: name.to_string(),
                rights,
            }),
        }
        self.positive.retain(|e| e.rights != 0);
        self.negative.retain(|e| e.rights != 0);
    }

    /// The table `cfs la` prints: `%20s  %-8s` per positive entry and
    /// `%20s -%-8s` per negative entry.
    pub fn cfs_table(&self) -> String {
        let mut s = String::new();
        for e in &self.positive {
            let _ = writeln!(s, "{:>20}  {:<8}", e.name, rights_letters(e.rights));
        }
        for e in &self.negative {
            let _ = writeln!(s, "{:>20} -{:<8}", e.name, rights_letters(e.rights));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_parse_like_cfs() {
        assert_eq!(parse_rights("all"), Ok(127));
        assert_eq!(parse_rights("none"), Ok(0));
        assert_eq!(parse_rights("rl"), Ok(9));
        assert_eq!(parse_rights("rlidwka"), Ok(127));
        assert_eq!(parse_rights("rx"), Err("rx".into()));
        assert_eq!(rights_letters(127), "rlidwka");
        assert_eq!(rights_letters(9), "rl");
    }

    #[test]
    fn set_replaces_appends_and_drops() {
        let mut acl = Acl::parse(b"1\n0\njan\t9\n\0").unwrap();
        acl.set("JAN", 127, false);
        assert_eq!(
            acl.positive,
            vec![AclEntry {
                name: "jan".into(),
                rights: 127
            }]
        );
        acl.set("bad", 9, true);
        assert_eq!(acl.negative.len(), 1);
        acl.set("jan", 0, false);
        assert!(acl.positive.is_empty());
        assert_eq!(acl.to_text(), b"0\n1\nbad 9\n");
    }

    #[test]
    fn malformed_text_is_an_error() {
        assert!(Acl::parse(b"").is_err());
        assert!(Acl::parse(b"1\n0\n").is_err());
        assert!(Acl::parse(b"1\n0\njan\n").is_err());
        assert!(Acl::parse(b"x\n0\n").is_err());
        assert!(Acl::parse(b"99999999999999\n0\n").is_err());
    }
}
