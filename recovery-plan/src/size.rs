//! Tape sizes (`plan dumplists --tape-size`, `reinit init --tape-size`):
//! plain bytes or a number with a K/M/G/T suffix (powers of 1024,
//! case-insensitive), fractions allowed, since a tape's capacity is often
//! written `1.5G` (`shared/spec/cli-conventions.md`, "Arguments": "`1.5G`
//! where a fraction makes sense").
//!
//! This is the one grammar with fractions. RVM sizes (`rvm init`, the
//! runbook's `--rvm-log-size`/`--rvm-data-size`) use the `rvm` crate's
//! grammar ([`rvm::size`]), which has none.

use crate::{Error, Result};

/// Parses a tape size: `1.5G`, `20M`, `4096`, `0.5t`, `64k` into bytes. A
/// fraction that does not come out whole is rounded down to the byte.
///
/// ```
/// assert_eq!(recovery_plan::size::parse_tape_size("1.5G").unwrap(), 1_610_612_736);
/// assert_eq!(recovery_plan::size::parse_tape_size("20m").unwrap(), 20 << 20);
/// ```
pub fn parse_tape_size(text: &str) -> Result<u64> {
    let bad = |reason| Error::BadSize {
        text: text.to_string(),
        reason,
    };
    let t = text.trim();
    let (number, shift) = match t.as_bytes().last() {
        None => return Err(bad("empty")),
        Some(b'k' | b'K') => (&t[..t.len() - 1], 10),
        Some(b'm' | b'M') => (&t[..t.len() - 1], 20),
        Some(b'g' | b'G') => (&t[..t.len() - 1], 30),
        Some(b't' | b'T') => (&t[..t.len() - 1], 40),
        Some(_) => (t, 0),
    };
    let (whole, frac) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return Err(bad("no digits"));
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("not a number"));
    }
    if frac.len() > 18 {
        return Err(bad("too many decimal places"));
    }
    let too_big = || bad("too large");
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_big())?
    };
    let scale = 10u128.pow(frac.len() as u32);
    let frac: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| too_big())?
    };
    let scaled = whole
        .checked_mul(scale)
        .and_then(|v| v.checked_add(frac))
        .and_then(|v| v.checked_mul(1u128 << shift))
        .ok_or_else(too_big)?;
    u64::try_from(scaled / scale).map_err(|_| too_big())
}

/// [`parse_tape_size`] for the argument `flag`: a bad value is an
/// [`Error::Argument`] naming it (a usage error).
pub fn tape_size_argument(flag: &'static str, text: &str) -> Result<u64> {
    parse_tape_size(text).map_err(|e| Error::Argument {
        flag,
        source: Box::new(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_are_powers_of_1024() {
        assert_eq!(parse_tape_size("1536").unwrap(), 1536);
        assert_eq!(parse_tape_size("1K").unwrap(), 1024);
        assert_eq!(parse_tape_size("20M").unwrap(), 20 * 1024 * 1024);
        assert_eq!(parse_tape_size("1.5G").unwrap(), 3 * 512 * 1024 * 1024);
        assert_eq!(parse_tape_size("2t").unwrap(), 2 * 1024u64.pow(4));
        assert_eq!(parse_tape_size(".5k").unwrap(), 512);
        assert_eq!(parse_tape_size("0.1K").unwrap(), 102);
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "G",
            ".",
            "1.2.3G",
            "-1M",
            "1X",
            "1 G",
            "99999999999999999999T",
        ] {
            assert!(parse_tape_size(bad).is_err(), "{bad:?} accepted");
        }
    }
}
