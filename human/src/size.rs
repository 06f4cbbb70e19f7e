//! Sizes and rates both ways, one style for every command
//! (cli-conventions.md, "Arguments" and "Output"): [`size`] and [`rate`]
//! print powers of 1024 with the binary unit names `KiB` ... `TiB`;
//! [`parse_size`] (and [`parse_size_fraction`], where a fraction makes
//! sense) read the sizes every command takes.
//!
//! # The size grammar
//!
//! `NUMBER [UNIT]`, with surrounding white space ignored:
//!
//! - `NUMBER` is a whole number as C's `strtoul(…, 0)` reads it, which is
//!   how `rvmutl` and `rdsinit` read theirs: decimal (`20`), `0x`/`0X`
//!   hexadecimal (`0x50000000`), or octal after a leading `0` (`0100` is
//!   64). In hexadecimal a trailing `b`/`B` is a digit (`0x1B` is 27).
//!   [`parse_size_fraction`] also takes a decimal fraction (`1.5G`,
//!   `.5K`), rounded down to the byte.
//! - `UNIT` is one entry of [`UNITS`], case-insensitive: `K`, `M`, `G`, `T`
//!   and `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024), `S` (512-byte
//!   sectors) and `P` (4096-byte pages) as `rvmutl` has them, and `B`
//!   (bytes). `KB`, `MB`, `GB`, `TB` are refused with a note to write `K`,
//!   `M`, … (whether they mean 1000 or 1024 is ambiguous; coda-rs is
//!   1024-based throughout).
//!
//! Refused: fractions (except by [`parse_size_fraction`]), signs, inner
//! spaces (`20 M`), unknown units, values above 2^64 − 1.
//!
//! ```
//! use human::{parse_size, parse_size_fraction};
//! assert_eq!(parse_size("20M"), Ok(20 << 20));
//! assert_eq!(parse_size("20MiB"), Ok(20 << 20));
//! assert_eq!(parse_size("0x50000000"), Ok(0x5000_0000));
//! assert!(parse_size("1.5G").is_err());
//! assert_eq!(parse_size_fraction("1.5G"), Ok(3 << 29));
//! assert!(parse_size("20MB").is_err());
//! ```

use std::fmt;

const UNIT_NAMES: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];

/// A byte count for people: whole bytes below 1 KiB (`512 B`), else two
/// decimals of the largest unit up to TiB that keeps the number at least 1
/// (`1.50 GiB`, `2048.00 TiB`).
pub fn size(bytes: u64) -> String {
    let mut unit = 0;
    let mut value = bytes as f64;
    while value >= 1024.0 && unit + 1 < UNIT_NAMES.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.2} {}", UNIT_NAMES[unit])
    }
}

/// A throughput: `bytes` moved in `secs` seconds as a [`size`] per second
/// (`1.50 GiB/s`); `None` when no time was measured (0, negative or not a
/// number), where a rate would be meaningless.
pub fn rate(bytes: u64, secs: f64) -> Option<String> {
    // `secs > 0.0` is false for NaN too.
    (secs > 0.0).then(|| format!("{}/s", size((bytes as f64 / secs) as u64)))
}

/// A unit suffix of the size grammar and what it stands for.
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

/// The most significant decimal places a fraction may have.
const MAX_DECIMALS: usize = 24;

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const TIB: u64 = 1 << 40;

/// Every unit of the size grammar. Adding a unit (or giving `MB` a
/// meaning) is one entry here.
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
pub const SIZE_EXPECTED: &str = "a whole number in decimal, 0x hex or 0 octal, then an optional unit: K, M, G, T, KiB, MiB, GiB, TiB = 1024-based; S = 512-byte sectors; P = 4096-byte pages; B = bytes";

/// [`SIZE_EXPECTED`] for [`parse_size_fraction`].
pub const SIZE_FRACTION_EXPECTED: &str = "a number in decimal (a fraction allowed, e.g. 1.5G), 0x hex or 0 octal, then an optional unit: K, M, G, T, KiB, MiB, GiB, TiB = 1024-based; S = 512-byte sectors; P = 4096-byte pages; B = bytes";

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
    /// A decimal point or comma after the digits, where fractions are
    /// not allowed (or a comma, or a fraction of a hexadecimal number).
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
    /// A fraction with more than 24 significant decimal places.
    TooPrecise {
        /// The text as given.
        text: String,
    },
    /// A value below what its use needs (a caller's rule, e.g. an RVM
    /// log's minimum).
    TooSmall {
        /// The text as given.
        text: String,
        /// Its value in bytes (after the caller's rounding).
        bytes: u64,
        /// The rule, as words after the value (`after rounding down …`).
        rule: &'static str,
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
                "{text:?} has a fraction; this size is a whole number (write 1536M, not 1.5G)"
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
            SizeError::TooPrecise { text } => write!(
                f,
                "{text:?} has more than {MAX_DECIMALS} decimal places"
            ),
            SizeError::TooSmall { text, bytes, rule } => {
                write!(f, "{text:?} is {bytes} bytes {rule}")
            }
        }
    }
}

impl std::error::Error for SizeError {}

/// Parses `text` with the size grammar (see the module docs): whole
/// numbers only.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    parse(text, false)
}

/// Parses `text` with the size grammar, a decimal fraction allowed
/// (`1.5G`, `.5K`; rounded down to the byte), for sizes that are often
/// written so, such as a tape's capacity.
pub fn parse_size_fraction(text: &str) -> Result<u64, SizeError> {
    parse(text, true)
}

fn parse(text: &str, fraction: bool) -> Result<u64, SizeError> {
    let owned = || text.to_string();
    let t = text.trim();
    let octal = t.len() > 1 && t.starts_with('0') && t.as_bytes()[1].is_ascii_digit();
    // With fractions allowed, `01.5` is decimal: a fraction is never octal.
    let decimal_fraction = fraction && {
        let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        t[digits_end..].starts_with('.')
    };
    let (body, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if octal && !decimal_fraction {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    let end = body
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(body.len());
    let (digits, mut rest) = body.split_at(end);
    if radix == 8 && rest.starts_with(['8', '9']) {
        return Err(SizeError::BadOctal { text: owned() });
    }
    // The fraction's digits, when one is allowed and given.
    let mut frac = "";
    if fraction && radix == 10 && rest.starts_with('.') {
        let after = &rest[1..];
        let n = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        frac = &after[..n];
        rest = &after[n..];
        if digits.is_empty() && frac.is_empty() {
            return Err(SizeError::NotANumber { text: owned() });
        }
    } else if digits.is_empty() {
        let fraction_only =
            rest.len() > 1 && rest.starts_with(['.', ',']) && rest.as_bytes()[1].is_ascii_digit();
        return Err(if fraction_only {
            SizeError::Fraction { text: owned() }
        } else {
            SizeError::NotANumber { text: owned() }
        });
    }
    if rest.starts_with(['.', ',']) {
        return Err(SizeError::Fraction { text: owned() });
    }
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
    let too_large = || SizeError::TooLarge { text: owned() };
    let whole = if digits.is_empty() {
        0
    } else {
        u64::from_str_radix(digits, radix).map_err(|_| too_large())?
    };
    let whole_bytes = whole.checked_mul(factor).ok_or_else(too_large)?;
    // frac / 10^len of a unit, rounded down, exactly (u128 holds
    // 10^24 * 2^40).
    let frac = frac.trim_end_matches('0');
    if frac.len() > MAX_DECIMALS {
        return Err(SizeError::TooPrecise { text: owned() });
    }
    let frac_bytes = if frac.is_empty() {
        0
    } else {
        let num = frac.parse::<u128>().map_err(|_| too_large())?;
        let den = 10u128.pow(frac.len() as u32);
        (num * u128::from(factor) / den) as u64
    };
    whole_bytes.checked_add(frac_bytes).ok_or_else(too_large)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_powers_of_1024() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1024), "1.00 KiB");
        assert_eq!(size(1536), "1.50 KiB");
        assert_eq!(size(20 << 20), "20.00 MiB");
        assert_eq!(size(1_610_612_736), "1.50 GiB");
        assert_eq!(size(3 << 40), "3.00 TiB");
        assert_eq!(size(2048 << 40), "2048.00 TiB");
        assert_eq!(size(u64::MAX), "16777216.00 TiB");
    }

    #[test]
    fn rates_need_a_time() {
        assert_eq!(rate(3 << 20, 2.0).as_deref(), Some("1.50 MiB/s"));
        assert_eq!(rate(100, 4.0).as_deref(), Some("25 B/s"));
        assert_eq!(rate(0, 1.0).as_deref(), Some("0 B/s"));
        assert_eq!(rate(1 << 30, 0.0), None);
        assert_eq!(rate(1 << 30, -1.0), None);
        assert_eq!(rate(1 << 30, f64::NAN), None);
    }

    /// Fractions where they are allowed, rounded down to the byte; the
    /// expected values are the arithmetic of the grammar (n/10^k of a
    /// power of 1024).
    #[test]
    fn fractions_where_allowed() {
        let cases: &[(&str, u64)] = &[
            ("1.5G", 1_610_612_736),
            ("1.5GiB", 1_610_612_736),
            (".5k", 512),
            ("0.5t", 1 << 39),
            ("0.1K", 102),
            ("2.", 2),
            ("01.5M", 1_572_864),
            ("0.00000095367431640625T", 1 << 20),
            ("1.0000000000000000000000000000", 1),
            ("20M", 20 << 20),
            ("0x10", 16),
            ("010", 8),
            ("3s", 1536),
        ];
        for &(text, want) in cases {
            assert_eq!(parse_size_fraction(text), Ok(want), "{text:?}");
        }
        for bad in [
            "",
            ".",
            "G",
            ".G",
            "1.2.3G",
            "-1M",
            "1X",
            "1 G",
            "1,5G",
            "0x1.8G",
            "20MB",
            "1.5MB",
            "99999999999999999999T",
            "16777216.5T",
            "0.0000000000000000000000001K",
        ] {
            assert!(parse_size_fraction(bad).is_err(), "{bad:?} accepted");
        }
        assert!(matches!(
            parse_size_fraction("1.5MB"),
            Err(SizeError::RefusedUnit { .. })
        ));
        assert!(matches!(
            parse_size_fraction("0x1.8G"),
            Err(SizeError::Fraction { .. })
        ));
    }

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
            assert_eq!(parse_size(text), Ok(want), "{text:?}");
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
            (".5K", SizeError::Fraction { text: ".5K".into() }),
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
            assert_eq!(parse_size(text), Err(want), "{text:?}");
        }
        for (text, unit, instead) in [
            ("20MB", "MB", "M"),
            ("20mb", "MB", "M"),
            ("1GB", "GB", "G"),
            ("64kb", "KB", "K"),
            ("1TB", "TB", "T"),
        ] {
            assert_eq!(
                parse_size(text),
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
    fn every_accepted_unit_is_documented_in_expected() {
        for u in UNITS {
            if let Meaning::Bytes(_) = u.meaning {
                assert!(
                    SIZE_EXPECTED.contains(u.name) && SIZE_FRACTION_EXPECTED.contains(u.name),
                    "{} missing",
                    u.name
                );
            }
        }
    }
}
