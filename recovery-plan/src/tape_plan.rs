//! The dumplists of procedure 13.1 (`plan dumplists`): the volumes of the
//! lists ([`crate::pack::select`]) packed onto tapes
//! ([`crate::pack::first_fit_decreasing`]), one dumplist per tape, written
//! into a directory as `dumplist.01`, `dumplist.02`, ..., shown to people
//! as a table ([`TapePlan::summary`]) and to scripts as JSON
//! ([`TapePlan::view`]).

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use serde::Serialize;

use crate::atomic::write_in;
use crate::dumplist::{Dumplist, DumplistEntry, Schedule};
use crate::pack::{self, Selection, Tape};

use crate::volume_list::VolumeList;
use crate::vrlist::VrList;
use crate::{Error, Result};

/// The name every dumplist file starts with.
pub const FILE_PREFIX: &str = "dumplist.";

/// Tapes and their dumplists.
#[derive(Debug, Clone)]
pub struct TapePlan {
    /// Capacity of one tape.
    pub tape_bytes: u64,
    /// The schedule written for every volume.
    pub schedule: Schedule,
    /// What is dumped, what is skipped.
    pub selection: Selection,
    /// The tapes, filled first-fit decreasing.
    pub tapes: Vec<Tape>,
    /// One dumplist per tape, in tape order.
    pub lists: Vec<Dumplist>,
}

impl TapePlan {
    /// Plans the dumps of `volumes` onto tapes of `tape_bytes`.
    pub fn new(
        volumes: &VolumeList,
        vrlist: &VrList,
        tape_bytes: u64,
        schedule: Schedule,
    ) -> Result<TapePlan> {
        let selection = pack::select(volumes, vrlist)?;
        let tapes = pack::first_fit_decreasing(selection.units.clone(), tape_bytes)?;
        let lists = tapes
            .iter()
            .map(|t| {
                let entries = t
                    .units
                    .iter()
                    .map(|u| DumplistEntry::for_volume(u.id, schedule.clone(), &u.name))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Dumplist { entries })
            })
            .collect::<Result<_>>()?;
        Ok(TapePlan {
            tape_bytes,
            schedule,
            selection,
            tapes,
            lists,
        })
    }

    /// The file name of tape `n` (1-based): `dumplist.NN`, numbers padded
    /// to the same width (at least 2).
    pub fn file_name(&self, n: usize) -> String {
        let width = self.tapes.len().to_string().len().max(2);
        format!("{FILE_PREFIX}{n:0width$}")
    }

    /// Bytes on all tapes.
    pub fn total_bytes(&self) -> u64 {
        self.tapes.iter().map(|t| t.bytes).sum()
    }

    /// Replicas of replicated volumes counted.
    pub fn replicas(&self) -> usize {
        self.selection
            .units
            .iter()
            .filter(|u| u.replicated)
            .map(|u| u.volumes.len())
            .sum()
    }

    /// Writes the dumplists into `dir` (created if missing), each file
    /// atomically, beneath `dir`'s fd. A directory that already holds a
    /// dumplist is refused ([`Error::DumplistsExist`]) unless `force`;
    /// with it, old dumplists this plan does not rewrite are removed.
    pub fn write(&self, dir: &Path, force: bool) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create directory", e))?;
        let target = beneath::Root::open(dir)?.top();
        let mut existing = Vec::new();
        for e in target.entries()? {
            let e = e?;
            if e.name.as_bytes().starts_with(FILE_PREFIX.as_bytes()) {
                existing.push(e.name);
            }
        }
        existing.sort();
        if let (Some(first), false) = (existing.first(), force) {
            return Err(Error::DumplistsExist {
                first: dir.join(first),
                dir: dir.to_path_buf(),
            });
        }
        let mut written = Vec::new();
        for (i, list) in self.lists.iter().enumerate() {
            let name = self.file_name(i + 1);
            write_in(&target, OsStr::new(&name), list.to_text()?.as_bytes())?;
            written.push(name);
        }
        for stale in existing
            .iter()
            .filter(|n| !written.iter().any(|w| *n == w.as_str()))
        {
            target.remove_file(stale)?;
        }
        Ok(())
    }

    /// The table of tapes for people; files named as in `dir`, or marked
    /// "not written".
    pub fn summary<'a>(&'a self, dir: Option<&'a Path>) -> Summary<'a> {
        Summary { plan: self, dir }
    }

    /// The plan as the `--json` document; files named as in `dir`.
    pub fn view(&self, dir: Option<&Path>) -> TapePlanView {
        TapePlanView {
            schedule: self.schedule.as_str().to_string(),
            skipped: self
                .selection
                .skipped
                .iter()
                .map(|s| SkippedView {
                    name: s.name.clone(),
                    reason: s.reason.describe(),
                    volume_id: s.id,
                    volume_id_hex: human::hex_id(s.id),
                })
                .collect(),
            tape_bytes: self.tape_bytes,
            tapes: self
                .tapes
                .iter()
                .map(|t| TapeView {
                    bytes: t.bytes,
                    file: dir.map(|d| d.join(self.file_name(t.number)).display().to_string()),
                    fill_percent: (percent(t.bytes, self.tape_bytes) * 10.0).round() / 10.0,
                    tape: t.number,
                    volumes: t
                        .units
                        .iter()
                        .map(|u| UnitView {
                            bytes: u.bytes,
                            counted: u
                                .volumes
                                .iter()
                                .map(|v| CountedView {
                                    bytes: v.bytes,
                                    host: v.host.clone(),
                                    name: v.name.clone(),
                                    volume_id: v.id,
                                    volume_id_hex: human::hex_id(v.id),
                                })
                                .collect(),
                            name: u.name.clone(),
                            replicated: u.replicated,
                            volume_id: u.id,
                            volume_id_hex: human::hex_id(u.id),
                        })
                        .collect(),
                })
                .collect(),
            warnings: self
                .selection
                .warnings
                .iter()
                .map(ToString::to_string)
                .collect(),
        }
    }
}

/// `part` as a percentage of `whole` (0 for an empty whole).
fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// [`TapePlan::summary`]: one line per tape (number, volumes, bytes, fill,
/// file), then the totals.
pub struct Summary<'a> {
    plan: &'a TapePlan,
    dir: Option<&'a Path>,
}

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.plan;
        writeln!(
            f,
            "{:>4}  {:>7}  {:>15}  {:>6}  dumplist",
            "tape", "volumes", "bytes", "fill"
        )?;
        for t in &p.tapes {
            let name = match self.dir {
                Some(d) => d.join(p.file_name(t.number)).display().to_string(),
                None => format!("{} (not written)", p.file_name(t.number)),
            };
            writeln!(
                f,
                "{:>4}  {:>7}  {:>15}  {:>5.1}%  {name}",
                t.number,
                t.units.len(),
                t.bytes,
                percent(t.bytes, p.tape_bytes)
            )?;
        }
        let count: usize = p.tapes.iter().map(|t| t.units.len()).sum();
        writeln!(
            f,
            "{:>4}  {:>7}  {:>15}  {:>5.1}%  {} tape(s) of {} ({} bytes)",
            "all",
            count,
            p.total_bytes(),
            percent(p.total_bytes(), p.tape_bytes * p.tapes.len().max(1) as u64),
            p.tapes.len(),
            human::size(p.tape_bytes),
            p.tape_bytes
        )
    }
}

/// The `--json` document of `plan dumplists` (fields in alphabetical
/// order, as the document has them; ids as numbers with their `_hex`
/// twins, as every document has them).
#[derive(Debug, Clone, Serialize)]
pub struct TapePlanView {
    /// The schedule.
    pub schedule: String,
    /// Volumes left out.
    pub skipped: Vec<SkippedView>,
    /// Capacity of one tape.
    pub tape_bytes: u64,
    /// The tapes.
    pub tapes: Vec<TapeView>,
    /// The selection's warnings, as text.
    pub warnings: Vec<String>,
}

/// A volume left out, in [`TapePlanView`].
#[derive(Debug, Clone, Serialize)]
pub struct SkippedView {
    /// Volume name.
    pub name: String,
    /// Why.
    pub reason: &'static str,
    /// Volume id.
    pub volume_id: u32,
    /// [`SkippedView::volume_id`] in hex.
    pub volume_id_hex: String,
}

/// A tape, in [`TapePlanView`].
#[derive(Debug, Clone, Serialize)]
pub struct TapeView {
    /// Bytes on it.
    pub bytes: u64,
    /// Its dumplist file, when written (as displayed).
    pub file: Option<String>,
    /// How full it is, in percent (one decimal).
    pub fill_percent: f64,
    /// Its number.
    pub tape: usize,
    /// What is on it.
    pub volumes: Vec<UnitView>,
}

/// A dump unit, in [`TapeView`].
#[derive(Debug, Clone, Serialize)]
pub struct UnitView {
    /// Bytes of all its counted volumes.
    pub bytes: u64,
    /// The volumes counted.
    pub counted: Vec<CountedView>,
    /// Group or volume name.
    pub name: String,
    /// True for a VRList group.
    pub replicated: bool,
    /// The group's (replicated volume's) or the volume's id.
    pub volume_id: u32,
    /// [`UnitView::volume_id`] in hex.
    pub volume_id_hex: String,
}

/// A counted volume, in [`UnitView`].
#[derive(Debug, Clone, Serialize)]
pub struct CountedView {
    /// Its size.
    pub bytes: u64,
    /// Its host.
    pub host: Option<String>,
    /// Volume name.
    pub name: String,
    /// Volume id.
    pub volume_id: u32,
    /// [`CountedView::volume_id`] in hex.
    pub volume_id_hex: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(tapes: usize) -> TapePlan {
        let mut vl = String::from("P/vicepa Hvm T1 F1\n");
        let mut vr = String::new();
        for i in 0..tapes as u32 {
            // 768 KiB each (U is hex KiB), so one per 1 MiB tape.
            vl.push_str(&format!(
                "Wv{i}.0 I{:x} H1 P/vicepa m0 M0 U300 W{:x} C0 D0 B0 A0\n",
                0x100_0001 + i,
                0x100_0001 + i
            ));
            vr.push_str(&format!(
                "v{i} {:x} 1 {:08x} 0 0 0 0 0 0 0\n",
                0x7f00_0001 + i,
                0x100_0001 + i
            ));
        }
        let vl = VolumeList::parse(vl.as_bytes(), "VolumeList").unwrap();
        let vr = VrList::parse(vr.as_bytes(), "VRList").unwrap();
        TapePlan::new(&vl, &vr, 1 << 20, Schedule::new("F").unwrap()).unwrap()
    }

    #[test]
    fn file_names_share_one_width() {
        assert_eq!(plan(3).file_name(1), "dumplist.01");
        let p = plan(100);
        assert_eq!(
            (p.file_name(7), p.file_name(100)),
            ("dumplist.007".into(), "dumplist.100".into())
        );
    }

    #[test]
    fn write_refuses_then_replaces_and_removes_stale_lists() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("dumplist.09"), "precious\n").unwrap();
        std::fs::write(out.join("notes"), "keep\n").unwrap();
        let p = plan(2);
        assert!(matches!(
            p.write(&out, false),
            Err(Error::DumplistsExist { .. })
        ));
        assert_eq!(
            std::fs::read(out.join("dumplist.09")).unwrap(),
            b"precious\n"
        );
        p.write(&out, true).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("dumplist.01")).unwrap(),
            "7f000001\tF\tv0\n"
        );
        assert!(out.join("dumplist.02").exists() && !out.join("dumplist.09").exists());
        assert_eq!(std::fs::read(out.join("notes")).unwrap(), b"keep\n");
    }
}
