//! The Coda server's `server.conf` (`/etc/coda/server.conf`):
//! `name=value` lines, `#` comments and empty lines ignored, the last
//! value of a repeated name wins (Coda's `codaconf`). The reinit runbook
//! takes the RVM locations from it: `rvm_log`, `rvm_data`,
//! `rvm_data_length`.

use std::collections::BTreeMap;

use crate::text::lines;
use crate::{Error, Result};

/// A parsed `server.conf`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerConf {
    /// Every name and its (last) value, surrounding double quotes removed.
    pub values: BTreeMap<String, String>,
}

impl ServerConf {
    /// Parses the file's bytes; `file` names it in errors.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Self> {
        let mut values = BTreeMap::new();
        for (number, text) in lines(bytes, file)? {
            let line = text.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                return Err(Error::Syntax {
                    file: file.to_string(),
                    line: number,
                    what: format!("`{line}` has no `=`"),
                    expected: "`name=value`, a `#` comment or an empty line".to_string(),
                });
            };
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            values.insert(name.trim().to_string(), value.to_string());
        }
        Ok(ServerConf { values })
    }

    /// The value of `name`, if set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
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
}
