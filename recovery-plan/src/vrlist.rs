//! `VRList` (Spec §15.3): one replicated volume per line.
//!
//! ```text
//! <groupname> <groupid hex> <nreplicas dec> <replica1 hex> ... <replica8 hex> [<vsg hex>]
//! testvol 7f000000 1 01000001 0 0 0 0 0 0 0
//! ```

use std::fmt;
use std::path::Path;

use crate::input::read_input;
use crate::names::{escaped, VolumeName, MAX_VOLUME_NAME};
use crate::text::{hex_u32, lines};
use crate::{Error, Result};

/// Replica slots on a VRList line.
pub const REPLICA_SLOTS: usize = 8;

/// Longest group name (names are < 32 bytes).
pub const MAX_NAME: usize = MAX_VOLUME_NAME;

/// True for a replicated (group) volume id: top byte 0x7F (Spec §15.3).
pub fn is_group_id(id: u32) -> bool {
    id >> 24 == 0x7f
}

/// One VRList line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicatedVolume {
    /// Group (replicated volume) name, checked as [`VolumeName`] checks.
    pub name: VolumeName,
    /// Group id, `0x7Fxxxxxx`.
    pub group_id: u32,
    /// The replicas' volume ids (`nreplicas` of them, none zero).
    pub replicas: Vec<u32>,
    /// The historical 12th field (VSG number), when present.
    pub vsg: Option<u32>,
    /// 1-based line number in the file.
    pub line: usize,
}

impl ReplicatedVolume {
    /// True when `id` is exactly one of this group's replica ids.
    pub fn has_replica(&self, id: u32) -> bool {
        self.replicas.contains(&id)
    }
}

impl fmt::Display for ReplicatedVolume {
    /// The line as `createvol_rep` writes it: replica ids zero-padded to 8
    /// digits, unused slots `0` (golden `VRList.sample`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:x} {}",
            self.name,
            self.group_id,
            self.replicas.len()
        )?;
        for slot in 0..REPLICA_SLOTS {
            match self.replicas.get(slot) {
                Some(id) => write!(f, " {id:08x}")?,
                None => f.write_str(" 0")?,
            }
        }
        if let Some(vsg) = self.vsg {
            write!(f, " {vsg:x}")?;
        }
        Ok(())
    }
}

/// A parsed VRList.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VrList {
    /// The groups in file order.
    pub groups: Vec<ReplicatedVolume>,
}

impl VrList {
    /// Parses a VRList. Empty lines are skipped.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Self> {
        let mut groups = Vec::new();
        for (number, text) in lines(bytes, file)? {
            if text.trim().is_empty() {
                continue;
            }
            let group = parse_line(text, number).map_err(|(what, expected)| Error::Syntax {
                file: file.to_string(),
                line: number,
                what,
                expected: expected.to_string(),
            })?;
            groups.push(group);
        }
        Ok(VrList { groups })
    }

    /// Reads and parses a file (`-` = stdin).
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = read_input(path)?;
        Self::parse(&bytes, &path.display().to_string())
    }

    /// Every group that lists `id` as one of its replicas (exact match).
    pub fn groups_with_replica(&self, id: u32) -> Vec<&ReplicatedVolume> {
        self.groups.iter().filter(|g| g.has_replica(id)).collect()
    }

    /// The file as `createvol_rep`/`volutil dumpvrdb` write it.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for g in &self.groups {
            s.push_str(&g.to_string());
            s.push('\n');
        }
        s
    }
}

fn parse_line(
    text: &str,
    line: usize,
) -> std::result::Result<ReplicatedVolume, (String, &'static str)> {
    const EXPECTED: &str = "`<name> <groupid hex> <nreplicas 1..8> <replica hex> x8 [<vsg hex>]`";
    let fields: Vec<&str> = text.split_whitespace().collect();
    if fields.len() < 3 {
        return Err((format!("{} fields", fields.len()), EXPECTED));
    }
    let name = VolumeName::new(fields[0]).map_err(|e| (e.what, e.expected))?;
    let group_id = hex_u32(fields[1]).ok_or_else(|| {
        (
            format!("group id `{}` is not a hex number", escaped(fields[1])),
            EXPECTED,
        )
    })?;
    if !is_group_id(group_id) {
        return Err((
            format!("group id {group_id:x} is not a replicated volume id"),
            "a group id 7f000000..7fffffff",
        ));
    }
    let count: usize = fields[2]
        .parse()
        .ok()
        .filter(|n| (1..=REPLICA_SLOTS).contains(n))
        .ok_or_else(|| {
            (
                format!("replica count `{}`", escaped(fields[2])),
                "a decimal count from 1 to 8",
            )
        })?;
    if fields.len() < 3 + count {
        return Err((
            format!("{count} replicas announced but {} listed", fields.len() - 3),
            EXPECTED,
        ));
    }
    if fields.len() > 3 + REPLICA_SLOTS + 1 {
        return Err((format!("{} fields", fields.len()), EXPECTED));
    }
    let mut replicas = Vec::with_capacity(count);
    let mut vsg = None;
    for (i, field) in fields[3..].iter().enumerate() {
        let value = hex_u32(field).ok_or_else(|| {
            (
                format!("field {} `{}` is not a hex number", i + 4, escaped(field)),
                EXPECTED,
            )
        })?;
        if i < count {
            if value == 0 {
                return Err((format!("replica {} is 0", i + 1), "a non-zero volume id"));
            }
            replicas.push(value);
        } else if i < REPLICA_SLOTS {
            if value != 0 {
                return Err((
                    format!(
                        "slot {} holds {value:x} but only {count} replicas are announced",
                        i + 1
                    ),
                    "0 in unused replica slots",
                ));
            }
        } else {
            vsg = Some(value);
        }
    }
    Ok(ReplicatedVolume {
        name,
        group_id,
        replicas,
        vsg,
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_sample_line() {
        let text = "testvol 7f000000 1 01000001 0 0 0 0 0 0 0\n";
        let vr = VrList::parse(text.as_bytes(), "VRList").unwrap();
        let g = &vr.groups[0];
        assert_eq!(g.name, "testvol");
        assert_eq!(g.group_id, 0x7f000000);
        assert_eq!(g.replicas, [0x1000001]);
        assert_eq!(g.vsg, None);
        assert_eq!(vr.to_text(), text);
    }

    #[test]
    fn short_and_vsg_forms() {
        let vr = VrList::parse(
            b"a 7f000001 2 1000005 2000005\nb 7f000002 1 3 0 0 0 0 0 0 0 e0000100\n",
            "f",
        )
        .unwrap();
        assert_eq!(vr.groups[0].replicas, [0x1000005, 0x2000005]);
        assert_eq!(vr.groups[1].vsg, Some(0xe0000100));
        assert_eq!(vr.groups_with_replica(3).len(), 1);
        assert!(vr.groups_with_replica(0x100000).is_empty());
    }

    #[test]
    fn malformed_lines() {
        for bad in [
            "a 7f000001",
            "a 1000001 1 1 0 0 0 0 0 0 0",
            "a 7f000001 0 0 0 0 0 0 0 0 0",
            "a 7f000001 9 1 2 3 4 5 6 7 8",
            "a 7f000001 2 1000005",
            "a 7f000001 1 0 0 0 0 0 0 0 0",
            "a 7f000001 1 1 5 0 0 0 0 0 0",
            "a 7f000001 1 1 0 0 0 0 0 0 0 0 0",
            "a 7f00000g 1 1",
            "abcdefghijklmnopqrstuvwxyz0123456 7f000001 1 1",
        ] {
            let text = format!("ok 7f000009 1 9\n{bad}\n");
            match VrList::parse(text.as_bytes(), "VRList") {
                Err(Error::Syntax { line: 2, .. }) => {}
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
