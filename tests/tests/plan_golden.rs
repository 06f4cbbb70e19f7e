//! `coda-rs plan recreate` and the VolumeList/VRList readers and writers
//! against the real files in `golden/dump/` (spec `dump-format.md` §15).

use crate::plan_support;

use coda_rs_tests::{golden, read_golden};
use plan_support::{plan, scratch};
use recovery_plan::recreate::RecreatePlan;
use recovery_plan::volume_list::{VolumeList, VolumeType};
use recovery_plan::vrlist::VrList;
use recovery_plan::Error;

fn lists() -> (VolumeList, VrList) {
    let vl = VolumeList::parse(
        &read_golden("dump", "VolumeList.sample"),
        "VolumeList.sample",
    )
    .expect("golden VolumeList parses");
    let vr = VrList::parse(&read_golden("dump", "VRList.sample"), "VRList.sample")
        .expect("golden VRList parses");
    (vl, vr)
}

#[test]
fn recreate_on_golden_samples_is_byte_identical() {
    let out = plan(
        "recreate",
        golden("dump", "VolumeList.sample"),
        golden("dump", "VRList.sample"),
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&read_golden("dump", "partial-reinit.output.sample"))
    );
    assert_eq!(
        out.stdout,
        read_golden("dump", "partial-reinit.output.sample")
    );
    // §15.4: not_created would list these (backup clones and restored
    // volumes); we give each with its reason on stderr, in file order.
    let err = String::from_utf8(out.stderr).unwrap();
    let named: Vec<&str> = err
        .lines()
        .map(|l| {
            let rest = l.strip_prefix("coda-rs: ").expect(l);
            rest.split(' ').next().unwrap()
        })
        .collect();
    assert_eq!(
        named,
        [
            "testvol.0.backup",
            "golden.backup",
            "golden.backup",
            "merged.restored",
            "natmerged.restored"
        ]
    );
    assert!(err.lines().all(|l| l.contains("not recreated: ")), "{err}");
}

#[test]
fn recreate_library_matches_golden() {
    let (vl, vr) = lists();
    let plan = RecreatePlan::new(&vl, &vr);
    assert_eq!(
        plan.script().as_bytes(),
        read_golden("dump", "partial-reinit.output.sample").as_slice()
    );
    assert_eq!(plan.not_recreated.len(), 5);
}

#[test]
fn golden_volume_list_fields() {
    let (vl, _) = lists();
    let parts: Vec<_> = vl.partitions().collect();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].name, "/vicepa");
    assert_eq!(parts[0].host, "vm");
    assert_eq!(parts[0].total_blocks, 0x5adf280);
    assert_eq!(parts[0].free_blocks, 0x4b8959c);
    let vols: Vec<_> = vl.volumes().collect();
    assert_eq!(vols.len(), 6);
    // The spec's example line (§15.2).
    let b = vols[1];
    assert_eq!(b.volume_type, VolumeType::Backup);
    assert_eq!(b.name, "testvol.0.backup");
    assert_eq!(
        (b.id, b.server_id, b.partition.as_str()),
        (0x1000002, 1, "/vicepa")
    );
    assert_eq!((b.min_quota, b.max_quota, b.disk_used), (0, 0, 2));
    assert_eq!(b.parent_id, 0x1000001);
    assert_eq!((b.creation_date, b.copy_date), (0x6b07c902, 0x6b07c902));
    assert_eq!((b.backup_date, b.week_use), (0, 0));
    assert_eq!(b.host.as_deref(), Some("vm"));
    assert_eq!(vols[0].volume_type, VolumeType::ReadWrite);
    assert_eq!(vols[0].backup_date, 0x6b07c903);
    assert_eq!(vols[2].disk_used, 0x15f);
    assert_eq!(vols[2].line, 4);
}

#[test]
fn writers_reproduce_golden_bytes() {
    let (vl, vr) = lists();
    assert_eq!(
        vl.to_text().as_bytes(),
        read_golden("dump", "VolumeList.sample").as_slice()
    );
    assert_eq!(
        vr.to_text().as_bytes(),
        read_golden("dump", "VRList.sample").as_slice()
    );
    let g = &vr.groups[0];
    assert_eq!(
        (g.name.as_str(), g.group_id, g.replicas.as_slice()),
        ("testvol", 0x7f000000, &[0x1000001u32][..])
    );
}

/// A pair of lists where `grep <volid> VRList` (what partial-reinit.sh
/// does) goes wrong: volume 1000001 occurs inside the replica id 11000001
/// of group `other` as well as in its own group's zero-padded 01000001 (the
/// real script would join both group ids), and volume 1000005 occurs only
/// inside the decoy's 21000005 (the real script would recreate it in the
/// decoy group).
const TRAP_VOLUME_LIST: &str = "P/vicepa Hvm T5adf280 F4b8959c\n\
Wother.0 I11000001 H1 P/vicepa m0 M0 U10 W11000001 C6b07c902 D6b07c902 B0 A0\n\
Wmine.0 I1000001 H1 P/vicepa m0 M0 U2 W1000001 C6b07c902 D6b07c902 B0 A0\n\
Wlost.0 I1000005 H1 P/vicepb m0 M0 U2 W1000005 C6b07c902 D6b07c902 B0 A0\n";
const TRAP_VRLIST: &str = "other 7f000001 1 11000001 0 0 0 0 0 0 0\n\
mine 7f000002 1 01000001 0 0 0 0 0 0 0\n\
decoy 7f000003 1 21000005 0 0 0 0 0 0 0\n";

#[test]
fn exact_matching_picks_the_right_group() {
    // The fixture really is a trap for substring matching: both the `other`
    // and the `mine` line contain "1000001"; "1000005" only occurs inside
    // the decoy's replica id.
    let hits: Vec<&str> = TRAP_VRLIST
        .lines()
        .filter(|l| l.contains("1000001"))
        .collect();
    assert_eq!(hits.len(), 2);
    assert!(TRAP_VRLIST
        .lines()
        .filter(|l| l.contains("1000005"))
        .all(|l| l.starts_with("decoy")));

    let dir = scratch();
    let vl = dir.path().join("VolumeList");
    let vr = dir.path().join("VRList");
    std::fs::write(&vl, TRAP_VOLUME_LIST).unwrap();
    std::fs::write(&vr, TRAP_VRLIST).unwrap();
    let out = plan("recreate", &vl, &vr).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "#!/bin/sh\n\n\
         volutil create_rep /vicepa other.0 7f000001 11000001\n\
         volutil create_rep /vicepa mine.0 7f000002 1000001\n"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("lost.0 (1000005): not recreated: no VRList group lists it"),
        "{err}"
    );
}

#[test]
fn malformed_lines_are_reported_with_file_and_line() {
    let dir = scratch();
    let vl = dir.path().join("VolumeList");
    let vr = dir.path().join("VRList");
    std::fs::write(
        &vl,
        "P/vicepa Hvm T1 F1\nWa.0 I1000001 H1 P/vicepa m0 M0 U2 W1 C0 D0 B0 A0\nWb.0 I1000002 H1 P/vicepa m0 M0 Uxyz W1 C0 D0 B0 A0\n",
    )
    .unwrap();
    std::fs::write(&vr, "a 7f000001 1 01000001 0 0 0 0 0 0 0\n").unwrap();
    let out = plan("recreate", &vl, &vr).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(&format!("coda-rs: {}:3: ", vl.display())),
        "{err}"
    );
    assert!(err.contains("(expected"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    std::fs::write(&vr, "a 7f000001 1 01000001 0 0 0 0 0 0 0\nb 1000002 1 1\n").unwrap();
    match VrList::read(&vr) {
        Err(Error::Syntax { line: 2, .. }) => {}
        other => panic!("{other:?}"),
    }
}

/// A BigVolumeList is the per-server lists concatenated (§15.2): each
/// server's partition lines come before its volumes.
const BIG_VOLUME_LIST: &str = "P/vicepa Halpha T1 F1\n\
Wshared.0 I1000001 H1 P/vicepa m0 M0 U2 W1000001 C0 D0 B0 A0\n\
Wsolo.0 I1000003 H1 P/vicepa m0 M0 U2 W1000003 C0 D0 B0 A0\n\
P/vicepb Hbeta T1 F1\n\
Wshared.1 I2000001 H2 P/vicepb m0 M0 U2 W2000001 C0 D0 B0 A0\n";
const BIG_VRLIST: &str = "shared 7f000001 2 01000001 02000001 0 0 0 0 0 0\n\
solo 7f000002 1 01000003 0 0 0 0 0 0 0\n";

#[test]
fn recreate_for_one_server_of_a_big_volume_list() {
    let dir = scratch();
    std::fs::write(dir.path().join("BigVolumeList"), BIG_VOLUME_LIST).unwrap();
    std::fs::write(dir.path().join("VRList"), BIG_VRLIST).unwrap();
    let run = |server: Option<&str>| {
        let mut c = plan("recreate", "BigVolumeList", "VRList");
        c.current_dir(dir.path());
        if let Some(s) = server {
            c.args(["--server", s]);
        }
        c.output().unwrap()
    };
    let all = run(None);
    assert_eq!(
        String::from_utf8(all.stdout).unwrap(),
        "#!/bin/sh\n\n\
         volutil create_rep /vicepa shared.0 7f000001 1000001\n\
         volutil create_rep /vicepa solo.0 7f000002 1000003\n\
         volutil create_rep /vicepb shared.1 7f000001 2000001\n"
    );
    let beta = run(Some("beta"));
    assert!(beta.status.success(), "{beta:?}");
    assert_eq!(
        String::from_utf8(beta.stdout).unwrap(),
        "#!/bin/sh\n\nvolutil create_rep /vicepb shared.1 7f000001 2000001\n"
    );
    let nobody = run(Some("gamma"));
    assert_eq!(nobody.status.code(), Some(2), "{nobody:?}");
    let err = String::from_utf8(nobody.stderr).unwrap();
    assert!(err.contains("alpha, beta"), "{err}");
}

#[test]
fn recreate_json_on_golden_samples() {
    let out = plan(
        "recreate",
        golden("dump", "VolumeList.sample"),
        golden("dump", "VRList.sample"),
    )
    .arg("--json")
    .output()
    .unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["script"].as_str().unwrap().as_bytes(),
        read_golden("dump", "partial-reinit.output.sample").as_slice()
    );
    let c = &doc["create_rep"][0];
    assert_eq!(c["partition"], "/vicepa");
    assert_eq!(c["name"], "testvol.0");
    // The ids of partial-reinit.output.sample's line, as numbers with
    // their hex twins (README: JSON output).
    assert_eq!(c["group_id"], 0x7f00_0000);
    assert_eq!(c["group_id_hex"], "7f000000");
    assert_eq!(c["volume_id"], 0x0100_0001);
    assert_eq!(c["volume_id_hex"], "01000001");
    let skipped = doc["not_recreated"].as_array().unwrap();
    assert_eq!(skipped.len(), 5);
    assert_eq!(skipped[0]["name"], "testvol.0.backup");
    assert_eq!(skipped[0]["volume_id"], 0x0100_0002);
    assert_eq!(skipped[0]["volume_id_hex"], "01000002");
}
