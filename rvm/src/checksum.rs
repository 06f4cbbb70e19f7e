//! The RVM 64-bit additive checksum (spec §2) with its quirks, and the
//! reader-side piecewise variant (spec §6.4, quirk Q1).

use crate::le::u64_at;

/// Checksum of `len` bytes starting `skew` bytes into `words`, where
/// `words` starts at an 8-byte boundary (spec §2).
///
/// Quirks reproduced: when the range touches one word, the bytes after it
/// in that word are summed unmasked; when it touches two words, the second
/// is ignored. Bytes missing from `words` count as zero.
pub fn checksum(words: &[u8], skew: usize, len: u64) -> u64 {
    if len == 0 {
        return 0;
    }
    let skew = skew % 8;
    let end = skew as u64 + len;
    let nwords = end.div_ceil(8);
    let mut sum = u64_at(words, 0) & (!0u64 << (8 * skew));
    if nwords <= 2 {
        return sum;
    }
    let nwords = nwords as usize;
    // Words 1..W-2 unchanged; use whole-slice iteration when available.
    let middle_end = 8 * (nwords - 1);
    match words.get(8..middle_end) {
        Some(mid) => {
            for w in mid.chunks_exact(8) {
                sum = sum.wrapping_add(u64::from_le_bytes(w.try_into().unwrap_or([0; 8])));
            }
        }
        None => {
            for i in 1..nwords - 1 {
                sum = sum.wrapping_add(u64_at(words, 8 * i));
            }
        }
    }
    let used = (end - 8 * (nwords as u64 - 1)) as u32; // 1..=8 bytes of the last word
    let last = u64_at(words, middle_end);
    let mask = if used == 8 {
        !0
    } else {
        (1u64 << (8 * used)) - 1
    };
    sum.wrapping_add(last & mask)
}

/// The size of the window RVM reads the log through during recovery (§6.4).
pub const RECOVERY_WINDOW: u64 = 256 * 1024;

/// Reader-side checksum of a range's new values as real RVM computes it
/// (spec §6.4): `log` is the whole log image, `header` the absolute offset
/// of the range header, `skew` = offset mod 8, `len` the range length,
/// `rec_length` the range's record length. Pieces cut at window boundaries
/// are summed separately, so short last pieces reproduce quirk Q1.
pub fn reader_checksum(log: &[u8], header: u64, skew: u64, len: u64, rec_length: u64) -> u64 {
    let data = header + 112; // 8-aligned start of the data block
    let window = header & !511;
    let first = data + skew;
    let end = first + len;
    if (header - window) + rec_length <= RECOVERY_WINDOW {
        return checksum(slice_from(log, data), skew as usize, len);
    }
    let mut sum = 0u64;
    let mut start = first;
    let mut cut = window + RECOVERY_WINDOW;
    while start < end {
        while cut <= start {
            cut += RECOVERY_WINDOW;
        }
        let stop = cut.min(end);
        let aligned = start & !7;
        sum = sum.wrapping_add(checksum(
            slice_from(log, aligned),
            (start - aligned) as usize,
            stop - start,
        ));
        start = stop;
    }
    sum
}

fn slice_from(buf: &[u8], at: u64) -> &[u8] {
    usize::try_from(at)
        .ok()
        .and_then(|a| buf.get(a..))
        .unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_range_sums_to_zero() {
        assert_eq!(checksum(&[0xff; 16], 3, 0), 0);
    }

    #[test]
    fn one_word_keeps_trailing_bytes() {
        // Spec §2 quirk: W = 1 sums the bytes after the range unmasked.
        let w = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(
            checksum(&w, 2, 2),
            u64::from_le_bytes([0, 0, 3, 4, 5, 6, 7, 8])
        );
    }

    #[test]
    fn two_words_ignore_the_second() {
        let mut w = [0u8; 16];
        w[0] = 9;
        w[8] = 7;
        assert_eq!(checksum(&w, 0, 12), 9);
    }

    #[test]
    fn three_words_mask_the_last() {
        let w: Vec<u8> = vec![1; 24];
        let one = u64::from_le_bytes([1; 8]);
        // bytes 0..17: words 0 and 1 whole, one byte of word 2.
        assert_eq!(checksum(&w, 0, 17), one.wrapping_mul(2).wrapping_add(1));
    }
}
