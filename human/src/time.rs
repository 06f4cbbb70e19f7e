//! Dates and durations for people: Unix seconds as UTC, the clock, and
//! how long something takes.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in seconds since 1970-01-01 UTC (0 for a clock set before 1970).
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS` in UTC (proleptic Gregorian
/// calendar), for any value: times read from a journal or a dump are not
/// trusted.
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Whole seconds as `42 s`, `3 min 05 s`, `2 h 03 min` (a progress
/// meter's ETA).
pub fn duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {:02} s", s / 60, s % 60),
        s => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dates as `date -u -d @SECS '+%F %T'` prints them.
    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1), "1970-01-01 00:00:01");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20");
        assert_eq!(utc(1_795_651_200 + 3661), "2026-11-26 01:01:01");
        assert_eq!(utc(4_107_542_399), "2100-02-28 23:59:59");
        assert_eq!(utc(u64::from(u32::MAX)), "2106-02-07 06:28:15");
        assert!(!utc(u64::MAX).is_empty());
    }

    #[test]
    fn durations_in_seconds_minutes_hours() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(59), "59 s");
        assert_eq!(duration(60), "1 min 00 s");
        assert_eq!(duration(185), "3 min 05 s");
        assert_eq!(duration(3600), "1 h 00 min");
        assert_eq!(duration(7380), "2 h 03 min");
    }
}
