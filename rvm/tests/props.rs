//! Round-trip and robustness properties of the `rvm` readers and writers.

use proptest::prelude::*;
use rvm::checksum::checksum;
use rvm::reader::{locate_tail, ChecksumRule, LogView};
use rvm::record::{
    encode_transaction, NewValues, RangeHeader, RecordHeader, TransHeader, TRANS_ID,
};
use rvm::status::StatusBlock;
use rvm::Timeval;

fn tv() -> impl Strategy<Value = Timeval> {
    (0i64..4_000_000_000, 0i64..1_000_000).prop_map(|(s, u)| Timeval::new(s, u))
}

/// The spec §2 definition, word by word, for comparison.
fn naive(words: &[u8], skew: usize, len: u64) -> u64 {
    if len == 0 {
        return 0;
    }
    let nw = (skew as u64 + len).div_ceil(8) as usize;
    let word = |i: usize| {
        let mut b = [0u8; 8];
        for (k, x) in b.iter_mut().enumerate() {
            *x = words.get(8 * i + k).copied().unwrap_or(0);
        }
        b
    };
    let mut w0 = word(0);
    w0[..skew].fill(0);
    let mut sum = u64::from_le_bytes(w0);
    if nw <= 2 {
        return sum;
    }
    for i in 1..nw - 1 {
        sum = sum.wrapping_add(u64::from_le_bytes(word(i)));
    }
    let mut last = word(nw - 1);
    let used = skew + len as usize - 8 * (nw - 1);
    last[used..].fill(0);
    sum.wrapping_add(u64::from_le_bytes(last))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn checksum_matches_the_spec_definition(words in proptest::collection::vec(any::<u8>(), 0..200), skew in 0usize..8, len in 0u64..190) {
        prop_assert_eq!(checksum(&words, skew, len), naive(&words, skew, len));
    }

    #[test]
    fn status_block_round_trips(a in tv(), b in tv(), head in 0u64..1_000_000, n in any::<u64>(), empty in any::<bool>()) {
        let mut s = StatusBlock::fresh(2560, 1 << 20, a);
        s.last_trunc = b;
        s.log_head = head * 8;
        s.next_rec_num = n;
        s.log_empty = empty;
        s.tot_range_lengths[3] = n;
        let bytes = s.encode();
        let back = StatusBlock::decode(&bytes).unwrap();
        prop_assert_eq!(back.encode(), bytes);
        let mut s2 = s.clone();
        s2.chk_sum = back.chk_sum;
        prop_assert_eq!(back, s2);
    }

    #[test]
    fn transactions_round_trip(
        ranges in proptest::collection::vec((0u64..1_000_000, proptest::collection::vec(any::<u8>(), 0..300)), 0..5),
        ts in tv(), uname in tv(), num in 1u64..1000, flags in 0u64..128,
    ) {
        let nv: Vec<NewValues<'_>> = ranges.iter().map(|(o, d)| NewValues { offset: *o, vmaddr: 0x5000_0000 + o, seg_code: 1, data: d }).collect();
        let h = RecordHeader { struct_id: TRANS_ID, rec_length: 0, timestamp: ts, rec_num: num };
        let bytes = encode_transaction(h, uname, uname, flags, &nv);
        let t = TransHeader::read(&bytes, 0);
        prop_assert_eq!(t.num_ranges, nv.len() as u64);
        prop_assert_eq!(t.header.rec_length as usize + 56, bytes.len());
        prop_assert_eq!(t.flags, flags);
        let mut at = 96usize;
        for (o, d) in &ranges {
            let r = RangeHeader::read(&bytes, at);
            prop_assert_eq!(r.offset, *o);
            prop_assert_eq!(r.length, d.len() as u64);
            let start = at + 112 + (*o % 8) as usize;
            prop_assert_eq!(&bytes[start..start + d.len()], &d[..]);
            prop_assert_eq!(r.chk_sum, checksum(&bytes[at + 112..], (*o % 8) as usize, d.len() as u64));
            at += r.header.rec_length as usize;
        }
    }

    #[test]
    fn tail_location_never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 2560..12000), head in 0u64..1500, tail in 0u64..1500) {
        let mut s = StatusBlock::decode_unchecked(&bytes[..2560]);
        s.log_start = 2560;
        s.log_head = 2560 + head * 8;
        s.log_tail = 2560 + tail * 8;
        let n = bytes.len() as u64 & !7;
        let v = LogView::new(&bytes, 2560, n);
        let mut s1 = s.clone();
        locate_tail(&mut s1, &v, Timeval::new(i64::MAX, 0), ChecksumRule::Rvm);
        locate_tail(&mut s, &v, Timeval::new(i64::MAX, 0), ChecksumRule::Writer);
        let _ = rvm::show::show_all_text(&s, &v);
        let _ = rvm::epoch::Epoch::read(&v, s.log_head, s.log_tail);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn segment_header_round_trips(regions in proptest::collection::vec((any::<u64>(), any::<u64>(), any::<u64>()), 0..=123)) {
        let h = rvm::segment::SegmentHeader {
            regions: regions.iter().map(|&(offset, length, vmaddr)| rvm::segment::Region { offset, length, vmaddr }).collect(),
        };
        let page = h.encode();
        prop_assert_eq!(page.len(), 4096);
        prop_assert_eq!(rvm::segment::SegmentHeader::decode(&page), Some(h));
    }

    #[test]
    fn log_seg_round_trips(name in proptest::collection::vec(1u8..=255, 1..200), code in 1i64..100, len in any::<u64>(), ts in tv(), num in 1u64..1_000_000) {
        let rec = rvm::record::LogSegRecord {
            header: RecordHeader { struct_id: rvm::record::LOG_SEG_ID, rec_length: 0, timestamp: ts, rec_num: num },
            seg_code: code,
            num_bytes: len,
            name,
        };
        let bytes = rec.encode();
        let back = rvm::record::LogSegRecord::read(&bytes, 0).unwrap();
        prop_assert_eq!(back.header.rec_length as usize + 56, bytes.len());
        prop_assert_eq!((back.seg_code, back.num_bytes, &back.name), (code, len, &rec.name));
        let end = rvm::record::EndMarker::read(&bytes, back.header.rec_length as usize);
        prop_assert!(end.matches(&back.header));
    }

    #[test]
    fn valid_heap_layouts_fit_their_heap(pages in 1u64..2048, nlists in 1u64..200, chunk8 in 5u64..64, saddr_pages in 1u64..0x80000) {
        let p = rvm::heap::HeapParams {
            datalen: (pages + 1 + 256) * 4096,
            saddr: saddr_pages * 4096,
            heaplen: pages * 4096,
            staticlen: 256 * 4096,
            nlists,
            chunk: chunk8 * 8,
        };
        if let Ok(l) = p.validate() {
            // Spec §7.5: the block starts after the header, chunk-aligned as
            // an absolute address, and ends inside the heap.
            prop_assert!(l.first_block >= p.saddr + l.hdr_len);
            prop_assert_eq!(l.first_block % p.chunk, 0);
            prop_assert!(l.end_guard_addr() + 8 <= p.saddr + p.heaplen);
            prop_assert_eq!(l.heap_header().len() as u64, 264 + 16 * nlists);
        }
    }
}
