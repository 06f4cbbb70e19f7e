//! Tar header blocks as `codadump2tar` writes them (spec §11.3), and the
//! PAX extended headers of `--pax`.

/// Size of a tar block.
pub const BLOCK: usize = 512;

/// Type flags used (spec §11.3).
pub mod typeflag {
    /// Regular file.
    pub const FILE: u8 = b'0';
    /// Hard link.
    pub const HARD_LINK: u8 = b'1';
    /// Symbolic link.
    pub const SYMLINK: u8 = b'2';
    /// Directory.
    pub const DIRECTORY: u8 = b'5';
    /// PAX extended header for the next record.
    pub const PAX: u8 = b'x';
}

// Field offsets and sizes (spec §11.3).
const NAME: (usize, usize) = (0, 100);
const MODE: usize = 100;
const UID: usize = 108;
const GID: usize = 116;
const SIZE: usize = 124;
const MTIME: usize = 136;
const CHKSUM: usize = 148;
const TYPEFLAG: usize = 156;
const LINKNAME: (usize, usize) = (157, 100);
const MAGIC: usize = 257;
const PREFIX: (usize, usize) = (345, 155);

/// One ustar header block with the field values `codadump2tar` uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarHeader {
    /// Record type, see `typeflag`.
    pub typeflag: u8,
    /// Name field (at most 99 bytes are written).
    pub name: Vec<u8>,
    /// Prefix field (at most 154 bytes are written).
    pub prefix: Vec<u8>,
    /// Link name field (at most 99 bytes are written).
    pub linkname: Vec<u8>,
    /// Mode bits.
    pub mode: u32,
    /// Owner id.
    pub uid: u32,
    /// Size of the data that follows.
    pub size: u32,
    /// Modification time (Unix seconds).
    pub mtime: u32,
}

impl TarHeader {
    /// Encodes the block: fields as in spec §11.3, numbers as zero-padded
    /// octal cut to their leading digits when too long, gid `0000000`,
    /// `ustar\0` `00`, and the checksum over the block with the checksum
    /// field taken as eight spaces.
    pub fn encode(&self) -> [u8; BLOCK] {
        let mut b = [0u8; BLOCK];
        put_bytes(&mut b, NAME, &self.name);
        put_octal(&mut b[MODE..MODE + 8], 7, self.mode);
        put_octal(&mut b[UID..UID + 8], 7, self.uid);
        b[GID..GID + 7].fill(b'0');
        put_octal(&mut b[SIZE..SIZE + 12], 11, self.size);
        put_octal(&mut b[MTIME..MTIME + 12], 11, self.mtime);
        b[TYPEFLAG] = self.typeflag;
        put_bytes(&mut b, LINKNAME, &self.linkname);
        b[MAGIC..MAGIC + 8].copy_from_slice(b"ustar\x0000");
        put_bytes(&mut b, PREFIX, &self.prefix);
        b[CHKSUM..CHKSUM + 8].fill(b' ');
        let sum: u32 = b.iter().map(|&c| u32::from(c)).sum();
        put_octal(&mut b[CHKSUM..CHKSUM + 7], 6, sum);
        b
    }
}

/// Checks the checksum of a header block (sum of all bytes with the
/// checksum field as spaces, written as 6 octal digits + NUL + space).
pub fn checksum_ok(block: &[u8; BLOCK]) -> bool {
    let mut copy = *block;
    copy[CHKSUM..CHKSUM + 8].fill(b' ');
    let sum: u32 = copy.iter().map(|&c| u32::from(c)).sum();
    let mut field = [0u8; 7];
    put_octal(&mut field, 6, sum);
    block[CHKSUM..CHKSUM + 7] == field && block[CHKSUM + 7] == b' '
}

/// Copies at most `size - 1` bytes of `value` into the field (the last
/// byte stays NUL).
fn put_bytes(b: &mut [u8; BLOCK], (at, size): (usize, usize), value: &[u8]) {
    let n = value.len().min(size - 1);
    b[at..at + n].copy_from_slice(&value[..n]);
}

/// `snprintf(field, digits + 1, "%0<digits>o", value)`: zero-padded octal,
/// cut to the leading `digits` digits, then NUL.
fn put_octal(field: &mut [u8], digits: usize, value: u32) {
    let text = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(&text.as_bytes()[..digits]);
    field[digits] = 0;
}

/// The data of a PAX extended header: `"<len> <key>=<value>\n"` records,
/// where `<len>` counts the whole record including its own digits.
pub fn pax_records(records: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (key, value) in records {
        let body = key.len() + value.len() + 3; // ' ', '=', '\n'
        let mut len = body + 1;
        while len != body + len.to_string().len() {
            len = body + len.to_string().len();
        }
        out.extend_from_slice(len.to_string().as_bytes());
        out.push(b' ');
        out.extend_from_slice(key.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    out
}

/// Zero bytes that pad `len` bytes of data to a whole block (none when
/// `len` is a multiple of 512).
pub fn padding(len: u64) -> usize {
    (BLOCK - (len % BLOCK as u64) as usize) % BLOCK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_fields_cut_to_leading_digits() {
        // Spec §11.3: a uid of 8 octal digits keeps its leading 7. (The
        // spec's example says 3000000 = octal 13344300; it is 13343300.)
        let mut f = [0xffu8; 8];
        put_octal(&mut f, 7, 3_000_000);
        assert_eq!(&f, b"1334330\0");
        put_octal(&mut f, 7, 0o13344300);
        assert_eq!(&f, b"1334430\0");
        put_octal(&mut f, 7, 0o755);
        assert_eq!(&f, b"0000755\0");
        let mut f = [0xffu8; 12];
        put_octal(&mut f, 11, u32::MAX);
        assert_eq!(&f, b"37777777777\0");
    }

    #[test]
    fn pax_record_lengths_count_themselves() {
        assert_eq!(pax_records(&[("path", b"abc")]), b"12 path=abc\n");
        // 95 + 3 bytes body: the length needs 3 digits (99 -> 100).
        let v = vec![b'x'; 91];
        let rec = pax_records(&[("path", &v)]);
        assert_eq!(rec.len(), 101);
        assert!(rec.starts_with(b"101 path="));
        assert_eq!(padding(0), 0);
        assert_eq!(padding(1), 511);
        assert_eq!(padding(512), 0);
    }
}
