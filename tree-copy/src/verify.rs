//! Content hashes (SHA-256) for `--verify` and `--resume --checksum`.

use std::fs::File;
use std::io::{self, Read};

use sha2::{Digest, Sha256};

use crate::data::BUFFER_SIZE;

/// SHA-256 of everything `f` holds from its current offset (holes read
/// as zeros).
pub fn hash_file(mut f: &File) -> io::Result<[u8; 32]> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; BUFFER_SIZE];
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

/// Which side of a comparison failed to read.
#[derive(Debug)]
pub enum Side {
    /// The source.
    Src(io::Error),
    /// The destination.
    Dst(io::Error),
}

/// True when both open files hash the same. The two are read in parallel.
pub fn same_content(src: &File, dst: &File) -> Result<bool, Side> {
    let (a, b) = rayon::join(|| hash_file(src), || hash_file(dst));
    let a = a.map_err(Side::Src)?;
    let b = b.map_err(Side::Dst)?;
    Ok(a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_fips_vector() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        let h = hash_file(&File::open(&p).unwrap()).unwrap();
        // FIPS 180-2, appendix B.1.
        let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
