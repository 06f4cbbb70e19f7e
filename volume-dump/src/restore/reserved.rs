//! Names the restore keeps for itself in the target's root: the journal
//! and its temporaries, the ACL file and its temporaries, and `lost+found`.
//!
//! A dump entry in the root with one of these names is never followed,
//! merged or refused: a real directory named `lost+found` *is* the
//! restored `lost+found` (unnamed objects go into it); any other entry is
//! restored under a new name, `NAME.from-dump` (then `NAME.from-dump.1`,
//! `.2`, ... if the dump's root holds that name too), with a warning, so
//! that no volume becomes unrestorable.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use super::journal::JOURNAL_NAME;

/// Directory of the objects no directory lists (spec §11.2).
pub(crate) const LOST_FOUND: &str = "lost+found";

pub(crate) use crate::acl::ACL_FILE;

/// What the restore uses `name` for in the target's root, if anything.
fn reserved_for(name: &[u8]) -> Option<&'static str> {
    let n = OsStr::from_bytes(name);
    if n == JOURNAL_NAME {
        Some("the restore journal")
    } else if beneath::is_temp_of(n, JOURNAL_NAME.as_ref()) {
        Some("the restore journal's temporary files")
    } else if n == ACL_FILE {
        Some("the ACL file")
    } else if beneath::is_temp_of(n, ACL_FILE.as_ref()) {
        Some("the ACL file's temporary files")
    } else if n == LOST_FOUND {
        Some("objects no directory lists")
    } else {
        None
    }
}

/// The new names of the dump's root entries that collide with a reserved
/// name.
#[derive(Debug, Default)]
pub(crate) struct Renames {
    /// Old name → new name.
    map: HashMap<Vec<u8>, Vec<u8>>,
    /// One warning per renamed entry.
    pub warnings: Vec<String>,
}

impl Renames {
    /// Decides the new names, given every entry of the dump's root
    /// directory (name, and whether it is a directory).
    pub(crate) fn new<'a>(root_entries: impl IntoIterator<Item = (&'a [u8], bool)>) -> Renames {
        let entries: Vec<(&[u8], bool)> = root_entries.into_iter().collect();
        let mut taken: HashSet<Vec<u8>> = entries.iter().map(|(n, _)| n.to_vec()).collect();
        let mut r = Renames::default();
        for &(name, is_dir) in &entries {
            let Some(what) = reserved_for(name) else {
                continue;
            };
            if name == LOST_FOUND.as_bytes() && is_dir {
                continue;
            }
            if r.map.contains_key(name) {
                continue;
            }
            let mut new = [name, b".from-dump"].concat();
            let mut k = 0u32;
            while taken.contains(&new) {
                k += 1;
                new = [name, format!(".from-dump.{k}").as_bytes()].concat();
            }
            taken.insert(new.clone());
            let kind = if is_dir { "directory" } else { "entry" };
            r.warnings.push(format!(
                "{}: the dump's root holds a{} {kind} with a name coda-rs keeps for {what}; \
                 restored as {}",
                name.escape_ascii(),
                if is_dir { "" } else { "n" },
                new.escape_ascii()
            ));
            r.map.insert(name.to_vec(), new);
        }
        r
    }

    /// `rel` (a target-relative path as the dump names it) with its first
    /// component renamed if it is a renamed root entry. A path below
    /// `lost+found` is left alone when the dump's `lost+found` is not a
    /// directory: it names an unnamed object, not something inside the
    /// dump's entry.
    pub(crate) fn apply(&self, rel: PathBuf) -> PathBuf {
        if self.map.is_empty() {
            return rel;
        }
        let b = rel.as_os_str().as_bytes();
        let (first, rest) = match b.iter().position(|&c| c == b'/') {
            Some(i) => (&b[..i], Some(&b[i..])),
            None => (b, None),
        };
        if rest.is_some() && first == LOST_FOUND.as_bytes() {
            return rel;
        }
        match self.map.get(first) {
            Some(new) => {
                let mut v = new.clone();
                v.extend_from_slice(rest.unwrap_or_default());
                PathBuf::from(OsStr::from_bytes(&v))
            }
            None => rel,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames() {
        let tmp = format!("{JOURNAL_NAME}.tmp");
        let r = Renames::new([
            (JOURNAL_NAME.as_bytes(), false),
            (b".coda-rs-restore.json.from-dump".as_slice(), false),
            (tmp.as_bytes(), true),
            (b"lost+found".as_slice(), false),
            (b"..CodaACLs.yaml".as_slice(), false),
            (b"plain".as_slice(), false),
        ]);
        let p = |s: &str| r.apply(PathBuf::from(s));
        assert_eq!(
            p(JOURNAL_NAME),
            PathBuf::from(".coda-rs-restore.json.from-dump.1")
        );
        assert_eq!(
            p(&format!("{tmp}/x")),
            PathBuf::from(format!("{tmp}.from-dump/x"))
        );
        assert_eq!(p("lost+found"), PathBuf::from("lost+found.from-dump"));
        assert_eq!(
            p("lost+found/00000003.00000001"),
            PathBuf::from("lost+found/00000003.00000001")
        );
        assert_eq!(
            p("..CodaACLs.yaml"),
            PathBuf::from("..CodaACLs.yaml.from-dump")
        );
        assert_eq!(p("plain"), PathBuf::from("plain"));
        assert_eq!(r.warnings.len(), 4);
        let real = Renames::new([(b"lost+found".as_slice(), true)]);
        assert_eq!(
            real.apply(PathBuf::from("lost+found")),
            PathBuf::from("lost+found")
        );
        assert!(real.warnings.is_empty());
    }
}
