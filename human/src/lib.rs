//! How coda-rs shows quantities to people, one style for every command
//! (`../shared/spec/cli-conventions.md`): sizes and rates in powers of
//! 1024 with the binary unit names the size arguments accept
//! ([`size`], [`rate`]), dates in UTC ([`utc`], with [`now`] for the
//! clock), durations ([`duration`]), ids in hex ([`hex_id`]), raw bytes as
//! text ([`lossy`]).
//!
//! The crate depends on nothing, so every library of the workspace and the
//! binary format through it.

#![forbid(unsafe_code)]

mod size;
mod time;

pub use size::{
    parse_size, parse_size_fraction, rate, size, Meaning, SizeError, Unit, SIZE_EXPECTED,
    SIZE_FRACTION_EXPECTED, UNITS,
};
pub use time::{duration, now, utc};

/// A 32-bit id (a volume, group or replica id) as Coda prints it: eight
/// lowercase hex digits (`01000002`), the `_hex` twin of the number in
/// every `--json` document.
pub fn hex_id(id: u32) -> String {
    format!("{id:08x}")
}

/// Raw bytes (a name, an ACL, a message read from a dump or a device) as
/// text: UTF-8 where they are, U+FFFD for each byte sequence that is not.
pub fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_as_coda_prints_them() {
        assert_eq!(hex_id(0x0100_0002), "01000002");
        assert_eq!(hex_id(0x7f00_0010), "7f000010");
        assert_eq!(hex_id(0), "00000000");
        assert_eq!(hex_id(u32::MAX), "ffffffff");
    }

    #[test]
    fn names_as_text() {
        assert_eq!(lossy(b"golden.backup"), "golden.backup");
        assert_eq!(lossy(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(lossy(b""), "");
    }
}
