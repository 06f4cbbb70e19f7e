//! Every example buffer of `shared/golden/pioctl/layout.txt`, reproduced by
//! the `cfs-ioctl` request builders or decoded by its reply parsers; the
//! printed cfs texts compared with the ones recorded there.

use std::net::Ipv4Addr;
use std::path::Path;

use crate::cfs_support;

use cfs_ioctl::upcall::{encode_ioctl_reply, IoctlUpcall};
use cfs_ioctl::virtual_file::{encode_request, parse_response, venus_path};
use cfs_ioctl::{acl, reply_cstr, Acl, GetFidReply, Opcode, Pioctl, VolumeStatusReply, WhereIs};
use cfs_support::{dump, layout, section};

fn vf(p: &Pioctl) -> Vec<u8> {
    let vpath = venus_path(p.path.as_deref(), Path::new("/coda"), Path::new("/")).unwrap();
    encode_request(p, &vpath)
}

/// Checks a golden UP dump against a request: CODA_IOCTL, the command, the
/// length and offset fields and the input. pid, uid, unique and fid are
/// sample values (README) and are not compared.
fn check_upcall(up: &[u8], p: &Pioctl) -> IoctlUpcall {
    let u = IoctlUpcall::parse(up).unwrap();
    assert_eq!(u.cmd, p.opcode.vice_ioctl());
    assert_eq!(u.opcode(), p.opcode);
    assert_eq!(u.rwflag, 0);
    assert_eq!(u.data_offset, 56);
    assert_eq!(u.input, p.input);
    assert_eq!(up.len(), 56 + p.input.len());
    u
}

#[test]
fn request_code_table() {
    let (text, _) = layout();
    let mut rows = 0;
    for line in text.lines().filter(|l| l.starts_with("_VIOC")) {
        let field = |key: &str| {
            let at = line.find(key).unwrap() + key.len();
            line[at..].split_whitespace().next().unwrap().to_string()
        };
        let nr: u8 = field("nr=").trim().parse().unwrap();
        let vice = u32::from_str_radix(field("_VICEIOCTL=").trim_start_matches("0x"), 16).unwrap();
        let legacy =
            u32::from_str_radix(field("legacy_ioctl=").trim_start_matches("0x"), 16).unwrap();
        assert_eq!(Opcode(nr).vice_ioctl(), vice, "{line}");
        assert_eq!(Opcode(nr).legacy_ioctl(), legacy, "{line}");
        assert_eq!(cfs_ioctl::control::legacy_request(nr), legacy, "{line}");
        let name = line
            .split_whitespace()
            .next()
            .unwrap()
            .trim_start_matches('_');
        if let Some(ours) = Opcode(nr).name() {
            assert_eq!(ours, name, "{line}");
        }
        rows += 1;
    }
    assert!(rows > 60, "only {rows} request code rows found");
    for op in [
        Opcode::SETAL,
        Opcode::GETAL,
        Opcode::GETVOLSTAT,
        Opcode::FLUSH,
        Opcode::CKSERV,
        Opcode::WHEREIS,
        Opcode::AFS_DELETE_MT_PT,
        Opcode::FLUSHVOLUME,
        Opcode::ADD_MT_PT,
        Opcode::GETFID,
        Opcode::FLUSHCACHE,
    ] {
        let name = op.name().unwrap();
        assert!(
            text.lines().any(|l| l.starts_with(&format!("_{name} "))),
            "{name} not in layout.txt"
        );
    }
}

#[test]
fn flushcache() {
    let (_, ss) = layout();
    let s = section(&ss, "cfs flushcache");
    let p = Pioctl::flush_cache();
    assert_eq!(vf(&p), dump(s, "VF request"));
    let r = parse_response(p.opcode, dump(s, "VF response"), p.out_size).unwrap();
    assert_eq!((r.error, r.data.len()), (0, 0));
    let u = check_upcall(dump(s, "UP CODA_IOCTL"), &p);
    assert_eq!(encode_ioctl_reply(u.unique, 0, &[]), dump(s, "DN reply"));
}

#[test]
fn flushobject_and_flushvolume() {
    let (_, ss) = layout();
    let p = Pioctl::flush_object(Path::new("/coda/usr/jan/file"));
    assert_eq!(vf(&p), dump(section(&ss, "cfs fl "), "VF request"));
    let p = Pioctl::flush_volume(Path::new("/coda/usr/jan"));
    assert_eq!(vf(&p), dump(section(&ss, "cfs flushvolume"), "VF request"));
}

#[test]
fn rmmount() {
    let (_, ss) = layout();
    let s = section(&ss, "cfs rmmount");
    let p = Pioctl::rmmount(Path::new("/coda/tmp/restored/vol1")).unwrap();
    assert_eq!(vf(&p), dump(s, "VF request"));
    let u = check_upcall(dump(s, "UP CODA_IOCTL"), &p);
    assert_eq!(encode_ioctl_reply(u.unique, 0, &[]), dump(s, "DN reply"));
    let r = parse_response(p.opcode, dump(s, "VF response (ENOENT"), 0).unwrap();
    assert_eq!(r.error, 2);
    assert!(r.data.is_empty());
}

#[test]
fn mkmount() {
    let (_, ss) = layout();
    let s = section(&ss, "cfs mkmount /coda/tmp/inited/vol1 users:jan");
    let p = Pioctl::mkmount(Path::new("/coda/tmp/inited/vol1"), "users:jan").unwrap();
    assert_eq!(p.input, b"vol1/users:jan\0");
    assert_eq!(vf(&p), dump(s, "VF request"));
    check_upcall(dump(s, "UP CODA_IOCTL"), &p);
    let s = section(&ss, "cfs mkmount /coda/tmp/inited/vol1 (no volume name)");
    let p = Pioctl::mkmount(Path::new("/coda/tmp/inited/vol1"), "").unwrap();
    assert_eq!(vf(&p), dump(s, "VF request"));
}

#[test]
fn listvol() {
    let (_, ss) = layout();
    let s = section(&ss, "cfs lv");
    let p = Pioctl::volume_status(Path::new("/coda/usr/jan"), false);
    assert_eq!(vf(&p), dump(s, "VF request (local_only=0)"));
    let local = Pioctl::volume_status(Path::new("/coda/usr/jan"), true);
    assert_eq!(vf(&local), dump(s, "VF request (-local"));

    let out = dump(s, "out buffer");
    let reply = VolumeStatusReply::parse(out).unwrap();
    assert_eq!(reply.status.vid, 0x0100_0001);
    assert_eq!(reply.status.blocks_in_use, 123_456);
    assert_eq!(reply.status.part_blocks_avail, 1_000_000);
    assert_eq!(reply.status.part_max_blocks, 2_000_000);
    assert_eq!(reply.name, b"users:jan");
    assert_eq!(
        (reply.conn_state, reply.conflict, reply.cml_count),
        (2, 0, 3)
    );
    assert_eq!(reply.offline_message, b"");
    assert_eq!(reply.motd, b"welcome");
    assert_eq!(
        (reply.age_limit, reply.hogtime, reply.cml_bytes),
        (60, 30_000, 4096)
    );
    assert_eq!(reply.encode(), out);
    // The ioctl transport hands back the whole zero-filled buffer.
    let mut padded = out.to_vec();
    padded.resize(2048, 0);
    assert_eq!(VolumeStatusReply::parse(&padded).unwrap(), reply);

    let r = parse_response(p.opcode, dump(s, "VF response"), p.out_size).unwrap();
    assert_eq!((r.error, r.data.as_slice()), (0, out));
    let dn = dump(s, "DN reply");
    let unique = u32::from_le_bytes(dn[4..8].try_into().unwrap());
    assert_eq!(encode_ioctl_reply(unique, 0, out), dn);

    // "# cfs prints for this buffer:" then the indented lines, then a
    // blank line ("a blank line follows each volume").
    let mut expected = String::new();
    for line in s
        .text
        .iter()
        .skip_while(|l| !l.starts_with("# cfs prints"))
        .skip(1)
    {
        if line.starts_with('#') {
            break;
        }
        if !line.is_empty() {
            expected.push_str(line);
            expected.push('\n');
        }
    }
    expected.push('\n');
    let mut printed = Vec::new();
    reply.write_cfs_listing(&mut printed, None, false).unwrap();
    assert_eq!(String::from_utf8(printed).unwrap(), expected);
}

#[test]
fn getfid() {
    let (_, ss) = layout();
    let s = section(&ss, "cfs getfid");
    let p = Pioctl::getfid(Path::new("/coda/usr/jan"));
    assert_eq!(vf(&p), dump(s, "VF request"));
    let out = dump(s, "out buffer");
    let reply = GetFidReply::parse(out).unwrap();
    assert_eq!(reply.encode(), out);
    let printed = s.text.iter().find(|l| l.starts_with("FID = ")).unwrap();
    assert_eq!(&reply.cfs_line(), printed);
}

#[test]
fn listacl_and_setacl() {
    let (_, ss) = layout();
    let s = section(&ss, "cfs la");
    let p = Pioctl::get_acl(Path::new("/coda/usr/jan"));
    assert_eq!(vf(&p), dump(s, "VF request"));
    let mut acl = Acl::parse(dump(s, "out buffer")).unwrap();
    let printed: String = s
        .text
        .iter()
        .skip_while(|l| !l.starts_with("# cfs prints"))
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(acl.cfs_table(), printed);

    let s = section(&ss, "cfs sa");
    acl.set("jan", acl::parse_rights("all").unwrap(), false);
    let p = Pioctl::set_acl(Path::new("/coda/usr/jan"), &acl).unwrap();
    assert_eq!(vf(&p), dump(s, "VF request"));
}

#[test]
fn checkservers() {
    let (_, ss) = layout();
    let s = section(&ss, "cfs checkservers");
    let p = Pioctl::check_servers(&[]).unwrap();
    assert_eq!(vf(&p), dump(s, "VF request (probe all)"));
    let hosts: [Ipv4Addr; 2] = ["192.0.2.10".parse().unwrap(), "192.0.2.11".parse().unwrap()];
    let p = Pioctl::check_servers(&hosts).unwrap();
    assert_eq!(vf(&p), dump(s, "VF request (cfs cs"));
    let down = cfs_ioctl::servers::parse_down_servers(dump(s, "out buffer")).unwrap();
    assert_eq!(down, vec![hosts[1]]);
}

#[test]
fn whereis() {
    let (_, ss) = layout();
    let s = section(&ss, "cfs whereis");
    let w = WhereIs::parse(dump(s, "out buffer")).unwrap();
    assert_eq!(
        w.active_servers(),
        vec![
            "192.0.2.10".parse::<Ipv4Addr>().unwrap(),
            "192.0.2.11".parse().unwrap()
        ]
    );
    assert_eq!(w.volumes[..3], [0x0100_0002, 0x0200_0002, 0]);
}

#[test]
fn other_documented_buffers() {
    let (_, ss) = layout();
    let s = section(&ss, "cfs lsmount");
    let p = Pioctl::lsmount(Path::new("/coda/usr/jan"));
    assert_eq!(vf(&p), dump(s, "VF request"));
    assert_eq!(reply_cstr(dump(s, "out buffer")), Some(&b"#users:jan."[..]));

    let s = section(&ss, "cfs getmountpoint");
    let p = Pioctl::get_mount_point(0x0100_0001, "example.org").unwrap();
    assert_eq!(p.input, dump(s, "in buffer"));
    let s = section(&ss, "cfs getpath");
    let p = Pioctl::get_path([0x0100_0001, 4, 2], "example.org").unwrap();
    assert_eq!(p.input, dump(s, "in buffer"));
    let s = section(&ss, "cfs wd");
    assert_eq!(
        Pioctl::write_disconnect_all(60, 30_000).input,
        dump(s, "in buffer")
    );
    let s = section(&ss, "cfs zonelimit");
    assert_eq!(Pioctl::zone_limit(100, 50).input, dump(s, "in buffer"));
    let s = section(&ss, "cfs listcache");
    assert_eq!(Pioctl::list_cache(false, 3).input, dump(s, "in buffer"));
    assert_eq!(
        reply_cstr(dump(s, "out buffer")),
        Some(&b"/tmp/listcache-AbC123"[..])
    );
    let s = section(&ss, "cfs beginrepair");
    assert_eq!(
        Pioctl::rep_cmd(Path::new("/coda"), 3, true).input,
        dump(s, "in buffer")
    );
}

/// Every dump in the file is used by one of the tests above; a new example
/// added to layout.txt must get a test too.
#[test]
fn every_dump_is_covered() {
    let (_, ss) = layout();
    let covered = [
        "cfs flushcache",
        "cfs fl ",
        "cfs rmmount",
        "cfs mkmount",
        "cfs lv",
        "cfs getfid",
        "cfs la",
        "cfs sa",
        "cfs checkservers",
        "cfs whereis",
        "cfs flushvolume",
        "cfs lsmount",
        "cfs getmountpoint",
        "cfs getpath",
        "cfs wd",
        "cfs zonelimit",
        "cfs listcache",
        "cfs beginrepair",
    ];
    let mut dumps = 0;
    for s in &ss {
        dumps += s.dumps.len();
        assert!(
            covered.iter().any(|c| s.heading.starts_with(c)),
            "layout.txt section {:?} has no test",
            s.heading
        );
    }
    assert_eq!(dumps, 36, "number of example buffers in layout.txt changed");
}
