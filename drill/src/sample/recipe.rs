//! The sample recipe: one deterministic description of a volume tree,
//! played to a sink as a sequence of [`Node`]s. The drill writes the nodes
//! to disk ([`generate`](super::generate)); the benchmarks build a dump
//! model from them. Directories come first, each before its entries, then
//! the files of each directory, the large files of the root, the extras,
//! and last the directories' times, deepest first.

use std::path::PathBuf;

use super::rng::Rng;

/// File sizes of the samples: those of the "mixed" benchmark recipe
/// (`shared/golden/dump/README.md`), picked pseudo-randomly.
pub const SIZES: [usize; 8] = [0, 100, 700, 1500, 4096, 9000, 16384, 30000];

/// The mtime of the first generated file, minus one step.
const FIRST_MTIME: u64 = super::DATE_FULL as u64 - 86_400;

/// One object of the sample tree; paths are relative to the tree's root
/// (which the sink makes itself).
#[derive(Debug)]
pub enum Node {
    /// A directory (mode 0755).
    Dir(PathBuf),
    /// A regular file.
    File {
        /// Where.
        path: PathBuf,
        /// Its content.
        data: Vec<u8>,
        /// Its mode (0644 or 0755).
        mode: u32,
        /// Its mtime, or `None` to leave it as made.
        mtime: Option<u64>,
    },
    /// A symbolic link.
    Symlink {
        /// Where.
        path: PathBuf,
        /// What it points to.
        target: &'static str,
    },
    /// A second name of the file `to`.
    HardLink {
        /// The new name.
        path: PathBuf,
        /// The existing file.
        to: PathBuf,
    },
    /// The mtime of a directory, once its entries exist (the root is the
    /// empty path).
    DirTime {
        /// The directory.
        path: PathBuf,
        /// Its mtime.
        mtime: u64,
    },
}

/// The shape of a sample tree.
#[derive(Debug, Clone)]
pub struct Recipe {
    /// Directories in the root.
    pub tops: usize,
    /// Subdirectories of each top directory.
    pub subs: usize,
    /// Files in each directory below the root.
    pub per_dir: usize,
    /// Large files in the root.
    pub larges: usize,
    /// Size of the first large file.
    pub large_size: usize,
    /// How much larger each next large file is.
    pub large_step: usize,
    /// The drill's variety: non-ASCII names, a nested chain of
    /// directories, mode 0755 files, a symlink in every directory, a hard
    /// link, an empty file, absolute and dangling symlinks.
    pub extras: bool,
    /// Seed of the pseudo-random sizes and contents.
    pub seed: u64,
}

/// Seed of the generated trees.
const SEED: u64 = 0x00c0_da00_d811_0001;

impl Recipe {
    /// The drill's sample of `size`.
    pub fn drill(size: crate::Size) -> Recipe {
        let (tops, subs, per_dir, larges, large_size) = match size {
            crate::Size::Small => (5, 3, 12, 3, 1 << 20),
            crate::Size::Medium => (20, 4, 25, 12, 4 << 20),
        };
        Recipe {
            tops,
            subs,
            per_dir,
            larges,
            large_size,
            large_step: 4097,
            extras: true,
            seed: SEED,
        }
    }

    /// The benchmarks' recipe: `dirs` directories of `per_dir` files in
    /// the root, and `big` 4 MiB files.
    pub fn flat(dirs: usize, per_dir: usize, big: usize) -> Recipe {
        Recipe {
            tops: dirs,
            subs: 0,
            per_dir,
            larges: big,
            large_size: 4 << 20,
            large_step: 0,
            extras: false,
            seed: SEED,
        }
    }

    /// Plays the tree to `sink`, node by node, in the order of the module
    /// documentation; the first error of `sink` stops it.
    pub fn play<E>(&self, sink: &mut dyn FnMut(Node) -> Result<(), E>) -> Result<(), E> {
        let mut rng = Rng::new(self.seed);
        let mut mtime = FIRST_MTIME;
        let mut dirs = Vec::new();
        for i in 0..self.tops {
            let top = PathBuf::from(match i {
                0 if self.extras => "Ünïcödé répertoire".to_string(),
                1 if self.extras => "日本語のフォルダ".to_string(),
                _ => format!("dir-{i:02}"),
            });
            sink(Node::Dir(top.clone()))?;
            dirs.push(top.clone());
            for j in 0..self.subs {
                let sub = top.join(format!("sub-{j}"));
                sink(Node::Dir(sub.clone()))?;
                dirs.push(sub.clone());
                if j == 0 && self.extras {
                    let deeper = sub.join("deeper");
                    let deepest = deeper.join("deepest");
                    sink(Node::Dir(deeper.clone()))?;
                    sink(Node::Dir(deepest.clone()))?;
                    dirs.push(deeper);
                    dirs.push(deepest);
                }
            }
        }
        for (d, dir) in dirs.iter().enumerate() {
            for k in 0..self.per_dir {
                let name = match (d % 7, k) {
                    (0, 1) if self.extras => "café.txt".to_string(),
                    (1, 2) if self.extras => "naïve résumé.md".to_string(),
                    (2, 3) if self.extras => "emoji-😀.bin".to_string(),
                    _ => format!("file-{k:03}.dat"),
                };
                let n = SIZES[rng.below(SIZES.len() as u64) as usize];
                mtime += 37;
                sink(Node::File {
                    path: dir.join(name),
                    data: rng.bytes(n),
                    mode: if k % 5 == 4 && self.extras {
                        0o755
                    } else {
                        0o644
                    },
                    mtime: Some(mtime),
                })?;
            }
            if self.extras {
                sink(Node::Symlink {
                    path: dir.join("link-to-first"),
                    target: "file-000.dat",
                })?;
            }
        }
        for k in 0..self.larges {
            mtime += 101;
            sink(Node::File {
                path: PathBuf::from(format!("large-{k}.bin")),
                data: rng.bytes(self.large_size + k * self.large_step),
                mode: 0o644,
                mtime: Some(mtime),
            })?;
        }
        if self.extras {
            self.play_extras(sink)?;
        }
        // Directory times last, deepest first, once their entries exist.
        for dir in dirs.iter().rev() {
            mtime += 3;
            sink(Node::DirTime {
                path: dir.clone(),
                mtime,
            })?;
        }
        sink(Node::DirTime {
            path: PathBuf::new(),
            mtime: mtime + 3,
        })
    }

    /// The extras of the root: a file and its hard link, an empty file,
    /// an absolute and a dangling symlink.
    fn play_extras<E>(&self, sink: &mut dyn FnMut(Node) -> Result<(), E>) -> Result<(), E> {
        let file = |path: &str, data: &[u8]| Node::File {
            path: path.into(),
            data: data.to_vec(),
            mode: 0o644,
            mtime: None,
        };
        sink(file("README", b"A Coda volume made up by coda-rs drill.\n"))?;
        sink(Node::HardLink {
            path: "README.hardlink".into(),
            to: "README".into(),
        })?;
        sink(file("empty", b""))?;
        sink(Node::Symlink {
            path: "absolute-link".into(),
            target: "/coda/example.org/some/where",
        })?;
        sink(Node::Symlink {
            path: "dangling-link".into(),
            target: "no-such-file",
        })
    }
}
