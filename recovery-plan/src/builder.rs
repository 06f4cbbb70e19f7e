//! How the runbook builders ([`crate::runbook`], [`crate::cell_runbook`]) write
//! steps: numbered per section, each with the host that carries it out and
//! the volume it concerns.

use std::path::{Path, PathBuf};

use crate::cell::CellReplica;
use crate::names::{HostName, VolumeName};
use crate::settings::Settings;
use crate::shell::shell_quote;
use crate::step::{Action, Step, StepId};

/// Steps in the making.
#[derive(Default)]
pub(crate) struct Builder {
    pub(crate) steps: Vec<Step>,
    section: String,
    n: usize,
    host: Option<HostName>,
    volume: Option<VolumeName>,
    writes: Option<PathBuf>,
}

impl Builder {
    /// Starts section `section` (numbering from 1); no volume.
    pub(crate) fn section(&mut self, section: &str) {
        self.section = section.to_string();
        self.n = 0;
        self.volume = None;
    }

    /// The next steps are carried out on `host`.
    pub(crate) fn on(&mut self, host: Option<&HostName>) -> &mut Self {
        self.host = host.cloned();
        self
    }

    /// The next steps concern `volume`.
    pub(crate) fn about(&mut self, volume: Option<&VolumeName>) -> &mut Self {
        self.volume = volume.cloned();
        self
    }

    /// The next step (only that one) writes into or beneath `dir`.
    pub(crate) fn writing(&mut self, dir: &Path) -> &mut Self {
        self.writes = Some(dir.to_path_buf());
        self
    }

    fn push(&mut self, title: &str, action: Action) {
        self.n += 1;
        self.steps.push(Step {
            id: StepId::new(&self.section, self.n),
            section: self.section.clone(),
            title: title.to_string(),
            action,
            host: self.host.clone(),
            volume: self.volume.clone(),
            writes: self.writes.take(),
        });
    }

    /// A step `coda-rs` carries out.
    pub(crate) fn coda_rs(&mut self, title: &str, args: Vec<String>) {
        self.push(title, Action::CodaRs { args });
    }

    /// A shell command line (its words already quoted).
    pub(crate) fn operator(&mut self, title: &str, command: String) {
        self.push(title, Action::Operator { command });
    }

    /// Something done by hand.
    pub(crate) fn manual(&mut self, title: &str, text: &str) {
        self.push(
            title,
            Action::Manual {
                text: text.to_string(),
            },
        );
    }
}

/// The steps of the procedure that both builders write, each on the
/// current host ([`Builder::on`]) unless it says otherwise.
impl Builder {
    /// 13.1: the dumplists of every volume in the runbook's lists.
    pub(crate) fn plan_dumplists(&mut self, s: &Settings) {
        self.coda_rs(
            "Write dumplists: every volume, replicas counted, packed per tape",
            vec![
                "plan".into(),
                "dumplists".into(),
                "--volume-list".into(),
                path(&s.volume_list),
                "--vrlist".into(),
                path(&s.vrlist),
                "--tape-size".into(),
                s.tape_size.clone(),
                "-o".into(),
                path(&s.dumplist_dir),
                // The directory belongs to the runbook: a rerun after an
                // interruption replaces what the first run wrote.
                "--force".into(),
            ],
        );
    }

    /// 13.1: dump volume `volume_id` on `server` into `dump`, then check
    /// the dump on `client`, where it is restored from.
    pub(crate) fn dump(
        &mut self,
        name: &VolumeName,
        volume_id: u32,
        dump: &Path,
        server: Option<&HostName>,
        client: Option<&HostName>,
    ) {
        self.on(server).operator(
            &format!("Dump {name}, or take its dump from the last good backup"),
            format!("volutil dump {volume_id:x} {}", shell_quote(&path(dump))),
        );
        self.on(client).coda_rs(
            &format!("Check that the dump of {name} is complete and readable"),
            vec!["dump".into(), "verify".into(), path(dump)],
        );
    }

    /// 13.2: shut the server down, reinitialise its RVM, start it.
    pub(crate) fn rvm(&mut self, s: &Settings) {
        self.operator("Shut the file server down", "volutil shutdown".to_string());
        let mut rvm_init: Vec<String> = vec![
            "rvm".into(),
            "init".into(),
            "--log".into(),
            path(&s.rvm_log),
            "--log-size".into(),
            s.rvm_log_size.clone(),
            "--data".into(),
            path(&s.rvm_data),
            "--data-size".into(),
            s.rvm_data_size.clone(),
        ];
        if s.reformat_rvm {
            // The operator's opt-in: replace what already holds RVM (or
            // nothing); never `--force`, which would overwrite anything.
            rvm_init.push("--replace-rvm".into());
        }
        self.coda_rs(
            "Reinitialise RVM (log and data segment, same sizes as before)",
            rvm_init,
        );
        self.operator(
            "Start the file server on the new RVM",
            "startserver".to_string(),
        );
    }

    /// 13.3: the VLDB, after the volumes are recreated.
    pub(crate) fn bldvldb(&mut self) {
        self.operator(
            "Rebuild the volume location database",
            "bldvldb.sh".to_string(),
        );
    }

    /// 13.4: restore `dump` into `into`.
    pub(crate) fn restore(&mut self, name: &VolumeName, dump: &Path, into: &Path) {
        self.writing(into).coda_rs(
            &format!("Restore the dump of {name}"),
            vec![
                "dump".into(),
                "restore".into(),
                path(dump),
                "--into".into(),
                path(into),
            ],
        );
    }

    /// `dump verify DUMP --against TREE`, titled `title`.
    pub(crate) fn verify_against(&mut self, title: &str, dump: &Path, tree: &Path) {
        self.coda_rs(
            title,
            vec![
                "dump".into(),
                "verify".into(),
                path(dump),
                "--against".into(),
                path(tree),
            ],
        );
    }

    /// 13.5: the directory the recreated volumes are mounted in.
    pub(crate) fn mkdir_inited(&mut self, s: &Settings) {
        self.writing(&s.inited_dir).operator(
            "Create the mount directory for the recreated volumes",
            format!("mkdir -p {}", shell_quote(&path(&s.inited_dir))),
        );
    }

    /// 13.5: mount volume `name` as `dir/name`.
    pub(crate) fn mount(&mut self, name: &VolumeName, dir: &Path) {
        self.writing(&name.under(dir)).coda_rs(
            &format!("Mount the recreated {name}"),
            vec![
                "cfs".into(),
                "mkmount".into(),
                path(&name.under(dir)),
                name.to_string(),
            ],
        );
    }

    /// 13.4, two-step path only ([`Settings::staging`]): restore `dump`
    /// into the staging directory, then compare the `others` replicas'
    /// dumps with it.
    pub(crate) fn stage(
        &mut self,
        name: &VolumeName,
        dump: &Path,
        others: &[&CellReplica],
        s: &Settings,
    ) {
        if s.staging {
            let into = name.under(&s.restore_dir);
            self.restore(name, dump, &into);
            self.compare(name, others, &into);
        }
    }

    /// 13.4 (straight into the volumes) or 13.5 (two-step path): the
    /// directory the recreated volumes are mounted in.
    pub(crate) fn mount_dir(&mut self, section: &str, s: &Settings) {
        if s.staging == (section == "13.5") {
            self.mkdir_inited(s);
        }
    }

    /// 13.6: fill the recreated `name`: straight from `dump` (the
    /// default: each volume's data is written once), or by copying what
    /// was staged; then compare the `others` replicas' dumps (default path)
    /// and verify it against `dump`, both through the client.
    pub(crate) fn populate(
        &mut self,
        name: &VolumeName,
        dump: &Path,
        others: &[&CellReplica],
        s: &Settings,
    ) {
        let mounted = name.under(&s.inited_dir);
        if s.staging {
            self.writing(&mounted).coda_rs(
                &format!("Copy {name} into the recreated volume"),
                vec![
                    "copy".into(),
                    "--resume".into(),
                    path(&name.under(&s.restore_dir)),
                    path(&mounted),
                ],
            );
        } else {
            self.restore(name, dump, &mounted);
            self.compare(name, others, &mounted);
        }
        self.verify_against(&format!("Verify {name} against its dump"), dump, &mounted);
    }

    /// Each replica's dump in `others`, compared with the restored `name`
    /// in `tree`; a difference fails the step, which names it.
    pub(crate) fn compare(&mut self, name: &VolumeName, others: &[&CellReplica], tree: &Path) {
        for r in others {
            self.verify_against(
                &format!(
                    "Compare the dump of {} on {} with the restored {name} (differences are reported)",
                    r.name, r.host
                ),
                &r.dump,
                tree,
            );
        }
    }

    /// 13.7-13.9: unmount the volumes `names`, remove the directories,
    /// flush the cache, test.
    pub(crate) fn finish(&mut self, names: &[&VolumeName], s: &Settings) {
        self.section("13.7");
        for name in names {
            self.about(Some(name))
                .writing(&name.under(&s.inited_dir))
                .coda_rs(
                    &format!("Unmount {name}"),
                    vec![
                        "cfs".into(),
                        "rmmount".into(),
                        path(&name.under(&s.inited_dir)),
                    ],
                );
        }
        if s.staging {
            self.about(None).operator(
                "Remove the restore and mount directories",
                format!(
                    "rm -rf {} && rmdir {}",
                    shell_quote(&path(&s.restore_dir)),
                    shell_quote(&path(&s.inited_dir))
                ),
            );
        } else {
            self.about(None).writing(&s.inited_dir).operator(
                "Remove the mount directory",
                format!("rmdir {}", shell_quote(&path(&s.inited_dir))),
            );
        }

        self.section("13.8");
        self.coda_rs(
            "Flush this client's cache (repeat on every client)",
            vec!["cfs".into(), "flushcache".into(), "--yes".into()],
        );

        self.section("13.9");
        self.manual(
            "Test the system",
            "Test Coda (list, read and write files in each recreated volume), then let the users back in",
        );
    }
}

/// A path setting as command text; the builders have checked that every
/// path is UTF-8 ([`crate::runbook::command_path`]), so nothing is lost.
pub(crate) fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}
