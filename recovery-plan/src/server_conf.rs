//! The Coda server's `server.conf` (`/etc/coda/server.conf`), read as
//! Coda's configuration reader (`codaconf`) reads it. The reinit runbook
//! takes the RVM locations from it: `rvm_log`, `rvm_data`,
//! `rvm_data_length`.
//!
//! The rules, line by line (lines end at `\n`):
//!
//! * blanks (space, tab) at the start of a line are skipped; a line that
//!   is then empty or starts with `#` is ignored. There are no comments
//!   after a value: `rvm_log=/vice/LOG # old` sets the whole text.
//! * the name is everything before the first `=`, without trailing blanks.
//! * the value is everything after the `=` to the end of the line, without
//!   trailing blanks; one `"` or `'` at its start and one at its end are
//!   dropped (not necessarily a matching pair, exactly as Coda does). A
//!   carriage return is not a blank: a file with CRLF line ends gives
//!   values that end in `\r`, as it does for Coda.
//! * a repeated name: the last value wins. coda-rs remembers every
//!   repetition so that the caller can warn about it
//!   ([`ServerConf::warnings`]) and refuse contradicting RVM settings
//!   ([`ServerConf::check_rvm`]).
//!
//! Coda prints "Configuration error" and skips a line without `=` and a
//! line with a blank right after the `=` (the shell scripts source the
//! same file, where that blank would end the assignment); coda-rs refuses
//! both with the file and line, since it cannot know what the admin meant.
//! Coda reads lines in 256-byte pieces; coda-rs reads whole lines.

use std::collections::BTreeMap;

use crate::names::escaped;
use crate::text::lines;
use crate::{Error, Result, Warning};

/// The names that say where RVM lives and how large it is. Two different
/// values for one of them make the file ambiguous about which device holds
/// the server's data.
pub const RVM_NAMES: [&str; 3] = ["rvm_log", "rvm_data", "rvm_data_length"];

/// One `name=value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The value, quotes removed.
    pub value: String,
    /// 1-based line number.
    pub line: usize,
}

/// A name set again on a later line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// The name.
    pub name: String,
    /// The setting it had before this line.
    pub earlier: Setting,
    /// This line's setting (which wins unless set again later).
    pub later: Setting,
}

/// A parsed `server.conf`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerConf {
    /// The file's name as given to [`ServerConf::parse`].
    pub file: String,
    /// Every name and its last setting.
    pub settings: BTreeMap<String, Setting>,
    /// Every repetition, in file order.
    pub repeats: Vec<Repeat>,
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

impl ServerConf {
    /// Parses the file's bytes; `file` names it in errors and warnings.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Self> {
        let mut conf = ServerConf {
            file: file.to_string(),
            ..ServerConf::default()
        };
        for (number, text) in lines(bytes, file)? {
            let line = text.trim_start_matches(is_blank);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let syntax = |what: String| Error::Syntax {
                file: file.to_string(),
                line: number,
                what,
                expected: "`name=value` without a blank after `=`, a `#` comment or an empty line"
                    .to_string(),
            };
            let Some((name, rest)) = line.split_once('=') else {
                return Err(syntax(format!("`{}` has no `=`", escaped(line))));
            };
            if rest.starts_with(is_blank) {
                return Err(syntax(format!("`{}` has a blank after `=`", escaped(line))));
            }
            let name = name.trim_end_matches(is_blank).to_string();
            let rest = rest.strip_prefix(['"', '\'']).unwrap_or(rest);
            let rest = rest.trim_end_matches(is_blank);
            let value = rest.strip_suffix(['"', '\'']).unwrap_or(rest).to_string();
            let setting = Setting {
                value,
                line: number,
            };
            if let Some(earlier) = conf.settings.insert(name.clone(), setting.clone()) {
                conf.repeats.push(Repeat {
                    name,
                    earlier,
                    later: setting,
                });
            }
        }
        Ok(conf)
    }

    /// The value of `name`, if set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.settings
            .get(name)
            .map(|s| s.value.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The line that set `name` last, as `file:line`.
    pub fn location(&self, name: &str) -> Option<String> {
        self.settings
            .get(name)
            .map(|s| format!("{}:{}", self.file, s.line))
    }

    /// One warning per repetition, naming both lines.
    pub fn warnings(&self) -> Vec<Warning> {
        self.repeats
            .iter()
            .map(|r| Warning {
                subject: format!("{}:{}", self.file, r.later.line),
                message: if r.earlier.value == r.later.value {
                    format!(
                        "{} is set again (as at {}:{}); the last setting wins",
                        escaped(&r.name),
                        self.file,
                        r.earlier.line
                    )
                } else {
                    format!(
                        "{} is set again, to `{}` (it was `{}` at {}:{}); the last setting wins",
                        escaped(&r.name),
                        escaped(&r.later.value),
                        escaped(&r.earlier.value),
                        self.file,
                        r.earlier.line
                    )
                },
            })
            .collect()
    }

    /// Fails when one of [`RVM_NAMES`] is set twice to different values:
    /// the file does not say for sure where the server's RVM is.
    pub fn check_rvm(&self) -> Result<()> {
        let conflict = self
            .repeats
            .iter()
            .find(|r| RVM_NAMES.contains(&r.name.as_str()) && r.earlier.value != r.later.value);
        match conflict {
            None => Ok(()),
            Some(r) => Err(Error::Invalid {
                subject: format!("{}:{}", self.file, r.later.line),
                what: format!(
                    "{} is `{}` here but `{}` at {}:{}",
                    r.name,
                    escaped(&r.later.value),
                    escaped(&r.earlier.value),
                    self.file,
                    r.earlier.line
                ),
                expected: format!(
                    "one value for {}: fix server.conf, or give the setting on the command line",
                    r.name
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rvm_settings() {
        let text = "# RVM parameters\n#rvm_log=\nrvm_log=/vice/LOG\nrvm_data=\"/vice/DATA\"\n\
                    rvm_data_length=268435456\n\ntrace=100\nrvm_log=/dev/sdb1\n";
        let c = ServerConf::parse(text.as_bytes(), "server.conf").unwrap();
        assert_eq!(c.get("rvm_log"), Some("/dev/sdb1"));
        assert_eq!(c.get("rvm_data"), Some("/vice/DATA"));
        assert_eq!(c.get("rvm_data_length"), Some("268435456"));
        assert_eq!(c.get("hostname"), None);
    }

    #[test]
    fn line_without_equals_is_an_error() {
        match ServerConf::parse(b"trace=1\nrvm_log /vice/LOG\n", "server.conf") {
            Err(Error::Syntax { line: 2, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn codaconf_rules() {
        // Each line alone: (line, name, value), as codaconf reads it.
        for (line, name, value) in [
            ("  \trvm_log=/vice/LOG", "rvm_log", "/vice/LOG"),
            ("rvm_log \t=/vice/LOG  \t", "rvm_log", "/vice/LOG"),
            ("rvm_log='/vice/LOG'", "rvm_log", "/vice/LOG"),
            ("rvm_log=\"/vice/LOG'", "rvm_log", "/vice/LOG"),
            ("rvm_log=\"/vice/LOG", "rvm_log", "/vice/LOG"),
            ("rvm_log=/vice/LOG\"  ", "rvm_log", "/vice/LOG"),
            ("rvm_log=\"\"/vice/LOG\"\"", "rvm_log", "\"/vice/LOG\""),
            ("rvm_log=/vice/LOG # old", "rvm_log", "/vice/LOG # old"),
            ("rvm_log=/vice/LOG\r", "rvm_log", "/vice/LOG\r"),
            ("rvm_log=a=b", "rvm_log", "a=b"),
            ("rvm_log=", "rvm_log", ""),
            ("rvm_log=\"", "rvm_log", ""),
        ] {
            let c = ServerConf::parse(line.as_bytes(), "c").unwrap();
            let s = &c.settings[name];
            assert_eq!((s.value.as_str(), s.line), (value, 1), "{line:?}");
        }
        for skipped in ["", "   ", "# x=y", "\t#rvm_log=/x"] {
            let c = ServerConf::parse(skipped.as_bytes(), "c").unwrap();
            assert!(c.settings.is_empty(), "{skipped:?}");
        }
        for bad in ["rvm_log= /vice/LOG", "rvm_log=\t/x", "just words", "\r"] {
            match ServerConf::parse(bad.as_bytes(), "c") {
                Err(Error::Syntax { line: 1, .. }) => {}
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn repeats_warn_and_rvm_conflicts_fail() {
        let same = ServerConf::parse(b"rvm_log=/a\ntrace=1\nrvm_log=\"/a\"\n", "s.conf").unwrap();
        assert!(same.check_rvm().is_ok());
        let w = same.warnings();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].subject, "s.conf:3");
        assert!(w[0].message.contains("s.conf:1"), "{}", w[0]);

        let other = ServerConf::parse(b"trace=1\ntrace=2\n", "s.conf").unwrap();
        assert!(other.check_rvm().is_ok());
        assert_eq!(other.get("trace"), Some("2"));
        assert_eq!(other.warnings().len(), 1);

        for name in RVM_NAMES {
            let text = format!("{name}=one\nx=y\n{name}=two\n");
            let c = ServerConf::parse(text.as_bytes(), "s.conf").unwrap();
            assert_eq!(c.get(name), Some("two"));
            let e = c.check_rvm().unwrap_err().to_string();
            assert!(e.starts_with("s.conf:3: "), "{e}");
            assert!(
                e.contains("s.conf:1") && e.contains("`one`") && e.contains("`two`"),
                "{e}"
            );
        }
    }
}
