//! The reinitialisation procedure (Coda manual chapter 13, sections
//! 13.1-13.9) as a list of concrete steps for one server.
//!
//! Each step is done by `coda-rs` (and can be run by `coda-rs reinit run`),
//! by a command the operator runs (a Coda server tool such as `volutil` or
//! `startserver`, or a shell command), or by hand. Step ids are `<section>.<n>`, e.g. `13.4.2`.
//!
//! Every operator command is a shell line whose words are quoted with
//! [`shell_quote`]; coda-rs steps are argument vectors, run without a shell
//! and shown quoted. Volume names are joined into paths only as checked
//! [`VolumeName`]s, one path component each. The one step that overwrites
//! data by itself, `rvm init`, gets `--replace-rvm` only when the operator
//! asked for it ([`Settings::reformat_rvm`]); the runbook never adds
//! `--force` to it. `--force` is only given to `plan dumplists`, whose
//! output directory lies inside the runbook's own state directory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::builder::Builder;
use crate::cell::Cell;
use crate::names::{escaped, HostName, PartitionName, VolumeName};
use crate::recreate::{CreateRep, RecreatePlan};
use crate::settings::check_setting;
pub use crate::settings::{command_path, setting_path, Settings};
pub use crate::shell::shell_quote;
pub use crate::step::{Action, Kind, Step, StepId};
use crate::{Error, Result};

/// The `format` value of runbook files this version writes and reads.
pub const FORMAT: &str = "coda-rs reinit runbook v1";

/// The steps for one server, with the inputs they were made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runbook {
    /// Always [`FORMAT`].
    pub format: String,
    /// Creation time (Unix seconds).
    pub created: u64,
    /// Paths and sizes used in the commands.
    pub settings: Settings,
    /// The volumes recreated (and restored) by the procedure.
    pub volumes: Vec<RunbookVolume>,
    /// Volumes of this server that the procedure does not recreate, with
    /// the reason (`plan recreate` explains each).
    pub not_recreated: Vec<String>,
    /// The steps in order.
    pub steps: Vec<Step>,
    /// For a runbook of the whole cell: its servers and replicated
    /// volumes ([`Runbook::build_cell`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<Cell>,
}

/// A volume the procedure recreates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunbookVolume {
    /// Replica name, e.g. `testvol.0`.
    pub name: VolumeName,
    /// Group id.
    pub group_id: u32,
    /// Replica (volume) id.
    pub volume_id: u32,
    /// Partition.
    pub partition: PartitionName,
    /// Its dump file.
    pub dump: PathBuf,
}

impl Runbook {
    /// Builds the steps of sections 13.1-13.9 for the volumes in `plan`.
    /// Fails when a path setting cannot be written into a command line
    /// ([`command_path`]).
    pub fn build(settings: Settings, plan: &RecreatePlan, created: u64) -> Result<Runbook> {
        for (field, p) in settings.paths() {
            check_setting(field, p)?;
        }
        let volumes: Vec<RunbookVolume> = plan
            .create
            .iter()
            .map(|c| RunbookVolume {
                name: c.name.clone(),
                group_id: c.group_id,
                volume_id: c.volume_id,
                partition: c.partition.clone(),
                dump: dump_file(&settings.dump_dir, c),
            })
            .collect();
        let not_recreated = plan
            .not_recreated
            .iter()
            .map(|n| format!("{} ({:x}): {}", n.name, n.volume_id, n.reason))
            .collect();
        let mut b = Builder::default();
        let s = &settings;
        let server = s.server.as_deref().and_then(|h| HostName::new(h).ok());
        let server = server.as_ref();
        let client = s.client.as_ref();

        b.section("13.1");
        b.on(client).plan_dumplists(s);
        for v in &volumes {
            b.about(Some(&v.name))
                .dump(&v.name, v.volume_id, &v.dump, server, client);
        }

        b.section("13.2");
        b.on(server).rvm(s);

        b.section("13.3");
        b.on(server);
        for c in &plan.create {
            b.about(Some(&c.name))
                .operator(&format!("Recreate {}", c.name), c.to_string());
        }
        b.about(None).bldvldb();

        b.section("13.4");
        b.on(client).mount_dir("13.4", s);
        for v in &volumes {
            b.about(Some(&v.name)).stage(&v.name, &v.dump, &[], s);
        }

        b.section("13.5");
        b.on(client).mount_dir("13.5", s);
        for v in &volumes {
            b.about(Some(&v.name)).mount(&v.name, &s.inited_dir);
        }

        b.section("13.6");
        b.on(client);
        for v in &volumes {
            b.about(Some(&v.name)).populate(&v.name, &v.dump, &[], s);
        }

        let names: Vec<&VolumeName> = volumes.iter().map(|v| &v.name).collect();
        b.on(client).finish(&names, s);

        Ok(Runbook {
            format: FORMAT.to_string(),
            created,
            settings,
            volumes,
            not_recreated,
            steps: b.steps,
            cell: None,
        })
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The step with this id, or [`Error::UnknownStep`] naming it.
    pub fn find(&self, id: &str) -> Result<&Step> {
        self.step(id)
            .ok_or_else(|| Error::UnknownStep { id: escaped(id) })
    }

    /// Position of the step with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }
}

/// The dump file of a replica: `<dump_dir>/<groupid %08x>.<volid %08x>`,
/// the name Coda's backup program gave it.
pub fn dump_file(dump_dir: &Path, c: &CreateRep) -> PathBuf {
    dump_dir.join(format!("{:08x}.{:08x}", c.group_id, c.volume_id))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Settings of a made-up server, for the crate's unit tests.
    pub(crate) fn settings() -> Settings {
        let p = |s: &str| PathBuf::from(s);
        Settings {
            server: Some("vm".into()),
            state_dir: p("/root/reinit"),
            volume_list: p("/root/reinit/VolumeList"),
            vrlist: p("/root/reinit/VRList"),
            tape_size: "1.5G".into(),
            dumplist_dir: p("/root/reinit/dumplists"),
            dump_dir: p("/backup/vm"),
            rvm_log: p("/vice/LOG"),
            rvm_log_size: "20M".into(),
            rvm_data: p("/vice/DATA"),
            rvm_data_size: "256M".into(),
            restore_dir: p("/coda/tmp/restore"),
            inited_dir: p("/coda/tmp/inited"),
            reformat_rvm: false,
            client: Some(HostName::new("client").unwrap()),
            staging: false,
        }
    }

    #[test]
    fn path_settings_are_absolute_and_fit_a_command_line() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            setting_path("--state", Path::new("st")).unwrap(),
            cwd.join("st")
        );
        match setting_path("--inited-dir", Path::new("/a\nb")) {
            Err(e @ Error::Invalid { .. }) => assert!(
                e.to_string()
                    .starts_with("--inited-dir: `/a\\x0ab` has a control character"),
                "{e}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn step_ids_number_each_section_from_one() {
        let rb = Runbook::build(settings(), &RecreatePlan::default(), 1).unwrap();
        let ids: Vec<&str> = rb.steps.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids[..4], ["13.1.1", "13.2.1", "13.2.2", "13.2.3"]);
        assert!(rb.find("13.2.2").is_ok());
        assert!(matches!(rb.find("13.2.9"), Err(Error::UnknownStep { .. })));
        match rb.find("13.\u{1b}[2J") {
            Err(Error::UnknownStep { id }) => assert_eq!(id, "13.\\x1b[2J"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("/vice/LOG"), "/vice/LOG");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
