//! The progress meter of long work on a terminal's stderr
//! (cli-conventions.md: progress only when stderr is a terminal, never
//! with `--quiet`): a bar with bytes of the total, rate and ETA when the
//! total is known, else a spinner with the bytes and the rate (a pipe, a
//! tape, a compressed dump). Every quantity is in IEC units through
//! [`human`]; the text is made by [`text`], the bar only draws it.
//! [`Counting`] shows the bytes a reader passes on a [`Meter`].

use std::io::{self, IsTerminal, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Redraws at most this often (the text is made only then).
const REDRAW: Duration = Duration::from_millis(100);
/// The spinner turns this often, also while a read is blocked.
const SPIN: Duration = Duration::from_millis(120);
/// `total` when there is none.
const UNKNOWN: u64 = u64::MAX;

/// The progress display of one piece of long work; hidden (and nearly
/// free) when stderr is no terminal or with `--quiet`. Shared by threads.
pub struct Meter {
    bar: ProgressBar,
    start: Instant,
    total: AtomicU64,
    /// Milliseconds after `start` before which nothing is redrawn.
    next_ms: AtomicU64,
}

impl Meter {
    /// A meter on stderr when it is a terminal and not `quiet`, for work
    /// of `total` bytes (`None`: unknown, a spinner).
    pub fn new(total: Option<u64>, quiet: bool) -> Meter {
        let bar = if quiet || !io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        };
        let m = Meter {
            bar,
            start: Instant::now(),
            total: AtomicU64::new(UNKNOWN),
            next_ms: AtomicU64::new(0),
        };
        m.set_total(total);
        m
    }

    /// The total became known (or unknown): a bar, or a spinner.
    pub fn set_total(&self, total: Option<u64>) {
        self.total
            .store(total.unwrap_or(UNKNOWN), Ordering::Relaxed);
        if self.bar.is_hidden() {
            return;
        }
        let (template, tick) = match total {
            Some(t) => {
                self.bar.set_length(t);
                ("{bar:30} {msg}", None)
            }
            None => ("{spinner} {msg}", Some(SPIN)),
        };
        self.bar.set_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        match tick {
            Some(t) => self.bar.enable_steady_tick(t),
            None => self.bar.disable_steady_tick(),
        }
    }

    /// `done` bytes of the work are done; `what` says what else (e.g.
    /// `1204 objects`), asked for only when the meter redraws.
    pub fn show(&self, done: u64, what: impl FnOnce() -> String) {
        if self.bar.is_hidden() {
            return;
        }
        let now = self.start.elapsed();
        let ms = now.as_millis() as u64;
        let next = self.next_ms.load(Ordering::Relaxed);
        if ms < next
            || self
                .next_ms
                .compare_exchange(
                    next,
                    ms + REDRAW.as_millis() as u64,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_err()
        {
            return;
        }
        let total = Some(self.total.load(Ordering::Relaxed)).filter(|&t| t != UNKNOWN);
        self.bar.set_position(done.min(total.unwrap_or(done)));
        self.bar
            .set_message(text(done, total, now.as_secs_f64(), &what()));
    }

    /// Removes the display (the caller then prints its summary line).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The meter's text: `DONE/TOTAL, RATE, ETA T` with a known total,
/// `DONE, RATE` without, then `what`; `secs` is the time so far (no rate
/// before any time has passed).
pub fn text(done: u64, total: Option<u64>, secs: f64, what: &str) -> String {
    let rate = human::rate(done, secs);
    let mut s = match total {
        Some(t) => format!("{}/{}", human::size(done), human::size(t)),
        None => human::size(done),
    };
    s.push_str(", ");
    s.push_str(rate.as_deref().unwrap_or("- B/s"));
    if let Some(t) = total {
        let per_sec = done as f64 / secs;
        if done > 0 && per_sec.is_finite() {
            let left = t.saturating_sub(done) as f64 / per_sec;
            s.push_str(", ETA ");
            s.push_str(&human::duration(left.ceil() as u64));
        }
    }
    if !what.is_empty() {
        s.push_str(", ");
        s.push_str(what);
    }
    s
}

/// A reader that shows on a [`Meter`] how many bytes went through it
/// (for commands whose library reads a stream without reporting).
pub struct Counting<'m, R> {
    inner: R,
    meter: &'m Meter,
    done: u64,
}

impl<'m, R> Counting<'m, R> {
    /// Counts what is read from `inner` on `meter`.
    pub fn new(inner: R, meter: &'m Meter) -> Self {
        Counting {
            inner,
            meter,
            done: 0,
        }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        self.meter.show(self.done, String::new);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_total_shows_bytes_of_it_rate_and_eta() {
        // 1 MiB of 4 MiB in 2 s: 512 KiB/s, 3 MiB left, 6 s.
        assert_eq!(
            text(1 << 20, Some(4 << 20), 2.0, "1204 objects"),
            "1.00 MiB/4.00 MiB, 512.00 KiB/s, ETA 6 s, 1204 objects"
        );
        // 85.54 KiB of 1.5 GiB at 10 KiB/s: 157 277 s left.
        assert_eq!(
            text(87_593, Some(1_610_612_736), 87_593.0 / 10_240.0, ""),
            "85.54 KiB/1.50 GiB, 10.00 KiB/s, ETA 43 h 41 min"
        );
        assert_eq!(
            text(3 << 30, Some(3 << 30), 4.0, "done"),
            "3.00 GiB/3.00 GiB, 768.00 MiB/s, ETA 0 s, done"
        );
        assert_eq!(text(0, Some(1 << 30), 0.0, ""), "0 B/1.00 GiB, - B/s");
        assert_eq!(text(10, Some(1 << 30), 0.0, ""), "10 B/1.00 GiB, - B/s");
        // Past the total (the file grew): no negative time.
        assert_eq!(
            text(2048, Some(1024), 1.0, ""),
            "2.00 KiB/1.00 KiB, 2.00 KiB/s, ETA 0 s"
        );
    }

    #[test]
    fn an_unknown_total_shows_bytes_and_rate_only() {
        // The issue's `85.54 KiB/0 B ... ETA 0s` from a pipe.
        assert_eq!(
            text(87_593, None, 1.0, "12 objects"),
            "85.54 KiB, 85.54 KiB/s, 12 objects"
        );
        assert_eq!(text(0, None, 0.0, ""), "0 B, - B/s");
        assert_eq!(text(5 << 40, None, 1024.0, ""), "5.00 TiB, 5.00 GiB/s");
    }
}
