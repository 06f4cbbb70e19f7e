//! The layout rules of issue 13 that `cargo test` enforces over every
//! crate of the workspace (and `fuzz/`): no import cycle between the
//! modules of one crate, and no non-test source file over [`MAX_LINES`].
//!
//! An import is any path one module writes to another's module or item
//! (`use crate::…`, `super::…`, `self::…`, a child's name, `pub use`
//! re-exports followed to where the item is defined); comments, doc links
//! and strings are not paths, and `#[cfg(test)]` items do not count. Two
//! modules depend on each other through their ancestors that are siblings:
//! `a::x` naming `b::y` makes `a` depend on `b`. A parent and its own
//! child are one unit (the parent declares the child), so a `mod.rs` using
//! its children while they use its types is no cycle; siblings that need
//! each other are. Run with `--nocapture` to see the summary.

mod lex;
mod modules;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

use modules::{Crate, Edge};

/// The longest a non-test source file may be, in lines outside its
/// `#[cfg(test)]` items.
pub const MAX_LINES: usize = 600;

/// One compiled crate of a package: a library, binary, test or bench.
struct Target {
    /// The package directory, relative to the repository.
    package: String,
    root: PathBuf,
    /// True for a library or binary under `src/` of a package other than
    /// `tests/`: its files are non-test sources.
    product: bool,
}

/// Every crate target of the workspace members and of `fuzz/`.
fn targets(repo: &Path) -> Vec<Target> {
    let manifest = fs::read_to_string(repo.join("Cargo.toml")).unwrap();
    let mut packages = string_list(&manifest, "members");
    packages.extend(string_list(&manifest, "exclude"));
    assert!(
        packages.len() > 10,
        "workspace members not found: {packages:?}"
    );
    let mut out = Vec::new();
    for package in packages {
        let dir = repo.join(&package);
        let cargo = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let mut roots: BTreeSet<PathBuf> = BTreeSet::new();
        let rs_in = |sub: &str| -> Vec<PathBuf> {
            let Ok(rd) = fs::read_dir(dir.join(sub)) else {
                return Vec::new();
            };
            rd.map(|e| e.unwrap().path())
                .filter_map(|p| {
                    if p.extension().is_some_and(|x| x == "rs") {
                        Some(p)
                    } else {
                        Some(p.join("main.rs")).filter(|m| m.is_file())
                    }
                })
                .collect()
        };
        roots.extend(
            ["src/lib.rs", "src/main.rs"]
                .map(|f| dir.join(f))
                .into_iter()
                .filter(|p| p.is_file()),
        );
        roots.extend(rs_in("src/bin"));
        if !cargo.contains("autotests = false") {
            roots.extend(rs_in("tests"));
        }
        if !cargo.contains("autobenches = false") {
            roots.extend(rs_in("benches"));
        }
        roots.extend(target_paths(&cargo).into_iter().map(|p| dir.join(p)));
        assert!(!roots.is_empty(), "{package}: no crate root found");
        for root in roots {
            let product = package != "tests" && root.starts_with(dir.join("src"));
            out.push(Target {
                package: package.clone(),
                root,
                product,
            });
        }
    }
    out
}

/// The strings of `key = [ "…", … ]` in a manifest.
fn string_list(manifest: &str, key: &str) -> Vec<String> {
    let Some(start) = manifest.find(&format!("\n{key} = [")) else {
        return Vec::new();
    };
    let list = &manifest[start..];
    let list = &list[..list.find(']').unwrap()];
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The `path = "…"` of the `[[bin]]`, `[[test]]`, `[[bench]]` tables.
fn target_paths(cargo: &str) -> Vec<String> {
    let mut in_target = false;
    let mut out = Vec::new();
    for line in cargo.lines().map(str::trim) {
        if line.starts_with('[') {
            in_target = line.starts_with("[[");
        } else if let Some(v) = line.strip_prefix("path = \"").filter(|_| in_target) {
            out.push(v.trim_end_matches('"').to_string());
        }
    }
    out
}

/// The import cycles of one crate, one message each (with the line of each
/// reference that closes the cycle), and how many sibling dependencies it
/// has.
fn import_cycles(krate: &Crate, name: &str, repo: &Path) -> (Vec<String>, usize) {
    // parent -> (a, b) -> first reference of a child of `a` to `b`.
    let mut deps: BTreeMap<usize, BTreeMap<(usize, usize), Edge>> = BTreeMap::new();
    for e in krate.edges() {
        let (from, to) = (ancestry(krate, e.from), ancestry(krate, e.to));
        let common = from.iter().zip(&to).take_while(|(x, y)| x == y).count();
        if common < from.len() && common < to.len() {
            deps.entry(from[common - 1])
                .or_default()
                .entry((from[common], to[common]))
                .or_insert(e);
        }
    }
    let mut out = Vec::new();
    let mut count = 0;
    for edges in deps.values() {
        count += edges.len();
        let next = |a: usize| edges.keys().filter(move |k| k.0 == a).map(|k| k.1);
        let reach = |a: usize| {
            let mut seen = BTreeSet::new();
            let mut todo = vec![a];
            while let Some(x) = todo.pop() {
                for y in next(x) {
                    if seen.insert(y) {
                        todo.push(y);
                    }
                }
            }
            seen
        };
        let nodes: BTreeSet<usize> = edges.keys().flat_map(|k| [k.0, k.1]).collect();
        let reached: BTreeMap<usize, BTreeSet<usize>> =
            nodes.iter().map(|&n| (n, reach(n))).collect();
        let mut done = BTreeSet::new();
        for &n in &nodes {
            if done.contains(&n) || !reached[&n].contains(&n) {
                continue;
            }
            let scc: BTreeSet<usize> = nodes
                .iter()
                .copied()
                .filter(|m| reached[&n].contains(m) && reached[m].contains(&n))
                .collect();
            done.extend(scc.iter().copied());
            let path = shortest_cycle(n, |x| next(x).filter(|y| scc.contains(y)).collect());
            let show = |m: usize| krate.modules[m].path.join("::");
            let mut msg = format!(
                "{name}: import cycle {} -> {} (modules in the cycle: {})",
                path.iter()
                    .map(|&m| show(m))
                    .collect::<Vec<_>>()
                    .join(" -> "),
                show(n),
                scc.iter().map(|&m| show(m)).collect::<Vec<_>>().join(", ")
            );
            for (i, &a) in path.iter().enumerate() {
                let b = *path.get(i + 1).unwrap_or(&n);
                let e = &edges[&(a, b)];
                msg += &format!("\n    {} -> {}: {}", show(a), show(b), witness(e, repo));
            }
            out.push(msg);
        }
    }
    (out, count)
}

/// Module `m` and its ancestors, root first.
fn ancestry(krate: &Crate, m: usize) -> Vec<usize> {
    let mut chain = vec![m];
    while let Some(p) = krate.modules[*chain.last().unwrap()].parent {
        chain.push(p);
    }
    chain.reverse();
    chain
}

/// The nodes of a shortest cycle through `start` (which must lie on one).
fn shortest_cycle(start: usize, next: impl Fn(usize) -> Vec<usize>) -> Vec<usize> {
    let mut came_from = BTreeMap::new();
    let mut todo = VecDeque::from([start]);
    while let Some(x) = todo.pop_front() {
        for y in next(x) {
            if y == start {
                let mut path = vec![x];
                while let Some(&p) = came_from.get(path.last().unwrap()) {
                    path.push(p);
                }
                path.reverse();
                return path;
            }
            if let std::collections::btree_map::Entry::Vacant(v) = came_from.entry(y) {
                v.insert(x);
                todo.push_back(y);
            }
        }
    }
    vec![start]
}

/// `file:line: the line` of a reference.
fn witness(e: &Edge, repo: &Path) -> String {
    let text = fs::read_to_string(&e.file).unwrap_or_default();
    let line = text.lines().nth(e.line - 1).unwrap_or("").trim();
    let file = e.file.strip_prefix(repo).unwrap_or(&e.file);
    format!("{}:{}: {line}", file.display(), e.line)
}

/// What the checks found in the tree at `repo`.
struct Findings {
    cycles: Vec<String>,
    /// Non-test source files, longest first.
    sizes: Vec<(usize, PathBuf)>,
    summary: String,
}

fn check(repo: &Path) -> Findings {
    let targets = targets(repo);
    let (mut cycles, mut sizes) = (Vec::new(), BTreeMap::new());
    let (mut modules, mut deps) = (0, 0);
    let packages: BTreeSet<&str> = targets.iter().map(|t| t.package.as_str()).collect();
    for t in &targets {
        let krate = Crate::read(&t.root).unwrap_or_else(|e| panic!("{e}"));
        let name = t.root.strip_prefix(repo).unwrap().display().to_string();
        let (found, n) = import_cycles(&krate, &name, repo);
        cycles.extend(found);
        modules += krate.modules.len();
        deps += n;
        if t.product {
            for f in krate.files {
                sizes.insert(f.file.strip_prefix(repo).unwrap().to_path_buf(), f.lines);
            }
        }
    }
    let mut sizes: Vec<(usize, PathBuf)> = sizes.into_iter().map(|(f, n)| (n, f)).collect();
    sizes.sort_by(|a, b| b.cmp(a));
    let summary = format!(
        "{} packages, {} crate targets, {modules} modules, {deps} dependencies between sibling \
         modules, {} import cycles; {} non-test source files, longest: {}",
        packages.len(),
        targets.len(),
        cycles.len(),
        sizes.len(),
        sizes
            .iter()
            .take(5)
            .map(|(n, f)| format!("{} ({n})", f.display()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Findings {
        cycles,
        sizes,
        summary,
    }
}

/// The checkout checked: this one, or `$CODA_RS_LAYOUT_REPO` (to see what
/// the checks say of another checkout).
fn repo() -> PathBuf {
    std::env::var_os("CODA_RS_LAYOUT_REPO").map_or_else(crate::repo_root, PathBuf::from)
}

#[test]
fn no_import_cycle_between_the_modules_of_a_crate() {
    let found = check(&repo());
    println!("layout: {}", found.summary);
    assert!(
        found.sizes.len() > 100,
        "too few sources read: {}",
        found.summary
    );
    assert!(found.cycles.is_empty(), "{}", found.cycles.join("\n"));
}

#[test]
fn no_non_test_source_file_over_600_lines() {
    let found = check(&repo());
    let long: Vec<String> = found
        .sizes
        .iter()
        .filter(|(n, _)| *n > MAX_LINES)
        .map(|(n, f)| format!("{} ({n} lines outside #[cfg(test)])", f.display()))
        .collect();
    assert!(
        long.is_empty(),
        "non-test source files over {MAX_LINES} lines: {long:?}"
    );
}

#[cfg(test)]
mod checker {
    //! The checks on small crates written for the purpose: they must see
    //! the cycles there are, and only those.

    use super::*;

    fn krate(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<String>, Vec<(usize, PathBuf)>) {
        let dir = crate::scratch();
        fs::write(
            dir.path().join("Cargo.toml"),
            "[workspace]\nmembers = [\"k\"]\n",
        )
        .unwrap();
        fs::create_dir_all(dir.path().join("k/src")).unwrap();
        fs::write(dir.path().join("k/Cargo.toml"), "[package]\nname = \"k\"\n").unwrap();
        for (name, text) in files {
            let p = dir.path().join("k/src").join(name);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        let targets = targets_of(dir.path());
        let krate = Crate::read(&targets[0]).unwrap();
        let (cycles, _) = import_cycles(&krate, "k", dir.path());
        let sizes = krate
            .files
            .iter()
            .map(|f| (f.lines, f.file.clone()))
            .collect();
        (dir, cycles, sizes)
    }

    fn targets_of(repo: &Path) -> Vec<PathBuf> {
        let manifest = fs::read_to_string(repo.join("Cargo.toml")).unwrap();
        string_list(&manifest, "members")
            .iter()
            .map(|m| repo.join(m).join("src/lib.rs"))
            .collect()
    }

    #[test]
    fn a_cycle_through_a_re_export_is_found_and_prose_is_not_a_path() {
        let (_d, cycles, _) = krate(&[
            ("lib.rs", "//! [`crate::c`] in prose.\nmod a;\nmod b;\nmod c;\npub use b::Thing;\n"),
            ("a.rs", "use crate::Thing;\npub fn f() {}\n"),
            ("b.rs", "pub struct Thing;\npub fn g() {\n    let _ = \"crate::c::h\";\n    super::a::f()\n}\n"),
            ("c.rs", "/// See crate::a.\npub fn h() {\n    crate::b::g()\n}\n"),
        ]);
        assert_eq!(cycles.len(), 1, "{cycles:?}");
        assert!(
            cycles[0].starts_with("k: import cycle a -> b -> a (modules in the cycle: a, b)"),
            "{}",
            cycles[0]
        );
        assert!(
            cycles[0].contains("k/src/a.rs:1: use crate::Thing;"),
            "{}",
            cycles[0]
        );
        assert!(
            cycles[0].contains("k/src/b.rs:4: super::a::f()"),
            "{}",
            cycles[0]
        );
    }

    #[test]
    fn parent_and_child_are_one_unit_and_tests_do_not_count() {
        let (_d, cycles, _) = krate(&[
            ("lib.rs", "mod p;\npub struct Root;\n"),
            (
                "p/mod.rs",
                "mod q;\nmod r;\npub struct P;\npub fn f() {\n    q::g()\n}\n",
            ),
            (
                "p/q.rs",
                "pub fn g() {\n    let _ = (super::P, crate::Root);\n}\n\
                 #[cfg(test)]\nmod tests {\n    use crate::p::r::h;\n}\n",
            ),
            ("p/r.rs", "pub fn h() {\n    super::q::g()\n}\n"),
        ]);
        assert!(cycles.is_empty(), "{cycles:?}");
    }

    #[test]
    fn a_cycle_between_nested_modules_names_the_siblings() {
        let (_d, cycles, _) = krate(&[
            ("lib.rs", "pub mod x;\npub mod y {\n    pub fn g() {\n        crate::x::deep::f()\n    }\n}\n"),
            ("x.rs", "pub mod deep;\n"),
            ("x/deep.rs", "use crate::y::g as other;\npub fn f() {\n    other()\n}\n"),
        ]);
        assert_eq!(cycles.len(), 1, "{cycles:?}");
        assert!(
            cycles[0].starts_with("k: import cycle x -> y -> x"),
            "{}",
            cycles[0]
        );
    }

    #[test]
    fn lines_in_test_items_do_not_count() {
        let tests = "#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {\n        let s = \"}\";\n    }\n}\n";
        let (_d, _, sizes) = krate(&[(
            "lib.rs",
            &format!("pub fn f() {{}}\n\npub fn g() {{}}\n{tests}"),
        )]);
        assert_eq!(sizes[0].0, 3);
    }
}
