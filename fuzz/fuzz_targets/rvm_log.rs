//! Fuzz the RVM log reader: status block decoding, tail location (both
//! checksum rules), the epoch walk, `show all` text and listing.
//!
//! Seed it with the golden logs (decompressed), e.g.:
//!   mkdir -p fuzz/corpus/rvm_log
//!   for f in ../shared/golden/rvm/*.log* ../shared/golden/rvm/*.img.gz; do
//!     case $f in *.txt) continue;; esac
//!     zcat -f "$f" > "fuzz/corpus/rvm_log/$(basename "${f%.gz}")"; done
//!   cargo +nightly fuzz run rvm_log -- -max_len=1100000
//! The first 2560 bytes are the status block; the input is the file log.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rvm::epoch::Epoch;
use rvm::reader::{locate_tail, ChecksumRule, LogView};
use rvm::status::StatusBlock;
use rvm::Timeval;

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    if data.len() < 2560 {
        return;
    }
    // Validated decode must never panic; for coverage, carry on with the
    // unchecked fields even when it fails.
    let _ = StatusBlock::decode(&data[..2560]);
    let disk = StatusBlock::decode_unchecked(&data[..2560]);
    let num_bytes = (data.len() as u64) & !511;
    if num_bytes <= 2560 {
        return;
    }
    let view = LogView::new(data, 2560, num_bytes);
    let mut s = disk.clone();
    s.log_start = 2560;
    // RVM's own pointer checks (spec §11), as LogDevice::read_status does.
    for p in [s.log_head, s.log_tail] {
        if p < 2560 || p > num_bytes || p % 8 != 0 {
            return;
        }
    }
    let now = Timeval::new(i64::MAX / 2, 0);
    for rule in [ChecksumRule::Rvm, ChecksumRule::Writer] {
        let mut t = s.clone();
        let scan = locate_tail(&mut t, &view, now, rule);
        let epoch = Epoch::read(&view, t.log_head, t.log_tail).ok();
        if let Some(e) = &epoch {
            for (_, r) in e.ranges() {
                let _ = r.data(view.bytes).len();
            }
            let _ = e.used_segments();
        }
        let _ = rvm::show::show_all_text(&t, &view);
        let _ = rvm::show::show_json(&t, &view, &scan, epoch.as_ref());
    }
});
