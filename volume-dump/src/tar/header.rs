//! Tar header blocks (spec §11.3): [`TarHeader::encode`] writes one as
//! `codadump2tar` does, [`HeaderBlock`] reads one back field by field as
//! [`super::TarStream`] needs it (ustar or GNU archives, as tar readers
//! accept them); both from one table of field offsets. Also the PAX
//! extended headers of `--pax` and the padding after a member's data.

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
const SIZE: (usize, usize) = (124, 12);
const MTIME: usize = 136;
const CHKSUM: (usize, usize) = (148, 8);
const TYPEFLAG: usize = 156;
const LINKNAME: (usize, usize) = (157, 100);
const MAGIC: (usize, usize) = (257, 8);
const PREFIX: (usize, usize) = (345, 155);

/// Where the magic starts, as error messages name it.
pub(super) const MAGIC_OFFSET: u64 = MAGIC.0 as u64;

/// The bytes of a field.
fn field(b: &[u8; BLOCK], (at, size): (usize, usize)) -> &[u8] {
    &b[at..at + size]
}

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
        put_octal(&mut b[SIZE.0..SIZE.0 + 12], 11, self.size);
        put_octal(&mut b[MTIME..MTIME + 12], 11, self.mtime);
        b[TYPEFLAG] = self.typeflag;
        put_bytes(&mut b, LINKNAME, &self.linkname);
        b[MAGIC.0..MAGIC.0 + MAGIC.1].copy_from_slice(b"ustar\x0000");
        put_bytes(&mut b, PREFIX, &self.prefix);
        let (sum, _) = sums(&b);
        put_octal(&mut b[CHKSUM.0..CHKSUM.0 + 7], 6, sum as u32);
        b[CHKSUM.0 + 7] = b' ';
        b
    }
}

/// A header block read from an archive, its fields decoded one at a time
/// (the reading side of [`TarHeader::encode`]). Only the fields a reader
/// of dumps in tar archives needs are decoded: GNU tar may write others
/// (uid, mtime) in base 256, which is not refused.
pub struct HeaderBlock<'a>(pub &'a [u8; BLOCK]);

impl HeaderBlock<'_> {
    /// True for a block of zeros, the end of an archive.
    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }

    /// True when the block carries the `ustar` magic (POSIX ustar and GNU
    /// headers both do).
    pub fn is_ustar(&self) -> bool {
        is_tar_header(self.0)
    }

    /// The checksum field as written.
    pub fn checksum_field(&self) -> &[u8] {
        cstr(field(self.0, CHKSUM))
    }

    /// True when the checksum field (octal, ended by NUL or space) equals
    /// the sum of the block's bytes with the field taken as spaces,
    /// unsigned or (as some old writers computed it) signed.
    pub fn checksum_matches(&self) -> bool {
        let Some(want) = octal(field(self.0, CHKSUM)) else {
            return false;
        };
        let (unsigned, signed) = sums(self.0);
        want == unsigned || i64::try_from(want) == Ok(signed)
    }

    /// The size field as written.
    pub fn size_field(&self) -> &[u8] {
        field(self.0, SIZE)
    }

    /// The size of the member's data; `None` when the field is not octal.
    pub fn size(&self) -> Option<u64> {
        octal(self.size_field())
    }

    /// The member's name: `prefix/name`, or `name` when the prefix is
    /// empty.
    pub fn path(&self) -> Vec<u8> {
        ustar_name(cstr(field(self.0, PREFIX)), cstr(field(self.0, NAME)))
    }

    /// The type flag (`0` file, `1` hard link, `2` symlink, `5` directory,
    /// `x` PAX header, ...).
    pub fn typeflag(&self) -> u8 {
        self.0[TYPEFLAG]
    }
}

/// True when `block` is at least a header long and carries the `ustar`
/// magic at byte 257 (POSIX ustar and GNU headers both do).
pub fn is_tar_header(block: &[u8]) -> bool {
    block.len() >= BLOCK && block[MAGIC.0..MAGIC.0 + 5] == *b"ustar"
}

/// Checks the checksum of a header block exactly as `codadump2tar` writes
/// it (sum of all bytes with the checksum field as spaces, written as 6
/// octal digits + NUL + space).
pub fn checksum_ok(block: &[u8; BLOCK]) -> bool {
    let (sum, _) = sums(block);
    let mut field = [0u8; 7];
    put_octal(&mut field, 6, sum as u32);
    block[CHKSUM.0..CHKSUM.0 + 7] == field && block[CHKSUM.0 + 7] == b' '
}

/// The sums of the block's bytes with the checksum field taken as eight
/// spaces: as unsigned bytes (the standard) and as signed ones.
fn sums(block: &[u8; BLOCK]) -> (u64, i64) {
    let chksum = CHKSUM.0..CHKSUM.0 + CHKSUM.1;
    let (mut unsigned, mut signed) = (0u64, 0i64);
    for (i, &c) in block.iter().enumerate() {
        let c = if chksum.contains(&i) { b' ' } else { c };
        unsigned += u64::from(c);
        signed += i64::from(c as i8);
    }
    (unsigned, signed)
}

/// The name a reader sees for `prefix` and `name`: `prefix/name`, or
/// `name` when the prefix is empty.
pub(super) fn ustar_name(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(prefix.len() + 1 + name.len());
    out.extend_from_slice(prefix);
    if !out.is_empty() {
        out.push(b'/');
    }
    out.extend_from_slice(name);
    out
}

/// A field's bytes up to its first NUL.
fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&c| c == 0).unwrap_or(field.len());
    &field[..end]
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

/// Reads an octal field as tar readers do: NULs and spaces around (and
/// between) the digits are left out, an empty field is 0; `None` when what
/// is left is not octal digits or does not fit in a u64.
fn octal(field: &[u8]) -> Option<u64> {
    let s: Vec<u8> = field
        .iter()
        .copied()
        .filter(|&c| c != 0 && c != b' ')
        .collect();
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(std::str::from_utf8(&s).ok()?, 8).ok()
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
    use crate::field::tests::golden;

    /// The golden `native-full.tar` (codadump2tar): the root directory's
    /// header at byte 0, the ACL file's at 512.
    fn golden_block(at: usize) -> [u8; BLOCK] {
        golden("native-full.tar")[at..at + BLOCK]
            .try_into()
            .unwrap()
    }

    #[test]
    fn encode_and_decode_agree_with_codadump2tar() {
        let cases = [
            (
                0,
                TarHeader {
                    typeflag: typeflag::DIRECTORY,
                    name: b"testvol.0.backup".to_vec(),
                    prefix: Vec::new(),
                    linkname: Vec::new(),
                    mode: 0o755,
                    uid: 0,
                    size: 0,
                    mtime: 0o15301744402,
                },
                "testvol.0.backup",
            ),
            (
                512,
                TarHeader {
                    typeflag: typeflag::FILE,
                    name: b"..CodaACLs.yaml".to_vec(),
                    prefix: b"testvol.0.backup".to_vec(),
                    linkname: Vec::new(),
                    mode: 0o400,
                    uid: 0,
                    size: 0o121,
                    mtime: 0o15301744406,
                },
                "testvol.0.backup/..CodaACLs.yaml",
            ),
        ];
        for (at, header, path) in cases {
            let block = golden_block(at);
            assert_eq!(header.encode(), block, "header at byte {at}");
            assert!(checksum_ok(&block));
            let h = HeaderBlock(&block);
            assert!(h.is_ustar() && !h.is_zero() && h.checksum_matches());
            assert_eq!(h.path(), path.as_bytes());
            assert_eq!(h.size(), Some(u64::from(header.size)));
            assert_eq!(h.typeflag(), header.typeflag);
        }
    }

    #[test]
    fn decoding_reads_fields_as_tar_readers_do() {
        #[rustfmt::skip]
        let fields: &[(&[u8], Option<u64>)] = &[
            (b"00000000121\0", Some(81)),  // codadump2tar: 11 digits, NUL
            (b"        121 ", Some(81)),    // space padded (old tars)
            (b"\0\0\0\0\0\0\0\0\0\0\0\0", Some(0)), // empty
            (b"0000000012x\0", None),        // not a digit
            (b"00000000128\0", None),        // not octal
            (b"\x80\0\0\0\0\0\0\0\0\0\0\x51", None), // GNU base 256
        ];
        for (field, want) in fields {
            let mut block = golden_block(512);
            block[SIZE.0..SIZE.0 + SIZE.1].copy_from_slice(field);
            assert_eq!(HeaderBlock(&block).size(), *want, "{field:?}");
        }
        // A byte changed anywhere but in the checksum field fails it;
        // one summed as a signed char (old writers) is accepted.
        let mut block = golden_block(512);
        block[3] ^= 1;
        assert!(!HeaderBlock(&block).checksum_matches());
        assert!(!checksum_ok(&block));
        let mut block = golden_block(0);
        block[20] = 0xe9;
        // The golden checksum 011027, less 23 for the name byte 0xe9 (-23).
        let signed = 0o11027 + i64::from(0xe9u8 as i8);
        let text = format!("{signed:06o}\0 ");
        block[CHKSUM.0..CHKSUM.0 + 8].copy_from_slice(text.as_bytes());
        assert!(HeaderBlock(&block).checksum_matches());
        assert!(!checksum_ok(&block));
        assert!(HeaderBlock(&[0; BLOCK]).is_zero());
        assert!(!is_tar_header(&block[..BLOCK - 1]));
    }

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
