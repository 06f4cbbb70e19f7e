//! Tape sizes (`plan dumplists --tape-size`, `reinit init --tape-size`):
//! the workspace's one size grammar with a decimal fraction allowed
//! ([`human::parse_size_fraction`]), since a tape's capacity is often
//! written `1.5G` (`shared/spec/cli-conventions.md`, "Arguments": "`1.5G`
//! where a fraction makes sense"). Units, hex and octal, and the refusal
//! of `20MB`, are those of every other size (RVM sizes, [`rvm::size`],
//! are the same grammar without fractions).

use crate::{Error, Result};

/// Parses a tape size: `1.5G`, `20M`, `4096`, `0.5t`, `64k`, `2GiB` into
/// bytes. A fraction that does not come out whole is rounded down to the
/// byte.
///
/// ```
/// assert_eq!(recovery_plan::size::parse_tape_size("1.5G").unwrap(), 1_610_612_736);
/// assert_eq!(recovery_plan::size::parse_tape_size("20m").unwrap(), 20 << 20);
/// ```
pub fn parse_tape_size(text: &str) -> Result<u64> {
    human::parse_size_fraction(text).map_err(Error::BadSize)
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
