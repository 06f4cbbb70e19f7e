//! `coda-rs rvm init-data` / `init-log` on regular files, against the real
//! rdsinit / rvmutl anchors of golden/rvm/README.md (d), and against the
//! floor: fallocate plus the same header writes and syncs.

use std::fs::{File, OpenOptions};
use std::hint::black_box;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rvm::heap::HeapParams;
use rvm::{InitDataOptions, InitLogOptions, Timeval};

const MIB: u64 = 1 << 20;

fn fresh_log(path: &Path) {
    let _ = std::fs::remove_file(path);
    rvm::init_log(
        path,
        20 * MIB,
        InitLogOptions::default(),
        Timeval::now(),
        &mut |_, _| {},
    )
    .unwrap();
}

/// What any formatter must do at least: allocate the file, write the
/// segment header page and the three heap ranges, fdatasync.
fn floor(path: &Path, p: &HeapParams) {
    let l = p.validate().unwrap();
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .unwrap();
    rustix::fs::fallocate(&f, rustix::fs::FallocateFlags::empty(), 0, l.file_size()).unwrap();
    for (addr, bytes) in l.heap_ranges() {
        f.write_all_at(&bytes, l.file_offset(addr)).unwrap();
    }
    f.write_all_at(&l.segment_header().encode(), 0).unwrap();
    f.sync_data().unwrap();
}

fn bench_init_data(c: &mut Criterion) {
    let dir = tempfile::tempdir_in(
        std::env::var_os("CODA_RS_BENCH_DIR").unwrap_or_else(|| "/var/tmp".into()),
    )
    .unwrap();
    let log = dir.path().join("LOG");
    let data = dir.path().join("DATA");
    let mut g = c.benchmark_group("rvm_init_data");
    g.sample_size(10);
    for (label, size) in [("64M", 64 * MIB), ("256M", 256 * MIB), ("1G", 1024 * MIB)] {
        let p = HeapParams::coda_standard(size);
        g.bench_function(format!("init-data {label}"), |b| {
            b.iter_batched(
                || {
                    fresh_log(&log);
                    let _ = std::fs::remove_file(&data);
                },
                |()| {
                    black_box(
                        rvm::init_data(&log, &data, &p, InitDataOptions::default(), &mut |_, _| {})
                            .unwrap(),
                    );
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_function(format!("fallocate+headers {label}"), |b| {
            b.iter_batched(
                || {
                    let _ = std::fs::remove_file(&data);
                },
                |()| floor(&data, &p),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
    let _ = std::fs::remove_file(&data);
}

fn bench_init_log(c: &mut Criterion) {
    let dir = tempfile::tempdir_in(
        std::env::var_os("CODA_RS_BENCH_DIR").unwrap_or_else(|| "/var/tmp".into()),
    )
    .unwrap();
    let log = dir.path().join("LOG");
    let mut g = c.benchmark_group("rvm_init_log");
    g.sample_size(10);
    g.bench_function("init-log 200M", |b| {
        b.iter_batched(
            || {
                let _ = std::fs::remove_file(&log);
            },
            |()| {
                rvm::init_log(
                    &log,
                    200 * MIB,
                    InitLogOptions::default(),
                    Timeval::now(),
                    &mut |_, _| {},
                )
                .unwrap();
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    drop(File::open(dir.path()));
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = bench_init_data, bench_init_log
}
criterion_main!(benches);
