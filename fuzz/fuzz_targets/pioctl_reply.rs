//! Replies venus (or something posing as venus) sends back to a pioctl
//! (spec `pioctl.md`): the virtual-file response (§3.3), the `CODA_IOCTL`
//! upcall of the kernel-ioctl transport (§4.4), and the payload parsers of
//! the opcodes coda-rs issues: volume status (`cfs lv`, §6.4), getfid
//! (§6.5), getacl (§6.6), checkservers (§6.7), whereis (§6.8).
//!
//! Input: one selector byte (which parser), then the reply. Seeds are the
//! example buffers of the golden `layout.txt`. What must hold: no panic;
//! an error's offset lies inside the reply; where there is an encoder,
//! decode → encode → decode gives the same value, and the printers
//! (`cfs lv`, `cfs getfid`, `cfs la` text) never fail.

#![no_main]

use cfs_ioctl::servers::parse_down_servers;
use cfs_ioctl::upcall::{encode_ioctl_reply, IoctlUpcall};
use cfs_ioctl::virtual_file::{encode_response, parse_response};
use cfs_ioctl::{Acl, Error, GetFidReply, Opcode, VolumeStatusReply, WhereIs};
use libfuzzer_sys::fuzz_target;

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    let Some((&which, reply)) = data.split_first() else {
        return;
    };
    match which % 7 {
        0 => volume_status(reply),
        1 => check(
            reply,
            GetFidReply::parse(reply).map(|r| {
                let _ = (r.fid_text(), r.vv_text(), r.cfs_line());
                assert_eq!(GetFidReply::parse(&r.encode()).ok().as_ref(), Some(&r));
            }),
        ),
        2 => check(
            reply,
            Acl::parse(reply).map(|acl| {
                let _ = acl.cfs_table();
                let again = Acl::parse(&acl.to_text()).expect("printed ACL parses");
                assert_eq!(again, acl, "ACL round trip changed it");
            }),
        ),
        3 => check(
            reply,
            parse_down_servers(reply).map(|down| {
                assert!(4 * down.len() < reply.len());
            }),
        ),
        4 => check(
            reply,
            WhereIs::parse(reply).map(|w| {
                assert!(w.active_servers().len() <= 8);
            }),
        ),
        5 => virtual_file_response(reply),
        _ => check(
            reply,
            IoctlUpcall::parse(reply).map(|up| {
                assert!(up.input.len() <= reply.len());
                let out = encode_ioctl_reply(up.unique, 0, &up.input);
                assert_eq!(out.len(), 24 + up.input.len());
            }),
        ),
    }
});

/// An error must name an offset within (or just past) the reply.
fn check(reply: &[u8], r: cfs_ioctl::Result<()>) {
    match r {
        Ok(()) => {}
        Err(Error::BadReply { offset, .. }) => {
            assert!(
                offset <= reply.len(),
                "offset {offset} past a {}-byte reply",
                reply.len()
            )
        }
        Err(e) => panic!("a reply parser failed without an offset: {e}"),
    }
}

fn volume_status(reply: &[u8]) {
    check(
        reply,
        VolumeStatusReply::parse(reply).map(|r| {
            let mut out = Vec::new();
            for local in [false, true] {
                r.write_cfs_listing(&mut out, Some(b"/coda/x"), local)
                    .expect("listing to memory");
            }
            let enc = r.encode();
            assert!(
                reply.starts_with(&enc),
                "encoding differs from the bytes read"
            );
            assert_eq!(VolumeStatusReply::parse(&enc).ok().as_ref(), Some(&r));
        }),
    );
}

/// `error\nsize\n\0data` with every output size limit the transports use.
fn virtual_file_response(reply: &[u8]) {
    for out_size in [0u16, 124, 2048, u16::MAX] {
        check(
            reply,
            parse_response(Opcode::GETVOLSTAT, reply, out_size).map(|r| {
                assert!(r.data.len() <= usize::from(out_size));
                let enc = encode_response(&r);
                let again = parse_response(Opcode::GETVOLSTAT, &enc, out_size).expect("re-encoded");
                assert_eq!(again, r, "response round trip changed it");
            }),
        );
    }
}
