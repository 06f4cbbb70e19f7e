//! Round-trip and robustness properties of the `cfs-ioctl` reply codecs.

use cfs_ioctl::virtual_file::{encode_response, parse_response, Response};
use cfs_ioctl::{Acl, AclEntry, GetFidReply, Opcode, VolumeStatus, VolumeStatusReply};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(1u8..=255, 0..40)
}

fn volume_status_reply() -> impl Strategy<Value = VolumeStatusReply> {
    (
        (
            any::<u32>(),
            any::<u32>(),
            any::<[u8; 4]>(),
            any::<[i32; 7]>(),
        ),
        (text(), any::<[i32; 3]>(), text(), text()),
        (any::<u32>(), any::<u32>(), any::<u64>()),
    )
        .prop_map(
            |((vid, parent, flags, n), (name, c, off, motd), (age, hog, bytes))| {
                VolumeStatusReply {
                    status: VolumeStatus {
                        vid,
                        parent_id: parent,
                        online: flags[0],
                        in_service: flags[1],
                        blessed: flags[2],
                        needs_salvage: flags[3],
                        vol_type: n[0],
                        min_quota: n[1],
                        max_quota: n[2],
                        blocks_in_use: n[3],
                        part_blocks_avail: n[4],
                        part_max_blocks: n[5],
                        unused: n[6],
                    },
                    name,
                    conn_state: c[0],
                    conflict: c[1],
                    cml_count: c[2],
                    offline_message: off,
                    motd,
                    age_limit: age,
                    hogtime: hog,
                    cml_bytes: bytes,
                }
            },
        )
}

fn acl() -> impl Strategy<Value = Acl> {
    let entry = ("[A-Za-z][A-Za-z0-9:._-]{0,15}", 0u32..128)
        .prop_map(|(name, rights)| AclEntry { name, rights });
    (
        proptest::collection::vec(entry.clone(), 0..6),
        proptest::collection::vec(entry, 0..4),
    )
        .prop_map(|(positive, negative)| Acl { positive, negative })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn volume_status_round_trips(r in volume_status_reply(), pad in 0usize..64) {
        let mut bytes = r.encode();
        prop_assert_eq!(VolumeStatusReply::parse(&bytes).unwrap(), r.clone());
        bytes.resize(bytes.len() + pad, 0);
        prop_assert_eq!(VolumeStatusReply::parse(&bytes).unwrap(), r);
    }

    #[test]
    fn getfid_round_trips(
        fid in any::<[u32; 3]>(), versions in any::<[i32; 8]>(), store in any::<[u32; 3]>(),
        realm in proptest::collection::vec(1u8..=255, 0..=64),
    ) {
        let r = GetFidReply {
            fid: cfs_ioctl::ViceFid { volume: fid[0], vnode: fid[1], unique: fid[2] },
            vv: cfs_ioctl::ViceVersionVector {
                versions, host_id: store[0], uniquifier: store[1], flags: store[2],
            },
            realm,
        };
        let bytes = r.encode();
        prop_assert_eq!(bytes.len(), 124);
        prop_assert_eq!(GetFidReply::parse(&bytes).unwrap(), r);
    }

    #[test]
    fn acl_text_round_trips(a in acl()) {
        let mut text = a.to_text();
        text.push(0);
        prop_assert_eq!(Acl::parse(&text).unwrap(), a);
    }

    #[test]
    fn response_round_trips(error in -200i32..200, data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let r = Response { error, data };
        let bytes = encode_response(&r);
        prop_assert_eq!(parse_response(Opcode::GETAL, &bytes, 2048).unwrap(), r);
    }

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = VolumeStatusReply::parse(&bytes);
        let _ = GetFidReply::parse(&bytes);
        let _ = Acl::parse(&bytes);
        let _ = parse_response(Opcode::GETVOLSTAT, &bytes, 2048);
        let _ = cfs_ioctl::servers::parse_down_servers(&bytes);
        let _ = cfs_ioctl::WhereIs::parse(&bytes);
        let _ = cfs_ioctl::upcall::IoctlUpcall::parse(&bytes);
    }
}
