//! Parsing sizes and numbers the way the Coda tools accept them.

/// Why a number did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

fn split_radix(s: &str) -> (&str, u32) {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    }
}

/// Splits `s` into its digits (in `radix`) and the rest.
fn digits(s: &str) -> Result<(u64, &str), ParseError> {
    let (body, radix) = split_radix(s);
    let end = body
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(body.len());
    if end == 0 && radix != 8 {
        return Err(ParseError(format!("{s:?} is not a number")));
    }
    let value = if end == 0 {
        0 // a lone "0" followed by a suffix
    } else {
        u64::from_str_radix(&body[..end], radix)
            .map_err(|_| ParseError(format!("{s:?} is too large")))?
    };
    Ok((value, &body[end..]))
}

fn scale(s: &str, value: u64, suffix: &str, units: &[(&str, u64)]) -> Result<u64, ParseError> {
    let mult = if suffix.is_empty() {
        1
    } else {
        units
            .iter()
            .find(|(u, _)| u.eq_ignore_ascii_case(suffix))
            .map(|&(_, m)| m)
            .ok_or_else(|| {
                let list: Vec<&str> = units.iter().map(|(u, _)| *u).collect();
                ParseError(format!(
                    "{s:?} has an unknown suffix {suffix:?} (expected one of {})",
                    list.join(" ")
                ))
            })?
    };
    value
        .checked_mul(mult)
        .ok_or_else(|| ParseError(format!("{s:?} is too large")))
}

const KMGT: [(&str, u64); 4] = [
    ("K", 1 << 10),
    ("M", 1 << 20),
    ("G", 1 << 30),
    ("T", 1 << 40),
];

/// A number as `rdsinit` reads it (C `strtoul(…, 0)`: decimal, `0x` hex,
/// leading-`0` octal), plus an optional K/M/G/T suffix (powers of 1024).
pub fn parse_number(s: &str) -> Result<u64, ParseError> {
    let t = s.trim();
    let (value, rest) = digits(t)?;
    scale(s, value, rest, &KMGT)
}

/// A log size as `rvmutl`'s `init_log` reads it (spec §3.2): a number with
/// an optional suffix k/K, m/M, s/S (512-byte sectors), p/P (pages),
/// b/B (bytes), plus g/G and t/T; rounded down to a multiple of 512.
/// Errors unless the result is greater than 512.
pub fn parse_log_size(s: &str) -> Result<u64, ParseError> {
    let t = s.trim();
    let (value, rest) = digits(t)?;
    let units = [
        ("K", 1 << 10),
        ("M", 1 << 20),
        ("G", 1 << 30),
        ("T", 1 << 40),
        ("S", 512),
        ("P", 4096),
        ("B", 1),
    ];
    let bytes = scale(s, value, rest, &units)? & !511;
    if bytes <= 512 {
        return Err(ParseError(format!(
            "{s:?} is {bytes} bytes after rounding down to a multiple of 512; a log needs more than 512"
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_every_radix_and_suffix() {
        assert_eq!(parse_number("2097152"), Ok(2_097_152));
        assert_eq!(parse_number("0x50000000"), Ok(0x5000_0000));
        assert_eq!(parse_number("0100"), Ok(64));
        assert_eq!(parse_number("0"), Ok(0));
        assert_eq!(parse_number("64K"), Ok(65_536));
        assert_eq!(parse_number("1g"), Ok(1 << 30));
        assert!(parse_number("12Q").is_err());
        assert!(parse_number("").is_err());
        assert!(parse_number("0x").is_err());
        assert!(parse_number("99999999999999999999").is_err());
    }

    #[test]
    fn log_sizes_round_down_like_rvmutl() {
        assert_eq!(parse_log_size("1M"), Ok(1 << 20));
        assert_eq!(parse_log_size("64K"), Ok(65_536));
        assert_eq!(parse_log_size("3s"), Ok(1536));
        assert_eq!(parse_log_size("2p"), Ok(8192));
        assert_eq!(parse_log_size("1500b"), Ok(1024));
        assert!(parse_log_size("1000").is_err());
        assert!(parse_log_size("512").is_err());
    }
}
