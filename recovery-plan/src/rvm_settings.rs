//! The settings of the runbook's RVM step (13.2.2, `rvm init`): where the
//! log and the data segment are and how large they were before the
//! disaster. Each comes from its flag, else from server.conf (`rvm_log`,
//! `rvm_data`, `rvm_data_length`); the log size, else from the existing
//! log's status block.

use std::path::{Path, PathBuf};

use crate::server_conf::ServerConf;
use crate::size::parse_size;
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
        check_size("--rvm-log-size", &log_size)?;
        check_size("--rvm-data-size", &data_size)?;
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

/// Checks a size argument of the runbook.
pub fn check_size(flag: &'static str, text: &str) -> Result<()> {
    parse_size(text).map(drop).map_err(|e| Error::Argument {
        flag,
        source: Box::new(e),
    })
}
