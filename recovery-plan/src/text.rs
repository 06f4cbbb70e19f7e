//! Line splitting shared by the text-file parsers.

use crate::{Error, Result};

/// Splits `bytes` into `(line number, line)` pairs (1-based, without the
/// newline). Every line must be UTF-8; a final line without a newline is
/// still returned.
pub(crate) fn lines<'a>(bytes: &'a [u8], file: &str) -> Result<Vec<(usize, &'a str)>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut number = 0;
    while !rest.is_empty() {
        number += 1;
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        let line = std::str::from_utf8(line).map_err(|e| Error::Syntax {
            file: file.to_string(),
            line: number,
            what: format!("byte {} of the line is not UTF-8", e.valid_up_to() + 1),
            expected: "a text line".to_string(),
        })?;
        out.push((number, line));
        rest = next;
    }
    Ok(out)
}

/// Parses a hex number without `0x` (as `%x` writes it) into a u32.
pub(crate) fn hex_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// Parses a hex number without `0x` into a u64.
pub(crate) fn hex_u64(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}
