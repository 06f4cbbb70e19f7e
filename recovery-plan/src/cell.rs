//! A whole cell as the lists describe it: its servers, its replicated
//! volumes with their replicas (each on its server and partition, with
//! its dump) and which replica's dump is restored, the root volume first.
//! [`crate::cell_runbook`] turns a [`CellPlan`] into the runbook.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Warning;
use crate::input::read_input;
use crate::names::{HostName, PartitionName, VolumeName};
use crate::recreate::{root_rank, CreateRep, RecreatePlan};
use crate::volume_list::VolumeList;
use crate::vrlist::VrList;
use crate::{Error, Result};

/// The root volume's name when nothing else says (Coda's default).
pub const DEFAULT_ROOT_VOLUME: &str = "coda_root";

/// The file of a server's db directory that names the root volume.
pub const ROOT_VOLUME_FILE: &str = "db/ROOTVOLUME";

/// The cell's root volume: `flag` (`--root-volume`) when given, else the
/// first line of `VICE/db/ROOTVOLUME` when `vice` (`--vice DIR`) is given,
/// else [`DEFAULT_ROOT_VOLUME`]. The name is checked as every volume name.
pub fn root_volume_name(flag: Option<&str>, vice: Option<&Path>) -> Result<VolumeName> {
    let (subject, text) = match (flag, vice) {
        (Some(name), _) => ("--root-volume".to_string(), name.to_string()),
        (None, Some(vice)) => {
            let file = vice.join(ROOT_VOLUME_FILE);
            let bytes = read_input(&file)?;
            let text = String::from_utf8_lossy(&bytes);
            let first = text.lines().next().unwrap_or("").trim().to_string();
            (file.display().to_string(), first)
        }
        (None, None) => (String::new(), DEFAULT_ROOT_VOLUME.to_string()),
    };
    VolumeName::new(&text).map_err(|e| Error::Invalid {
        subject,
        what: e.what,
        expected: e.expected.to_string(),
    })
}

/// One replica of a replicated volume in a cell runbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellReplica {
    /// Replica name, e.g. `testvol.0`.
    pub name: VolumeName,
    /// Replica (volume) id.
    pub volume_id: u32,
    /// Its server.
    pub host: HostName,
    /// Its partition there.
    pub partition: PartitionName,
    /// Backup date from the VolumeList (`B`, Unix seconds).
    pub backup_date: u32,
    /// Its dump: `<dump_dir>/<host>/<groupid %08x>.<volid %08x>`, as the
    /// backup program laid dumps out per server.
    pub dump: PathBuf,
}

/// A replicated volume of the cell: recreated on every replica's server,
/// restored once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellVolume {
    /// The replicated volume's name (VRList), what is mounted.
    pub name: VolumeName,
    /// Group id.
    pub group_id: u32,
    /// The replicas in the lists, in VRList order.
    pub replicas: Vec<CellReplica>,
    /// Index in `replicas` of the one restored: the latest backup date,
    /// the first in VRList order on a tie.
    pub chosen: usize,
}

impl CellVolume {
    /// The replica whose dump is restored.
    pub fn chosen(&self) -> &CellReplica {
        &self.replicas[self.chosen]
    }

    /// The other replicas, whose dumps are compared with the restored one.
    pub fn others(&self) -> impl Iterator<Item = &CellReplica> {
        let chosen = self.chosen;
        self.replicas
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i != chosen)
            .map(|(_, r)| r)
    }
}

/// What a cell runbook knows about the cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// The servers, in list order.
    pub hosts: Vec<HostName>,
    /// Where `createvol_rep` and `bldvldb.sh` run (the SCM).
    pub scm: HostName,
    /// The root volume's name.
    pub root_volume: VolumeName,
    /// `<root>.tmp`, which holds `/coda/tmp`.
    pub tmp_volume: VolumeName,
    /// Whether the root volume is among `volumes` (it is then first).
    pub root_found: bool,
    /// Where the root volume is mounted on the client (`/coda`).
    pub coda_dir: PathBuf,
    /// The replicated volumes: the root first, then `<root>.tmp` if
    /// listed, then the others in the order the lists name them.
    pub volumes: Vec<CellVolume>,
}

impl Cell {
    /// The root volume, when the lists hold it.
    pub fn root(&self) -> Option<&CellVolume> {
        self.volumes.first().filter(|_| self.root_found)
    }

    /// True when the lists hold `<root>.tmp`.
    pub fn tmp_listed(&self) -> bool {
        self.volumes.iter().any(|v| v.name == self.tmp_volume)
    }
}

/// A cell's plan: the [`Cell`], the volumes left out and what was
/// noticed.
#[derive(Debug, Clone)]
pub struct CellPlan {
    /// The cell.
    pub cell: Cell,
    /// Volumes not recreated, as `plan recreate` explains them.
    pub not_recreated: Vec<String>,
    /// Replicas the VRList names that no list holds, and the like.
    pub warnings: Vec<Warning>,
}

impl CellPlan {
    /// Groups the replicas of `volumes` (every server's list) by their
    /// VRList group. Every replica must come from a server's section of
    /// the lists (a host), and the root volume goes first.
    pub fn new(
        volumes: &VolumeList,
        vrlist: &VrList,
        root_volume: VolumeName,
        scm: Option<HostName>,
        dump_dir: &Path,
        coda_dir: &Path,
    ) -> Result<CellPlan> {
        let recreate = RecreatePlan::new(volumes, vrlist);
        let hosts: Vec<HostName> = volumes
            .hosts()
            .iter()
            .filter_map(|h| HostName::new(h).ok())
            .collect();
        let mut warnings = Vec::new();
        // Group id -> replicas, groups in the order the lists name them.
        let mut order: Vec<u32> = Vec::new();
        let mut groups: BTreeMap<u32, Vec<(&CreateRep, u32)>> = BTreeMap::new();
        for c in &recreate.create {
            if c.host.is_none() {
                return Err(Error::Invalid {
                    subject: c.name.to_string(),
                    what: "is listed under no server (no partition line above it)".into(),
                    expected: "every server's VolumeList, each starting with its P lines".into(),
                });
            }
            let replicas = groups.entry(c.group_id).or_default();
            if replicas.iter().any(|(r, _)| r.volume_id == c.volume_id) {
                warnings.push(Warning {
                    subject: c.name.to_string(),
                    message: format!(
                        "replica {:x} is listed twice; the first line counts",
                        c.volume_id
                    ),
                });
                continue;
            }
            if replicas.is_empty() {
                order.push(c.group_id);
            }
            let backup = volumes
                .volumes()
                .find(|v| v.id == c.volume_id)
                .map_or(0, |v| v.backup_date);
            replicas.push((c, backup));
        }
        let mut cell_volumes = Vec::new();
        for gid in order {
            let group = vrlist
                .groups
                .iter()
                .find(|g| g.group_id == gid)
                .expect("RecreatePlan found the group");
            let mut replicas = Vec::new();
            for id in &group.replicas {
                match groups[&gid].iter().find(|(c, _)| c.volume_id == *id) {
                    Some((c, backup)) => {
                        let host = c.host.clone().expect("checked above");
                        let dump = dump_dir
                            .join(host.as_str())
                            .join(format!("{:08x}.{:08x}", gid, c.volume_id));
                        replicas.push(CellReplica {
                            name: c.name.clone(),
                            volume_id: c.volume_id,
                            host,
                            partition: c.partition.clone(),
                            backup_date: *backup,
                            dump,
                        });
                    }
                    None => warnings.push(Warning {
                        subject: group.name.to_string(),
                        message: format!(
                            "replica {id:08x} is in the VRList but in no list: it is not recreated"
                        ),
                    }),
                }
            }
            // The latest backup date; the first in VRList order on a tie.
            let mut chosen = 0;
            for (i, r) in replicas.iter().enumerate() {
                if r.backup_date > replicas[chosen].backup_date {
                    chosen = i;
                }
            }
            cell_volumes.push(CellVolume {
                name: group.name.clone(),
                group_id: gid,
                replicas,
                chosen,
            });
        }
        let tmp_volume =
            VolumeName::new(&format!("{root_volume}.tmp")).map_err(|e| Error::Invalid {
                subject: "--root-volume".into(),
                what: e.what,
                expected: e.expected.to_string(),
            })?;
        // Root first, then its .tmp, then the rest as listed.
        cell_volumes.sort_by_key(|v| root_rank(Some(v.name.as_str()), &root_volume));
        let root_found = cell_volumes.first().is_some_and(|v| v.name == root_volume);
        if !root_found {
            warnings.push(Warning {
                subject: root_volume.to_string(),
                message: "the root volume is not a replicated volume of the lists: no root steps (give --root-volume NAME)".into(),
            });
        }
        let scm = match scm {
            Some(h) => h,
            None => hosts.first().cloned().ok_or_else(|| Error::Invalid {
                subject: "the lists".into(),
                what: "name no server".into(),
                expected: "partition lines naming each server".into(),
            })?,
        };
        let not_recreated = recreate
            .not_recreated
            .iter()
            .map(|n| format!("{} ({:x}): {}", n.name, n.volume_id, n.reason))
            .collect();
        Ok(CellPlan {
            cell: Cell {
                hosts,
                scm,
                root_volume,
                tmp_volume,
                root_found,
                coda_dir: coda_dir.to_path_buf(),
                volumes: cell_volumes,
            },
            not_recreated,
            warnings,
        })
    }
}
