//! `dumplist` files (Spec §15.1): one volume per line,
//! `<volid hex>\t<schedule>\t<comment>\n`.
//!
//! ```text
//! 7f000001    IFIIIII    s:coda     (fields separated by tabs)
//! 7f000003    0325476    u:jan
//! ```
//!
//! Coda's backup program stopped at the first malformed line and silently
//! ignored the rest; this parser reports that line instead. The comment is
//! free text (`s:coda`, `u:jan`), usually the volume name; it must be
//! printable ASCII, so that printing it cannot send control sequences to a
//! terminal. It is never used as a path or a shell word.

use std::fmt;
use std::path::Path;

use crate::input::read_input;
use crate::names::escaped;
use crate::text::{hex_u32, lines};
use crate::{Error, Result};

/// Longest schedule and longest comment (characters).
pub const MAX_FIELD: usize = 39;

/// Lines must be shorter than this many characters (newline excluded).
pub const MAX_LINE: usize = 80;

/// Longest line the writer produces (newline excluded), so that the line,
/// its newline and a terminating NUL fit an 80-byte buffer.
pub const WRITE_LINE: usize = MAX_LINE - 2;

/// A dump schedule: one character per day of a cycle (Spec §15.1).
/// `F`/`f` full (level 0), `I`/`i` incremental (level 1), `0`..`9` that level.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Schedule(String);

impl Schedule {
    /// Checks a schedule string: 1..=39 characters from `FfIi0123456789`.
    pub fn new(text: &str) -> Result<Self> {
        let invalid = |what: String| Error::Invalid {
            subject: format!("schedule `{text}`"),
            what,
            expected: "1 to 39 characters, each F (full), I (incremental) or a level 0-9"
                .to_string(),
        };
        if text.is_empty() || text.len() > MAX_FIELD {
            return Err(invalid(format!("{} characters", text.chars().count())));
        }
        if let Some(c) = text.chars().find(|c| level_of(*c).is_none()) {
            return Err(invalid(format!("character `{}`", escaped(&c.to_string()))));
        }
        Ok(Schedule(text.to_string()))
    }

    /// The schedule text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Cycle length in days.
    pub fn days(&self) -> usize {
        self.0.len()
    }

    /// Dump level for the UTC day containing `unix_time`: the character at
    /// `(floor(unix_time / 86400) - 3) mod len` (index 0 = a Sunday).
    pub fn level_on(&self, unix_time: i64) -> u8 {
        let day = unix_time.div_euclid(86_400) - 3;
        let index = day.rem_euclid(self.0.len() as i64) as usize;
        level_of(self.0.as_bytes()[index] as char).unwrap_or(0)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const COMMENT_EXPECTED: &str = "a comment of 1 to 39 printable ASCII characters without blanks";

/// Checks a comment: 1..=39 printable ASCII characters other than blanks.
fn check_comment(comment: &str) -> std::result::Result<(), String> {
    let n = comment.chars().count();
    if n == 0 || n > MAX_FIELD {
        return Err(format!("comment of {n} characters"));
    }
    if let Some((i, _)) = comment.char_indices().find(|(_, c)| !c.is_ascii_graphic()) {
        return Err(format!(
            "comment `{}` has a blank, control or non-ASCII character at byte {}",
            escaped(comment),
            i + 1
        ));
    }
    Ok(())
}

fn level_of(c: char) -> Option<u8> {
    match c {
        'F' | 'f' => Some(0),
        'I' | 'i' => Some(1),
        '0'..='9' => Some(c as u8 - b'0'),
        _ => None,
    }
}

/// One dumplist line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumplistEntry {
    /// Group id of a replicated volume, or a non-replicated volume's id.
    pub volume_id: u32,
    /// When to dump it at which level.
    pub schedule: Schedule,
    /// 1..=39 printable ASCII characters, usually the volume name.
    pub comment: String,
}

impl DumplistEntry {
    /// An entry whose comment is `name`, cut so that the comment stays within
    /// 39 characters and the written line within [`WRITE_LINE`].
    pub fn for_volume(volume_id: u32, schedule: Schedule, name: &str) -> Result<Self> {
        let room = WRITE_LINE - 8 - 1 - schedule.days() - 1;
        let comment: String = name.chars().take(room.min(MAX_FIELD)).collect();
        let entry = DumplistEntry {
            volume_id,
            schedule,
            comment,
        };
        entry.check()?;
        Ok(entry)
    }

    /// Checks that the entry can be written as a valid line.
    pub fn check(&self) -> Result<()> {
        if let Err(what) = check_comment(&self.comment) {
            return Err(Error::Invalid {
                subject: format!("dumplist entry {:08x}", self.volume_id),
                what,
                expected: COMMENT_EXPECTED.to_string(),
            });
        }
        let len = self.to_string().chars().count();
        if len >= MAX_LINE {
            return Err(Error::Invalid {
                subject: format!("dumplist entry {:08x}", self.volume_id),
                what: format!("line of {len} characters"),
                expected: "lines shorter than 80 characters".to_string(),
            });
        }
        Ok(())
    }
}

impl fmt::Display for DumplistEntry {
    /// The line without its newline: id as 8 hex digits, tab separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:08x}\t{}\t{}",
            self.volume_id, self.schedule, self.comment
        )
    }
}

/// A dumplist file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dumplist {
    /// The lines in file order.
    pub entries: Vec<DumplistEntry>,
}

impl Dumplist {
    /// Parses a dumplist. Unlike the historical parser, a malformed line is
    /// an error (with its line number), not the silent end of the list.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Self> {
        const EXPECTED: &str = "`<volid hex> <schedule> <comment>`, separated by blanks";
        let mut entries = Vec::new();
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            let last = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
            return Err(Error::Syntax {
                file: file.to_string(),
                line: last,
                what: "last line has no newline".to_string(),
                expected: "every line to end in a newline".to_string(),
            });
        }
        for (number, text) in lines(bytes, file)? {
            let syntax = |what: String, expected: &str| Error::Syntax {
                file: file.to_string(),
                line: number,
                what,
                expected: expected.to_string(),
            };
            let len = text.chars().count();
            if len >= MAX_LINE {
                return Err(syntax(
                    format!("line of {len} characters"),
                    "lines shorter than 80 characters",
                ));
            }
            let fields: Vec<&str> = text.split_whitespace().collect();
            if fields.len() != 3 {
                return Err(syntax(format!("{} fields", fields.len()), EXPECTED));
            }
            let volume_id = hex_u32(fields[0]).ok_or_else(|| {
                syntax(
                    format!("volume id `{}`", escaped(fields[0])),
                    "a hex volume id",
                )
            })?;
            let schedule = Schedule::new(fields[1]).map_err(|_| {
                syntax(
                    format!("schedule `{}`", escaped(fields[1])),
                    "1 to 39 characters, each F, I or 0-9",
                )
            })?;
            let comment = fields[2];
            check_comment(comment).map_err(|what| syntax(what, COMMENT_EXPECTED))?;
            entries.push(DumplistEntry {
                volume_id,
                schedule,
                comment: comment.to_string(),
            });
        }
        Ok(Dumplist { entries })
    }

    /// Reads and parses a file (`-` = stdin).
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = read_input(path)?;
        Self::parse(&bytes, &path.display().to_string())
    }

    /// The file's bytes; fails if an entry cannot be written validly.
    pub fn to_text(&self) -> Result<String> {
        let mut s = String::new();
        for e in &self.entries {
            e.check()?;
            s.push_str(&e.to_string());
            s.push('\n');
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_parses() {
        let text = "7f000001\tIFIIIII\ts:coda\n7f000003\t0325476\tu:jan\n";
        let d = Dumplist::parse(text.as_bytes(), "dumplist").unwrap();
        assert_eq!(d.entries.len(), 2);
        assert_eq!(d.entries[0].volume_id, 0x7f000001);
        assert_eq!(d.entries[1].schedule.as_str(), "0325476");
        assert_eq!(d.entries[1].comment, "u:jan");
        assert_eq!(d.to_text().unwrap(), text);
    }

    #[test]
    fn schedule_day_index() {
        // 1970-01-04 (day 3) was a Sunday: index 0.
        let s = Schedule::new("FIIIII2").unwrap();
        assert_eq!(s.level_on(3 * 86_400), 0);
        assert_eq!(s.level_on(4 * 86_400 + 5), 1);
        assert_eq!(s.level_on(9 * 86_400 + 86_399), 2);
        assert_eq!(s.level_on(10 * 86_400), 0);
        // 2026-11-26 is a Thursday: index 4.
        let t = 1_795_651_200; // 2026-11-26T00:00:00Z
        assert_eq!(Schedule::new("0123456").unwrap().level_on(t), 4);
        assert_eq!(Schedule::new("F").unwrap().level_on(-1), 0);
    }

    #[test]
    fn bad_lines_are_errors_with_line_numbers() {
        for bad in [
            "7f000001\tIFIIIII\n",
            "7f00000x\tF\tname\n",
            "7f000001\tFX\tname\n",
            "7f000001\tF\tname extra\n",
            "7f000001\tF\t0123456789012345678901234567890123456789\n",
            "\n",
        ] {
            let text = format!("7f000009\tF\tok\n{bad}");
            match Dumplist::parse(text.as_bytes(), "d") {
                Err(Error::Syntax { line: 2, .. }) => {}
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert!(Dumplist::parse(b"1\tF\tx", "d").is_err());
    }

    #[test]
    fn long_names_are_cut_to_fit() {
        let long = "v".repeat(60);
        let e = DumplistEntry::for_volume(1, Schedule::new("F").unwrap(), &long).unwrap();
        assert_eq!(e.comment.len(), MAX_FIELD);
        let sched = Schedule::new(&"I".repeat(39)).unwrap();
        let e = DumplistEntry::for_volume(1, sched, &long).unwrap();
        assert_eq!(e.to_string().len(), WRITE_LINE);
    }
}
