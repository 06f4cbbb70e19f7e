//! The archive's member names as extractors see them: each relative,
//! without empty or `..` components, given to one member only, and never
//! below a symlink member — whatever the dump holds and however the §11.2
//! bounds cut its names with `~~~`.
//!
//! Member names are kept as 64-bit hashes (compared exactly, by rebuilding
//! the earlier member's name, only when two hashes meet); symlink members
//! and the directories that member names imply are kept whole.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::io::Write;

use super::header::ustar_name;
use super::Tar;
use crate::acl::ACL_FILE;
use crate::dirpage::escape_name;
use crate::error::{Error, Record, Result};

/// What a member is, as far as extraction goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Directory,
    File,
    /// A symlink record, or a hard link to a symlink member.
    Symlink,
    HardLink,
}

/// Which record a member is: name `k` of object `obj`, or the ACL file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Who {
    Name { obj: usize, k: usize },
    AclFile,
}

/// One member: its record and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Member {
    pub who: Who,
    pub kind: Kind,
}

/// Why a member name (or a hard link's target) is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Clash {
    /// The path itself: absolute, empty, or with an empty or `..`
    /// component.
    Unsafe(&'static str),
    /// An earlier member has the same name.
    Same(Member),
    /// A leading part of the path is an earlier symlink member.
    BelowSymlink(Member),
    /// A symlink member would take the place of a directory that an
    /// earlier member lies in.
    OverDirectory(Member),
    /// A hard link's target is the member of another object.
    OtherObject(Member),
}

/// The names of one or more members whose names hash alike.
#[derive(Debug, Clone)]
enum Slot {
    One(Member),
    Many(Vec<Member>),
}

impl Slot {
    fn members(&self) -> &[Member] {
        match self {
            Slot::One(m) => std::slice::from_ref(m),
            Slot::Many(v) => v,
        }
    }

    fn push(&mut self, m: Member) {
        match self {
            Slot::One(first) => *self = Slot::Many(vec![*first, m]),
            Slot::Many(v) => v.push(m),
        }
    }
}

/// Keys of [`Members::by_hash`] are already keyed hashes (random keys per
/// run, so an attacker cannot aim at one bucket): used as they are.
#[derive(Debug, Default, Clone, Copy)]
struct KeyedHash(u64);

impl Hasher for KeyedHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// The members written so far.
#[derive(Debug, Default)]
pub(crate) struct Members {
    hasher: RandomState,
    by_hash: HashMap<u64, Slot, BuildHasherDefault<KeyedHash>>,
    symlinks: HashMap<Box<[u8]>, Member>,
    /// Every leading part of a member name, with the first member below it.
    implied: HashMap<Box<[u8]>, Member>,
    /// The last member's longest leading part (members come directory by
    /// directory, so most share it): known to be in `implied`.
    last_part: Vec<u8>,
}

/// Why `path` cannot name a member safely, if it cannot.
pub(crate) fn unsafe_path(path: &[u8]) -> Option<&'static str> {
    if path.is_empty() {
        return Some("is empty");
    }
    if path[0] == b'/' {
        return Some("is absolute");
    }
    for c in path.split(|&b| b == b'/') {
        if c.is_empty() {
            return Some("has an empty component");
        }
        if c == b".." {
            return Some("has a `..` component");
        }
    }
    None
}

/// The leading parts of `path` (each ending before a `/`), shortest first.
fn leading_parts(path: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    path.iter()
        .enumerate()
        .filter(|&(_, &c)| c == b'/')
        .map(move |(i, _)| &path[..i])
}

impl Members {
    /// Checks member `name` against the members before it and records it.
    /// `name_of` rebuilds an earlier member's name (only called when two
    /// names hash alike).
    pub fn add(
        &mut self,
        name: &[u8],
        m: Member,
        name_of: impl Fn(Who) -> Vec<u8>,
    ) -> Result<(), Clash> {
        if let Some(why) = unsafe_path(name) {
            return Err(Clash::Unsafe(why));
        }
        let h = self.hasher.hash_one(name);
        if let Some(earlier) = self.same(h, name, &name_of) {
            return Err(Clash::Same(earlier));
        }
        self.below_symlink(name)?;
        if m.kind == Kind::Symlink {
            if let Some(below) = self.implied.get(name) {
                return Err(Clash::OverDirectory(*below));
            }
            self.symlinks.insert(name.into(), m);
        }
        match self.by_hash.get_mut(&h) {
            Some(slot) => slot.push(m),
            None => {
                self.by_hash.insert(h, Slot::One(m));
            }
        }
        // Longest first: once a part is known, so are the shorter ones.
        let mut parts = leading_parts(name).rev();
        if let Some(longest) = parts.next() {
            if longest != self.last_part.as_slice() {
                for part in std::iter::once(longest).chain(parts) {
                    if self.implied.contains_key(part) {
                        break;
                    }
                    self.implied.insert(part.into(), m);
                }
                self.last_part.clear();
                self.last_part.extend_from_slice(longest);
            }
        }
        Ok(())
    }

    /// Checks the target of a hard link of object `obj` and returns the
    /// kind the link takes: [`Kind::Symlink`] when the target is a symlink
    /// member, else [`Kind::HardLink`]. A target no member has is allowed
    /// (`codadump2tar` writes them for names cut to 98 bytes and for
    /// objects absent from an incremental, spec §11.4).
    pub fn link_kind(
        &self,
        target: &[u8],
        obj: usize,
        name_of: impl Fn(Who) -> Vec<u8>,
    ) -> Result<Kind, Clash> {
        if let Some(why) = unsafe_path(target) {
            return Err(Clash::Unsafe(why));
        }
        self.below_symlink(target)?;
        let h = self.hasher.hash_one(target);
        match self.same(h, target, &name_of) {
            None => Ok(Kind::HardLink),
            Some(t) if t.who == Who::AclFile => Err(Clash::OtherObject(t)),
            Some(t) if matches!(t.who, Who::Name { obj: o, .. } if o != obj) => {
                Err(Clash::OtherObject(t))
            }
            Some(t) if t.kind == Kind::Symlink => Ok(Kind::Symlink),
            Some(_) => Ok(Kind::HardLink),
        }
    }

    /// The earlier member named exactly `name` (hash `h`), if any.
    fn same(&self, h: u64, name: &[u8], name_of: &impl Fn(Who) -> Vec<u8>) -> Option<Member> {
        let slot = self.by_hash.get(&h)?;
        slot.members()
            .iter()
            .find(|e| name_of(e.who) == name)
            .copied()
    }

    fn below_symlink(&self, path: &[u8]) -> Result<(), Clash> {
        if self.symlinks.is_empty() {
            return Ok(());
        }
        match leading_parts(path).find_map(|p| self.symlinks.get(p)) {
            Some(s) => Err(Clash::BelowSymlink(*s)),
            None => Ok(()),
        }
    }
}

impl<W: Write> Tar<W> {
    /// The name extractors see for a member: the ustar prefix and name
    /// joined by `/`, or in PAX mode the whole path (which the extended
    /// header carries whenever it differs).
    pub(super) fn member_name(&self, who: Who) -> Vec<u8> {
        let mut out = Vec::new();
        match who {
            Who::AclFile => ustar_name(&self.root[..self.root.len().min(154)], ACL_FILE.as_bytes()),
            // A cycle was refused before the first record (shape check).
            Who::Name { obj, k } if self.opts.pax => {
                let _ = self.objs.path(obj, k, usize::MAX, &self.root, &mut out);
                out
            }
            Who::Name { obj, k } => {
                let _ = self.objs.prefix(obj, k, 155, &self.root, &mut out);
                let mut name = Vec::new();
                self.objs.comp(obj, k, 100, &self.root, &mut name);
                ustar_name(&out, &name)
            }
        }
    }

    /// Refuses a member (and a hard link's `target`) that is not safe to
    /// extract, naming both members when it clashes with an earlier one;
    /// else records it.
    pub(super) fn check_member(
        &mut self,
        name: &[u8],
        mut m: Member,
        target: Option<&[u8]>,
        at: u64,
    ) -> Result<()> {
        if let (Some(t), Who::Name { obj, .. }) = (target, m.who) {
            match self.members.link_kind(t, obj, |w| self.member_name(w)) {
                Ok(kind) => m.kind = kind,
                Err(c) => return Err(self.clash_err(name, m, Some(t), c, at)),
            }
        }
        let mut members = std::mem::take(&mut self.members);
        let res = members.add(name, m, |w| self.member_name(w));
        self.members = members;
        res.map_err(|c| self.clash_err(name, m, None, c, at))
    }

    /// `"name" (file 0x2.0x2)`: a member for error messages.
    fn describe(&self, name: &[u8], m: Member) -> String {
        let what = match m.kind {
            Kind::Directory => "directory",
            Kind::File => "file",
            Kind::Symlink => "symlink",
            Kind::HardLink => "hard link",
        };
        match m.who {
            Who::AclFile => format!("{} (the ACL file)", escape_name(name)),
            Who::Name { obj, .. } => {
                let o = &self.objs.list[obj];
                format!(
                    "{} ({what} {:#x}.{:#x})",
                    escape_name(name),
                    o.vnode,
                    o.unique
                )
            }
        }
    }

    fn clash_err(&self, name: &[u8], m: Member, target: Option<&[u8]>, c: Clash, at: u64) -> Error {
        let me = self.describe(name, m);
        let other = |e: Member| self.describe(&self.member_name(e.who), e);
        let subject = match target {
            Some(t) => format!("{me} links to {}, which", escape_name(t)),
            None => me,
        };
        let found = match c {
            Clash::Unsafe(why) => format!("tar member {subject} {why}"),
            Clash::Same(e) => format!(
                "tar member {subject} has the same name as the earlier member {}",
                other(e)
            ),
            Clash::BelowSymlink(e) => {
                format!(
                    "tar member {subject} lies below symlink member {}",
                    other(e)
                )
            }
            Clash::OverDirectory(e) => format!(
                "tar member {subject} would replace the directory holding {}",
                other(e)
            ),
            Clash::OtherObject(e) => format!(
                "tar member {subject} is the member of another object: {}",
                other(e)
            ),
        };
        let record = match m.who {
            Who::Name { obj, .. } => Record::Vnode {
                vnode: self.objs.list[obj].vnode,
                unique: self.objs.list[obj].unique,
            },
            Who::AclFile => Record::DumpEnd,
        };
        Error::Format {
            offset: at,
            record,
            found,
            expected: "member names that are relative, without empty or `..` components, \
                       unique, and never below a symlink member (names cut with `~~~` may \
                       collide; PAX headers keep them whole)"
                .into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(obj: usize, kind: Kind) -> Member {
        Member {
            who: Who::Name { obj, k: 0 },
            kind,
        }
    }

    #[test]
    fn unsafe_paths() {
        assert_eq!(unsafe_path(b""), Some("is empty"));
        assert_eq!(unsafe_path(b"/etc"), Some("is absolute"));
        assert_eq!(unsafe_path(b"a//b"), Some("has an empty component"));
        assert_eq!(unsafe_path(b"a/"), Some("has an empty component"));
        assert_eq!(unsafe_path(b"a/../b"), Some("has a `..` component"));
        assert_eq!(unsafe_path(b".."), Some("has a `..` component"));
        assert_eq!(unsafe_path(b"./a/.../b~~~"), None);
    }

    #[test]
    fn clashes_are_found() {
        let names: Vec<&[u8]> = vec![
            b"r",
            b"r/d",
            b"r/s",
            b"r/d/f",
            b"r/s",
            b"r/s/x/y",
            b"r/d",
            b"r/lf/00000005.00000005",
            b"r/lf",
        ];
        let name_of = |w: Who| match w {
            Who::Name { obj, .. } => names[obj].to_vec(),
            Who::AclFile => b"r/..CodaACLs.yaml".to_vec(),
        };
        let mut ms = Members::default();
        ms.add(b"r", m(0, Kind::Directory), name_of).unwrap();
        ms.add(b"r/d", m(1, Kind::Directory), name_of).unwrap();
        ms.add(b"r/s", m(2, Kind::Symlink), name_of).unwrap();
        ms.add(b"r/d/f", m(3, Kind::File), name_of).unwrap();
        assert_eq!(
            ms.add(b"r/s", m(4, Kind::File), name_of),
            Err(Clash::Same(m(2, Kind::Symlink)))
        );
        assert_eq!(
            ms.add(b"r/s/x/y", m(5, Kind::File), name_of),
            Err(Clash::BelowSymlink(m(2, Kind::Symlink)))
        );
        assert_eq!(
            ms.add(b"r/d", m(6, Kind::Symlink), name_of),
            Err(Clash::Same(m(1, Kind::Directory)))
        );
        // lost+found has no record, but members lie in it.
        ms.add(b"r/lf/00000005.00000005", m(7, Kind::File), name_of)
            .unwrap();
        assert_eq!(
            ms.add(b"r/lf", m(8, Kind::Symlink), name_of),
            Err(Clash::OverDirectory(m(7, Kind::File)))
        );
        assert_eq!(ms.link_kind(b"r/d/f", 3, name_of), Ok(Kind::HardLink));
        assert_eq!(ms.link_kind(b"r/s", 2, name_of), Ok(Kind::Symlink));
        assert_eq!(ms.link_kind(b"r/gone", 9, name_of), Ok(Kind::HardLink));
        assert_eq!(
            ms.link_kind(b"r/d/f", 9, name_of),
            Err(Clash::OtherObject(m(3, Kind::File)))
        );
        assert_eq!(
            ms.link_kind(b"r/s/passwd", 9, name_of),
            Err(Clash::BelowSymlink(m(2, Kind::Symlink)))
        );
        assert_eq!(
            ms.link_kind(b"/etc/passwd", 9, name_of),
            Err(Clash::Unsafe("is absolute"))
        );
    }
}
