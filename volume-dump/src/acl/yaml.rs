//! The `..CodaACLs.yaml` file (spec §11.5): a tree's ACLs, one item per
//! directory, as `codadump2tar` writes them into its tar and `dump
//! restore` beside the restored tree. [`directory_item`] writes an item,
//! [`parse_acl_yaml`] reads a whole file back into ACL texts.

use std::collections::HashMap;

use super::text::{Acl, AclEntry, Rights, MAX_NAME_LEN};

/// Name of the ACL file: a member at the root of `codadump2tar`'s tar, a
/// file in the root of a restored tree, read back by `dump create`.
pub const ACL_FILE: &str = "..CodaACLs.yaml";

/// Appends `Q(bytes)`: YAML double-quoted escaping byte by byte, as
/// `codadump2tar` does it (spec §11.5).
fn quote(bytes: &[u8], out: &mut Vec<u8>) {
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

/// One directory of the ACL file: the line of its `- path:`, the path,
/// positive and negative entries.
type YamlAcl = (usize, Vec<u8>, Vec<Vec<u8>>, Vec<Vec<u8>>);

/// Parses codadump2tar's `..CodaACLs.yaml` (spec §11.5) into ACL texts by
/// directory path (`.`, `./subdir`, ...). Every text returned is one
/// [`Acl::parse`] accepts: an entry name that the text form cannot carry
/// (empty, too long, holding whitespace or NUL, which would shift or inject
/// entries) is an error naming its line, and so is a directory whose ACL
/// breaks the text form's limits.
pub fn parse_acl_yaml(text: &[u8]) -> std::result::Result<HashMap<Vec<u8>, Vec<u8>>, String> {
    let mut out = HashMap::new();
    let mut lines = text.split(|&b| b == b'\n').enumerate().peekable();
    match lines.next() {
        Some((_, b"acls:")) => {}
        _ => return Err("line 1: expected `acls:`".into()),
    }
    let mut current: Option<YamlAcl> = None;
    let mut finish = |cur: Option<YamlAcl>| -> std::result::Result<(), String> {
        let Some((line, path, pos, neg)) = cur else {
            return Ok(());
        };
        let mut t = format!("{}\n{}\n", pos.len(), neg.len()).into_bytes();
        for e in pos.iter().chain(&neg) {
            t.extend_from_slice(e);
        }
        if let Err(e) = Acl::parse(&t) {
            return Err(format!(
                "line {line}: the ACL of {:?} cannot be stored: {e}",
                String::from_utf8_lossy(&path)
            ));
        }
        out.insert(path, t);
        Ok(())
    };
    while let Some((i, line)) = lines.next() {
        let n = i + 1;
        if line.is_empty() {
            continue;
        }
        if let Some(q) = line.strip_prefix(b"- path: ") {
            finish(current.take())?;
            current = Some((
                n,
                unquote(q).map_err(|e| format!("line {n}: {e}"))?,
                Vec::new(),
                Vec::new(),
            ));
        } else if line == b"  acl:" {
            if current.is_none() {
                return Err(format!("line {n}: `acl:` before a `- path:`"));
            }
        } else if let Some(q) = line.strip_prefix(b"  - name: ") {
            let name = unquote(q).map_err(|e| format!("line {n}: {e}"))?;
            if !AclEntry::valid_name(&name) {
                return Err(format!(
                    "line {n}: entry name {:?} (expected 1 to {MAX_NAME_LEN} bytes without \
                     whitespace or NUL)",
                    String::from_utf8_lossy(&name)
                ));
            }
            let rights = match lines.next() {
                Some((_, l)) => l
                    .strip_prefix(b"    rights: ")
                    .ok_or_else(|| format!("line {}: expected `rights:`", n + 1))?,
                None => return Err(format!("line {}: expected `rights:`", n + 1)),
            };
            let rights = unquote(rights).map_err(|e| format!("line {}: {e}", n + 1))?;
            let (negative, letters) = match rights.strip_prefix(b"-") {
                Some(rest) => (true, rest),
                None => (false, &rights[..]),
            };
            let mut bits = 0u32;
            for &c in letters {
                bits |= match c {
                    b'r' => 1,
                    b'l' => 8,
                    b'i' => 4,
                    b'd' => 16,
                    b'w' => 2,
                    b'k' => 32,
                    b'a' => 64,
                    _ => return Err(format!("line {}: unknown right {:?}", n + 1, c as char)),
                };
            }
            let mut entry = name;
            entry.push(b'\t');
            entry.extend_from_slice(bits.to_string().as_bytes());
            entry.push(b'\n');
            let Some(cur) = current.as_mut() else {
                return Err(format!("line {n}: entry before a `- path:`"));
            };
            if negative {
                cur.3.push(entry);
            } else {
                if !cur.3.is_empty() {
                    return Err(format!("line {n}: positive entry after a negative one"));
                }
                cur.2.push(entry);
            }
        } else {
            return Err(format!("line {n}: not part of the ..CodaACLs.yaml format"));
        }
    }
    finish(current.take())?;
    Ok(out)
}

/// Undoes the YAML double-quoted escaping of spec §11.5.
fn unquote(q: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let inner = q
        .strip_prefix(b"\"")
        .and_then(|s| s.strip_suffix(b"\""))
        .ok_or("expected a double-quoted string")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let c = inner[i];
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let e = *inner.get(i).ok_or("string ends in a backslash")?;
        i += 1;
        out.push(match e {
            b'"' => b'"',
            b'\\' => b'\\',
            b'a' => 0x07,
            b'b' => 0x08,
            b't' => b'\t',
            b'n' => b'\n',
            b'v' => 0x0b,
            b'f' => 0x0c,
            b'r' => b'\r',
            b'e' => 0x1b,
            b'x' => {
                let hex = inner.get(i..i + 2).ok_or("short \\x escape")?;
                i += 2;
                // Two hex digits: from_str_radix alone would take `+f`.
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return Err("bad \\x escape (expected two hex digits)".into());
                }
                let s = std::str::from_utf8(hex).map_err(|_| "bad \\x escape")?;
                u8::from_str_radix(s, 16).map_err(|_| "bad \\x escape")?
            }
            other => return Err(format!("unknown escape \\{}", other as char)),
        });
    }
    Ok(out)
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
