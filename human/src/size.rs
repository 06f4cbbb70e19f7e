//! Sizes and rates: powers of 1024, as the size arguments take them
//! (cli-conventions.md), with the binary unit names `KiB` ... `TiB`.

const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];

/// A byte count for people: whole bytes below 1 KiB (`512 B`), else two
/// decimals of the largest unit up to TiB that keeps the number at least 1
/// (`1.50 GiB`, `2048.00 TiB`).
pub fn size(bytes: u64) -> String {
    let mut unit = 0;
    let mut value = bytes as f64;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

/// A throughput: `bytes` moved in `secs` seconds as a [`size`] per second
/// (`1.50 GiB/s`); `None` when no time was measured (0, negative or not a
/// number), where a rate would be meaningless.
pub fn rate(bytes: u64, secs: f64) -> Option<String> {
    // `secs > 0.0` is false for NaN too.
    (secs > 0.0).then(|| format!("{}/s", size((bytes as f64 / secs) as u64)))
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
}
