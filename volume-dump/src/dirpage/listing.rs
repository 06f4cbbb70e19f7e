//! Listing a directory (§12.5) as names that can leave the format: the one
//! place every entry name is checked (§11.7, §12.3, §12.6).

use std::collections::HashMap;

use super::error::{DirPageError, DirPageErrorKind as Kind, NameProblem};
use super::read::{DirEntry, DirPages};
use super::BLOB_SIZE;

/// A directory's entries with every name checked; see
/// [`DirPages::listing`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing<'a> {
    /// The entries other than `.` and `..`, in listing order (§12.5).
    pub entries: Vec<DirEntry<'a>>,
    /// The `.` entry (naming the directory itself), if present.
    pub dot: Option<DirEntry<'a>>,
    /// The `..` entry (naming a directory), if present.
    pub dotdot: Option<DirEntry<'a>>,
}

impl<'a> DirPages<'a> {
    /// Lists directory `me`, refusing every entry that cannot become a
    /// file name: an empty name, one containing `/` or NUL, a name the
    /// directory already lists (the Coda directory library refuses
    /// duplicates), `.` naming anything but `me`, and `..` naming anything
    /// but `parent` when it is known (the root's parent is the root
    /// itself), else anything but a directory (an odd vnode, spec §6.1;
    /// which directory is checked against the namespace,
    /// [`crate::tree::ShapeCheck`]). The error's offset is that of the
    /// entry's first blob. Chains that cannot be followed are errors as in
    /// [`DirPages::entries`].
    pub fn listing(
        &self,
        me: (u32, u32),
        parent: Option<(u32, u32)>,
    ) -> Result<Listing<'a>, DirPageError> {
        let mut out = Listing {
            entries: Vec::new(),
            dot: None,
            dotdot: None,
        };
        let mut seen: HashMap<&'a [u8], u16> = HashMap::new();
        for entry in self.entries() {
            let e = entry?;
            let fid = (e.vnode, e.unique);
            let problem = if e.name.contains(&b'/') {
                Some(NameProblem::Slash)
            } else if e.name.contains(&0) {
                Some(NameProblem::Nul)
            } else if let Some(&first) = seen.get(e.name) {
                Some(NameProblem::Duplicate { first })
            } else if e.name == b"." && fid != me {
                Some(NameProblem::Dot {
                    names: fid,
                    dir: me,
                })
            } else if e.name == b".." && parent.map_or(fid.0 & 1 == 0, |p| fid != p) {
                Some(NameProblem::DotDot { names: fid, parent })
            } else {
                None
            };
            if let Some(problem) = problem {
                let kind = Kind::BadName {
                    blob: e.blob,
                    name: e.name.to_vec(),
                    problem,
                };
                return Err(DirPageError::new(usize::from(e.blob) * BLOB_SIZE, kind));
            }
            seen.insert(e.name, e.blob);
            match e.name {
                b"." => out.dot = Some(e),
                b".." => out.dotdot = Some(e),
                _ => out.entries.push(e),
            }
        }
        Ok(out)
    }
}
