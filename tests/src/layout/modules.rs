//! The module tree of a crate as its sources spell it: which modules it has
//! (files and inline `mod` blocks, `#[cfg(test)]` items left out), what
//! each defines and imports, and every path it names; then which module
//! each path leads to, following `use` and `pub use` re-exports.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use super::lex::{tokens, Tok, Token};

/// One module of a crate.
#[derive(Debug, Default)]
pub struct Module {
    /// Its path from the crate root (empty for the root).
    pub path: Vec<String>,
    pub parent: Option<usize>,
    /// The file that holds it.
    pub file: PathBuf,
    children: BTreeMap<String, usize>,
    defs: BTreeSet<String>,
    imports: BTreeMap<String, Vec<String>>,
    globs: Vec<Vec<String>>,
    /// Every path it names (`use` leaves and paths in code), with a line.
    refs: Vec<(Vec<String>, usize)>,
}

/// A non-test source file and its length.
#[derive(Debug)]
pub struct FileLines {
    pub file: PathBuf,
    /// Lines of the file outside `#[cfg(test)]` items.
    pub lines: usize,
}

/// The modules of one crate target (a library, a binary, a test).
#[derive(Debug, Default)]
pub struct Crate {
    pub modules: Vec<Module>,
    /// Every file read, with its lines outside `#[cfg(test)]` items.
    pub files: Vec<FileLines>,
}

/// A reference from one module to an item or module of another, and where
/// it is written.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub file: PathBuf,
    pub line: usize,
}

/// Where a path leads.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Found {
    Module(usize),
    Item(usize),
    /// An item of another crate (a `use` of one, re-exported).
    External,
}

impl Found {
    /// The module a path leads to or that defines its item; `None` for
    /// another crate's item.
    fn home(self) -> Option<usize> {
        match self {
            Found::Module(m) | Found::Item(m) => Some(m),
            Found::External => None,
        }
    }
}

impl Crate {
    /// Reads the crate whose root source file is `root`, following every
    /// `mod NAME;` (and `#[path]`). A declared module whose file is missing
    /// is an error.
    pub fn read(root: &Path) -> Result<Crate, String> {
        let mut krate = Crate::default();
        krate.modules.push(Module {
            file: root.to_path_buf(),
            ..Module::default()
        });
        krate.read_file(root, 0, true)?;
        Ok(krate)
    }

    /// Reads `file` as the body of module `m`; `owns_dir` when its children
    /// live in its own directory (a crate root, `mod.rs`, a `#[path]` file).
    fn read_file(&mut self, file: &Path, m: usize, owns_dir: bool) -> Result<(), String> {
        let src = fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let (toks, test_lines) = without_test_items(tokens(&src));
        let total = src.lines().count();
        self.files.push(FileLines {
            file: file.to_path_buf(),
            lines: total.saturating_sub(test_lines),
        });
        let dir = if owns_dir {
            file.parent().unwrap().to_path_buf()
        } else {
            file.with_extension("")
        };
        let mut at = 0;
        self.items(&toks, &mut at, m, file, &dir)
    }

    /// Parses items until the `}` closing the current block (or the end).
    fn items(
        &mut self,
        t: &[Token],
        at: &mut usize,
        m: usize,
        file: &Path,
        dir: &Path,
    ) -> Result<(), String> {
        let mut path_attr: Option<String> = None;
        while *at < t.len() {
            let i = *at;
            let word = t[i].ident();
            let next = t.get(i + 1).and_then(Token::ident);
            if t[i].is('}') {
                *at += 1;
                return Ok(());
            } else if t[i].is('{') {
                *at += 1;
                self.items(t, at, m, file, dir)?;
                continue;
            } else if t[i].is('#') {
                // `#[path = "…"]` names the next module's file.
                if t.get(i + 2).and_then(Token::ident) == Some("path") {
                    if let Some(Tok::Str(s)) = t.get(i + 4).map(|x| &x.kind) {
                        path_attr = Some(s.clone());
                    }
                }
            } else if word == Some("mod") && next.is_some() {
                let name = next.unwrap().to_string();
                let child = self.child(m, &name, file);
                *at = i + 2;
                if t.get(*at).is_some_and(|x| x.is(';')) {
                    let (f, owns) = match path_attr.take() {
                        Some(p) => (dir.join(p), true),
                        None => module_file(dir, &name)
                            .ok_or_else(|| format!("{}: mod {name}: no file", file.display()))?,
                    };
                    self.modules[child].file = f.clone();
                    self.read_file(&f, child, owns)?;
                } else if t.get(*at).is_some_and(|x| x.is('{')) {
                    *at += 1;
                    self.items(t, at, child, file, &dir.join(&name))?;
                }
                continue;
            } else if word == Some("use") {
                *at = i + 1;
                let mut leaves = Vec::new();
                use_tree(t, at, Vec::new(), &mut leaves);
                for (segs, alias) in leaves {
                    match alias.as_deref() {
                        Some("*") => self.modules[m].globs.push(segs.clone()),
                        Some("_") | None => {}
                        Some(a) => {
                            self.modules[m].imports.insert(a.to_string(), segs.clone());
                        }
                    }
                    self.modules[m].refs.push((segs, t[i].line));
                }
                continue;
            } else if let (Some(kw), Some(name)) = (word, next) {
                const DEFINES: [&str; 8] = [
                    "struct", "enum", "union", "trait", "type", "const", "static", "fn",
                ];
                if DEFINES.contains(&kw) {
                    self.modules[m].defs.insert(name.to_string());
                }
            } else if t[i].is('!')
                && t.get(i.wrapping_sub(1)).and_then(Token::ident) == Some("macro_rules")
            {
                if let Some(name) = next {
                    self.modules[m].defs.insert(name.to_string());
                }
            }
            if word.is_some() && t.get(i + 1).is_some_and(|x| x.kind == Tok::PathSep) {
                let continues = i > 0 && (t[i - 1].kind == Tok::PathSep || t[i - 1].is('.'));
                if !continues {
                    // (`$crate::x` in a macro is the path `crate::x`.)
                    let mut segs = Vec::new();
                    let mut j = i;
                    while let Some(s) = t.get(j).and_then(Token::ident) {
                        segs.push(s.to_string());
                        j += 1;
                        if t.get(j).is_some_and(|x| x.kind == Tok::PathSep) {
                            j += 1;
                        } else {
                            break;
                        }
                    }
                    self.modules[m].refs.push((segs, t[i].line));
                    *at = j;
                    continue;
                }
            }
            *at += 1;
        }
        Ok(())
    }

    fn child(&mut self, m: usize, name: &str, file: &Path) -> usize {
        let id = self.modules.len();
        let mut path = self.modules[m].path.clone();
        path.push(name.to_string());
        self.modules.push(Module {
            path,
            parent: Some(m),
            file: file.to_path_buf(),
            ..Module::default()
        });
        self.modules[m].children.insert(name.to_string(), id);
        id
    }

    /// Every reference from one module to another module or to an item
    /// defined (not merely re-exported) in another module.
    pub fn edges(&self) -> Vec<Edge> {
        let mut out = Vec::new();
        for (m, module) in self.modules.iter().enumerate() {
            for (segs, line) in &module.refs {
                if let Some(to) = self.resolve(m, segs, 0).and_then(Found::home) {
                    if to != m {
                        out.push(Edge {
                            from: m,
                            to,
                            file: module.file.clone(),
                            line: *line,
                        });
                    }
                }
            }
        }
        out
    }

    /// Where `segs`, written in module `m`, leads: `None` for another
    /// crate's path.
    fn resolve(&self, m: usize, segs: &[String], depth: usize) -> Option<Found> {
        if depth > 24 || segs.is_empty() {
            return None;
        }
        let (mut cur, mut rest) = match segs[0].as_str() {
            "crate" => (0, &segs[1..]),
            "self" => (m, &segs[1..]),
            "super" => {
                let mut cur = m;
                let mut n = 0;
                while segs.get(n).map(String::as_str) == Some("super") {
                    cur = self.modules[cur].parent?;
                    n += 1;
                }
                (cur, &segs[n..])
            }
            "::" | "Self" => return None,
            first => match self.lookup(m, first, depth)? {
                Found::Module(x) => (x, &segs[1..]),
                Found::External => return None,
                item => return Some(item),
            },
        };
        while let Some(seg) = rest.first() {
            match self.lookup(cur, seg, depth) {
                Some(Found::Module(x)) => cur = x,
                Some(Found::External) => return None,
                Some(item) => return Some(item),
                // A name the sources do not show (a method, a variant, a
                // macro's item): it belongs to the module reached so far.
                None => return Some(Found::Item(cur)),
            }
            rest = &rest[1..];
        }
        Some(Found::Module(cur))
    }

    /// What `name` means inside module `m`.
    fn lookup(&self, m: usize, name: &str, depth: usize) -> Option<Found> {
        let module = &self.modules[m];
        if let Some(&c) = module.children.get(name) {
            return Some(Found::Module(c));
        }
        if module.defs.contains(name) {
            return Some(Found::Item(m));
        }
        if let Some(segs) = module.imports.get(name) {
            return Some(self.resolve(m, segs, depth + 1).unwrap_or(Found::External));
        }
        for glob in &module.globs {
            if let Some(Found::Module(g)) = self.resolve(m, glob, depth + 1) {
                if g != m {
                    if let Some(f) = self.lookup(g, name, depth + 1) {
                        return Some(f);
                    }
                }
            }
        }
        None
    }
}

/// The file of module `name` declared in a file whose children live in
/// `dir`: `dir/name.rs` (whose own children live in `dir/name/`) or
/// `dir/name/mod.rs`.
fn module_file(dir: &Path, name: &str) -> Option<(PathBuf, bool)> {
    let flat = dir.join(format!("{name}.rs"));
    let nested = dir.join(name).join("mod.rs");
    if flat.is_file() {
        Some((flat, false))
    } else if nested.is_file() {
        Some((nested, true))
    } else {
        None
    }
}

/// Parses the use tree starting at `at` (after `use`) up to its `;`,
/// collecting `(path, alias)`: alias `*` for a glob, the bound name
/// otherwise (`self` binds the prefix's last name).
fn use_tree(
    t: &[Token],
    at: &mut usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let mut path = prefix;
    if t.get(*at).is_some_and(|x| x.kind == Tok::PathSep) {
        path.push("::".into());
        *at += 1;
    }
    while let Some(tok) = t.get(*at) {
        match &tok.kind {
            Tok::Ident(s) if s == "self" && !path.is_empty() => {
                let alias = alias_after(t, at).or_else(|| path.last().cloned());
                out.push((path.clone(), alias));
                return;
            }
            Tok::Ident(s) => {
                path.push(s.clone());
                *at += 1;
                if t.get(*at).is_some_and(|x| x.kind == Tok::PathSep) {
                    *at += 1;
                    continue;
                }
                let alias = alias_before(t, at).or_else(|| Some(s.clone()));
                out.push((path, alias));
                return;
            }
            Tok::Punct('*') => {
                *at += 1;
                out.push((path, Some("*".into())));
                return;
            }
            Tok::Punct('{') => {
                *at += 1;
                while t.get(*at).is_some_and(|x| !x.is('}')) {
                    use_tree(t, at, path.clone(), out);
                    if t.get(*at).is_some_and(|x| x.is(',')) {
                        *at += 1;
                    }
                }
                *at += 1;
                return;
            }
            _ => {
                *at += 1;
                return;
            }
        }
    }
}

/// After a `self` leaf at `at`: its `as NAME`, moving past both.
fn alias_after(t: &[Token], at: &mut usize) -> Option<String> {
    *at += 1;
    alias_before(t, at)
}

/// `as NAME` at `at`, moving past it.
fn alias_before(t: &[Token], at: &mut usize) -> Option<String> {
    if t.get(*at).and_then(Token::ident) == Some("as") {
        let name = t.get(*at + 1).and_then(Token::ident).map(str::to_string);
        *at += 2;
        return name;
    }
    None
}

/// The tokens without `#[cfg(test)]` items, and how many lines those
/// items span.
fn without_test_items(t: Vec<Token>) -> (Vec<Token>, usize) {
    let mut out = Vec::with_capacity(t.len());
    let mut lines = 0;
    let mut i = 0;
    while i < t.len() {
        let is_cfg_test = t[i].is('#')
            && t.get(i + 1).is_some_and(|x| x.is('['))
            && t.get(i + 2).and_then(Token::ident) == Some("cfg")
            && t.get(i + 3).is_some_and(|x| x.is('('))
            && t.get(i + 4).and_then(Token::ident) == Some("test")
            && t.get(i + 5).is_some_and(|x| x.is(')'));
        if !is_cfg_test {
            out.push(t[i].clone());
            i += 1;
            continue;
        }
        let first_line = t[i].line;
        // The item ends at its first `;` or at the `}` matching its first
        // `{`, outside parentheses and brackets (further attributes
        // included).
        let (mut j, mut nest, mut braces) = (i, 0i32, 0i32);
        while j < t.len() {
            match &t[j].kind {
                Tok::Punct('(' | '[') => nest += 1,
                Tok::Punct(')' | ']') => nest -= 1,
                Tok::Punct('{') => braces += 1,
                Tok::Punct('}') => {
                    braces -= 1;
                    if braces == 0 {
                        break;
                    }
                }
                Tok::Punct(';') if nest == 0 && braces == 0 => break,
                _ => {}
            }
            j += 1;
        }
        let last_line = t.get(j).map_or(first_line, |x| x.line);
        lines += last_line - first_line + 1;
        i = j + 1;
    }
    (out, lines)
}
