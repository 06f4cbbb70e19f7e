//! The `..CodaACLs.yaml` member (spec §11.5).

use crate::acl::Rights;

/// Appends `Q(bytes)`: YAML double-quoted escaping byte by byte, as
/// `codadump2tar` does it (spec §11.5).
pub(crate) fn quote(bytes: &[u8], out: &mut Vec<u8>) {
    for &c in bytes {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x20..=0x7e => out.push(c),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0b => out.extend_from_slice(b"\\v"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x0d => out.extend_from_slice(b"\\r"),
            0x1b => out.extend_from_slice(b"\\e"),
            _ => out.extend_from_slice(format!("\\x{c:02X}").as_bytes()),
        }
    }
}

/// Appends one directory's YAML item if its ACL text starts with two
/// decimal numbers P and M: the `- path` and `  acl:` lines, then a
/// `name`/`rights` pair per entry (negative entries' rights start with
/// `-`). Entries are read as `codadump2tar` scans them: the name runs to
/// the first whitespace, the rights are a decimal number after it; the
/// item ends early at an entry that does not scan. Returns false (and
/// appends nothing) when the text does not start with P and M.
pub fn directory_item(path: &[u8], acl_text: &[u8], out: &mut Vec<u8>) -> bool {
    let mut s = Scanner { text: acl_text };
    let (Some(plus), Some(minus)) = (s.int(), s.int()) else {
        return false;
    };
    out.extend_from_slice(b"- path: \"");
    quote(path, out);
    out.extend_from_slice(b"\"\n  acl:\n");
    let total = plus.max(0) + minus.max(0);
    for i in 0..total {
        let Some(name) = s.word() else { break };
        let Some(rights) = s.int() else { break };
        out.extend_from_slice(b"  - name: \"");
        quote(name, out);
        out.extend_from_slice(b"\"\n    rights: \"");
        if i >= plus {
            out.push(b'-');
        }
        out.extend_from_slice(Rights(rights as u32).letters().as_bytes());
        out.extend_from_slice(b"\"\n");
    }
    true
}

/// `sscanf`-style scanning: leading whitespace skipped, then a token.
struct Scanner<'a> {
    text: &'a [u8],
}

impl<'a> Scanner<'a> {
    fn skip_space(&mut self) {
        let n = self
            .text
            .iter()
            .take_while(|c| c.is_ascii_whitespace() || **c == 0x0b)
            .count();
        self.text = &self.text[n..];
    }

    /// `%d`: optional sign and decimal digits (wrapping like a C int).
    fn int(&mut self) -> Option<i64> {
        self.skip_space();
        let (neg, rest) = match self.text.first() {
            Some(b'-') => (true, &self.text[1..]),
            Some(b'+') => (false, &self.text[1..]),
            _ => (false, self.text),
        };
        let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let mut v: i64 = 0;
        for &c in &rest[..digits] {
            v = (v * 10 + i64::from(c - b'0')) & 0xffff_ffff;
        }
        self.text = &rest[digits..];
        let v = v as u32 as i32 as i64;
        Some(if neg { -v } else { v })
    }

    /// `%s`: a run of non-whitespace bytes.
    fn word(&mut self) -> Option<&'a [u8]> {
        self.skip_space();
        let n = self
            .text
            .iter()
            .take_while(|c| !(c.is_ascii_whitespace() || **c == 0x0b || **c == 0))
            .count();
        if n == 0 {
            return None;
        }
        let (w, rest) = self.text.split_at(n);
        self.text = rest;
        Some(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_the_spec_example() {
        // Spec §11.5: `q"\<TAB><0x01>é` -> `./q\"\\\t\x01\xC3\xA9`.
        let mut out = Vec::new();
        quote("./q\"\\\t\u{1}é".as_bytes(), &mut out);
        assert_eq!(out, br#"./q\"\\\t\x01\xC3\xA9"#);
    }

    #[test]
    fn negative_entries_and_rights() {
        let mut out = Vec::new();
        let text =
            b"3\n1\nSystem:AnyUser\t9\nSystem:Administrators\t127\nadmin\t31\nSystem:AnyUser\t8\n";
        assert!(directory_item(b"./subdir", text, &mut out));
        let want = "- path: \"./subdir\"\n  acl:\n\
                    \x20 - name: \"System:AnyUser\"\n    rights: \"rl\"\n\
                    \x20 - name: \"System:Administrators\"\n    rights: \"rlidwka\"\n\
                    \x20 - name: \"admin\"\n    rights: \"rlidw\"\n\
                    \x20 - name: \"System:AnyUser\"\n    rights: \"-l\"\n";
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }

    #[test]
    fn empty_and_unparsable_acls() {
        let mut out = Vec::new();
        assert!(directory_item(b".", b"0\n0\n", &mut out));
        assert_eq!(out, b"- path: \".\"\n  acl:\n");
        let mut out = Vec::new();
        assert!(!directory_item(b".", b"", &mut out));
        assert!(!directory_item(b".", b"x\n0\n", &mut out));
        assert!(!directory_item(b".", b"1\n", &mut out));
        assert!(out.is_empty());
        // Rights 0: empty for a positive entry, "-" for a negative one.
        assert!(directory_item(b".", b"1\n1\na\t0\nb\t0\n", &mut out));
        assert!(out.ends_with(b"rights: \"\"\n  - name: \"b\"\n    rights: \"-\"\n"));
    }
}
