//! The `cfs` commands that send one pioctl per path (spec §6, §7.2):
//! which request each sends, how its answer is printed as cfs prints it,
//! its JSON view, and the one loop over the paths (every path is tried; a
//! failure is reported and the next path follows).

use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::servers::cfs_address_list;
use crate::view::{AclView, DoneView, FidView, VolumeView, WhereIsView};
use crate::{Acl, Client, Error, GetFidReply, Result, VolumeStatusReply, WhereIs};

/// A `cfs` command that takes paths and sends one pioctl for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathCommand<'a> {
    /// `cfs flushobject` (spec §6.1): no reply.
    FlushObject,
    /// `cfs flushvolume` (spec §6.1): no reply.
    FlushVolume,
    /// `cfs rmmount` (spec §6.2): no reply.
    Rmmount,
    /// `cfs mkmount DIR VOLUME` (spec §6.3): no reply.
    Mkmount {
        /// The volume to mount (`name[@realm]`; empty: the parent's).
        volume: &'a str,
    },
    /// `cfs lv` (spec §6.4).
    Lv {
        /// Do not contact the servers (`-local`).
        local: bool,
    },
    /// `cfs getfid` (spec §6.5).
    Getfid,
    /// `cfs la` (spec §6.6).
    La,
    /// `cfs whereis` (spec §6.8).
    Whereis,
}

/// One path's outcome in a command's `--json` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PathView {
    /// A pioctl without a reply, failed or not.
    Done(DoneView),
    /// `lv`.
    Volume(VolumeView),
    /// `getfid`.
    Fid(FidView),
    /// `la`.
    Acl(AclView),
    /// `whereis`.
    WhereIs(WhereIsView),
}

/// A reply, decoded.
enum Answer {
    Done,
    Volume(VolumeStatusReply),
    Fid(GetFidReply),
    Acl(Acl),
    WhereIs(WhereIs),
}

impl PathCommand<'_> {
    /// Sends the command's pioctl for `path`.
    fn send(&self, venus: &Client, path: &Path) -> Result<Answer> {
        Ok(match *self {
            PathCommand::FlushObject => venus.flush_object(path).map(|()| Answer::Done)?,
            PathCommand::FlushVolume => venus.flush_volume(path).map(|()| Answer::Done)?,
            PathCommand::Rmmount => venus.rmmount(path).map(|()| Answer::Done)?,
            PathCommand::Mkmount { volume } => {
                venus.mkmount(path, volume).map(|()| Answer::Done)?
            }
            PathCommand::Lv { local } => Answer::Volume(venus.volume_status(path, local)?),
            PathCommand::Getfid => Answer::Fid(venus.getfid(path)?),
            PathCommand::La => Answer::Acl(venus.get_acl(path)?),
            PathCommand::Whereis => Answer::WhereIs(venus.whereis(path)?),
        })
    }

    /// Sends the pioctl for each of `paths` in turn. Without `json` each
    /// answer is written to `out` as cfs prints it, as it comes; with
    /// `json` the outcomes' views are returned instead, for one array
    /// (answers, and the failures of pioctls without a reply). Each
    /// failure is handed to `failed` once `out` is flushed, so that it
    /// shows after what came before it.
    pub fn run(
        &self,
        venus: &Client,
        paths: &[PathBuf],
        json: bool,
        out: &mut dyn Write,
        failed: &mut dyn FnMut(&Path, &Error),
    ) -> io::Result<Vec<PathView>> {
        let width = label_width(paths);
        let mut views = Vec::new();
        for p in paths {
            let result = self.send(venus, p);
            if json {
                views.extend(self.view(p, result.as_ref()));
            }
            match &result {
                Ok(a) if !json => self.write_text(out, p, a, width)?,
                Ok(_) => {}
                Err(e) => {
                    out.flush()?;
                    failed(p, e);
                }
            }
        }
        Ok(views)
    }

    /// Writes `answer` for `path` as cfs prints it; `width` is that of the
    /// labels when there are several paths ([`label_width`]).
    fn write_text(
        &self,
        out: &mut dyn Write,
        path: &Path,
        answer: &Answer,
        width: Option<usize>,
    ) -> io::Result<()> {
        match answer {
            Answer::Done => Ok(()),
            Answer::Volume(r) => {
                let label = width.map(|_| path.as_os_str().as_bytes());
                let local = matches!(self, PathCommand::Lv { local: true });
                r.write_cfs_listing(out, label, local)
            }
            Answer::Fid(r) => match width {
                Some(width) => writeln!(out, "{:>width$}  {}", path.display(), r.cfs_line()),
                None => writeln!(out, "{}", r.cfs_line()),
            },
            Answer::Acl(a) => {
                if width.is_some() {
                    writeln!(out, "\n{}:", path.display())?;
                }
                out.write_all(a.cfs_table().as_bytes())
            }
            Answer::WhereIs(w) => {
                if let Some(width) = width {
                    write!(out, "  {:>width$}:  ", path.display())?;
                }
                writeln!(out, "{}", cfs_address_list(&w.active_servers()))
            }
        }
    }

    /// True for the pioctls without a reply: their `--json` arrays hold
    /// every path's outcome, failures included.
    fn without_reply(&self) -> bool {
        matches!(
            self,
            PathCommand::FlushObject
                | PathCommand::FlushVolume
                | PathCommand::Rmmount
                | PathCommand::Mkmount { .. }
        )
    }

    /// The JSON view of one path's outcome: every outcome of a pioctl
    /// without a reply, the answers of the others (their failures are
    /// only reported).
    fn view(&self, path: &Path, result: std::result::Result<&Answer, &Error>) -> Option<PathView> {
        if self.without_reply() {
            return Some(PathView::Done(DoneView::new(path, result.map(drop))));
        }
        Some(match result.ok()? {
            Answer::Done => PathView::Done(DoneView::new(path, Ok(()))),
            Answer::Volume(r) => PathView::Volume(VolumeView::new(path, r)),
            Answer::Fid(r) => PathView::Fid(FidView::new(path, r)),
            Answer::Acl(a) => PathView::Acl(AclView::new(path, a)),
            Answer::WhereIs(w) => PathView::WhereIs(WhereIsView::new(path, w)),
        })
    }
}

/// With several paths, the width their names are right-aligned to in
/// front of each answer (cfs's `%*s`, spec §6.5, §6.8); with one, no
/// label.
pub fn label_width(paths: &[PathBuf]) -> Option<usize> {
    (paths.len() > 1).then(|| {
        paths
            .iter()
            .map(|p| p.to_string_lossy().len())
            .max()
            .unwrap_or(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Errno, Opcode, Pioctl, Stage, Transport};

    /// Answers getfid, getacl and whereis with fixed replies, fails for
    /// paths ending in `bad` with ENOENT.
    struct Venus;

    impl Transport for Venus {
        fn mountpoint(&self) -> &Path {
            Path::new("/c")
        }
        fn call(&self, p: &Pioctl) -> Result<Vec<u8>> {
            if p.path.as_ref().is_some_and(|p| p.ends_with("bad")) {
                return Err(Error::Pioctl {
                    op: p.opcode,
                    stage: Stage::Venus,
                    errno: Errno::NOENT,
                });
            }
            Ok(match p.opcode {
                Opcode::GETFID => {
                    let mut r = GetFidReply::default();
                    r.fid.volume = 0x7f00_0001;
                    r.fid.vnode = 1;
                    r.fid.unique = 1;
                    r.realm = b"r".to_vec();
                    r.encode()
                }
                // The spec's example (§6.6).
                Opcode::GETAL => b"2\n1\nSystem:AnyUser\t9\njan\t127\nbaduser\t9\n\0".to_vec(),
                Opcode::WHEREIS => {
                    let mut r = vec![0u8; 64];
                    r[..4].copy_from_slice(&[192, 0, 2, 10]);
                    r[8..12].copy_from_slice(&[192, 0, 2, 11]);
                    r
                }
                _ => Vec::new(),
            })
        }
    }

    /// Runs `cmd` on `paths`: stdout's text, the failed paths, the views.
    fn run(cmd: PathCommand, paths: &[&str], json: bool) -> (String, Vec<PathBuf>, Vec<PathView>) {
        let venus = Client::with_transport(Box::new(Venus));
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        let mut out = Vec::new();
        let mut failed = Vec::new();
        let views = cmd
            .run(&venus, &paths, json, &mut out, &mut |p, _| {
                failed.push(p.to_path_buf())
            })
            .unwrap();
        (String::from_utf8(out).unwrap(), failed, views)
    }

    #[test]
    fn getfid_labels_several_paths_right_aligned() {
        // §6.5: `FID = %-20s  VV = %-24s`, with several paths each line
        // after the path right-aligned to the longest, and two spaces.
        let fid = "FID = 7f000001.1.1@r        VV = [ 0 0 0 0 0 0 0 0 ] [ 0.0 ] [ 0 ]\n";
        assert_eq!(run(PathCommand::Getfid, &["/c/a"], false).0, fid);
        let (text, failed, _) = run(PathCommand::Getfid, &["/c/a", "/c/bad", "/c/ccc"], false);
        assert_eq!(text, format!("  /c/a  {fid}/c/ccc  {fid}"));
        assert_eq!(failed, [PathBuf::from("/c/bad")]);
    }

    #[test]
    fn la_prints_cfs_table_with_a_header_per_directory() {
        // §6.6: `%20s  %-8s` positive, `%20s -%-8s` negative.
        let table = "      System:AnyUser  rl      \n                 jan  rlidwka \n             \
                     baduser -rl      \n";
        assert_eq!(run(PathCommand::La, &["/c/a"], false).0, table);
        let (text, ..) = run(PathCommand::La, &["/c/a", "/c/b"], false);
        assert_eq!(text, format!("\n/c/a:\n{table}\n/c/b:\n{table}"));
    }

    #[test]
    fn whereis_lists_the_servers_in_use() {
        // §6.8: `  %*s:  ` with several paths, `  <ip>` per server.
        let (text, ..) = run(PathCommand::Whereis, &["/c/a"], false);
        assert_eq!(text, "  192.0.2.10  192.0.2.11\n");
        let (text, ..) = run(PathCommand::Whereis, &["/c/a", "/c/bb"], false);
        assert_eq!(
            text,
            "   /c/a:    192.0.2.10  192.0.2.11\n  /c/bb:    192.0.2.10  192.0.2.11\n"
        );
    }

    #[test]
    fn json_holds_answers_and_the_failures_of_pioctls_without_a_reply() {
        let (text, failed, views) = run(PathCommand::FlushObject, &["/c/a", "/c/bad"], true);
        assert!(text.is_empty());
        assert_eq!(failed, [PathBuf::from("/c/bad")]);
        let oks: Vec<bool> = views
            .iter()
            .map(|v| match v {
                PathView::Done(d) => d.ok,
                _ => panic!("{v:?}"),
            })
            .collect();
        assert_eq!(oks, [true, false]);
        // A failed getfid is reported, not shown.
        let (text, failed, views) = run(PathCommand::Getfid, &["/c/bad", "/c/a"], true);
        assert!(text.is_empty());
        assert_eq!(failed.len(), 1);
        assert!(matches!(&views[..], [PathView::Fid(f)] if f.path == "/c/a"));
    }
}
