//! `dump to-tar` on generated ~200 MB dumps (issue 4): (a) "mixed": root +
//! 20 directories x 100 files of cycling sizes plus 45 x 4 MiB files in the
//! root; (b) "many-small": root + 100 directories x 200 files. Same recipes
//! (and generator) as `dump_rw.rs`, from `shared/golden/dump/README.md`.
//! Anchors: `codadump2tar -f dump -o tar` 0.23 s / 0.24 s.
//!
//! Run: `cargo bench -p coda-rs-benches --bench tar_convert`. Figures are in
//! benches/README.md.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use volume_dump::tar::{write_tar, TarOptions};
use volume_dump::DumpReader;

use coda_rs_benches::dumpgen::generate;

fn benches(c: &mut Criterion) {
    let sets = [
        ("mixed", generate(20, 100, 45)),
        ("many-small", generate(100, 200, 0)),
    ];
    // CODA_RS_BENCH_DUMPS=DIR keeps the generated dumps there, to time the
    // real codadump2tar (or the coda-rs binary) on the same inputs.
    if let Some(keep) = std::env::var_os("CODA_RS_BENCH_DUMPS") {
        for (name, bytes) in &sets {
            std::fs::write(
                std::path::Path::new(&keep).join(format!("{name}.dump")),
                bytes,
            )
            .unwrap();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("to-tar");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    let opts = TarOptions::default();
    for (name, bytes) in &sets {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        // Conversion alone: dump in memory, tar into a reused buffer.
        let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 8);
        g.bench_with_input(BenchmarkId::new("memory", name), bytes, |b, bytes| {
            b.iter(|| {
                out.clear();
                let mut r = DumpReader::new(&bytes[..]).unwrap();
                black_box(write_tar(&mut r, &mut out, &opts).unwrap())
            })
        });
        drop(out);
        // As the anchor runs: dump file -> tar file (both in the page cache).
        let dump_path = dir.path().join(format!("{name}.dump"));
        std::fs::write(&dump_path, bytes).unwrap();
        let tar_path = dir.path().join(format!("{name}.tar"));
        g.bench_with_input(
            BenchmarkId::new("file", name),
            &dump_path,
            |b, dump_path| {
                b.iter(|| {
                    let mut r = DumpReader::new(File::open(dump_path).unwrap()).unwrap();
                    let mut w = BufWriter::with_capacity(1 << 20, File::create(&tar_path).unwrap());
                    let s = write_tar(&mut r, &mut w, &opts).unwrap();
                    w.flush().unwrap();
                    black_box(s)
                })
            },
        );
    }
    g.finish();
}

criterion_group!(tar_benches, benches);
criterion_main!(tar_benches);
