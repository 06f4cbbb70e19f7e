//! `rvm init`: a log and a data segment made with vice-setup-rvm's recipe
//! (spec §3.2, §8; [`HeapParams::coda_standard`]), and the `server.conf`
//! settings that name the pair.
//!
//! [`InitSizes::parse`] reads the two sizes (the runbook's RVM step checks
//! its sizes with it too, so both accept exactly the same strings);
//! [`InitPlan::check`] is the pre-flight: everything the two formatting
//! steps would refuse is refused before either target is written.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::contents::Overwrite;
use crate::error::{Error, Result};
use crate::heap::HeapParams;
use crate::in_use::{self, Identity};
use crate::log_device::{init_log, InitLogOptions, InitLogReport};
use crate::rdsinit::{claim_data_target, init_data, InitDataOptions, InitDataReport};
use crate::uname::Timeval;

/// The two sizes of an RVM pair, parsed and checked: the log's record
/// area and the data segment, whose heap follows vice-setup-rvm's recipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitSizes {
    /// Record-area size of the log (a multiple of 512, above 512).
    pub log_size: u64,
    /// Length of the data segment (`rvm_data_length` of server.conf).
    pub data_size: u64,
    /// The heap parameters derived from `data_size`, valid.
    pub heap: HeapParams,
}

impl InitSizes {
    /// Parses `(argument name, text)` for the log size and the data size
    /// with the grammar of [`crate::size`], and checks that the data size
    /// gives a valid heap. Errors name the argument as given (e.g.
    /// `--data-size 1M: gives HEAPLEN 0: …`).
    pub fn parse(log_size: (&'static str, &str), data_size: (&'static str, &str)) -> Result<Self> {
        let log = crate::size::log_size_argument(log_size.0, log_size.1)?;
        let data = crate::size::argument(data_size.0, data_size.1)?;
        let heap = HeapParams::coda_standard(data);
        heap.validate().map_err(|e| match e {
            Error::Parameter { name, value, rule } => Error::Parameter {
                name: data_size.0,
                value: data_size.1.to_string(),
                rule: format!("gives {name} {value}: {rule}"),
            },
            other => other,
        })?;
        Ok(InitSizes {
            log_size: log,
            data_size: data,
            heap,
        })
    }
}

/// What `rvm init` may overwrite, and how it fills the data segment.
#[derive(Clone, Copy, Debug, Default)]
pub struct InitOptions {
    /// Overwrite targets that hold data (never one in use).
    pub force: bool,
    /// Overwrite only zeros or the RVM structure being made.
    pub replace_rvm: bool,
    /// Leave the zero-filled parts of a regular data file as holes.
    pub sparse: bool,
    /// Stops both steps (see [`InitLogOptions::stop`],
    /// [`InitDataOptions::stop`]).
    pub stop: crate::device::Stop,
}

/// A checked `rvm init`: the targets passed every check the two steps
/// make, so running [`InitPlan::init_log`] then [`InitPlan::init_data`]
/// fails only if a target changes meanwhile or an I/O error occurs.
#[derive(Clone, Debug)]
pub struct InitPlan {
    log: PathBuf,
    data: PathBuf,
    sizes: InitSizes,
    opts: InitOptions,
}

impl InitPlan {
    /// The pre-flight: the log and the data target are different objects
    /// (no hard link, symlink, or partition of the other), and the data
    /// target is usable (not in use, large enough, holding nothing the
    /// overwrite policy protects). The log target is checked by
    /// [`InitPlan::init_log`] before it writes anything.
    pub fn check(log: &Path, data: &Path, sizes: InitSizes, opts: InitOptions) -> Result<Self> {
        let overlap = match (Identity::of_path(log), Identity::of_path(data)) {
            (Some(l), Some(d)) => in_use::overlaps(l, d),
            _ => false,
        };
        if log == data || overlap {
            return Err(Error::Target {
                path: log.to_path_buf(),
                what: format!(
                    "--log and --data name the same file or overlapping devices ({})",
                    data.display()
                ),
                expected: "a data segment distinct from the log".into(),
            });
        }
        let layout = sizes.heap.validate()?;
        let overwrite = Overwrite::from_flags(opts.force, opts.replace_rvm);
        // init_data claims it again, under its own claim.
        drop(claim_data_target(data, layout.file_size(), overwrite)?);
        Ok(InitPlan {
            log: log.to_path_buf(),
            data: data.to_path_buf(),
            sizes,
            opts,
        })
    }

    /// The sizes.
    pub fn sizes(&self) -> &InitSizes {
        &self.sizes
    }

    /// Step 1: formats the log (as [`init_log`]), stamped `now`.
    pub fn init_log(
        &self,
        now: Timeval,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<InitLogReport> {
        let opts = InitLogOptions {
            force: self.opts.force,
            replace_rvm: self.opts.replace_rvm,
            dry_run: false,
            stop: self.opts.stop,
        };
        init_log(&self.log, self.sizes.log_size, opts, now, progress)
    }

    /// Step 2: builds the data segment (as [`init_data`]).
    pub fn init_data(&self, progress: &mut dyn FnMut(u64, u64)) -> Result<InitDataReport> {
        let opts = InitDataOptions {
            force: self.opts.force,
            replace_rvm: self.opts.replace_rvm,
            sparse: self.opts.sparse,
            dry_run: false,
            stop: self.opts.stop,
        };
        init_data(&self.log, &self.data, &self.sizes.heap, opts, progress)
    }

    /// The `server.conf` settings naming the pair, once step 2 is done.
    pub fn server_conf(&self, data: &InitDataReport) -> Result<ServerConf> {
        Ok(ServerConf {
            rvm_log: crate::device::absolute(&self.log)?.display().to_string(),
            rvm_data: data.data_path.display().to_string(),
            rvm_data_length: self.sizes.data_size,
        })
    }
}

/// The three `server.conf` settings of an RVM pair (names as in
/// server.conf, also the JSON keys).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerConf {
    /// Absolute path of the log.
    pub rvm_log: String,
    /// Absolute path of the data segment.
    pub rvm_data: String,
    /// Length of the data segment.
    pub rvm_data_length: u64,
}

impl ServerConf {
    /// The settings as server.conf lines, after a comment line.
    pub fn text(&self) -> String {
        format!(
            "# server.conf settings for this RVM pair\nrvm_log={}\nrvm_data={}\nrvm_data_length={}\n",
            self.rvm_log, self.rvm_data, self.rvm_data_length
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_grammar_and_the_recipe() {
        let s = InitSizes::parse(("--log-size", "2048s"), ("--data-size", "32MiB")).unwrap();
        assert_eq!(s.log_size, 1 << 20);
        assert_eq!(s.data_size, 32 << 20);
        assert_eq!(s.heap.heaplen, 32_440_320); // spec §7.5
        let e = InitSizes::parse(("--log-size", "1M"), ("--data-size", "1M")).unwrap_err();
        let line = e.to_string();
        assert!(line.starts_with("--data-size 1M: gives HEAPLEN "), "{line}");
        assert_eq!(e.class(), crate::ErrorClass::Usage);
        let e = InitSizes::parse(("--rvm-log-size", "1.5G"), ("--rvm-data-size", "32M"));
        assert!(e.unwrap_err().to_string().starts_with("--rvm-log-size: "));
    }

    #[test]
    fn server_conf_text() {
        let c = ServerConf {
            rvm_log: "/vice/LOG".into(),
            rvm_data: "/vice/DATA".into(),
            rvm_data_length: 33_554_432,
        };
        assert_eq!(
            c.text(),
            "# server.conf settings for this RVM pair\nrvm_log=/vice/LOG\nrvm_data=/vice/DATA\nrvm_data_length=33554432\n"
        );
    }
}
