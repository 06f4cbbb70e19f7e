//! The runbook's settings: where things are on the server and the client
//! (state directory, lists, dumps, RVM, mount directories), and the check
//! every path setting passes before it goes into a command line.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::names::{escaped, HostName};
use crate::{Error, Result};

/// Where things are on this server; everything the commands need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The server's host name in the VolumeList, if the list had several.
    pub server: Option<String>,
    /// The state directory (runbook, journal, list copies).
    pub state_dir: PathBuf,
    /// VolumeList copy in the state directory.
    pub volume_list: PathBuf,
    /// VRList copy in the state directory.
    pub vrlist: PathBuf,
    /// Tape size for `plan dumplists`, as given (e.g. `1.5G`).
    pub tape_size: String,
    /// Where `plan dumplists` writes the dumplist files.
    pub dumplist_dir: PathBuf,
    /// Directory holding one dump file per replica,
    /// `<groupid %08x>.<volid %08x>`.
    pub dump_dir: PathBuf,
    /// RVM log device or file.
    pub rvm_log: PathBuf,
    /// RVM log size (e.g. `20M`).
    pub rvm_log_size: String,
    /// RVM data segment device or file.
    pub rvm_data: PathBuf,
    /// RVM data segment size (e.g. `256M`).
    pub rvm_data_size: String,
    /// Where dumps are restored first on the two-step path
    /// ([`Settings::staging`]; manual: `/coda/tmp/restore`).
    pub restore_dir: PathBuf,
    /// The two-step path (`reinit init --staging DIR`): restore every dump
    /// into `restore_dir`, then copy it into the recreated volume. Without
    /// it each dump is restored straight into its recreated volume's mount
    /// under `inited_dir`, so its data goes through venus once. Runbooks
    /// written before this setting existed took the two-step path.
    #[serde(default = "two_step")]
    pub staging: bool,
    /// Where the recreated volumes are mounted (manual: `/coda/tmp/inited`).
    pub inited_dir: PathBuf,
    /// The operator's opt-in to replacing an existing RVM log and data
    /// segment (`reinit init --reformat-rvm`): step 13.2.2 then runs
    /// `rvm init --replace-rvm`, which overwrites only targets that are all
    /// zero or already hold RVM. Without it `rvm init` refuses any target
    /// that holds data.
    #[serde(default)]
    pub reformat_rvm: bool,
    /// The client the procedure runs on (`reinit init --client`, by default
    /// this machine): the host of every step that goes through venus.
    #[serde(default)]
    pub client: Option<HostName>,
}

impl Settings {
    /// Every path setting with its field name, in declaration order.
    pub fn paths(&self) -> [(&'static str, &Path); 9] {
        [
            ("state_dir", &self.state_dir),
            ("volume_list", &self.volume_list),
            ("vrlist", &self.vrlist),
            ("dumplist_dir", &self.dumplist_dir),
            ("dump_dir", &self.dump_dir),
            ("rvm_log", &self.rvm_log),
            ("rvm_data", &self.rvm_data),
            ("restore_dir", &self.restore_dir),
            ("inited_dir", &self.inited_dir),
        ]
    }
}

/// A path as the runbook writes it into commands: it must be UTF-8 (the
/// runbook is JSON) and free of control characters (every command is one
/// line). The error says what is wrong with it.
pub fn command_path(p: &Path) -> std::result::Result<&str, String> {
    let Some(text) = p.to_str() else {
        return Err(format!("`{}` is not UTF-8", escaped(&p.to_string_lossy())));
    };
    if let Some((i, _)) = text.char_indices().find(|(_, c)| c.is_control()) {
        return Err(format!(
            "`{}` has a control character at byte {}",
            escaped(text),
            i + 1
        ));
    }
    Ok(text)
}

/// The path runbooks without a `staging` setting took.
fn two_step() -> bool {
    true
}

/// [`command_path`] for the runbook setting `field`: an
/// [`Error::Invalid`] naming it.
pub(crate) fn check_setting(field: &str, p: &Path) -> Result<()> {
    command_path(p).map_err(|what| Error::Invalid {
        subject: format!("runbook setting {field}"),
        what,
        expected: "a UTF-8 path without control characters".to_string(),
    })?;
    Ok(())
}

/// A path setting of `reinit init` from its flag: made absolute
/// ([`crate::input::absolute`]) and checked with [`command_path`] (an
/// [`Error::Invalid`] naming the flag otherwise).
pub fn setting_path(flag: &str, p: &Path) -> Result<PathBuf> {
    let p = crate::input::absolute(p)?;
    command_path(&p).map_err(|what| Error::Invalid {
        subject: flag.to_string(),
        what,
        expected: "a UTF-8 path without control characters".to_string(),
    })?;
    Ok(p)
}
