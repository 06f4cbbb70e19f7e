//! Merging incremental dumps into a full dump (spec §10), with the exact
//! output of `codamergedump`, but streaming the full dump forward once
//! (it may come from a pipe) and holding only the incrementals in memory.
//! The result is then read back and checked as `dump verify` checks a dump
//! ([`ResultCheck`]), so that a caller can refuse to keep a dump the server
//! would choke on.

mod check;

pub use check::ResultCheck;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};

use crate::error::{Error, Result};
use crate::header::DumpHeader;
use crate::model::{Data, Dump, Index, IndexEntry};
use crate::reader::{DumpReader, Entry, ReadOptions};
use crate::vnode::{vnode_type, IndexHeader, Vnode, VnodeClass};
use crate::writer::DumpWriter;

/// Where a merge writes: a seekable, readable, truncatable output (the
/// index counts are patched after the vnodes are written, and a slot whose
/// vnodes change order is rewritten in place).
pub trait MergeOutput: Read + Write + Seek {
    /// Truncates the output to `len` bytes.
    fn set_len(&mut self, len: u64) -> io::Result<()>;
}

impl MergeOutput for File {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        File::set_len(self, len)
    }
}

/// A new output file that appears under its name once committed.
impl MergeOutput for beneath::AtomicFile {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        beneath::AtomicFile::set_len(self, len)
    }
}

impl<T: MergeOutput + ?Sized> MergeOutput for &mut T {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        (**self).set_len(len)
    }
}

impl MergeOutput for Cursor<Vec<u8>> {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.get_mut().truncate(len as usize);
        Ok(())
    }
}

/// Options of [`merge`].
#[derive(Debug, Clone, Copy)]
pub struct MergeOptions {
    /// How the full dump is read.
    pub read: ReadOptions,
    /// Require every incremental's `oldest` stamp to equal the `latest`
    /// stamp of the dump it applies to (spec §8.3). On by default;
    /// `codamergedump` has the check compiled out.
    pub check_stamps: bool,
}

impl Default for MergeOptions {
    fn default() -> Self {
        MergeOptions {
            read: ReadOptions::default(),
            check_stamps: true,
        }
    }
}

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// The merged dump's header.
    pub header: DumpHeader,
    /// Vnode counts written into the large and small index headers.
    pub vnode_counts: [u32; 2],
    /// Size of the merged dump in bytes.
    pub bytes: u64,
    /// Things `codamergedump` would print (deletions of vnodes that are
    /// not in the dump, trailing bytes after the full dump's end).
    pub warnings: Vec<String>,
    /// What `dump verify`'s checks find in the written result; when
    /// [`ResultCheck::rejects`] it, the caller should not keep it.
    pub check: ResultCheck,
}

impl MergeReport {
    /// The line `coda-rs dump merge` prints for the merged dump written
    /// to `out`: `OUT: full dump of NAME (ID), stamps OLDEST -> LATEST,
    /// LARGE + SMALL vnodes, BYTES bytes`.
    pub fn line(&self, out: &std::path::Path) -> String {
        format!(
            "{}: full dump of {} ({:08x}), stamps {} -> {}, {} + {} vnodes, {} bytes",
            out.display(),
            crate::text::lossy(&self.header.volume_name),
            self.header.volume_id,
            self.header.oldest,
            self.header.latest,
            self.vnode_counts[0],
            self.vnode_counts[1],
            self.bytes
        )
    }
}

/// Checks that `incrementals` (oldest first) form a chain on top of the
/// full dump with header `full` (spec §10 rule 2 and §8.3).
pub fn check_chain(
    full: &DumpHeader,
    incrementals: &[&DumpHeader],
    check_stamps: bool,
) -> Result<()> {
    let bad = |s: String| Err(Error::Merge(s));
    if !full.is_full() {
        return bad(format!(
            "the first dump is an incremental (level {}), not a full dump",
            full.incremental
        ));
    }
    if incrementals.is_empty() {
        return bad("no incremental dump to merge".into());
    }
    let mut latest = full.latest;
    for (k, inc) in incrementals.iter().enumerate() {
        let n = k + 1;
        if inc.is_full() {
            return bad(format!("incremental #{n} is a full dump (level 0)"));
        }
        if inc.parent_id != full.parent_id {
            return bad(format!(
                "incremental #{n} belongs to read-write volume {:#010x}, the full dump to {:#010x}",
                inc.parent_id, full.parent_id
            ));
        }
        if inc.volume_name != full.volume_name {
            return bad(format!(
                "incremental #{n} is of volume '{}', the full dump of '{}'",
                String::from_utf8_lossy(&inc.volume_name),
                String::from_utf8_lossy(&full.volume_name)
            ));
        }
        if check_stamps && inc.oldest != latest {
            return bad(format!(
                "incremental #{n} applies to the dump whose latest stamp is {}, but the chain so far \
                 ends at stamp {latest} (a dump is missing or out of order)",
                inc.oldest
            ));
        }
        latest = inc.latest;
    }
    Ok(())
}

/// Where a vnode of the output comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Src {
    /// The i-th full-dump vnode of the current slot, already in the output.
    Out(usize),
    /// Entry `idx` of incremental `k`'s index.
    Inc(usize, usize),
}

struct Written {
    unique: u32,
    start: u64,
    end: u64,
}

struct ClassMerge<'a> {
    class: VnodeClass,
    incs: Vec<&'a Index>,
    /// slot -> (incremental, entry index), in stream order.
    by_slot: BTreeMap<u32, Vec<(usize, usize)>>,
    slots: u32,
    count: i64,
    count_at: u64,
    /// Slot being collected from the full dump, its start in the output
    /// and the vnodes written for it.
    current: Option<u32>,
    slot_start: u64,
    written: Vec<Written>,
    /// Next slot not yet emitted.
    next_slot: u64,
}

/// Merges `incrementals` (oldest first) into the full dump read from
/// `full`, writing the result to `out` (spec §10: pairwise, oldest first,
/// byte-identical to chained `codamergedump` runs), then reads the result
/// back and checks it ([`MergeReport::check`]); `out` is left positioned
/// at its end.
pub fn merge<R: Read, W: MergeOutput>(
    full: R,
    incrementals: &[Dump],
    out: W,
    opts: MergeOptions,
) -> Result<MergeReport> {
    let mut fr = DumpReader::with_options(full, opts.read)?;
    let fh = fr.header().clone();
    let inc_headers: Vec<&DumpHeader> = incrementals.iter().map(|d| &d.header).collect();
    check_chain(&fh, &inc_headers, opts.check_stamps)?;
    let last = incrementals
        .last()
        .expect("check_chain refuses an empty chain");
    let header = DumpHeader {
        version: fh.version,
        volume_id: fh.volume_id,
        parent_id: fh.parent_id,
        volume_name: fh.volume_name.clone(),
        backup_date: last.header.backup_date,
        incremental: 0,
        oldest: fh.oldest,
        latest: last.header.latest,
    };
    let mut report = MergeReport {
        header: header.clone(),
        ..MergeReport::default()
    };
    let mut w = DumpWriter::new(out);
    w.write_header(&header)?;
    w.write_volume(&last.volume)?;

    let mut spool: Option<File> = None;
    let mut buf = vec![0u8; 256 * 1024];
    let mut cm: Option<ClassMerge> = None;
    let mut patches: Vec<(u64, u32)> = Vec::new();
    while let Some(entry) = fr.next_entry()? {
        match entry {
            Entry::Index {
                class, header: ih, ..
            } => {
                if let Some(done) = cm.take() {
                    patches.push(done.finish(&mut w, incrementals, &mut spool, &mut report)?);
                }
                cm = Some(ClassMerge::start(class, ih, incrementals, &mut w)?);
            }
            Entry::Vnode(ve) => {
                let m = cm
                    .as_mut()
                    .expect("the reader yields an index before vnodes");
                let slot = ve.vnode.slot();
                if let Some(cur) = m.current {
                    if slot < cur {
                        return Err(Error::Merge(format!(
                            "byte offset {}: the full dump's {} index is not in slot order \
                             (vnode {:#x} after slot {cur}); it cannot be merged",
                            ve.offset,
                            m.class.name(),
                            ve.vnode.vnode
                        )));
                    }
                    if slot != cur {
                        m.finish_slot(&mut w, incrementals, &mut spool, &mut report)?;
                    }
                }
                if m.current.is_none() {
                    m.emit_incremental_slots_below(
                        u64::from(slot),
                        &mut w,
                        incrementals,
                        &mut report,
                    )?;
                    m.current = Some(slot);
                    m.slot_start = w.position();
                }
                let start = w.position();
                let v = canonical_vnode(&ve.vnode, m.class, slot);
                w.write_vnode(&v, ve.data)?;
                loop {
                    let n = fr.read_data(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    w.write_data(&buf[..n])?;
                }
                m.written.push(Written {
                    unique: ve.vnode.unique,
                    start,
                    end: w.position(),
                });
            }
            Entry::Null { .. } | Entry::Removed { .. } => {}
            Entry::End { trailing_bytes, .. } => {
                if trailing_bytes > 0 {
                    report.warnings.push(format!(
                        "{trailing_bytes} bytes after the full dump's end marker were ignored"
                    ));
                }
            }
        }
    }
    if let Some(done) = cm.take() {
        patches.push(done.finish(&mut w, incrementals, &mut spool, &mut report)?);
    }
    let end = w.position();
    let mut out = w.finish()?;
    let io = |offset: u64| move |source| Error::Io { offset, source };
    for (i, (at, count)) in patches.iter().enumerate() {
        out.seek(SeekFrom::Start(*at)).map_err(io(*at))?;
        out.write_all(&count.to_be_bytes()).map_err(io(*at))?;
        report.vnode_counts[i] = *count;
    }
    let end = end + 5;
    out.set_len(end).map_err(io(end))?;
    out.seek(SeekFrom::Start(end)).map_err(io(end))?;
    out.flush().map_err(io(end))?;
    report.bytes = end;
    report.check = check::check_result(&mut out)?;
    Ok(report)
}

/// The vnode as `codamergedump` re-emits it: number recomputed from the
/// slot, type cut to 3 bits, mode to 12 bits, `X` exactly for directories.
fn canonical_vnode(v: &Vnode, class: VnodeClass, slot: u32) -> Vnode {
    let mut v = v.clone();
    v.vnode = class.vnode_of_slot(slot);
    v.vnode_type &= 7;
    v.mode &= 0o7777;
    if v.vnode_type == vnode_type::DIRECTORY {
        v.acl.get_or_insert_with(Vec::new);
    } else {
        v.acl = None;
    }
    v
}

fn index_of(d: &Dump, class: VnodeClass) -> &Index {
    match class {
        VnodeClass::Large => &d.large,
        VnodeClass::Small => &d.small,
    }
}

impl<'a> ClassMerge<'a> {
    fn start<W: MergeOutput>(
        class: VnodeClass,
        full: IndexHeader,
        incrementals: &'a [Dump],
        w: &mut DumpWriter<W>,
    ) -> Result<Self> {
        let incs: Vec<&Index> = incrementals.iter().map(|d| index_of(d, class)).collect();
        let mut slots = full.slots;
        let mut by_slot: BTreeMap<u32, Vec<(usize, usize)>> = BTreeMap::new();
        for (k, idx) in incs.iter().enumerate() {
            if idx.header.slots < slots {
                return Err(Error::Merge(format!(
                    "incremental #{} has {} {} slots, fewer than the {slots} of the dump it applies to",
                    k + 1,
                    idx.header.slots,
                    class.name()
                )));
            }
            slots = idx.header.slots;
            for (i, e) in idx.entries.iter().enumerate() {
                let vnode = match e {
                    IndexEntry::Vnode(v, _) => v.vnode,
                    IndexEntry::Removed { vnode, .. } => *vnode,
                    IndexEntry::Null => continue,
                };
                by_slot
                    .entry(VnodeClass::slot(vnode))
                    .or_default()
                    .push((k, i));
            }
        }
        let count_at = w.begin_index(
            class,
            IndexHeader {
                vnode_count: full.vnode_count,
                slots,
            },
        )?;
        Ok(ClassMerge {
            class,
            incs,
            by_slot,
            slots,
            count: i64::from(full.vnode_count),
            count_at,
            current: None,
            slot_start: 0,
            written: Vec::new(),
            next_slot: 0,
        })
    }

    /// The output order of one slot after applying every incremental.
    fn chain(&mut self, slot: u32, mut chain: Vec<Src>, report: &mut MergeReport) -> Vec<Src> {
        let ops = self.by_slot.get(&slot).cloned().unwrap_or_default();
        for k in 0..self.incs.len() {
            // Loading the dump an incremental applies to puts every vnode
            // at the head of its slot's chain: same-slot order reverses.
            chain.reverse();
            for &(_, i) in ops.iter().filter(|(kk, _)| *kk == k) {
                match &self.incs[k].entries[i] {
                    IndexEntry::Vnode(v, _) => {
                        match chain.iter().position(|s| self.unique_of(*s) == v.unique) {
                            Some(p) => chain[p] = Src::Inc(k, i),
                            None => {
                                chain.insert(0, Src::Inc(k, i));
                                self.count += 1;
                            }
                        }
                    }
                    IndexEntry::Removed { vnode, unique } => {
                        match chain.iter().position(|s| self.unique_of(*s) == *unique) {
                            Some(p) => {
                                chain.remove(p);
                                self.count -= 1;
                            }
                            None => report.warnings.push(format!(
                                "incremental #{}: removing a null vnode for {vnode:x}.{unique:x} \
                                 (not in the dump it applies to)",
                                k + 1
                            )),
                        }
                    }
                    IndexEntry::Null => {}
                }
            }
        }
        chain
    }

    fn unique_of(&self, s: Src) -> u32 {
        match s {
            Src::Out(i) => self.written[i].unique,
            Src::Inc(k, i) => match &self.incs[k].entries[i] {
                IndexEntry::Vnode(v, _) => v.unique,
                _ => unreachable!("only vnodes enter a chain"),
            },
        }
    }

    fn write_inc<W: MergeOutput>(
        &self,
        w: &mut DumpWriter<W>,
        slot: u32,
        k: usize,
        i: usize,
    ) -> Result<()> {
        let IndexEntry::Vnode(v, data) = &self.incs[k].entries[i] else {
            unreachable!("only vnodes enter a chain")
        };
        let v = canonical_vnode(v, self.class, slot);
        w.write_vnode(&v, data.kind())?;
        match data {
            Data::DirPages(b) | Data::File(b) => w.write_data(b),
            Data::BadInode => Ok(()),
        }
    }

    /// Emits the slots below `limit` that only the incrementals fill.
    fn emit_incremental_slots_below<W: MergeOutput>(
        &mut self,
        limit: u64,
        w: &mut DumpWriter<W>,
        _incrementals: &[Dump],
        report: &mut MergeReport,
    ) -> Result<()> {
        let from = self.next_slot;
        let slots: Vec<u32> = self
            .by_slot
            .range(u32::try_from(from).unwrap_or(u32::MAX)..)
            .map(|(s, _)| *s)
            .take_while(|s| u64::from(*s) < limit)
            .collect();
        if from > u64::from(u32::MAX) {
            return Ok(());
        }
        for slot in slots {
            for src in self.chain(slot, Vec::new(), report) {
                if let Src::Inc(k, i) = src {
                    self.write_inc(w, slot, k, i)?;
                }
            }
        }
        self.next_slot = self.next_slot.max(limit);
        Ok(())
    }

    /// Completes the full dump's current slot: applies the incrementals
    /// and, unless the result is what was written, rewrites the slot.
    fn finish_slot<W: MergeOutput>(
        &mut self,
        w: &mut DumpWriter<W>,
        _incrementals: &[Dump],
        spool: &mut Option<File>,
        report: &mut MergeReport,
    ) -> Result<()> {
        let Some(slot) = self.current.take() else {
            return Ok(());
        };
        let written: Vec<Src> = (0..self.written.len()).map(Src::Out).collect();
        let chain = self.chain(slot, written.clone(), report);
        if chain != written {
            let start = self.slot_start;
            let len = w.position() - start;
            let io = |offset: u64| move |source| Error::Io { offset, source };
            let sp = match spool {
                Some(f) => f,
                None => spool.insert(tempfile::tempfile().map_err(io(start))?),
            };
            sp.set_len(0).map_err(io(start))?;
            sp.seek(SeekFrom::Start(0)).map_err(io(start))?;
            {
                let out = w.get_mut()?;
                out.seek(SeekFrom::Start(start)).map_err(io(start))?;
                let copied = io::copy(&mut (&mut *out).take(len), sp).map_err(io(start))?;
                if copied != len {
                    return Err(Error::Io {
                        offset: start + copied,
                        source: io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "output shorter than written",
                        ),
                    });
                }
                out.seek(SeekFrom::Start(start)).map_err(io(start))?;
            }
            w.set_position(start);
            for src in chain {
                match src {
                    Src::Out(i) => {
                        let (a, b) = (self.written[i].start - start, self.written[i].end - start);
                        sp.seek(SeekFrom::Start(a)).map_err(io(start))?;
                        let out = w.get_mut()?;
                        let copied =
                            io::copy(&mut (&mut *sp).take(b - a), out).map_err(io(start))?;
                        let pos = w.position() + copied;
                        w.set_position(pos);
                    }
                    Src::Inc(k, i) => self.write_inc(w, slot, k, i)?,
                }
            }
        }
        self.written.clear();
        self.next_slot = u64::from(slot) + 1;
        Ok(())
    }

    /// Ends the index: remaining slots, then returns the count patch.
    fn finish<W: MergeOutput>(
        mut self,
        w: &mut DumpWriter<W>,
        incrementals: &[Dump],
        spool: &mut Option<File>,
        report: &mut MergeReport,
    ) -> Result<(u64, u32)> {
        self.finish_slot(w, incrementals, spool, report)?;
        self.emit_incremental_slots_below(u64::from(self.slots), w, incrementals, report)?;
        let count = u32::try_from(self.count).map_err(|_| {
            Error::Merge(format!(
                "the merged {} index would hold {} vnodes",
                self.class.name(),
                self.count
            ))
        })?;
        Ok((self.count_at, count))
    }
}
