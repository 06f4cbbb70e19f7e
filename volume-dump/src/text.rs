//! How dump fields are shown to people: dates as UTC, names as text.
//! The listings ([`crate::readdump`]), the JSON views ([`crate::view`]) and
//! the tape inventory all format through here, so a date or a name looks
//! the same wherever it is printed.

/// Unix seconds as `YYYY-MM-DD HH:MM:SS` (UTC, [`human::utc`]); 0, which
/// Coda writes for "never", stays `0`.
pub fn utc(secs: u32) -> String {
    if secs == 0 {
        return "0".into();
    }
    human::utc(u64::from(secs))
}

/// A date's `_utc` twin in the JSON views: [`human::utc`]'s text, `None`
/// (null) for 0, which Coda writes for "never".
pub fn utc_json(secs: u32) -> Option<String> {
    (secs != 0).then(|| human::utc(u64::from(secs)))
}

/// Raw bytes from a dump (a name, an ACL, a message) as text: UTF-8 where
/// they are, U+FFFD for each byte sequence that is not.
pub use human::lossy;

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
