//! The settings of the runbook's RVM step (13.2.2, `rvm init`): where the
//! log and the data segment are and how large they were before the
//! disaster. Each comes from its flag, else from server.conf (`rvm_log`,
//! `rvm_data`, `rvm_data_length`); the log size, else from the existing
//! log's status block.
//!
//! The two sizes are checked with the `rvm` crate's own check of `rvm
//! init`'s sizes ([`rvm::init::InitSizes::parse`], the grammar of
//! [`rvm::size`]), so `reinit init` accepts and refuses exactly the size
//! strings the step will accept and refuse (`1.5G` is refused here, not at
//! step 13.2.2).

use std::path::{Path, PathBuf};

use crate::server_conf::ServerConf;
use crate::{Error, Result};

/// What the operator gave on the command line.
#[derive(Debug, Clone, Default)]
pub struct RvmFlags {
    /// `--rvm-log`.
    pub log: Option<PathBuf>,
    /// `--rvm-log-size`.
    pub log_size: Option<String>,
    /// `--rvm-data`.
    pub data: Option<PathBuf>,
    /// `--rvm-data-size`.
    pub data_size: Option<String>,
}

/// The RVM settings of the runbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RvmSettings {
    /// Log device or file.
    pub log: PathBuf,
    /// Log size, as given (or the status block's byte count).
    pub log_size: String,
    /// Data segment device or file.
    pub data: PathBuf,
    /// Data segment size, as given.
    pub data_size: String,
    /// The log size in bytes when it was read from the log's status block
    /// (for the caller to say so).
    pub log_size_from_log: Option<u64>,
}

impl RvmSettings {
    /// Resolves the settings: flags first, then `conf`, then (the log
    /// size) the status block of the log, and checks the sizes.
    pub fn resolve(flags: &RvmFlags, conf: Option<&ServerConf>) -> Result<RvmSettings> {
        let from_conf = |name: &str| conf.and_then(|c| c.get(name)).map(str::to_string);
        let missing = |flag, name| Error::MissingSetting {
            flag,
            name,
            conf_read: conf.is_some(),
        };
        let log = flags
            .log
            .clone()
            .or_else(|| from_conf("rvm_log").map(PathBuf::from))
            .ok_or_else(|| missing("--rvm-log", "rvm_log"))?;
        let data = flags
            .data
            .clone()
            .or_else(|| from_conf("rvm_data").map(PathBuf::from))
            .ok_or_else(|| missing("--rvm-data", "rvm_data"))?;
        let data_size = flags
            .data_size
            .clone()
            .or_else(|| from_conf("rvm_data_length"))
            .ok_or_else(|| missing("--rvm-data-size", "rvm_data_length"))?;
        let (log_size, log_size_from_log) = match &flags.log_size {
            Some(s) => (s.clone(), None),
            None => {
                let bytes = status_block_log_size(&log)?;
                (bytes.to_string(), Some(bytes))
            }
        };
        check_sizes(&log_size, &data_size)?;
        Ok(RvmSettings {
            log,
            log_size,
            data,
            data_size,
            log_size_from_log,
        })
    }
}

/// The size of the log's record area, from its status block.
fn status_block_log_size(log: &Path) -> Result<u64> {
    rvm::LogDevice::open(log, false, false)
        .and_then(|d| d.read_status())
        .map(|s| s.log_size)
        .map_err(|source| Error::LogSizeUnknown {
            log: log.to_path_buf(),
            source,
        })
}

/// Checks the log and data sizes as `rvm init --log-size --data-size`
/// does; the error names `--rvm-log-size` or `--rvm-data-size`
/// ([`Error::RvmSize`], a usage error).
pub fn check_sizes(log_size: &str, data_size: &str) -> Result<rvm::init::InitSizes> {
    rvm::init::InitSizes::parse(("--rvm-log-size", log_size), ("--rvm-data-size", data_size))
        .map_err(Error::RvmSize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_rvm_grammar() {
        let s = check_sizes("2048s", "256MiB").unwrap();
        assert_eq!((s.log_size, s.data_size), (1 << 20, 256 << 20));
        for (log, data, flag) in [
            ("1.5G", "256M", "--rvm-log-size"),
            ("20MB", "256M", "--rvm-log-size"),
            ("512", "256M", "--rvm-log-size"),
            ("20M", "1.5G", "--rvm-data-size"),
            ("20M", "1K", "--rvm-data-size"),
        ] {
            let e = check_sizes(log, data).unwrap_err();
            assert_eq!(e.class(), crate::ErrorClass::Usage, "{e}");
            assert!(e.to_string().starts_with(flag), "{log} {data}: {e}");
        }
    }

    #[test]
    fn flags_then_server_conf() {
        let conf = ServerConf::parse(
            b"rvm_log=/vice/LOG\nrvm_data=/vice/DATA\nrvm_data_length=0x10000000\n",
            "server.conf",
        )
        .unwrap();
        let flags = RvmFlags {
            log_size: Some("20M".into()),
            data: Some("/dev/sdb2".into()),
            ..RvmFlags::default()
        };
        let s = RvmSettings::resolve(&flags, Some(&conf)).unwrap();
        assert_eq!(s.log, Path::new("/vice/LOG"));
        assert_eq!(s.data, Path::new("/dev/sdb2"));
        assert_eq!(
            (s.log_size.as_str(), s.data_size.as_str()),
            ("20M", "0x10000000")
        );
        assert_eq!(s.log_size_from_log, None);
        let none = RvmSettings::resolve(&RvmFlags::default(), None).unwrap_err();
        assert_eq!(
            none.to_string(),
            "--rvm-log: not given (expected --rvm-log or --server-conf FILE with rvm_log=)"
        );
    }
}
