//! RVM sizes and numbers: every size or parameter an RVM command reads
//! (`rvm init-log SIZE`, the eight `init-data` parameters, `rvm init
//! --log-size/--data-size`, and the runbook's
//! `--rvm-log-size/--rvm-data-size`) goes through [`parse`], which is the
//! workspace's one size grammar ([`human::parse_size`]: whole numbers in
//! decimal, `0x` hex or `0` octal as `strtoul(…, 0)` reads them, spec
//! §3.2; `K`…`T`, `KiB`…`TiB`, `S`, `P`, `B`; `20MB` refused with a note
//! to write `20M`).
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

pub use human::{parse_size as parse, SizeError, SIZE_EXPECTED as EXPECTED};

/// A log's record-area size (`rvmutl` `i LOG SIZE`, spec §3.2): [`parse`],
/// rounded down to a multiple of 512, which must be greater than 512.
pub fn parse_log_size(text: &str) -> Result<u64, SizeError> {
    let bytes = parse(text)? & !511;
    if bytes <= 512 {
        return Err(SizeError::TooSmall {
            text: text.to_string(),
            bytes,
            rule: "after rounding down to a multiple of 512; a log needs more than 512",
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

    #[test]
    fn log_sizes_round_down_like_rvmutl() {
        assert_eq!(parse_log_size("1M"), Ok(1 << 20));
        assert_eq!(parse_log_size("64K"), Ok(65_536));
        assert_eq!(parse_log_size("3s"), Ok(1536));
        assert_eq!(parse_log_size("2p"), Ok(8192));
        assert_eq!(parse_log_size("1500b"), Ok(1024));
        assert_eq!(parse_log_size("1025"), Ok(1024));
        for (text, bytes) in [("1000", 512), ("512", 512), ("1023", 512), ("0", 0)] {
            let e = parse_log_size(text).unwrap_err();
            assert!(
                matches!(&e, SizeError::TooSmall { bytes: b, .. } if *b == bytes),
                "{text}: {e}"
            );
            assert_eq!(
                e.to_string(),
                format!("{text:?} is {bytes} bytes after rounding down to a multiple of 512; a log needs more than 512")
            );
        }
        assert!(matches!(
            parse_log_size("1.5G"),
            Err(SizeError::Fraction { .. })
        ));
    }

    #[test]
    fn errors_read_as_one_line() {
        let e = argument("SIZE", "12XB").unwrap_err();
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
