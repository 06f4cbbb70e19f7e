//! Reading, writing and merging generated ~200 MB volume dumps (issue 4):
//! (a) "mixed": root + 20 directories x 100 files of cycling sizes, plus
//! 45 x 4 MiB files in the root; (b) "many-small": root + 100 directories
//! x 200 files. Recipes from `shared/golden/dump/README.md`.
//!
//! Run: `cargo bench -p coda-rs-benches --bench dump_rw`. Figures are in
//! benches/README.md.

use std::hint::black_box;
use std::io::Cursor;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use volume_dump::merge::{merge, MergeOptions};
use volume_dump::{Dump, DumpReader, DumpWriter, Entry, ReadOptions};

use coda_rs_benches::dumpgen::generate;

/// Walks every entry and reads every data byte.
fn read_all(bytes: &[u8]) -> u64 {
    let mut r = DumpReader::new(bytes).unwrap();
    let mut total = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    while let Some(e) = r.next_entry().unwrap() {
        if let Entry::Vnode(_) = e {
            loop {
                let n = r.read_data(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                total += n as u64;
            }
        }
    }
    total
}

/// Re-writes a dump record by record (reader -> writer), into `out`.
fn copy_dump(bytes: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut r = DumpReader::new(bytes).unwrap();
    let mut w = DumpWriter::new(out);
    w.write_header(r.header()).unwrap();
    w.write_volume(r.volume()).unwrap();
    let mut buf = vec![0u8; 256 * 1024];
    while let Some(e) = r.next_entry().unwrap() {
        match e {
            Entry::Index { class, header, .. } => {
                w.begin_index(class, header).unwrap();
            }
            Entry::Vnode(ve) => {
                w.write_vnode(&ve.vnode, ve.data).unwrap();
                loop {
                    let n = r.read_data(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    w.write_data(&buf[..n]).unwrap();
                }
            }
            Entry::Removed { vnode, unique, .. } => w.write_removed(vnode, unique).unwrap(),
            Entry::Null { .. } => w.write_null().unwrap(),
            Entry::End { .. } => {}
        }
    }
    w.finish().unwrap();
}

fn benches(c: &mut Criterion) {
    let sets = [
        ("mixed", generate(20, 100, 45)),
        ("many-small", generate(100, 200, 0)),
    ];
    let mut g = c.benchmark_group("dump");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    for (name, bytes) in &sets {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::new("read", name), bytes, |b, bytes| {
            b.iter(|| black_box(read_all(bytes)))
        });
        g.bench_with_input(BenchmarkId::new("skip", name), bytes, |b, bytes| {
            b.iter(|| {
                let mut r = DumpReader::new(&bytes[..]).unwrap();
                let mut n = 0u32;
                while let Some(_e) = r.next_entry().unwrap() {
                    n += 1;
                }
                black_box(n)
            })
        });
        let mut out = Vec::with_capacity(bytes.len());
        g.bench_with_input(BenchmarkId::new("read+write", name), bytes, |b, bytes| {
            b.iter(|| copy_dump(bytes, &mut out))
        });
        // The writer alone, from a dump held in memory.
        let model = Dump::read(&bytes[..], ReadOptions::default()).unwrap();
        g.bench_with_input(BenchmarkId::new("write", name), &model, |b, model| {
            b.iter(|| {
                out.clear();
                model.write(&mut out).unwrap();
            })
        });
        drop(model);
        // codamergedump's anchor: full + an empty incremental.
        let mut inc = Dump::read(&bytes[..], ReadOptions::default()).unwrap();
        inc.header.incremental = 1;
        inc.large.entries.clear();
        inc.small.entries.clear();
        let incs = [inc];
        g.bench_with_input(BenchmarkId::new("merge", name), bytes, |b, bytes| {
            b.iter(|| {
                let mut cur = Cursor::new(std::mem::take(&mut out));
                cur.get_mut().clear();
                merge(&bytes[..], &incs, &mut cur, MergeOptions::default()).unwrap();
                out = cur.into_inner();
                black_box(out.len())
            })
        });
    }
    g.finish();
}

criterion_group!(dump, benches);
criterion_main!(dump);
