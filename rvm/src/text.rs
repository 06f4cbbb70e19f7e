//! What `status` prints: rvmutl's text (spec §12: time stamps and the
//! `status` listing), and the log it is printed for (its JSON view is
//! [`crate::view::StatusJson`]).

use std::fmt::Write;
use std::path::Path;

use crate::error::Result;
use crate::log_device::LocatedLog;
use crate::reader::ChecksumRule;
use crate::status::{StatusBlock, STATUS_SIZE};
use crate::uname::Timeval;
use crate::view::StatusJson;

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wen", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `T(x)` of spec §12.0: `%3s %3s %2d %4d %2d:%02d:%02d.%06lu` in local time
/// (day names from rvmutl's table, including its "Wen").
pub fn format_time(t: Timeval) -> String {
    match crate::sys::localtime_r(t.sec) {
        Some(tm) => format!(
            "{:>3} {:>3} {:2} {:4} {:2}:{:02}:{:02}.{:06}",
            DAYS[(tm.tm_wday.rem_euclid(7)) as usize],
            MONTHS[(tm.tm_mon.rem_euclid(12)) as usize],
            tm.tm_mday,
            tm.tm_year + 1900,
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec,
            t.usec as u64
        ),
        None => format!("{}.{:06}", t.sec, t.usec as u64),
    }
}

/// What `status` needs besides the status block after tail location.
#[derive(Clone, Debug)]
pub struct StatusContext<'a> {
    /// Absolute log path as rvmutl shows it.
    pub path: &'a str,
    /// Raw-partition layout.
    pub raw: bool,
    /// End of the record area.
    pub num_bytes: u64,
    /// prev_log_tail as read from disk.
    pub disk_prev_log_tail: u64,
}

/// The text of rvmutl `status` (spec §12.1), without prompts.
pub fn status_text(s: &StatusBlock, ctx: &StatusContext<'_>) -> String {
    let mut o = String::new();
    let used = s.space_used(ctx.num_bytes);
    // Writing to a String cannot fail.
    let _ = writeln!(o, "Status of log:\t{}", ctx.path);
    o.push('\n');
    let _ = writeln!(o, "  log created on:\t{}", format_time(s.status_init));
    let _ = writeln!(o, "  log created with:\t{}", s.version);
    let _ = writeln!(o, "\t\t\t{}", s.log_version);
    let _ = writeln!(o, "\t\t\t{}", s.statistics_version);
    let _ = writeln!(o, "  status last written:\t{}", format_time(s.status_write));
    let _ = writeln!(o, "  last truncation:\t{}", format_time(s.last_trunc));
    o.push('\n');
    let _ = writeln!(o, "  log head offset:       {:10}", s.log_head);
    o.push('\n');
    if s.prev_log_head != 0 {
        let _ = writeln!(o, "  previous head offset:  {:10}", s.prev_log_head);
    }
    let _ = writeln!(o, "  log tail offset:       {:10}", s.log_tail);
    if ctx.disk_prev_log_tail != 0 {
        let _ = writeln!(o, "  previous tail offset:  {:10}", ctx.disk_prev_log_tail);
    }
    let _ = writeln!(
        o,
        "  log empty:             {}",
        if s.log_empty { " true" } else { "false" }
    );
    o.push('\n');
    let _ = writeln!(o, "  space used by records: {:10}", used);
    let _ = writeln!(
        o,
        "  space available:       {:10}",
        s.log_size.wrapping_sub(used)
    );
    let _ = writeln!(o, "  status area size:      {:10}", STATUS_SIZE);
    if ctx.raw {
        let _ = writeln!(o, "  status area offset:    {:10}", 8192);
    }
    let _ = writeln!(o, "  total log size:        {:10}", ctx.num_bytes);
    o.push('\n');
    let _ = writeln!(o, "  first record number:   {:10}", s.first_rec_num as i64);
    let _ = writeln!(
        o,
        "  last record number:    {:10}",
        s.next_rec_num.wrapping_sub(1) as i64
    );
    if !s.log_empty {
        // rvmutl's inverted test: set values print "null".
        let x = |v: Timeval| {
            if v.is_zero() {
                format_time(v)
            } else {
                "null".into()
            }
        };
        let y = |v: Timeval| {
            if v.is_zero() {
                format!("{:10}, {:010}", v.sec as u64, v.usec as u64)
            } else {
                "null".into()
            }
        };
        let _ = writeln!(o, "  first timestamp:       {}", x(s.first_write));
        let _ = writeln!(o, "  last  timestamp:       {}", x(s.last_write));
        let _ = writeln!(o, "  first trans. uname:    {}", y(s.first_uname));
        let _ = writeln!(o, "  last  trans. uname:    {}", y(s.last_uname));
    }
    o
}

/// A log opened for `status`: the status block after tail location, and
/// the path as rvmutl shows it.
#[derive(Debug)]
pub struct StatusView {
    log: LocatedLog,
    path: String,
}

impl StatusView {
    /// Opens `path` read-only (raw layout for block devices or with
    /// `raw`) and locates the tail as real RVM does.
    pub fn open(path: &Path, raw: bool) -> Result<Self> {
        let log = LocatedLog::open(path, raw, false, ChecksumRule::Rvm)?;
        let path = crate::device::absolute(path)?.display().to_string();
        Ok(StatusView { log, path })
    }

    /// The text of rvmutl `status` ([`status_text`]).
    pub fn text(&self) -> String {
        let log = &self.log;
        let ctx = StatusContext {
            path: &self.path,
            raw: log.device.is_raw(),
            num_bytes: log.num_bytes,
            disk_prev_log_tail: log.scan.disk_prev_log_tail,
        };
        status_text(&log.status, &ctx)
    }

    /// Every status field under designed names, with the figures
    /// `status` derives from them ([`StatusJson`]).
    pub fn json(&self) -> StatusJson {
        StatusJson::new(&self.log, &self.path)
    }
}
