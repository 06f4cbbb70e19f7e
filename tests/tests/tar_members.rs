//! `dump to-tar` never emits a member an extractor could misplace: no
//! member name (or hard-link target) is absolute or has an empty or `..`
//! component, no two members share a name, and none lies below a symlink
//! member — also when the §11.2 bounds cut names with `~~~`. A dump that
//! would need one is an error naming both members, and no tar is left.
//! Valid but adversarial trees (deep nesting, names cut at every bound,
//! names of dots and tildes) convert, and Python's `tarfile`, which checks
//! nothing, extracts them inside its target.

use crate::hostile_support;

use std::fs;
use std::path::Path;
use std::process::Command;

use coda_rs_tests::{coda_rs, read_golden, scratch};
use hostile_support::*;
use proptest::prelude::*;
use volume_dump::tar::{write_tar, TarOptions};
use volume_dump::DumpReader;

/// One member of a tar as an extractor reads it (ustar fields, spec
/// §11.3, with PAX `path`/`linkpath` records applied).
#[derive(Debug, Clone)]
struct Member {
    name: Vec<u8>,
    typeflag: u8,
    linkname: Vec<u8>,
}

fn field(b: &[u8]) -> Vec<u8> {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    b[..end].to_vec()
}

fn octal(b: &[u8]) -> usize {
    let s = String::from_utf8(field(b)).unwrap();
    usize::from_str_radix(s.trim(), 8).unwrap()
}

fn members(tar: &[u8]) -> Vec<Member> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
    while at + 512 <= tar.len() {
        let h = &tar[at..at + 512];
        if h.iter().all(|&c| c == 0) {
            break;
        }
        let size = octal(&h[124..136]);
        let data = &tar[at + 512..at + 512 + size];
        at += 512 + size.div_ceil(512) * 512;
        if h[156] == b'x' {
            let mut rest = data;
            while !rest.is_empty() {
                let sp = rest.iter().position(|&c| c == b' ').unwrap();
                let len: usize = std::str::from_utf8(&rest[..sp]).unwrap().parse().unwrap();
                let rec = &rest[sp + 1..len - 1];
                let eq = rec.iter().position(|&c| c == b'=').unwrap();
                pax.push((
                    String::from_utf8(rec[..eq].to_vec()).unwrap(),
                    rec[eq + 1..].to_vec(),
                ));
                rest = &rest[len..];
            }
            continue;
        }
        let (name, prefix) = (field(&h[0..100]), field(&h[345..500]));
        let mut m = Member {
            name: if prefix.is_empty() {
                name
            } else {
                [prefix, b"/".to_vec(), name].concat()
            },
            typeflag: h[156],
            linkname: field(&h[157..257]),
        };
        for (k, v) in pax.drain(..) {
            match k.as_str() {
                "path" => m.name = v,
                "linkpath" => m.linkname = v,
                _ => {}
            }
        }
        out.push(m);
    }
    out
}

fn unsafe_path(p: &[u8]) -> bool {
    p.is_empty() || p[0] == b'/' || p.split(|&c| c == b'/').any(|c| c.is_empty() || c == b"..")
}

fn below(path: &[u8], dir: &[u8]) -> bool {
    path.len() > dir.len() && path.starts_with(dir) && path[dir.len()] == b'/'
}

/// The invariants every tar we write keeps.
fn assert_safe(tar: &[u8]) {
    let ms = members(tar);
    let mut seen = std::collections::HashSet::new();
    for (i, m) in ms.iter().enumerate() {
        let name = String::from_utf8_lossy(&m.name);
        assert!(!unsafe_path(&m.name), "unsafe member name {name}");
        assert!(seen.insert(m.name.clone()), "two members named {name}");
        for s in ms[..i].iter().filter(|s| s.typeflag == b'2') {
            assert!(!below(&m.name, &s.name), "{name} below a symlink");
        }
        if m.typeflag == b'2' {
            for l in &ms[..i] {
                assert!(!below(&l.name, &m.name), "symlink {name} over a directory");
            }
        }
        if m.typeflag == b'1' {
            let t = String::from_utf8_lossy(&m.linkname);
            assert!(!unsafe_path(&m.linkname), "unsafe link target {t}");
            for s in ms[..i].iter().filter(|s| s.typeflag == b'2') {
                assert!(
                    !below(&m.linkname, &s.name),
                    "link target {t} below a symlink"
                );
            }
        }
    }
}

fn convert(bytes: &[u8], pax: bool) -> Result<Vec<u8>, String> {
    let mut r = DumpReader::new(bytes).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let opts = TarOptions {
        pax,
        ..TarOptions::default()
    };
    write_tar(&mut r, &mut out, &opts)
        .map(|_| out)
        .map_err(|e| e.to_string())
}

#[test]
fn golden_tars_keep_the_invariants() {
    for name in [
        "harness-a-full",
        "server-b-full",
        "server-b-incr",
        "server-b-incr-smallonly",
    ] {
        assert_safe(&read_golden("dump", &format!("{name}.tar")));
        let dump = read_golden("dump", &format!("{name}.dump"));
        assert_safe(&convert(&dump, true).unwrap());
    }
}

/// A case that must be refused: the dump, whether it is refused with
/// `--pax` too, and the two member names the error must show.
struct Refused {
    what: &'static str,
    dump: Built,
    with_pax: bool,
    both: [String; 2],
}

fn long(c: u8, n: usize) -> Vec<u8> {
    vec![c; n]
}

fn refused() -> Vec<Refused> {
    let root = VOLUME;
    let f = |v: u32| file((v, 2), ROOT, b"data\n");
    let cut = |c: u8| format!("{}~~~", String::from_utf8(long(c, 96)).unwrap());
    let mut a120 = long(b'a', 96);
    a120.extend_from_slice(&long(b'1', 24));
    let mut a121 = long(b'a', 96);
    a121.extend_from_slice(&long(b'2', 25));
    let f17 = format!("{}~~~", "f".repeat(17));
    vec![
        Refused {
            what: "two long names cut alike",
            dump: build(
                &[dir(ROOT, ROOT, vec![e(&a120, (2, 2)), e(&a121, (4, 2))])],
                &[f(2), f(4)],
            ),
            with_pax: false,
            both: [
                format!("{root}/{}", cut(b'a')),
                format!("{root}/{}", cut(b'a')),
            ],
        },
        Refused {
            what: "a symlink named like a cut directory",
            dump: build(
                &[
                    dir(
                        ROOT,
                        ROOT,
                        vec![e(&long(b'd', 130), (3, 2)), e(cut(b'd').as_bytes(), (4, 2))],
                    ),
                    dir((3, 2), ROOT, vec![e(b"inside", (2, 2))]),
                ],
                &[f(2), symlink((4, 2), ROOT, b"/etc")],
            ),
            with_pax: false,
            both: [
                format!("{root}/{}", cut(b'd')),
                format!("{root}/{}", cut(b'd')),
            ],
        },
        Refused {
            what: "a lost+found symlink after an unnamed file",
            dump: build(
                &[dir(ROOT, ROOT, vec![e(b"lost+found", (4, 2))])],
                &[f(2), symlink((4, 2), ROOT, b"/etc/cron.d")],
            ),
            with_pax: true,
            both: [
                format!("{root}/lost+found"),
                format!("{root}/lost+found/00000002.00000002"),
            ],
        },
        Refused {
            what: "an unnamed file after a lost+found symlink",
            dump: build(
                &[dir(ROOT, ROOT, vec![e(b"lost+found", (2, 2))])],
                &[symlink((2, 2), ROOT, b"/etc/cron.d"), f(4)],
            ),
            with_pax: true,
            both: [
                format!("{root}/lost+found/00000004.00000002"),
                format!("{root}/lost+found"),
            ],
        },
        Refused {
            what: "a lost+found directory holding an unnamed object's name",
            dump: build(
                &[
                    dir(ROOT, ROOT, vec![e(b"lost+found", (3, 2))]),
                    dir((3, 2), ROOT, vec![e(b"0000000a.00000002", (2, 2))]),
                ],
                &[f(2), f(10)],
            ),
            with_pax: true,
            both: [
                format!("{root}/lost+found/0000000a.00000002"),
                format!("{root}/lost+found/0000000a.00000002"),
            ],
        },
        Refused {
            what: "a file named like the ACL file",
            dump: build(
                &[dir(ROOT, ROOT, vec![e(b"..CodaACLs.yaml", (2, 2))])],
                &[f(2)],
            ),
            with_pax: true,
            both: [
                format!("{root}/..CodaACLs.yaml"),
                format!("{root}/..CodaACLs.yaml"),
            ],
        },
        Refused {
            what: "a hard link whose cut target is another file",
            // path(F, 0, 99) = ROOT/A*60/f*17~~~ (spec §11.2), which is
            // also the member of the file named f*17~~~.
            // (Its first name is the one in 3.2, listed before 5.3.)
            dump: build(
                &[
                    dir(
                        ROOT,
                        ROOT,
                        vec![e(&long(b'A', 60), (3, 2)), e(b"other", (5, 3))],
                    ),
                    dir(
                        (3, 2),
                        ROOT,
                        vec![e(&long(b'f', 60), (2, 2)), e(f17.as_bytes(), (4, 2))],
                    ),
                    dir((5, 3), ROOT, vec![e(b"g", (2, 2))]),
                ],
                &[f(2), f(4)],
            ),
            with_pax: false,
            both: [
                format!("{root}/other/g"),
                format!("{root}/{}/{f17}", "A".repeat(60)),
            ],
        },
    ]
}

#[test]
fn clashing_members_are_refused_naming_both_and_no_tar_is_left() {
    for c in refused() {
        let t = scratch();
        let dump = t.path().join("hostile.dump");
        fs::write(&dump, &c.dump.bytes).unwrap();
        let victim = victim(t.path(), &["out.tar"]);
        let out = t.path().join("out.tar");
        for pax in [false, true] {
            let mut cmd = coda_rs();
            cmd.args(["dump", "to-tar", "--acl-mtime", "0", "-o"])
                .arg(&out)
                .arg(&dump);
            if pax {
                cmd.arg("--pax");
            }
            let res = cmd.output().unwrap();
            if pax && !c.with_pax {
                // Whole names do not collide.
                assert_eq!(res.status.code(), Some(0), "{}: {res:?}", c.what);
                assert_safe(&fs::read(&out).unwrap());
                fs::remove_file(&out).unwrap();
                continue;
            }
            assert_eq!(res.status.code(), Some(1), "{} (pax {pax})", c.what);
            let line = one_line_error(&res.stderr);
            for name in &c.both {
                assert!(
                    line.contains(&format!("\"{name}\"")),
                    "{}: {name} in {line}",
                    c.what
                );
            }
            assert!(line.contains("tar member"), "{line}");
            assert!(!out.exists(), "{}", c.what);
            victim.assert_untouched(c.what);
        }
    }
}

#[test]
fn unusable_root_names_are_refused() {
    let b = build(
        &[dir(ROOT, ROOT, vec![e(b"f", (2, 2))])],
        &[file((2, 2), ROOT, b"x")],
    );
    // The volume name's characters (spec §16: offset 76, 17 bytes with
    // the NUL) replaced.
    for (name, why) in [
        (&b".."[..], "has a `..` component"),
        (b"", "is empty"),
        (b"/etc", "is absolute"),
        (b"a/../../b", "has a `..` component"),
        (b"a//b", "has an empty component"),
    ] {
        let mut bytes = b.bytes.clone();
        bytes[76..93].fill(0);
        bytes[76..76 + name.len()].copy_from_slice(name);
        let err = convert(&bytes, false).unwrap_err();
        assert!(err.contains("volume name"), "{err}");
        assert!(err.contains(why), "{err}");
    }
    for (name, why) in [("../up", "has a `..` component"), ("/abs", "is absolute")] {
        let t = scratch();
        let dump = t.path().join("d.dump");
        fs::write(&dump, &b.bytes).unwrap();
        let res = coda_rs()
            .args(["dump", "to-tar", "--root-name", name, "-o"])
            .arg(t.path().join("x.tar"))
            .arg(&dump)
            .output()
            .unwrap();
        assert_eq!(res.status.code(), Some(1));
        let line = one_line_error(&res.stderr);
        assert!(line.contains(why) && line.contains("root name"), "{line}");
        assert!(!t.path().join("x.tar").exists());
    }
    // `.` is a fine root: members `./f`.
    let mut r = DumpReader::new(&b.bytes[..]).unwrap();
    let mut out = Vec::new();
    let opts = TarOptions {
        root_name: Some(b".".to_vec()),
        ..TarOptions::default()
    };
    write_tar(&mut r, &mut out, &opts).unwrap();
    let names: Vec<_> = members(&out).into_iter().map(|m| m.name).collect();
    assert!(names.contains(&b"./f".to_vec()), "{names:?}");
    assert_safe(&out);
}

/// Lists the tar with Python's `tarfile` and extracts it with no filter
/// (what careless tools do) into `dir/x`; returns the member names.
fn python_extract(tar: &Path, dir: &Path) -> Vec<String> {
    let script = r#"
import sys, tarfile
t = tarfile.open(sys.argv[1])
for m in t.getmembers():
    print(repr(m.name), repr(m.linkname))
kw = {"filter": "fully_trusted"} if hasattr(tarfile, "data_filter") else {}
t.extractall(sys.argv[2], **kw)
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(tar)
        .arg(dir.join("x"))
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn adversarial_valid_trees_extract_inside_their_target() {
    // 30 nested directories of 60 bytes, a file at the bottom and a
    // second name of it in the root; names of dots and tildes; names cut
    // at every bound.
    let mut dirs = vec![];
    let mut parent = ROOT;
    for i in 0..30u32 {
        let fid = (3 + 2 * i, 2);
        let name = vec![b'A' + i as u8; 60];
        dirs.push((parent, name, fid));
        parent = fid;
    }
    let mut root_entries = vec![
        e(b"...", (4, 2)),
        e(b"..a", (6, 2)),
        e(b"a..", (8, 2)),
        e(b"~~~", (10, 2)),
        e(b"second-name", (22, 2)),
        e(b"escape-link", (20, 2)),
        e(&[b".".as_slice(), &[b'.'; 130]].concat(), (12, 2)),
        e(&[b'~'; 99], (14, 2)),
        e(&[b'x'; 100], (16, 2)),
        e(&[b'y'; 255], (18, 2)),
    ];
    root_entries.push(e(&dirs[0].1, dirs[0].2));
    let mut ds = vec![dir(ROOT, ROOT, root_entries)];
    for (i, (p, _, fid)) in dirs.iter().enumerate() {
        let mut rest = vec![];
        if i == 0 {
            rest.push(e(b"shallow", (22, 2)));
        }
        match dirs.get(i + 1) {
            Some((_, n, f)) => rest.push(e(n, *f)),
            None => rest.push(e(b"bottom.txt", (2, 2))),
        }
        ds.push(dir(*fid, *p, rest));
    }
    let mut objs = vec![file((2, 2), parent, b"deep\n")];
    for v in [4, 6, 8, 10, 12, 14, 16, 18] {
        objs.push(file((v, 2), ROOT, b"x\n"));
    }
    objs.push(symlink((20, 2), ROOT, b"../../../../etc"));
    objs.push(file((22, 2), dirs[0].2, b"shallow\n"));
    let b = build(&ds, &objs);
    for pax in [false, true] {
        let t = scratch();
        let dump = t.path().join("deep.dump");
        fs::write(&dump, &b.bytes).unwrap();
        let tar = t.path().join("deep.tar");
        let mut cmd = coda_rs();
        cmd.args(["dump", "to-tar", "-q", "--acl-mtime", "0", "-o"])
            .arg(&tar)
            .arg(&dump);
        if pax {
            cmd.arg("--pax");
        }
        cmd.assert().success();
        let bytes = fs::read(&tar).unwrap();
        assert_safe(&bytes);
        let victim = victim(t.path(), &["x"]);
        let listed = python_extract(&tar, t.path());
        assert!(listed.len() > 40, "{listed:?}");
        victim.assert_untouched("python extraction");
        // Everything Python wrote is inside x/.
        assert!(t.path().join("x").join(VOLUME).is_dir());
        assert_eq!(
            fs::read(t.path().join("x").join(VOLUME).join("...")).unwrap(),
            b"x\n"
        );
    }
}

/// A name for the random trees: bytes from a small alphabet of dots,
/// tildes and letters, lengths around every bound of §11.2 and §12.3; or
/// 96 `a` and a tail, or 96 `a` and `~~~` (what a cut to 100 gives), or a
/// short name, so that cut names meet.
fn name() -> impl Strategy<Value = Vec<u8>> {
    let len = prop::sample::select(vec![
        1usize, 2, 3, 15, 16, 47, 48, 60, 94, 95, 96, 97, 98, 99, 100, 101, 120, 150, 151, 152,
        153, 154, 155, 200, 255,
    ]);
    let alphabet = prop::collection::vec(prop::sample::select(b"a.~b".to_vec()), 255);
    let random = (len, alphabet.clone()).prop_map(|(n, bytes)| bytes[..n].to_vec());
    let cut_alike =
        (1usize..60, alphabet).prop_map(|(n, tail)| [&[b'a'; 96][..], &tail[..n]].concat());
    let cut_form = Just([&[b'a'; 96][..], b"~~~"].concat());
    let short = prop::sample::select(vec![b"x".to_vec(), b"y".to_vec(), b"~".to_vec()]);
    prop_oneof![random, cut_alike, cut_form, short]
        .prop_filter("not . or ..", |n| n != b"." && n != b"..")
}

/// A random tree: directories with parents among the earlier ones, files
/// and symlinks in random directories (some with a second name, some with
/// none).
fn tree() -> impl Strategy<Value = (Vec<Dir>, Vec<Obj>)> {
    let dirs = prop::collection::vec((any::<prop::sample::Index>(), name()), 0..6);
    let objs = prop::collection::vec(
        (any::<prop::sample::Index>(), name(), any::<bool>(), 0u8..4),
        0..8,
    );
    (dirs, objs).prop_map(|(dirs, objs)| {
        // Directory i is vnode 2i+3; its parent is one of 0..i (0 = root).
        let mut entries: Vec<Vec<Raw>> = vec![vec![]; dirs.len() + 1];
        let mut parents = vec![ROOT];
        let fid = |i: usize| if i == 0 { ROOT } else { (2 * i as u32 + 1, 2) };
        for (i, (p, n)) in dirs.iter().enumerate() {
            let p = p.index(i + 1);
            entries[p].push(e(n, fid(i + 1)));
            parents.push(fid(p));
        }
        let mut out_objs = vec![];
        for (k, (d, n, symlink_, extra)) in objs.iter().enumerate() {
            let d = d.index(dirs.len() + 1);
            let of = (2 * k as u32 + 2, 2);
            match extra {
                0 => {} // unnamed: lost+found
                1 => {
                    entries[d].push(e(n, of));
                    let second = [&n[..n.len().min(254)], b"2"].concat();
                    entries[0].push(e(&second, of));
                }
                _ => entries[d].push(e(n, of)),
            }
            out_objs.push(if *symlink_ {
                symlink(of, fid(d), b"/etc")
            } else {
                file(of, fid(d), b"data")
            });
        }
        // One name per directory entry list.
        for list in &mut entries {
            let mut seen = std::collections::HashSet::new();
            list.retain(|r| seen.insert(r.name.clone()));
        }
        let out_dirs = entries
            .into_iter()
            .enumerate()
            .map(|(i, list)| dir(fid(i), parents[i], list))
            .collect();
        (out_dirs, out_objs)
    })
}

/// The two quoted member names of a clash error.
fn quoted(err: &str) -> Vec<Vec<u8>> {
    err.split('"')
        .skip(1)
        .step_by(2)
        .map(|s| s.as_bytes().to_vec())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    /// Whatever the tree, the tar keeps the invariants, or the conversion
    /// is refused for a clash that really exists between the two members
    /// it names. Whole names (PAX) never clash in a tree without a
    /// `lost+found` or ACL-file name in the root.
    #[test]
    fn random_trees_convert_safely_or_are_refused_for_a_real_clash((dirs, objs) in tree()) {
        let b = build(&dirs, &objs);
        for pax in [false, true] {
            match convert(&b.bytes, pax) {
                Ok(tar) => assert_safe(&tar),
                Err(err) => {
                    prop_assert!(!pax, "PAX names clashed: {}", err);
                    prop_assert!(err.contains("tar member"), "{}", err);
                    let q = quoted(&err);
                    prop_assert!(q.len() >= 2, "{}", err);
                    // The member (or the hard link's target) and the
                    // earlier member it clashes with.
                    let a = if err.contains(" links to ") { &q[1] } else { &q[0] };
                    let b2 = &q[q.len() - 1];
                    let real = if err.contains("the same name") || err.contains("another object") {
                        a == b2
                    } else if err.contains("below symlink") {
                        below(a, b2)
                    } else if err.contains("would replace") {
                        below(b2, a)
                    } else {
                        false
                    };
                    prop_assert!(real, "{}", err);
                }
            }
        }
    }
}
