//! The fake Coda namespace the test venus serves and its scripted pioctl
//! answers.

use std::collections::HashMap;

/// Vnode of the fabricated virtual pioctl file objects (spec §3.1).
pub const PIOCTL_VNODE: u32 = 0xffff_fffa;
/// Realm and volume of every fid this venus hands out (the local realm).
pub const REALM: u32 = 1;
/// Volume of every fid.
pub const VOLUME: u32 = 0x7f00_0000;

/// `C_VREG`.
pub const VREG: u32 = 1;
/// `C_VDIR`.
pub const VDIR: u32 = 2;
/// `C_VLNK`.
pub const VLNK: u32 = 5;

/// Symbolic links: path and target (a name in the same directory).
pub const LINKS: &[(&str, &str)] = &[("/usr/link", "jan")];

/// One object: its path from the Coda root and its type.
pub struct Node {
    pub path: &'static str,
    pub vtype: u32,
}

/// Objects by vnode (index + 1). The root is vnode 1.
pub const NODES: &[Node] = &[
    Node {
        path: "/",
        vtype: VDIR,
    },
    Node {
        path: "/usr",
        vtype: VDIR,
    },
    Node {
        path: "/usr/jan",
        vtype: VDIR,
    },
    Node {
        path: "/usr/jan/file",
        vtype: VREG,
    },
    Node {
        path: "/usr/rep",
        vtype: VDIR,
    },
    Node {
        path: "/usr/link",
        vtype: VLNK,
    },
    Node {
        path: "/tmp",
        vtype: VDIR,
    },
    Node {
        path: "/tmp/restored",
        vtype: VDIR,
    },
    Node {
        path: "/tmp/inited",
        vtype: VDIR,
    },
];

/// The vnode of `path` (canonical form, `/` for the root).
pub fn vnode_of(path: &str) -> Option<u32> {
    NODES
        .iter()
        .position(|n| n.path == path)
        .map(|i| i as u32 + 1)
}

/// The node with vnode `vnode`.
pub fn node(vnode: u32) -> Option<&'static Node> {
    NODES.get((vnode as usize).checked_sub(1)?)
}

/// The target of the symlink with vnode `vnode`.
pub fn link_target(vnode: u32) -> Option<&'static str> {
    let path = node(vnode)?.path;
    LINKS.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

/// Looks `name` up in directory `dir`.
pub fn lookup(dir: u32, name: &str) -> Option<u32> {
    let parent = node(dir)?;
    let path = if parent.path == "/" {
        format!("/{name}")
    } else {
        format!("{}/{name}", parent.path)
    };
    vnode_of(&path)
}

/// Resolves a path as venus does for T1 (spec §3.3 step 4): leading
/// slashes skipped, empty means the root, `.` and `..` handled, a symlink
/// in the last component followed only with `follow`.
pub fn resolve(path: &[u8], follow: bool) -> Result<u32, i32> {
    let text = std::str::from_utf8(path).map_err(|_| libc::ENOENT)?;
    let comps: Vec<&str> = text.split('/').filter(|c| !c.is_empty()).collect();
    let mut cur = 1u32;
    for (i, comp) in comps.iter().copied().enumerate() {
        let dir = cur;
        cur = match comp {
            "." => cur,
            ".." => {
                let p = node(cur).ok_or(libc::ENOENT)?.path;
                if p == "/" {
                    return Err(libc::ENOENT);
                }
                let parent = &p[..p.rfind('/').unwrap_or(0)];
                vnode_of(if parent.is_empty() { "/" } else { parent }).ok_or(libc::ENOENT)?
            }
            name => {
                if node(cur).map(|n| n.vtype) != Some(VDIR) {
                    return Err(libc::ENOTDIR);
                }
                lookup(cur, name).ok_or(libc::ENOENT)?
            }
        };
        if let Some(target) = link_target(cur) {
            if i + 1 < comps.len() || follow {
                cur = lookup(dir, target).ok_or(libc::ENOENT)?;
            }
        }
    }
    Ok(cur)
}

/// One scripted answer: `nr`, object path, input (None = any), result
/// errno and output bytes.
pub struct Answer {
    pub nr: u8,
    pub path: String,
    pub input: Option<Vec<u8>>,
    pub errno: i32,
    pub output: Vec<u8>,
}

/// Decodes lowercase or uppercase hex; `-` is empty.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s == "-" {
        return Some(Vec::new());
    }
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// Encodes bytes as lowercase hex (`-` when empty).
pub fn hex(b: &[u8]) -> String {
    if b.is_empty() {
        return "-".into();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The scripted pioctl responder, with the ACL state `_VIOCSETAL` changes.
pub struct Venus {
    answers: Vec<Answer>,
    acls: HashMap<String, Vec<u8>>,
}

impl Venus {
    /// Reads the answer table: one answer per line, tab separated:
    /// `nr path input-hex|* errno output-hex`.
    pub fn from_table(text: &str) -> Result<Venus, String> {
        let mut answers = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            let bad = || format!("answers line {}: {line:?}", i + 1);
            if f.len() != 5 {
                return Err(bad());
            }
            answers.push(Answer {
                nr: f[0].parse().map_err(|_| bad())?,
                path: f[1].to_string(),
                input: if f[2] == "*" {
                    None
                } else {
                    Some(unhex(f[2]).ok_or_else(bad)?)
                },
                errno: f[3].parse().map_err(|_| bad())?,
                output: unhex(f[4]).ok_or_else(bad)?,
            });
        }
        Ok(Venus {
            answers,
            acls: HashMap::new(),
        })
    }

    /// Runs pioctl `nr` on the object `path` with `input`: returns venus's
    /// errno (0 = success) and output.
    pub fn execute(&mut self, nr: u8, path: &str, input: &[u8]) -> (i32, Vec<u8>) {
        if nr == 2 {
            if let Some(acl) = self.acls.get(path) {
                return (0, acl.clone());
            }
        }
        let found = self.answers.iter().find(|a| {
            a.nr == nr && a.path == path && a.input.as_deref().is_none_or(|i| i == input)
        });
        let Some(a) = found else {
            return (libc::EOPNOTSUPP, Vec::new());
        };
        if nr == 1 && a.errno == 0 {
            // Store the ACL as the server would return it: tab separated,
            // NUL terminated.
            let text = String::from_utf8_lossy(input);
            let text = text.trim_end_matches('\0');
            let mut stored = String::new();
            for (i, line) in text.lines().enumerate() {
                if i < 2 {
                    stored.push_str(line.trim());
                } else {
                    let mut it = line.split_whitespace();
                    let name = it.next().unwrap_or("");
                    let rights = it.next().unwrap_or("0");
                    stored.push_str(&format!("{name}\t{rights}"));
                }
                stored.push('\n');
            }
            let mut bytes = stored.into_bytes();
            bytes.push(0);
            self.acls.insert(path.to_string(), bytes);
        }
        (a.errno, a.output.clone())
    }
}
