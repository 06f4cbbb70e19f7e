//! The `volutil create_rep` script of `partial-reinit.sh` (Spec §15.4),
//! built with exact id matching.
//!
//! The real script finds a volume's group with `grep <volid> VRList`, a
//! substring match: volume `1000001` also matches a line listing
//! `11000001`, and then the script writes the wrong group id (or two ids
//! joined by a newline). Here a volume belongs to a group only when its id
//! equals one of that group's replica ids as numbers (VolumeList ids have no
//! leading zeros, VRList ids are zero-padded).
//!
//! Partitions and names are shell-quoted ([`crate::shell::shell_quote`])
//! where they need it; the names Coda servers use need no quotes, so the
//! script of an ordinary server is byte-identical to `partial-reinit.sh`'s.

use std::fmt;

use serde::Serialize;

use crate::names::{HostName, PartitionName, VolumeName};
use crate::shell::shell_quote;
use crate::volume_list::{VolumeEntry, VolumeList};
use crate::vrlist::VrList;

/// The first lines of the script, as `partial-reinit.sh` writes them.
pub const PREAMBLE: &str = "#!/bin/sh\n\n";

/// One `volutil create_rep <partition> <name> <groupid> <volid>` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRep {
    /// Partition, e.g. `/vicepa`.
    pub partition: PartitionName,
    /// Replica name, e.g. `testvol.0`.
    pub name: VolumeName,
    /// Group (replicated volume) id.
    pub group_id: u32,
    /// The replica's volume id, recreated with the same id.
    pub volume_id: u32,
    /// Host of the VolumeList section the volume is listed in.
    pub host: Option<HostName>,
}

impl fmt::Display for CreateRep {
    /// The script line without its newline, partition and name quoted
    /// for the shell.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "volutil create_rep {} {} {:x} {:x}",
            shell_quote(&self.partition),
            shell_quote(&self.name),
            self.group_id,
            self.volume_id
        )
    }
}

/// Why a VolumeList volume gets no `create_rep` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRecreatedReason {
    /// Name ends in `.backup`.
    BackupClone,
    /// Name ends in `.restored`.
    Restored,
    /// No VRList group lists the id as a replica (the real script says
    /// "Cannot find repid").
    NoGroup,
    /// Several VRList groups list the id; the lists contradict each other.
    SeveralGroups(Vec<u32>),
}

impl fmt::Display for NotRecreatedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotRecreatedReason::BackupClone => f.write_str("backup clone (name ends in .backup)"),
            NotRecreatedReason::Restored => {
                f.write_str("restored volume (name ends in .restored)")
            }
            NotRecreatedReason::NoGroup => f.write_str(
                "no VRList group lists it as a replica; check that you have a backup before reinitializing",
            ),
            NotRecreatedReason::SeveralGroups(groups) => {
                f.write_str("listed as a replica by several VRList groups (")?;
                for (i, g) in groups.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{g:x}")?;
                }
                f.write_str("); fix the VRList first")
            }
        }
    }
}

/// A volume that will not be recreated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRecreated {
    /// Volume name.
    pub name: VolumeName,
    /// Volume id.
    pub volume_id: u32,
    /// Why.
    pub reason: NotRecreatedReason,
}

/// The whole result: lines to run and volumes left out, both in VolumeList
/// order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecreatePlan {
    /// The `create_rep` lines.
    pub create: Vec<CreateRep>,
    /// Volumes without a line.
    pub not_recreated: Vec<NotRecreated>,
}

impl RecreatePlan {
    /// Plans every volume line of `volumes` (Spec §15.4 step 2).
    pub fn new(volumes: &VolumeList, vrlist: &VrList) -> Self {
        let mut plan = RecreatePlan::default();
        for v in volumes.volumes() {
            match classify(v, vrlist) {
                Ok(group_id) => plan.create.push(CreateRep {
                    partition: v.partition.clone(),
                    name: v.name.clone(),
                    group_id,
                    volume_id: v.id,
                    host: v.host.clone(),
                }),
                Err(reason) => plan.not_recreated.push(NotRecreated {
                    name: v.name.clone(),
                    volume_id: v.id,
                    reason,
                }),
            }
        }
        plan
    }

    /// Orders the lines so that the root volume's replicas come first,
    /// then those of `<root>.tmp`, then the others as listed (a stable
    /// sort): the procedure brings the root back before anything else
    /// (manual 13.4), in a one-server runbook as in a cell's.
    pub fn root_first(&mut self, vrlist: &VrList, root: &VolumeName) {
        let group = |gid: u32| vrlist.groups.iter().find(|g| g.group_id == gid);
        self.create
            .sort_by_key(|c| root_rank(group(c.group_id).map(|g| g.name.as_str()), root));
    }

    /// The plan as the `--json` document of `plan recreate` (ids as
    /// numbers with their `_hex` twins).
    pub fn view(&self) -> RecreateView {
        RecreateView {
            create_rep: self
                .create
                .iter()
                .map(|c| CreateRepView {
                    group_id: c.group_id,
                    group_id_hex: human::hex_id(c.group_id),
                    name: c.name.to_string(),
                    partition: c.partition.to_string(),
                    volume_id: c.volume_id,
                    volume_id_hex: human::hex_id(c.volume_id),
                })
                .collect(),
            not_recreated: self
                .not_recreated
                .iter()
                .map(|n| NotRecreatedView {
                    name: n.name.to_string(),
                    reason: n.reason.to_string(),
                    volume_id: n.volume_id,
                    volume_id_hex: human::hex_id(n.volume_id),
                })
                .collect(),
            script: self.script(),
        }
    }

    /// The script: [`PREAMBLE`], then one line per volume.
    pub fn script(&self) -> String {
        let mut s = String::from(PREAMBLE);
        for c in &self.create {
            s.push_str(&c.to_string());
            s.push('\n');
        }
        s
    }
}

/// [`RecreatePlan::view`] (fields in alphabetical order, as the document
/// has them).
#[derive(Debug, Clone, Serialize)]
pub struct RecreateView {
    /// The `create_rep` lines, as fields.
    pub create_rep: Vec<CreateRepView>,
    /// The volumes without a line.
    pub not_recreated: Vec<NotRecreatedView>,
    /// The script.
    pub script: String,
}

/// A `create_rep` line, in [`RecreateView`].
#[derive(Debug, Clone, Serialize)]
pub struct CreateRepView {
    /// Group id.
    pub group_id: u32,
    /// [`CreateRepView::group_id`] in hex.
    pub group_id_hex: String,
    /// Replica name.
    pub name: String,
    /// Partition.
    pub partition: String,
    /// Volume id.
    pub volume_id: u32,
    /// [`CreateRepView::volume_id`] in hex.
    pub volume_id_hex: String,
}

/// A volume without a line, in [`RecreateView`].
#[derive(Debug, Clone, Serialize)]
pub struct NotRecreatedView {
    /// Volume name.
    pub name: String,
    /// Why.
    pub reason: String,
    /// Volume id.
    pub volume_id: u32,
    /// [`NotRecreatedView::volume_id`] in hex.
    pub volume_id_hex: String,
}

fn classify(v: &VolumeEntry, vrlist: &VrList) -> Result<u32, NotRecreatedReason> {
    if v.is_backup_clone() {
        return Err(NotRecreatedReason::BackupClone);
    }
    if v.is_restored() {
        return Err(NotRecreatedReason::Restored);
    }
    match vrlist.groups_with_replica(v.id).as_slice() {
        [] => Err(NotRecreatedReason::NoGroup),
        [g] => Ok(g.group_id),
        several => Err(NotRecreatedReason::SeveralGroups(
            several.iter().map(|g| g.group_id).collect(),
        )),
    }
}

/// Where a replicated volume named `name` goes in the procedure's order:
/// 0 for the root volume `root`, 1 for `<root>.tmp`, 2 for the others.
pub(crate) fn root_rank(name: Option<&str>, root: &VolumeName) -> u8 {
    match name {
        Some(n) if n == root.as_str() => 0,
        Some(n) if n.strip_prefix(root.as_str()) == Some(".tmp") => 1,
        _ => 2,
    }
}
