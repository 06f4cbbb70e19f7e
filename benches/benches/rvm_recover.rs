//! `coda-rs rvm recover` on a 20 MiB log full of 4 KiB transactions (made
//! with the log writer), beside reading the same log once: the tail scan
//! with checksums, and a plain sequential read of the file.

use std::hint::black_box;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rvm::heap::HeapParams;
use rvm::log_device::{LocatedLog, LogDevice};
use rvm::reader::{locate_tail, ChecksumRule, LogView};
use rvm::record::NewValues;
use rvm::recover::{recover, RecoverOptions};
use rvm::writer::LogWriter;
use rvm::Timeval;

const MIB: u64 = 1 << 20;

/// Formats a 20 MiB log and a 64 MiB segment, then fills the log with
/// 4 KiB transactions up to the end of the area (no wrap, no status write:
/// the state after a crash). Returns the bytes of records written.
fn make(log: &Path, data: &Path) -> u64 {
    rvm::init_log(
        log,
        20 * MIB,
        Default::default(),
        rvm::Timeval::now(),
        &mut |_, _| {},
    )
    .unwrap();
    let p = HeapParams::coda_standard(64 * MIB);
    rvm::init_data(log, data, &p, Default::default(), &mut |_, _| {}).unwrap();
    let mut w = LogWriter::open(log).unwrap();
    let start = w.tail();
    let end = w.status().log_start + w.status().log_size;
    w.log_seg(1, data.as_os_str().as_bytes(), 64 * MIB).unwrap();
    let page = vec![0x5au8; 4096];
    let mut i: u64 = 0;
    while w.tail() + 4096 + 264 + 48 + 1024 <= end {
        let offset = 4096 + (i * 4096 * 7) % (p.heaplen - 8192) + 8;
        let r = NewValues {
            offset,
            vmaddr: p.saddr + offset - 4096,
            seg_code: 1,
            data: &page,
        };
        w.transaction(&[r], true).unwrap();
        i += 1;
    }
    w.flush().unwrap();
    w.tail() - start
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir_in(
        std::env::var_os("CODA_RS_BENCH_DIR").unwrap_or_else(|| "/var/tmp".into()),
    )
    .unwrap();
    let log = dir.path().join("LOG");
    let data = dir.path().join("DATA");
    let used = make(&log, &data);
    let pristine_log = std::fs::read(&log).unwrap();
    let pristine_data = std::fs::read(&data).unwrap();
    let mut g = c.benchmark_group("rvm_recover");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(used));
    g.bench_function("recover 20M log of 4K transactions", |b| {
        b.iter_batched(
            || {
                // Fresh copies, synced so that the measured fdatasyncs only
                // flush what recovery itself writes.
                for (p, bytes) in [(&log, &pristine_log), (&data, &pristine_data)] {
                    std::fs::write(p, bytes).unwrap();
                    std::fs::File::open(p).unwrap().sync_all().unwrap();
                }
            },
            |()| {
                let opts = RecoverOptions {
                    data: Some(data.clone()),
                    ..Default::default()
                };
                black_box(recover(&log, &opts).unwrap());
            },
            BatchSize::PerIteration,
        )
    });
    std::fs::write(&log, &pristine_log).unwrap();
    g.bench_function(
        "tail scan from the stored tail (what status/recover do)",
        |b| {
            b.iter(|| {
                black_box(
                    LocatedLog::open(&log, false, false, ChecksumRule::Rvm)
                        .unwrap()
                        .status
                        .log_tail,
                )
            })
        },
    );
    g.bench_function(
        "read every record once (tail scan from the head, checksums)",
        |b| {
            let dev = LogDevice::open(&log, false, false).unwrap();
            let disk = dev.read_status().unwrap();
            let n = dev.num_bytes(&disk).unwrap();
            b.iter(|| {
                let map = dev.map(n).unwrap();
                let view = LogView::new(&map, disk.log_start, n);
                let mut s = disk.clone();
                s.log_tail = s.log_head;
                locate_tail(&mut s, &view, Timeval::now(), ChecksumRule::Rvm);
                assert!(s.log_tail > disk.log_tail);
                black_box(s.log_tail)
            })
        },
    );
    g.bench_function("plain read of the same log file", |b| {
        b.iter(|| black_box(std::fs::read(&log).unwrap().len()))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
