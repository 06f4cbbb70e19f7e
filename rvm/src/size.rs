//! The one grammar of RVM sizes and numbers: every size or parameter an
//! RVM command reads (`rvm init-log SIZE`, the eight `init-data`
//! parameters, `rvm init --log-size/--data-size`, and the runbook's
//! `--rvm-log-size/--rvm-data-size`) goes through [`parse`].
//!
//! # Grammar
//!
//! `NUMBER [UNIT]`, with surrounding white space ignored:
//!
//! - `NUMBER` is a whole number as C's `strtoul(…, 0)` reads it, which is
//!   how `rvmutl` and `rdsinit` read theirs (spec §3.2): decimal (`20`),
//!   `0x`/`0X` hexadecimal (`0x50000000`), or octal after a leading `0`
//!   (`0100` is 64). In hexadecimal a trailing `b`/`B` is a digit
//!   (`0x1B` is 27).
//! - `UNIT` is one entry of [`UNITS`], case-insensitive: `K`, `M`, `G`, `T`
//!   and `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024), `S` (512-byte
//!   sectors) and `P` (4096-byte pages) as `rvmutl` has them, and `B`
//!   (bytes). `KB`, `MB`, `GB`, `TB` are refused with a note to write `K`,
//!   `M`, … (their meaning, 1000 or 1024, is ambiguous).
//!
//! Refused: fractions (`1.5G`), signs, inner spaces (`20 M`), unknown units,
//! values above 2^64 − 1.
//!
//! A log size ([`parse_log_size`]) is then rounded down to a multiple of
//! 512 and must exceed 512, as `rvmutl`'s `init_log` requires (spec §3.2).
//!
//! ```
//! use rvm::size::{parse, parse_log_size};
//! assert_eq!(parse("20M"), Ok(20 << 20));
//! assert_eq!(parse("20MiB"), Ok(20 << 20));
//! assert_eq!(parse("0x50000000"), Ok(0x5000_0000));
//! assert_eq!(parse_log_size("2048s"), Ok(1 << 20));
//! assert!(parse("1.5G").is_err());
//! assert!(parse("20MB").is_err());
//! ```

use std::fmt;

/// A unit suffix of the grammar and what it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unit {
    /// The suffix as documented (matched case-insensitively).
    pub name: &'static str,
    /// Its meaning.
    pub meaning: Meaning,
}

/// What a [`Unit`] means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meaning {
    /// Multiply the number by this many bytes.
    Bytes(u64),
    /// Not accepted; the text says what to write instead.
    Refused(&'static str),
}

const fn bytes(name: &'static str, n: u64) -> Unit {
    Unit {
        name,
        meaning: Meaning::Bytes(n),
    }
}

const fn refused(name: &'static str, instead: &'static str) -> Unit {
    Unit {
        name,
        meaning: Meaning::Refused(instead),
    }
}

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const TIB: u64 = 1 << 40;

/// Every unit of the grammar. Adding a unit (or giving `MB` a meaning) is
/// one entry here.
pub const UNITS: &[Unit] = &[
    bytes("B", 1),
    bytes("K", KIB),
    bytes("M", MIB),
    bytes("G", GIB),
    bytes("T", TIB),
    bytes("KiB", KIB),
    bytes("MiB", MIB),
    bytes("GiB", GIB),
    bytes("TiB", TIB),
    bytes("S", 512),
    bytes("P", 4096),
    refused("KB", "K"),
    refused("MB", "M"),
    refused("GB", "G"),
    refused("TB", "T"),
];

/// What a well-formed size looks like (the `expected …` of error lines).
pub const EXPECTED: &str = "a whole number in decimal, 0x hex or 0 octal, then an optional unit: K, M, G, T, KiB, MiB, GiB, TiB = 1024-based; S = 512-byte sectors; P = 4096-byte pages; B = bytes";

/// Why a size did not parse; each names the text as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SizeError {
    /// No digits where the number should start.
    NotANumber {
        /// The text as given.
        text: String,
    },
    /// Octal (leading `0`) followed by an 8 or a 9.
    BadOctal {
        /// The text as given.
        text: String,
    },
    /// A decimal point or comma after the digits.
    Fraction {
        /// The text as given.
        text: String,
    },
    /// A suffix that is not in [`UNITS`].
    UnknownUnit {
        /// The text as given.
        text: String,
        /// The suffix.
        unit: String,
    },
    /// A suffix that [`UNITS`] refuses.
    RefusedUnit {
        /// The text as given.
        text: String,
        /// The suffix.
        unit: String,
        /// What to write instead.
        instead: &'static str,
    },
    /// The value does not fit in 64 bits.
    TooLarge {
        /// The text as given.
        text: String,
    },
    /// A log size of 512 bytes or less after rounding down to 512.
    LogTooSmall {
        /// The text as given.
        text: String,
        /// Its value after rounding down.
        bytes: u64,
    },
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SizeError::NotANumber { text } => write!(f, "{text:?} is not a number"),
            SizeError::BadOctal { text } => write!(
                f,
                "{text:?} is not a number (a leading 0 means octal: digits 0 to 7)"
            ),
            SizeError::Fraction { text } => write!(
                f,
                "{text:?} has a fraction; RVM sizes are whole numbers (write 1536M, not 1.5G)"
            ),
            SizeError::UnknownUnit { text, unit } => {
                write!(f, "{text:?} has an unknown suffix {unit:?}")
            }
            SizeError::RefusedUnit {
                text,
                unit,
                instead,
            } => write!(
                f,
                "{text:?}: the suffix {unit:?} is refused, as it may mean 1000 or 1024; write {instead}, which is 1024-based"
            ),
            SizeError::TooLarge { text } => write!(f, "{text:?} is too large"),
            SizeError::LogTooSmall { text, bytes } => write!(
                f,
                "{text:?} is {bytes} bytes after rounding down to a multiple of 512; a log needs more than 512"
            ),
        }
    }
}

impl std::error::Error for SizeError {}

/// Parses `text` with the grammar of this module (see the module docs).
pub fn parse(text: &str) -> Result<u64, SizeError> {
    let owned = || text.to_string();
    let t = text.trim();
    let (body, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if t.len() > 1 && t.starts_with('0') && t.as_bytes()[1].is_ascii_digit() {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    let end = body
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(body.len());
    let (digits, rest) = body.split_at(end);
    if radix == 8 && rest.starts_with(['8', '9']) {
        return Err(SizeError::BadOctal { text: owned() });
    }
    if digits.is_empty() {
        return Err(SizeError::NotANumber { text: owned() });
    }
    if rest.starts_with(['.', ',']) {
        return Err(SizeError::Fraction { text: owned() });
    }
    let value =
        u64::from_str_radix(digits, radix).map_err(|_| SizeError::TooLarge { text: owned() })?;
    let factor = if rest.is_empty() {
        1
    } else {
        match UNITS.iter().find(|u| u.name.eq_ignore_ascii_case(rest)) {
            Some(Unit {
                meaning: Meaning::Bytes(n),
                ..
            }) => *n,
            Some(Unit {
                meaning: Meaning::Refused(instead),
                name,
            }) => {
                return Err(SizeError::RefusedUnit {
                    text: owned(),
                    unit: (*name).to_string(),
                    instead,
                })
            }
            None => {
                return Err(SizeError::UnknownUnit {
                    text: owned(),
                    unit: rest.to_string(),
                })
            }
        }
    };
    value
        .checked_mul(factor)
        .ok_or_else(|| SizeError::TooLarge { text: owned() })
}

/// A log's record-area size (`rvmutl` `i LOG SIZE`, spec §3.2): [`parse`],
/// rounded down to a multiple of 512, which must be greater than 512.
pub fn parse_log_size(text: &str) -> Result<u64, SizeError> {
    let bytes = parse(text)? & !511;
    if bytes <= 512 {
        return Err(SizeError::LogTooSmall {
            text: text.to_string(),
            bytes,
        });
    }
    Ok(bytes)
}

/// [`parse`] for the argument called `name` (e.g. `DATALEN`): a bad value
/// is an [`Error::Size`](crate::Error::Size), a usage error.
pub fn argument(name: &'static str, text: &str) -> crate::Result<u64> {
    parse(text).map_err(|error| crate::Error::Size { name, error })
}

/// [`parse_log_size`] for the argument called `name` (e.g. `--log-size`).
pub fn log_size_argument(name: &'static str, text: &str) -> crate::Result<u64> {
    parse_log_size(text).map_err(|error| crate::Error::Size { name, error })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every accepted form, with the value the grammar gives it.
    #[test]
    fn accepted() {
        let cases: &[(&str, u64)] = &[
            ("0", 0),
            ("2097152", 2_097_152),
            ("  64  ", 64),
            ("0x50000000", 0x5000_0000),
            ("0X10", 16),
            ("0x1B", 27), // B is a hex digit
            ("0100", 64),
            ("010M", 8 << 20),
            ("0K", 0),
            ("64K", 65_536),
            ("64k", 65_536),
            ("20M", 20 << 20),
            ("20m", 20 << 20),
            ("1g", 1 << 30),
            ("2T", 2 << 40),
            ("20MiB", 20 << 20),
            ("20mib", 20 << 20),
            ("20MIB", 20 << 20),
            ("64KiB", 65_536),
            ("1GiB", 1 << 30),
            ("1TiB", 1 << 40),
            ("3s", 1536),
            ("2048S", 1 << 20),
            ("2p", 8192),
            ("1500b", 1500),
            ("1500B", 1500),
            ("18446744073709551615", u64::MAX),
            ("16777215T", 16_777_215 << 40),
        ];
        for &(text, want) in cases {
            assert_eq!(parse(text), Ok(want), "{text:?}");
        }
    }

    /// Every refused form, with the kind of refusal.
    #[test]
    fn refused() {
        let not_a_number = |t: &str| SizeError::NotANumber { text: t.into() };
        let unknown = |t: &str, u: &str| SizeError::UnknownUnit {
            text: t.into(),
            unit: u.into(),
        };
        let cases: Vec<(&str, SizeError)> = vec![
            ("", not_a_number("")),
            ("   ", not_a_number("   ")),
            ("lots", not_a_number("lots")),
            ("M", not_a_number("M")),
            ("-1", not_a_number("-1")),
            ("+1", not_a_number("+1")),
            ("0x", not_a_number("0x")),
            ("0xG", not_a_number("0xG")),
            ("08", SizeError::BadOctal { text: "08".into() }),
            (
                "0179",
                SizeError::BadOctal {
                    text: "0179".into(),
                },
            ),
            (
                "1.5G",
                SizeError::Fraction {
                    text: "1.5G".into(),
                },
            ),
            (
                "1,5G",
                SizeError::Fraction {
                    text: "1,5G".into(),
                },
            ),
            ("2.", SizeError::Fraction { text: "2.".into() }),
            ("12XB", unknown("12XB", "XB")),
            ("12Q", unknown("12Q", "Q")),
            ("20 M", unknown("20 M", " M")),
            ("20MM", unknown("20MM", "MM")),
            ("20Mi", unknown("20Mi", "Mi")),
            ("1e6", unknown("1e6", "e6")),
            ("0x10 K", unknown("0x10 K", " K")),
            (
                "18446744073709551616",
                SizeError::TooLarge {
                    text: "18446744073709551616".into(),
                },
            ),
            (
                "16777216T",
                SizeError::TooLarge {
                    text: "16777216T".into(),
                },
            ),
            (
                "99999999999999999999",
                SizeError::TooLarge {
                    text: "99999999999999999999".into(),
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), Err(want), "{text:?}");
        }
        for (text, unit, instead) in [
            ("20MB", "MB", "M"),
            ("20mb", "MB", "M"),
            ("1GB", "GB", "G"),
            ("64kb", "KB", "K"),
            ("1TB", "TB", "T"),
        ] {
            assert_eq!(
                parse(text),
                Err(SizeError::RefusedUnit {
                    text: text.into(),
                    unit: unit.into(),
                    instead
                }),
                "{text:?}"
            );
        }
    }

    #[test]
    fn log_sizes_round_down_like_rvmutl() {
        assert_eq!(parse_log_size("1M"), Ok(1 << 20));
        assert_eq!(parse_log_size("64K"), Ok(65_536));
        assert_eq!(parse_log_size("3s"), Ok(1536));
        assert_eq!(parse_log_size("2p"), Ok(8192));
        assert_eq!(parse_log_size("1500b"), Ok(1024));
        assert_eq!(parse_log_size("1025"), Ok(1024));
        for (text, bytes) in [("1000", 512), ("512", 512), ("1023", 512), ("0", 0)] {
            assert_eq!(
                parse_log_size(text),
                Err(SizeError::LogTooSmall {
                    text: text.into(),
                    bytes
                })
            );
        }
        assert!(matches!(
            parse_log_size("1.5G"),
            Err(SizeError::Fraction { .. })
        ));
    }

    #[test]
    fn every_accepted_unit_is_documented_in_expected() {
        for u in UNITS {
            if let Meaning::Bytes(_) = u.meaning {
                assert!(EXPECTED.contains(u.name), "{} missing", u.name);
            }
        }
    }

    #[test]
    fn errors_read_as_one_line() {
        let e = crate::size::argument("SIZE", "12XB").unwrap_err();
        assert_eq!(e.class(), crate::ErrorClass::Usage);
        let line = e.to_string();
        assert!(
            line.starts_with(
                "SIZE: \"12XB\" has an unknown suffix \"XB\" (expected a whole number"
            ),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }
}
