//! The runbook of a whole cell: every server of the lists in one
//! procedure (Coda manual chapter 13 reinitialises all of the servers).
//!
//! Per-server steps (each on its server): the dumps of its replicas, its
//! RVM, its start. Per-volume steps happen once per **replicated volume**,
//! not once per replica: `create_rep` on each replica's server with the
//! group id from the VRList, one restore from the replica dump with the
//! latest backup date (the VolumeList's `B` field; ties go to the first
//! replica in VRList order), the other replicas' dumps compared with what
//! was restored (differences are reported), one verify through the
//! client.
//!
//! The root volume ([`crate::cell::root_volume_name`]) comes first within 13.3-13.6:
//! its replicas are recreated first, `<root>.tmp` is created with
//! `createvol_rep` unless the lists hold it, the root's dump is restored
//! straight into the root of the new cell (`/coda`: the manual's
//! `/coda/tmp`, where everything else is restored, only exists once the
//! root is back), and `cfs mkmount /coda/tmp <root>.tmp` is added when the
//! root's dump holds no mount link `tmp`.

use crate::builder::{path, Builder};
use crate::cell::{CellPlan, CellReplica, CellVolume};
use crate::names::VolumeName;
use crate::recreate::CreateRep;
use crate::runbook::{Runbook, FORMAT};
use crate::settings::{check_setting, Settings};
use crate::shell::shell_quote;
use crate::Result;

impl Runbook {
    /// Builds the steps of sections 13.1-13.9 for the whole cell of
    /// `plan`; `root_has_tmp_link` says whether the root's chosen dump
    /// holds a mount link `tmp` (no `cfs mkmount` for it then).
    pub fn build_cell(
        settings: Settings,
        plan: CellPlan,
        root_has_tmp_link: bool,
        created: u64,
    ) -> Result<Runbook> {
        for (field, p) in settings.paths() {
            check_setting(field, p)?;
        }
        check_setting("coda_dir", &plan.cell.coda_dir)?;
        let cell = plan.cell;
        let s = &settings;
        let client = s.client.as_ref();
        let mut b = Builder::default();

        b.section("13.1");
        b.on(client).plan_dumplists(s);
        for host in &cell.hosts {
            for v in &cell.volumes {
                for r in v.replicas.iter().filter(|r| &r.host == host) {
                    b.about(Some(&v.name))
                        .dump(&r.name, r.volume_id, &r.dump, Some(host), client);
                }
            }
        }

        b.section("13.2");
        for host in &cell.hosts {
            b.on(Some(host)).rvm(s);
        }

        b.section("13.3");
        for (i, v) in cell.volumes.iter().enumerate() {
            b.about(Some(&v.name));
            for r in &v.replicas {
                let line = CreateRep {
                    partition: r.partition.clone(),
                    name: r.name.clone(),
                    group_id: v.group_id,
                    volume_id: r.volume_id,
                    host: Some(r.host.clone()),
                };
                b.on(Some(&r.host)).operator(
                    &format!("Recreate {} on {}", r.name, r.host),
                    line.to_string(),
                );
            }
            if i == 0 && cell.root_found && !cell.tmp_listed() {
                let mut line = format!("createvol_rep {}", shell_quote(&cell.tmp_volume));
                for r in &v.replicas {
                    line.push(' ');
                    line.push_str(&shell_quote(&format!("{}{}", r.host, r.partition)));
                }
                b.about(Some(&cell.tmp_volume))
                    .on(Some(&cell.scm))
                    .operator(
                        &format!(
                            "Create {}, which holds {}/tmp, on the root's servers",
                            cell.tmp_volume,
                            path(&cell.coda_dir)
                        ),
                        line,
                    );
            }
        }
        b.about(None).on(Some(&cell.scm)).bldvldb();

        b.section("13.4");
        b.on(client);
        let rest: &[CellVolume] = match cell.root() {
            Some(root) => {
                b.about(Some(&root.name));
                b.restore(&root.name, &root.chosen().dump, &cell.coda_dir);
                b.verify_against(
                    &format!("Verify {} against its dump", root.name),
                    &root.chosen().dump,
                    &cell.coda_dir,
                );
                let others: Vec<&CellReplica> = root.others().collect();
                b.compare(&root.name, &others, &cell.coda_dir);
                if !root_has_tmp_link {
                    let tmp = cell.coda_dir.join("tmp");
                    b.about(Some(&cell.tmp_volume)).writing(&tmp).coda_rs(
                        &format!("Mount {} as {}", cell.tmp_volume, path(&tmp)),
                        vec![
                            "cfs".into(),
                            "mkmount".into(),
                            path(&tmp),
                            cell.tmp_volume.to_string(),
                        ],
                    );
                }
                &cell.volumes[1..]
            }
            None => &cell.volumes,
        };
        b.about(None).mount_dir("13.4", s);
        for v in rest {
            let others: Vec<&CellReplica> = v.others().collect();
            b.about(Some(&v.name))
                .stage(&v.name, &v.chosen().dump, &others, s);
        }

        b.section("13.5");
        b.on(client).mount_dir("13.5", s);
        for v in rest {
            b.about(Some(&v.name)).mount(&v.name, &s.inited_dir);
        }

        b.section("13.6");
        b.on(client);
        for v in rest {
            let others: Vec<&CellReplica> = v.others().collect();
            b.about(Some(&v.name))
                .populate(&v.name, &v.chosen().dump, &others, s);
        }

        let names: Vec<&VolumeName> = rest.iter().map(|v| &v.name).collect();
        b.on(client).finish(&names, s);

        Ok(Runbook {
            format: FORMAT.to_string(),
            created,
            settings,
            volumes: Vec::new(),
            not_recreated: plan.not_recreated,
            steps: b.steps,
            cell: Some(cell),
        })
    }
}
