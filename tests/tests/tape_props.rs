//! Properties of the tape input: whatever the record sizes and the initial
//! read buffer, a tape file reads back byte for byte, no record is lost to
//! ENOMEM, and reading stops at the filemark; tar members read back whole.

use std::io::Read;

use proptest::prelude::*;
use volume_dump::restore::tape::{TapeEmulator, TapeReader};
use volume_dump::tar::TarStream;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn tape_file_reads_back(
        data in proptest::collection::vec(any::<u8>(), 0..20_000),
        sizes in proptest::collection::vec(1usize..5000, 1..20),
        initial in 1usize..4096,
        next in proptest::collection::vec(any::<u8>(), 1..100),
    ) {
        let mut tape = TapeEmulator::new();
        tape.push_file_sizes(&data, sizes.iter().copied().cycle().take(100_000));
        tape.push_file(&next, 512);
        let mut r = TapeReader::with_initial_size(&mut tape, initial);
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        prop_assert_eq!(&got, &data);
        drop(r);
        prop_assert_eq!(tape.back_spaces, tape.enomem_reads);
        // The next tape file is intact.
        let mut r = TapeReader::new(&mut tape, None);
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        prop_assert_eq!(got, next);
    }

    #[test]
    fn tar_members_read_back(
        members in proptest::collection::vec(
            ("[a-z]{1,20}", proptest::collection::vec(any::<u8>(), 0..3000)), 1..5),
        pick in any::<prop::sample::Index>(),
    ) {
        // A ustar archive written by the system's tar.
        let dir = tempfile::tempdir().unwrap();
        let mut names = Vec::new();
        for (i, (name, data)) in members.iter().enumerate() {
            let n = format!("{i}{name}");
            std::fs::write(dir.path().join(&n), data).unwrap();
            names.push(n);
        }
        let out = std::process::Command::new("tar")
            .args(["--format=ustar", "-cf", "-", "-C"])
            .arg(dir.path())
            .args(&names)
            .output()
            .unwrap();
        prop_assert!(out.status.success());
        let i = pick.index(members.len());
        let mut tar = TarStream::new(&out.stdout[..]);
        let m = tar.find(&names[i]).unwrap();
        prop_assert_eq!(m.size, members[i].1.len() as u64);
        let mut got = Vec::new();
        tar.data().read_to_end(&mut got).unwrap();
        prop_assert_eq!(&got, &members[i].1);
    }
}
