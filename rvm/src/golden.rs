//! Test support: the golden files of the real Coda tools
//! (`../shared/golden/rvm/`, or `$CODA_RS_GOLDEN/rvm/`).

use std::path::PathBuf;

/// The bytes of golden file `rvm/NAME`.
pub fn golden(name: &str) -> Vec<u8> {
    let dir = std::env::var_os("CODA_RS_GOLDEN").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/golden"),
        PathBuf::from,
    );
    let path = dir.join("rvm").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("golden {}: {e}", path.display()))
}

/// Asserts that `bytes` holds each `(offset, expected bytes)` of `fields`
/// and zeros everywhere else, naming the first field that differs.
pub fn assert_fields(what: &str, bytes: &[u8], fields: &[(usize, &[u8])]) {
    let mut covered = vec![false; bytes.len()];
    for &(at, want) in fields {
        assert_eq!(
            &bytes[at..at + want.len()],
            want,
            "{what}: the field at byte {at} differs"
        );
        covered[at..at + want.len()]
            .iter_mut()
            .for_each(|c| *c = true);
    }
    let stray = (0..bytes.len()).find(|&i| !covered[i] && bytes[i] != 0);
    assert_eq!(
        stray, None,
        "{what}: a nonzero byte outside the listed fields"
    );
}
