//! What to dump, and how the dumps fill tapes (procedure 13.1 steps 1-3).
//!
//! Every volume of the lists is dumped once: a replicated volume as its
//! group (all replicas, each needing tape space, on one tape), any other
//! volume by its own id. Backup clones and restored volumes are copies of
//! something else and are skipped. Sizes come from the VolumeList `U`
//! field (1 KiB blocks).

use std::collections::{HashMap, HashSet};

use crate::volume_list::{VolumeList, VolumeType};
use crate::vrlist::VrList;
use crate::{Error, Result, Warning};

/// One volume that goes into the dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedVolume {
    /// Volume id.
    pub id: u32,
    /// Volume name.
    pub name: String,
    /// Host of its VolumeList section, if known.
    pub host: Option<String>,
    /// `U` × 1024.
    pub bytes: u64,
}

/// A dumplist entry: a replicated volume (group) or a non-replicated one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpUnit {
    /// Group id for replicated volumes, the volume id otherwise.
    pub id: u32,
    /// Group name, or the volume name.
    pub name: String,
    /// True for a VRList group.
    pub replicated: bool,
    /// The volumes whose sizes are counted: every replica found.
    pub volumes: Vec<CountedVolume>,
    /// Sum of the counted volumes' sizes.
    pub bytes: u64,
}

/// Why a volume is left out of the dumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Name ends in `.backup`: a backup clone of another volume.
    BackupClone,
    /// Name ends in `.restored`: made by `volutil restore`.
    Restored,
    /// Type `B` under another name (e.g. `<x>.readonly` from a restore).
    BackupType,
    /// The same volume id appeared earlier in the lists.
    Duplicate,
}

impl SkipReason {
    /// A short explanation for people.
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::BackupClone => "backup clone (name ends in .backup)",
            SkipReason::Restored => "restored volume (name ends in .restored)",
            SkipReason::BackupType => "backup-type volume (type B)",
            SkipReason::Duplicate => "listed again (already counted)",
        }
    }
}

/// A VolumeList volume that is not dumped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Volume name.
    pub name: String,
    /// Volume id.
    pub id: u32,
    /// Why.
    pub reason: SkipReason,
}

/// The volumes to dump, in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// What to dump.
    pub units: Vec<DumpUnit>,
    /// What was left out, and why.
    pub skipped: Vec<Skipped>,
    /// Things worth telling the operator.
    pub warnings: Vec<Warning>,
}

/// Chooses the dump units of the lists. A volume that more than one VRList
/// group claims is an error: the lists contradict each other.
pub fn select(volumes: &VolumeList, vrlist: &VrList) -> Result<Selection> {
    let mut sel = Selection::default();
    let mut seen = HashSet::new();
    let mut group_unit: HashMap<u32, usize> = HashMap::new();
    for v in volumes.volumes() {
        let reason = if v.is_backup_clone() {
            Some(SkipReason::BackupClone)
        } else if v.is_restored() {
            Some(SkipReason::Restored)
        } else if v.volume_type == VolumeType::Backup {
            Some(SkipReason::BackupType)
        } else if !seen.insert(v.id) {
            Some(SkipReason::Duplicate)
        } else {
            None
        };
        if let Some(reason) = reason {
            if reason == SkipReason::Duplicate {
                sel.warnings.push(Warning {
                    subject: format!("volume {} ({:x})", v.name, v.id),
                    message: format!("listed again at line {}; counted once", v.line),
                });
            }
            sel.skipped.push(Skipped {
                name: v.name.to_string(),
                id: v.id,
                reason,
            });
            continue;
        }
        let counted = CountedVolume {
            id: v.id,
            name: v.name.to_string(),
            host: v.host.as_ref().map(|h| h.to_string()),
            bytes: v.used_bytes(),
        };
        let groups = vrlist.groups_with_replica(v.id);
        match groups.as_slice() {
            [] => sel.units.push(DumpUnit {
                id: v.id,
                name: v.name.to_string(),
                replicated: false,
                bytes: counted.bytes,
                volumes: vec![counted],
            }),
            [g] => {
                let index = *group_unit.entry(g.group_id).or_insert_with(|| {
                    sel.units.push(DumpUnit {
                        id: g.group_id,
                        name: g.name.to_string(),
                        replicated: true,
                        volumes: Vec::new(),
                        bytes: 0,
                    });
                    sel.units.len() - 1
                });
                let unit = &mut sel.units[index];
                unit.bytes += counted.bytes;
                unit.volumes.push(counted);
            }
            several => {
                return Err(Error::AmbiguousReplica {
                    name: v.name.to_string(),
                    id: v.id,
                    groups: several.iter().map(|g| g.group_id).collect(),
                })
            }
        }
    }
    for g in &vrlist.groups {
        match group_unit.get(&g.group_id) {
            None => sel.warnings.push(Warning {
                subject: format!("replicated volume {} ({:x})", g.name, g.group_id),
                message: "none of its replicas is in the VolumeList; not planned".to_string(),
            }),
            Some(&i) if sel.units[i].volumes.len() < g.replicas.len() => {
                sel.warnings.push(Warning {
                    subject: format!("replicated volume {} ({:x})", g.name, g.group_id),
                    message: format!(
                        "only {} of its {} replicas are in the VolumeList; only those are counted",
                        sel.units[i].volumes.len(),
                        g.replicas.len()
                    ),
                })
            }
            Some(_) => {}
        }
    }
    Ok(sel)
}

/// One tape's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tape {
    /// 1-based tape number.
    pub number: usize,
    /// The units on it, largest first.
    pub units: Vec<DumpUnit>,
    /// Bytes used.
    pub bytes: u64,
}

/// Packs units onto tapes of `tape_bytes` by first-fit decreasing: largest
/// first (ties by id), each onto the first tape with room. A unit larger
/// than a tape is an error naming it.
pub fn first_fit_decreasing(mut units: Vec<DumpUnit>, tape_bytes: u64) -> Result<Vec<Tape>> {
    if tape_bytes == 0 {
        return Err(Error::Invalid {
            subject: "tape size".to_string(),
            what: "0 bytes".to_string(),
            expected: "a positive size".to_string(),
        });
    }
    if let Some(u) = units.iter().find(|u| u.bytes > tape_bytes) {
        return Err(Error::TooLarge {
            name: u.name.clone(),
            id: u.id,
            bytes: u.bytes,
            tape_bytes,
        });
    }
    units.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.id.cmp(&b.id)));
    let mut tapes: Vec<Tape> = Vec::new();
    for u in units {
        match tapes.iter_mut().find(|t| tape_bytes - t.bytes >= u.bytes) {
            Some(t) => {
                t.bytes += u.bytes;
                t.units.push(u);
            }
            None => tapes.push(Tape {
                number: tapes.len() + 1,
                bytes: u.bytes,
                units: vec![u],
            }),
        }
    }
    Ok(tapes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: u32, bytes: u64) -> DumpUnit {
        DumpUnit {
            id,
            name: format!("v{id}"),
            replicated: false,
            volumes: Vec::new(),
            bytes,
        }
    }

    #[test]
    fn ffd_fills_first_tape_with_room() {
        let tapes = first_fit_decreasing(
            vec![unit(1, 3), unit(2, 6), unit(3, 5), unit(4, 4), unit(5, 2)],
            10,
        )
        .unwrap();
        let ids: Vec<Vec<u32>> = tapes
            .iter()
            .map(|t| t.units.iter().map(|u| u.id).collect())
            .collect();
        // 6 -> T1; 5 -> T2; 4 -> T1 (10); 3 -> T2 (8); 2 -> T2 (10)
        assert_eq!(ids, [vec![2, 4], vec![3, 1, 5]]);
        assert_eq!(tapes[1].bytes, 10);
    }

    #[test]
    fn too_large_names_the_volume() {
        let err = first_fit_decreasing(vec![unit(1, 3), unit(0x7f000002, 11)], 10).unwrap_err();
        assert!(err.to_string().contains("v2130706434 (7f000002)"), "{err}");
    }
}
