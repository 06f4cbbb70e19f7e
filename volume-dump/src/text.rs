//! How dump fields are shown to people: dates as UTC, names as text.
//! The listings ([`crate::readdump`]), the JSON views ([`crate::view`]) and
//! the tape inventory all format through here, so a date or a name looks
//! the same wherever it is printed.

/// Unix seconds as `YYYY-MM-DD HH:MM:SS` (UTC, proleptic Gregorian
/// calendar); 0, which Coda writes for "never", stays `0`.
pub fn utc(secs: u32) -> String {
    if secs == 0 {
        return "0".into();
    }
    let days = i64::from(secs / 86_400);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Raw bytes from a dump (a name, an ACL, a message) as text: UTF-8 where
/// they are, U+FFFD for each byte sequence that is not.
pub fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dates as `date -u -d @SECS '+%F %T'` prints them.
    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "0");
        assert_eq!(utc(1), "1970-01-01 00:00:01");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20");
        assert_eq!(utc(4_107_542_399), "2100-02-28 23:59:59");
        assert_eq!(utc(u32::MAX), "2106-02-07 06:28:15");
    }

    #[test]
    fn names_as_text() {
        assert_eq!(lossy(b"golden.backup"), "golden.backup");
        assert_eq!(lossy(b"a\xffb"), "a\u{fffd}b");
    }
}
