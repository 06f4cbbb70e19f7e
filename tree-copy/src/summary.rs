//! What `coda-rs copy` tells the admin at the end of a run: a note for
//! each warning, failure and file left out, then one summary line with
//! the counts, the bytes, the time and the rate (IEC units, [`human`]).

use crate::Report;

/// How the run was asked for, as far as its summary says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SummaryOptions {
    /// Nothing was changed (`--dry-run`).
    pub dry_run: bool,
    /// Complete files were left alone (`--resume`): say how many.
    pub resume: bool,
    /// Content was compared after the copy (`--verify`): say how many.
    pub verify: bool,
}

impl Report {
    /// One line per warning (`warning: …`), failure and left-out
    /// restore journal, in that order, for stderr.
    pub fn notes(&self) -> Vec<String> {
        let warnings = self.warnings.iter().map(|w| format!("warning: {w}"));
        let failures = self.failures.iter().map(|f| f.to_string());
        let left_out = self.left_out.iter().map(|p| {
            format!(
                "{}: note: a coda-rs restore journal, not copied",
                p.display()
            )
        });
        warnings.chain(failures).chain(left_out).collect()
    }

    /// The summary line of a run that took `secs` seconds: `copy: 10
    /// files, 3 dirs, …; 1.00 MiB in 0.50 s (2.00 MiB/s); 0 failed`.
    pub fn summary_line(&self, secs: f64, opts: SummaryOptions) -> String {
        let what = if opts.dry_run {
            "copy (dry run)"
        } else {
            "copy"
        };
        let mut line = format!(
            "{what}: {} files, {} dirs, {} symlinks, {} hard links, {} special; {} in {:.2} s ({})",
            self.files,
            self.dirs,
            self.symlinks,
            self.hard_links,
            self.specials,
            human::size(self.bytes),
            secs,
            human::rate(self.bytes, secs).unwrap_or_else(|| "-".into()),
        );
        if opts.resume {
            line.push_str(&format!("; {} already complete", self.skipped));
        }
        if opts.verify {
            line.push_str(&format!("; {} verified", self.verified));
        }
        if !self.left_out.is_empty() {
            line.push_str(&format!(
                "; {} coda-rs journal(s) left out",
                self.left_out.len()
            ));
        }
        line.push_str(&format!("; {} failed", self.failures.len()));
        if self.stopped {
            line.push_str(" (stopped by --fail-fast)");
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_every_count_and_what_was_asked() {
        let mut r = Report {
            files: 10,
            dirs: 3,
            symlinks: 2,
            hard_links: 1,
            specials: 0,
            bytes: 1 << 20,
            skipped: 4,
            verified: 10,
            ..Report::default()
        };
        // 1 MiB in half a second (cli-conventions.md: IEC units).
        assert_eq!(
            r.summary_line(0.5, SummaryOptions::default()),
            "copy: 10 files, 3 dirs, 2 symlinks, 1 hard links, 0 special; \
             1.00 MiB in 0.50 s (2.00 MiB/s); 0 failed"
        );
        r.left_out.push("/s/.coda-rs-restore.json".into());
        r.stopped = true;
        let all = SummaryOptions {
            dry_run: true,
            resume: true,
            verify: true,
        };
        assert_eq!(
            r.summary_line(0.0, all),
            "copy (dry run): 10 files, 3 dirs, 2 symlinks, 1 hard links, 0 special; \
             1.00 MiB in 0.00 s (-); 4 already complete; 10 verified; \
             1 coda-rs journal(s) left out; 0 failed (stopped by --fail-fast)"
        );
        assert_eq!(
            r.notes(),
            ["/s/.coda-rs-restore.json: note: a coda-rs restore journal, not copied"]
        );
    }
}
