//! Comparing the directory ACLs of a restored tree with a dump's (`dump
//! verify --against`): the `..CodaACLs.yaml` a restore writes (spec §11.5,
//! parsed, not compared as bytes), or each directory's ACL as venus
//! reports it on a Coda mount. Every changed, missing or extra entry is one
//! difference naming its directory. Entry order does not count: a server
//! restore re-sorts the entries (spec §7.3).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::acl::yaml::{self, parse_acl_yaml};
use crate::acl::{Acl, AclEntry, ACL_FILE};

/// Reads a directory's ACL from a live file system (the getacl pioctl on
/// a Coda mount).
pub trait AclGetter {
    /// The ACL of directory `rel` (relative to the compared tree; empty
    /// for its root).
    fn get_acl(&self, rel: &Path) -> Result<Acl, String>;
}

/// Where `dump verify --against` finds the tree's directory ACLs.
#[derive(Clone, Default)]
pub enum AclCheck {
    /// In `..CodaACLs.yaml` in the tree's root, as `dump restore` writes it.
    #[default]
    Yaml,
    /// Through the getter, one directory at a time (a Coda mount).
    Get(Rc<dyn AclGetter>),
    /// ACLs are not compared.
    Skip,
}

impl fmt::Debug for AclCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AclCheck::Yaml => "Yaml",
            AclCheck::Get(_) => "Get(..)",
            AclCheck::Skip => "Skip",
        })
    }
}

/// One directory the dump holds: its path relative to the tree and its
/// `X` text (without the NUL; `None` for a directory without one).
pub(crate) struct DirAcl<'a> {
    pub path: &'a Path,
    pub text: Option<&'a [u8]>,
}

/// Every ACL difference between the dump's directories and the tree at
/// `root`, as (path relative to the tree, what differs).
pub(crate) fn compare_acls<'a>(
    root: &Path,
    dirs: impl IntoIterator<Item = DirAcl<'a>>,
    how: &AclCheck,
) -> Vec<(PathBuf, String)> {
    match how {
        AclCheck::Skip => Vec::new(),
        AclCheck::Get(getter) => compare_live(dirs, getter.as_ref()),
        AclCheck::Yaml => compare_yaml(root, dirs),
    }
}

/// Each directory's ACL through the getter, compared with the dump's text
/// as the restore's setacl would have set it.
fn compare_live<'a>(
    dirs: impl IntoIterator<Item = DirAcl<'a>>,
    getter: &dyn AclGetter,
) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for d in dirs {
        let Some(text) = d.text else { continue };
        let mut push = |what: String| out.push((d.path.to_path_buf(), what));
        let want = match Acl::parse(text) {
            Ok(a) => a,
            Err(e) => {
                push(format!(
                    "the dump's ACL cannot be set on a Coda directory: {e}"
                ));
                continue;
            }
        };
        match getter.get_acl(d.path) {
            Ok(got) => entry_differences(&want, &got).into_iter().for_each(push),
            Err(e) => push(format!("ACL cannot be read: {e}")),
        }
    }
    out
}

/// `..CodaACLs.yaml`: one item per directory, keyed by its `- path:` line.
fn compare_yaml<'a>(
    root: &Path,
    dirs: impl IntoIterator<Item = DirAcl<'a>>,
) -> Vec<(PathBuf, String)> {
    // What the restore writes for each directory (spec §11.5).
    let mut expected: Vec<(&Path, Option<Vec<u8>>)> = Vec::new();
    for d in dirs {
        let item = d.text.and_then(|text| {
            let mut item = Vec::new();
            yaml::directory_item(&yaml_path(d.path), text, &mut item).then_some(item)
        });
        expected.push((d.path, item));
    }
    let file = PathBuf::from(ACL_FILE);
    let text = match std::fs::read(root.join(ACL_FILE)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let n = expected.iter().filter(|(_, i)| i.is_some()).count();
            return if n == 0 {
                Vec::new()
            } else {
                vec![(file, format!("missing (the dump holds {n} directory ACLs)"))]
            };
        }
        Err(e) => return vec![(file, format!("cannot be read: {e}"))],
    };
    let mut found = match split_items(&text) {
        Ok(items) => items,
        Err(why) => return vec![(file, why)],
    };
    let mut out = Vec::new();
    for (path, want) in expected {
        let got = want.as_ref().and_then(|w| found.remove(first_line(w)));
        let mut push = |what: String| out.push((path.to_path_buf(), what));
        match (want, got) {
            (None, _) => {}
            (Some(w), None) => {
                let entries = parse_item(&w).map_or(0, |a| a.len());
                push(format!(
                    "no ACL in {ACL_FILE} (the dump's has {entries} entries)"
                ));
            }
            (Some(w), Some(g)) => match (parse_item(&w), parse_item(g)) {
                (Ok(w), Ok(g)) => entry_differences(&w, &g).into_iter().for_each(push),
                (Err(_), Err(_)) if w.as_slice() == g => {}
                (_, Err(e)) => push(format!("ACL in {ACL_FILE} cannot be parsed: {e}")),
                (Err(e), Ok(_)) => push(format!(
                    "ACL in {ACL_FILE} differs from the dump's, which it cannot carry: {e}"
                )),
            },
        }
    }
    // Items no directory of the dump explains (or that came twice).
    let mut extra: Vec<(&[u8], &[u8])> = found.into_iter().collect();
    extra.sort();
    for (line, item) in extra {
        let path = match parse_acl_yaml(&[b"acls:\n".as_slice(), item].concat()) {
            Ok(m) => m.into_keys().next().unwrap_or_default(),
            Err(_) => line.to_vec(),
        };
        let path = String::from_utf8_lossy(&path).into_owned();
        let rel = path.strip_prefix("./").unwrap_or(&path).to_string();
        out.push((
            PathBuf::from(if rel == "." { String::new() } else { rel }),
            format!("ACL in {ACL_FILE} that the dump does not hold"),
        ));
    }
    out
}

/// The YAML path of a directory: `.` or `./` + its relative path.
fn yaml_path(rel: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let mut p = b".".to_vec();
    if !rel.as_os_str().is_empty() {
        p.push(b'/');
        p.extend_from_slice(rel.as_os_str().as_bytes());
    }
    p
}

fn first_line(item: &[u8]) -> &[u8] {
    item.split(|&b| b == b'\n').next().unwrap_or(item)
}

/// The items of the file (after its `acls:` line) by their `- path:` line;
/// a path listed twice is an error.
fn split_items(text: &[u8]) -> Result<HashMap<&[u8], &[u8]>, String> {
    let body = text
        .strip_prefix(b"acls:\n")
        .ok_or("does not start with `acls:` (expected the ..CodaACLs.yaml format)")?;
    let mut items = HashMap::new();
    let mut starts: Vec<usize> = Vec::new();
    let mut at = 0;
    for line in body.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"- path: ") {
            starts.push(at);
        } else if starts.is_empty() {
            return Err(
                "a line before the first `- path:` (expected the ..CodaACLs.yaml format)".into(),
            );
        }
        at += line.len();
    }
    starts.push(body.len());
    for w in starts.windows(2) {
        let item = &body[w[0]..w[1]];
        let line = first_line(item);
        if items.insert(line, item).is_some() {
            return Err(format!(
                "lists {} twice",
                String::from_utf8_lossy(line.strip_prefix(b"- path: ").unwrap_or(line))
            ));
        }
    }
    Ok(items)
}

/// One item parsed as `dump create` reads the file.
fn parse_item(item: &[u8]) -> Result<Acl, String> {
    let map = parse_acl_yaml(&[b"acls:\n".as_slice(), item].concat())?;
    let text = map.into_values().next().unwrap_or_default();
    Acl::parse(&text).map_err(|e| e.to_string())
}

/// The entries of `want` that `got` changes, lacks or adds, one line each.
/// Entries are matched by sign and name; order does not count.
pub fn entry_differences(want: &Acl, got: &Acl) -> Vec<String> {
    let mut out = Vec::new();
    for (negative, w, g) in [
        (false, &want.positive, &got.positive),
        (true, &want.negative, &got.negative),
    ] {
        let kind = if negative {
            "negative ACL entry"
        } else {
            "ACL entry"
        };
        let mut by_name: HashMap<&[u8], Vec<&AclEntry>> = HashMap::new();
        for e in g {
            by_name.entry(&e.name).or_default().push(e);
        }
        for e in w {
            let name = String::from_utf8_lossy(&e.name);
            let same = by_name.get_mut(e.name.as_slice()).and_then(|v| {
                let i = v.iter().position(|f| f.rights == e.rights).unwrap_or(0);
                (!v.is_empty()).then(|| v.remove(i))
            });
            match same {
                Some(f) if f.rights == e.rights => {}
                Some(f) => out.push(format!(
                    "{kind} {name:?}: rights {}, expected {}",
                    rights(f),
                    rights(e)
                )),
                None => out.push(format!("{kind} {name:?} with rights {} missing", rights(e))),
            }
        }
        let mut extra: Vec<&&AclEntry> = by_name.values().flatten().collect();
        extra.sort_by(|a, b| a.name.cmp(&b.name));
        for f in extra {
            out.push(format!(
                "{kind} {:?} with rights {} not in the dump",
                String::from_utf8_lossy(&f.name),
                rights(f)
            ));
        }
    }
    out
}

/// `rlidw (31)`: letters and the mask.
fn rights(e: &AclEntry) -> String {
    format!("{} ({})", e.rights.letters(), e.rights.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::Rights;

    fn acl(pos: &[(&str, u32)], neg: &[(&str, u32)]) -> Acl {
        let e = |v: &[(&str, u32)]| {
            v.iter()
                .map(|(n, r)| AclEntry::new(n.as_bytes(), Rights(*r)))
                .collect()
        };
        Acl {
            positive: e(pos),
            negative: e(neg),
        }
    }

    #[test]
    fn changed_missing_and_extra_entries() {
        let want = acl(&[("System:AnyUser", 9), ("admin", 31)], &[("x", 8)]);
        assert!(entry_differences(&want, &want).is_empty());
        // Order does not count.
        let swapped = acl(&[("admin", 31), ("System:AnyUser", 9)], &[("x", 8)]);
        assert!(entry_differences(&want, &swapped).is_empty());
        let got = acl(&[("System:AnyUser", 1), ("bob", 8)], &[]);
        assert_eq!(
            entry_differences(&want, &got),
            [
                "ACL entry \"System:AnyUser\": rights r (1), expected rl (9)",
                "ACL entry \"admin\" with rights rlidw (31) missing",
                "ACL entry \"bob\" with rights l (8) not in the dump",
                "negative ACL entry \"x\" with rights l (8) missing",
            ]
        );
        // A positive entry is not a negative one of the same name.
        let moved = acl(&[("System:AnyUser", 9), ("admin", 31), ("x", 8)], &[]);
        assert_eq!(entry_differences(&want, &moved).len(), 2);
    }

    #[test]
    fn items_split_by_path_line() {
        let text = b"acls:\n- path: \".\"\n  acl:\n- path: \"./a\"\n  acl:\n  - name: \"u\"\n    rights: \"rl\"\n";
        let items = split_items(text).unwrap();
        assert_eq!(items.len(), 2);
        assert!(items[b"- path: \"./a\"".as_slice()].ends_with(b"\"rl\"\n"));
        assert!(split_items(b"acl:\n").is_err());
        assert!(split_items(b"acls:\n  acl:\n").is_err());
        let twice = b"acls:\n- path: \".\"\n  acl:\n- path: \".\"\n  acl:\n";
        assert!(split_items(twice).unwrap_err().contains("twice"));
    }
}
