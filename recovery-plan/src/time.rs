//! Time as the runbook records and shows it: Unix seconds in the journal,
//! `YYYY-MM-DD HH:MM:SSZ` (UTC) for people.

use std::time::{SystemTime, UNIX_EPOCH};

pub use human::now;

/// Now, in nanoseconds since 1970-01-01 UTC (0 for a clock set before
/// 1970): the creation stamp that ties a journal to its runbook.
pub fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Formats Unix seconds as `YYYY-MM-DD HH:MM:SSZ` ([`human::utc`], the
/// `Z` saying it is UTC).
pub fn format_utc(secs: u64) -> String {
    format!("{}Z", human::utc(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00Z");
        assert_eq!(format_utc(1_700_000_000), "2023-11-14 22:13:20Z");
        assert_eq!(format_utc(1_795_651_200 + 3661), "2026-11-26 01:01:01Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00Z");
        // A journal's times are not trusted: the largest one formats too.
        assert!(format_utc(u64::MAX).ends_with('Z'));
    }
}
