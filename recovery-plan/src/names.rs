//! The names Coda's lists carry that end up in paths and shell commands:
//! volume names, partitions and server host names. Each is a newtype that
//! can only hold a checked value, so that code joining a volume name into
//! a path or printing it into a script cannot be handed an unchecked one.
//!
//! What Coda itself enforces: a volume name is at most
//! `V_MAXVOLNAMELEN - 1` = 31 bytes (the server cuts longer names when it
//! stores them, and `volutil makevrdb` rejects a longer VRList key), and
//! the list readers split fields at blanks, so no name holds a blank. Coda
//! checks nothing else; its scripts put names into `awk` and `grep`
//! patterns and unquoted shell words. coda-rs is stricter, because it
//! joins names into paths and prints them into scripts run as root:
//!
//! * a volume name is 1 to 31 printable ASCII characters (`!`..`~`),
//!   without `/`, not `.` or `..`, and not starting with `-` (it would be
//!   read as an option by `volutil` and `cfs`). Shell metacharacters such
//!   as `$ ; ' ( \`` are allowed (Coda allows them) and quoted on output.
//!   Non-ASCII names are refused: Coda's tools do not handle them either.
//! * a partition is an absolute path of printable ASCII characters without
//!   a `..` component, shorter than `MAXPATHLEN` (4096 bytes).
//! * a host name is 1 to 255 letters, digits, `.`, `-` and `_`, starting
//!   with a letter or digit.

use std::fmt;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Longest volume name in bytes (`V_MAXVOLNAMELEN` 32, including the NUL).
pub const MAX_VOLUME_NAME: usize = 31;

/// Longest partition path in bytes (`MAXPATHLEN` 4096, including the NUL).
pub const MAX_PARTITION: usize = 4095;

/// Longest host name in bytes.
pub const MAX_HOST: usize = 255;

/// What was wrong with a name, for the caller to place (file and line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    /// What was found, with unprintable characters escaped.
    pub what: String,
    /// What a valid name looks like.
    pub expected: &'static str,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (expected {})", self.what, self.expected)
    }
}

impl std::error::Error for NameError {}

const VOLUME_EXPECTED: &str =
    "a volume name of 1 to 31 printable ASCII characters, without blanks \
     or `/`, not `.` or `..`, not starting with `-`";
const PARTITION_EXPECTED: &str = "an absolute partition path such as /vicepa, of printable ASCII \
     characters without blanks, no `..` component, shorter than 4096 bytes";
const HOST_EXPECTED: &str = "a host name of 1 to 255 letters, digits, `.`, `-` or `_`, starting \
     with a letter or digit";

/// `text` for an error message: printable ASCII as is, everything else
/// escaped (`\x01`, `\u{e9}`), so that a hostile name cannot send control
/// sequences to the operator's terminal.
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ' '..='~' => out.push(c),
            c if c.is_ascii() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.extend(c.escape_unicode()),
        }
    }
    out
}

fn refuse<T>(what: String, expected: &'static str) -> Result<T, NameError> {
    Err(NameError { what, expected })
}

/// Checks that every character is printable ASCII other than the blank.
fn printable(kind: &str, text: &str, expected: &'static str) -> Result<(), NameError> {
    if text.is_empty() {
        return refuse(format!("empty {kind}"), expected);
    }
    if let Some((i, c)) = text.char_indices().find(|(_, c)| !c.is_ascii_graphic()) {
        let what = match c {
            ' ' => "a blank",
            c if c.is_ascii_control() => "a control character",
            _ => "a non-ASCII character",
        };
        return refuse(
            format!("{kind} `{}` has {what} at byte {}", escaped(text), i + 1),
            expected,
        );
    }
    Ok(())
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(s: String) -> Result<Self, NameError> {
                $name::new(&s)
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }
    };
}

/// A checked volume name (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VolumeName(String);

string_newtype!(VolumeName);

impl VolumeName {
    /// Checks `name`.
    pub fn new(name: &str) -> Result<Self, NameError> {
        let fail = |what: String| refuse(what, VOLUME_EXPECTED);
        printable("volume name", name, VOLUME_EXPECTED)?;
        let shown = escaped(name);
        if let Some(i) = name.find('/') {
            return fail(format!("volume name `{shown}` has `/` at byte {}", i + 1));
        }
        if name.len() > MAX_VOLUME_NAME {
            return fail(format!(
                "volume name `{shown}` is {} bytes long",
                name.len()
            ));
        }
        if name == "." || name == ".." {
            return fail(format!("volume name `{shown}`"));
        }
        if name.starts_with('-') {
            return fail(format!("volume name `{shown}` starts with `-`"));
        }
        Ok(VolumeName(name.to_string()))
    }

    /// `dir/<name>`: the name is one path component, so the result is
    /// always directly inside `dir`.
    pub fn under(&self, dir: &Path) -> PathBuf {
        dir.join(&self.0)
    }
}

/// A checked server partition path such as `/vicepa`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PartitionName(String);

string_newtype!(PartitionName);

impl PartitionName {
    /// Checks `path`.
    pub fn new(path: &str) -> Result<Self, NameError> {
        let fail = |what: String| refuse(what, PARTITION_EXPECTED);
        printable("partition", path, PARTITION_EXPECTED)?;
        let shown = escaped(path);
        if !path.starts_with('/') {
            return fail(format!("partition `{shown}` is not an absolute path"));
        }
        if path.split('/').any(|c| c == "..") {
            return fail(format!("partition `{shown}` has a `..` component"));
        }
        if path.len() > MAX_PARTITION {
            return fail(format!("partition of {} bytes", path.len()));
        }
        Ok(PartitionName(path.to_string()))
    }
}

/// A checked server host name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HostName(String);

string_newtype!(HostName);

impl HostName {
    /// This machine's name (`uname -n`, read from
    /// `/proc/sys/kernel/hostname`), if it is a valid host name.
    pub fn this_machine() -> Option<HostName> {
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
        HostName::new(name.trim_end_matches('\n')).ok()
    }

    /// Checks `host`.
    pub fn new(host: &str) -> Result<Self, NameError> {
        let fail = |what: String| refuse(what, HOST_EXPECTED);
        printable("host name", host, HOST_EXPECTED)?;
        let shown = escaped(host);
        if let Some((i, c)) = host
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        {
            return fail(format!("host name `{shown}` has {c:?} at byte {}", i + 1));
        }
        if !host.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return fail(format!(
                "host name `{shown}` does not start with a letter or digit"
            ));
        }
        if host.len() > MAX_HOST {
            return fail(format!("host name of {} bytes", host.len()));
        }
        Ok(HostName(host.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names() {
        for ok in [
            "testvol.0",
            "u.jan.backup",
            "a$b",
            "x;y",
            "it's",
            "`q`",
            "p(1)",
            "..x",
            "a=b",
            &"v".repeat(31),
        ] {
            assert_eq!(VolumeName::new(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "../x",
            "/etc",
            "a b",
            "a\tb",
            "a\nb",
            "a\x1bb",
            "a\x7fb",
            "café",
            "-x",
            &"v".repeat(32),
        ] {
            let e = VolumeName::new(bad).unwrap_err();
            assert!(!e.what.contains(|c: char| c.is_control()), "{e:?}");
        }
        assert_eq!(
            VolumeName::new("..x").unwrap().under(Path::new("/r")),
            PathBuf::from("/r/..x")
        );
    }

    #[test]
    fn partitions_and_hosts() {
        for ok in ["/vicepa", "/srv/coda/vicepb", "/a..b", "/"] {
            PartitionName::new(ok).unwrap();
        }
        for bad in ["vicepa", "", "/a/../b", "/..", "/a b", "/a\nb", "./x"] {
            PartitionName::new(bad).unwrap_err();
        }
        for ok in ["vm", "coda1.cs.example.org", "10.0.0.1", "a_b-c"] {
            HostName::new(ok).unwrap();
        }
        for bad in ["", "-h", ".x", "a b", "a;b", "a/b", "$(x)"] {
            HostName::new(bad).unwrap_err();
        }
    }

    #[test]
    fn escaping() {
        assert_eq!(escaped("a\x1b[2Jb\u{e9}"), "a\\x1b[2Jb\\u{e9}");
    }
}
