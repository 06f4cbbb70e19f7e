//! Property tests: the §15 readers and writers round-trip, the readers
//! never panic on arbitrary bytes, and first-fit decreasing keeps its
//! invariants.

use proptest::prelude::*;
use recovery_plan::dumplist::{Dumplist, DumplistEntry, Schedule};
use recovery_plan::names::{HostName, PartitionName, VolumeName};
use recovery_plan::pack::{first_fit_decreasing, DumpUnit};
use recovery_plan::volume_list::{Line, Partition, VolumeEntry, VolumeList, VolumeType};
use recovery_plan::vrlist::{ReplicatedVolume, VrList};

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9._-]{0,30}"
}

fn volume_type() -> impl Strategy<Value = VolumeType> {
    prop_oneof![
        Just(VolumeType::ReadWrite),
        Just(VolumeType::ReadOnly),
        Just(VolumeType::Backup),
        Just(VolumeType::NonReplicated),
        Just(VolumeType::Other),
    ]
}

fn volume() -> impl Strategy<Value = VolumeEntry> {
    (volume_type(), name(), any::<[u32; 10]>(), "/[a-z]{1,8}").prop_map(
        |(t, name, n, partition)| VolumeEntry {
            volume_type: t,
            name: VolumeName::new(&name).unwrap(),
            id: n[0],
            server_id: n[1],
            partition: PartitionName::new(&partition).unwrap(),
            min_quota: n[2],
            max_quota: n[3],
            disk_used: n[4],
            parent_id: n[5],
            creation_date: n[6],
            copy_date: n[7],
            backup_date: n[8],
            week_use: n[9],
            host: None,
            line: 0,
        },
    )
}

fn partition() -> impl Strategy<Value = Partition> {
    (
        "/[a-z]{1,8}",
        "[a-z][a-z0-9.-]{0,20}",
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(|(name, host, total_blocks, free_blocks)| Partition {
            name: PartitionName::new(&name).unwrap(),
            host: HostName::new(&host).unwrap(),
            total_blocks,
            free_blocks,
            line: 0,
        })
}

/// Normalises what the writer does not store (line numbers, hosts).
fn strip(vl: &VolumeList) -> Vec<Line> {
    vl.lines
        .iter()
        .cloned()
        .map(|l| match l {
            Line::Partition(mut p) => {
                p.line = 0;
                Line::Partition(p)
            }
            Line::Volume(mut v) => {
                v.line = 0;
                v.host = None;
                Line::Volume(v)
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn volume_list_round_trips(parts in prop::collection::vec(partition(), 0..4),
                               vols in prop::collection::vec(volume(), 0..20)) {
        let mut lines: Vec<Line> = parts.into_iter().map(Line::Partition).collect();
        lines.extend(vols.into_iter().map(Line::Volume));
        let vl = VolumeList { lines };
        let text = vl.to_text();
        let back = VolumeList::parse(text.as_bytes(), "p").unwrap();
        prop_assert_eq!(strip(&back), strip(&vl));
        prop_assert_eq!(back.to_text(), text);
    }

    #[test]
    fn vrlist_round_trips(groups in prop::collection::vec(
        ("[a-z][a-z0-9._-]{0,30}", 0u32..0x0100_0000, prop::collection::vec(1u32.., 1..=8),
         prop::option::of(any::<u32>())), 0..20)) {
        let vr = VrList { groups: groups.into_iter().map(|(name, g, replicas, vsg)| ReplicatedVolume {
            name: VolumeName::new(&name).unwrap(), group_id: 0x7f00_0000 | g, replicas, vsg, line: 0 }).collect() };
        let text = vr.to_text();
        let mut back = VrList::parse(text.as_bytes(), "p").unwrap();
        back.groups.iter_mut().for_each(|g| g.line = 0);
        prop_assert_eq!(back, vr);
    }

    #[test]
    fn dumplist_round_trips(entries in prop::collection::vec(
        (any::<u32>(), "[FfIi0-9]{1,39}", "[!-~]{1,60}"), 0..30)) {
        let list = Dumplist { entries: entries.iter().map(|(id, s, c)|
            DumplistEntry::for_volume(*id, Schedule::new(s).unwrap(), c).unwrap()).collect() };
        let text = list.to_text().unwrap();
        for line in text.lines() {
            prop_assert!(line.len() < 80);
        }
        prop_assert_eq!(Dumplist::parse(text.as_bytes(), "p").unwrap(), list);
    }

    #[test]
    fn readers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = VolumeList::parse(&bytes, "x");
        let _ = VrList::parse(&bytes, "x");
        let _ = Dumplist::parse(&bytes, "x");
    }

    #[test]
    fn first_fit_decreasing_invariants(sizes in prop::collection::vec(0u64..1000, 0..60),
                                       tape in 1000u64..3000) {
        let units: Vec<DumpUnit> = sizes.iter().enumerate().map(|(i, &bytes)| DumpUnit {
            id: i as u32, name: format!("v{i}"), replicated: false, volumes: Vec::new(), bytes,
        }).collect();
        let tapes = first_fit_decreasing(units, tape).unwrap();
        let mut ids: Vec<u32> = tapes.iter().flat_map(|t| t.units.iter().map(|u| u.id)).collect();
        ids.sort_unstable();
        prop_assert_eq!(ids, (0..sizes.len() as u32).collect::<Vec<_>>());
        for (i, t) in tapes.iter().enumerate() {
            prop_assert_eq!(t.number, i + 1);
            let sum: u64 = t.units.iter().map(|u| sizes[u.id as usize]).sum();
            prop_assert_eq!(sum, t.bytes);
            prop_assert!(t.bytes <= tape);
            // A unit lands on a later tape only when it did not fit on any
            // earlier one (which only filled up afterwards).
            for later in &tapes[i + 1..] {
                for u in &later.units {
                    prop_assert!(t.bytes + u.bytes > tape);
                }
            }
        }
    }
}
