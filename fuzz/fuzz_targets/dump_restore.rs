//! `dump restore` of a hostile dump: the restore's planning (names, the
//! directory graph, hard links, `lost+found`, ACLs) and its writes, on
//! whatever the dump reader lets through (strict and lenient).
//!
//! Input: a dump stream (the golden dumps are seeds). Each input is
//! restored into a fresh target beside a victim file. The restore runs as
//! `nobody` ([`Unprivileged`]) so that a bug cannot harm the machine.
//! What must hold: no panic; nothing is created beside the target and the
//! victim is unchanged; an error is one line; a restore that succeeds gives
//! the tree `verify --against` finds equal to the dump.

#![no_main]

use std::os::unix::fs::PermissionsExt;

use coda_rs_fuzz::{names_in, scratch_dir, Unprivileged};
use libfuzzer_sys::fuzz_target;
use volume_dump::restore::{restore_chain, verify_against, AgainstOptions, RestoreOptions};
use volume_dump::ReadOptions;

const VICTIM: &[u8] = b"a file outside the target\n";

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    for lenient in [false, true] {
        let read = ReadOptions { lenient };
        let unprivileged = Unprivileged::enter();
        let scratch = scratch_dir();
        let victim = scratch.path().join("victim");
        std::fs::write(&victim, VICTIM).unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
        let into = scratch.path().join("into");
        let opts = RestoreOptions {
            read,
            workers: 2,
            ..RestoreOptions::default()
        };
        let restored = restore_chain(data, &[], &into, &opts, &mut |_| {});
        drop(unprivileged);

        let mut beside = names_in(scratch.path());
        beside.retain(|n| n != "into");
        assert_eq!(beside, ["victim"], "created beside the target");
        assert_eq!(std::fs::read(&victim).unwrap(), VICTIM, "victim changed");
        let mode = std::fs::symlink_metadata(&victim)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o644, "victim's mode changed");
        match restored {
            Err(e) => {
                let e = e.to_string();
                assert!(!e.contains('\n'), "error of several lines: {e}");
            }
            Ok(_) => {
                // Compared as root (it only reads): modes like 000 that the
                // dump gave its directories do not stop it.
                let against = AgainstOptions {
                    read,
                    owners: false,
                    ..AgainstOptions::default()
                };
                match verify_against(data, &[], &into, &against) {
                    Ok(diffs) => assert!(diffs.is_empty(), "restored tree differs: {diffs:?}"),
                    Err(e) => panic!("verify --against failed on a tree just restored: {e}"),
                }
            }
        }
    }
});
