//! Shared helpers for the coda-rs criterion benchmarks.

/// Generated volume dumps for the `dump_rw` and `tar_convert` benchmarks
/// (recipes from `shared/golden/dump/README.md`), built from the drill's
/// sample [`Recipe`](drill::sample::Recipe): the same generator and
/// pseudo-random source the drill writes its sample tree with.
pub mod dumpgen {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};

    use drill::sample::{Node, Recipe};
    use volume_dump::dirpage::DirBuilder;
    use volume_dump::{
        Data, Dump, DumpHeader, Index, IndexEntry, IndexHeader, VersionVector, Vnode, VnodeClass,
        VolumeDiskData,
    };

    /// Vnode types (spec §8.5).
    const FILE: u8 = 1;
    const DIR: u8 = 2;
    const SYMLINK: u8 = 3;

    /// The mtime of objects the recipe leaves as made.
    const MADE: u32 = 1_700_000_000;

    fn vnode(fid: (u32, u32), ty: u8, mode: u16, length: u32, parent: (u32, u32)) -> Vnode {
        Vnode {
            vnode: fid.0,
            unique: fid.1,
            vnode_type: ty,
            mode,
            links: if ty == DIR { 2 } else { 1 },
            length,
            data_version: 1,
            version_vector: VersionVector {
                versions: [1, 0, 0, 0, 0, 0, 0, 0],
                store_host: 0xc000_0202,
                store_unique: fid.1,
                flags: 0,
            },
            mtime: MADE,
            author: 1000,
            owner: 1000,
            parent_vnode: parent.0,
            parent_unique: parent.1,
            acl: (ty == DIR).then(|| b"1\n0\nSystem:Administrators\t127\n".to_vec()),
        }
    }

    /// A directory being built.
    struct Dir {
        fid: (u32, u32),
        parent: (u32, u32),
        pages: DirBuilder,
        mtime: u32,
    }

    /// The volume being built from the recipe's nodes.
    struct Volume {
        unique: u32,
        dirs: Vec<Dir>,
        dir_of: HashMap<PathBuf, usize>,
        small: Vec<(Vnode, Data)>,
        file_of: HashMap<PathBuf, usize>,
    }

    impl Volume {
        fn new() -> Volume {
            Volume {
                unique: 2,
                dirs: vec![Dir {
                    fid: (1, 1),
                    parent: (0, 0),
                    pages: DirBuilder::new((1, 1), (1, 1)),
                    mtime: MADE,
                }],
                dir_of: HashMap::from([(PathBuf::new(), 0)]),
                small: Vec::new(),
                file_of: HashMap::new(),
            }
        }

        /// Enters `path` in its directory as `vnode` with a new
        /// uniquifier; returns the fid and the directory's.
        fn enter(&mut self, path: &Path, vnode: u32) -> ((u32, u32), (u32, u32)) {
            let parent = path.parent().unwrap_or(Path::new(""));
            let d = &mut self.dirs[self.dir_of[parent]];
            let fid = (vnode, self.unique);
            self.unique += 1;
            let name = path.file_name().expect("a named entry");
            d.pages
                .create(name.as_encoded_bytes(), fid.0, fid.1)
                .expect("the recipe's names fit");
            (fid, d.fid)
        }

        /// A file or symlink vnode holding `data`.
        fn object(&mut self, path: PathBuf, ty: u8, mode: u32, data: Vec<u8>, mtime: Option<u64>) {
            let v = VnodeClass::Small.vnode_of_slot(self.small.len() as u32);
            let (fid, parent) = self.enter(&path, v);
            let mut vn = vnode(fid, ty, mode as u16, data.len() as u32, parent);
            vn.mtime = mtime.map_or(MADE, |m| m as u32);
            self.file_of.insert(path, self.small.len());
            self.small.push((vn, Data::File(data)));
        }

        fn add(&mut self, node: Node) {
            match node {
                Node::Dir(path) => {
                    let v = VnodeClass::Large.vnode_of_slot(self.dirs.len() as u32);
                    let (fid, parent) = self.enter(&path, v);
                    self.dir_of.insert(path, self.dirs.len());
                    self.dirs.push(Dir {
                        fid,
                        parent,
                        pages: DirBuilder::new(fid, parent),
                        mtime: MADE,
                    });
                }
                Node::File {
                    path,
                    data,
                    mode,
                    mtime,
                } => self.object(path, FILE, mode, data, mtime),
                Node::Symlink { path, target } => {
                    self.object(path, SYMLINK, 0o777, target.as_bytes().to_vec(), None)
                }
                Node::HardLink { path, to } => {
                    let i = self.file_of[&to];
                    let (v, u) = (self.small[i].0.vnode, self.small[i].0.unique);
                    let parent = path.parent().unwrap_or(Path::new(""));
                    let d = &mut self.dirs[self.dir_of[parent]];
                    let name = path.file_name().expect("a named entry");
                    d.pages
                        .create(name.as_encoded_bytes(), v, u)
                        .expect("the recipe's names fit");
                    self.small[i].0.links += 1;
                }
                Node::DirTime { path, mtime } => {
                    let i = self.dir_of[&path];
                    self.dirs[i].mtime = mtime as u32;
                }
            }
        }
    }

    /// Builds a dump with `dirs` directories of `per_dir` files each and
    /// `big` 4 MiB files in the root ([`Recipe::flat`]).
    pub fn generate(dirs: u32, per_dir: u32, big: u32) -> Vec<u8> {
        let mut vol = Volume::new();
        Recipe::flat(dirs as usize, per_dir as usize, big as usize)
            .play(&mut |n| {
                vol.add(n);
                Ok::<(), std::convert::Infallible>(())
            })
            .unwrap();
        let large: Vec<IndexEntry> = vol
            .dirs
            .into_iter()
            .map(|d| {
                let pages = d.pages.into_bytes();
                let mut v = vnode(d.fid, DIR, 0o755, pages.len() as u32, d.parent);
                v.mtime = d.mtime;
                IndexEntry::Vnode(v, Data::DirPages(pages))
            })
            .collect();
        let small: Vec<IndexEntry> = vol
            .small
            .into_iter()
            .map(|(v, d)| IndexEntry::Vnode(v, d))
            .collect();
        let header = DumpHeader {
            volume_id: 0x0100_0102,
            parent_id: 0x0100_0101,
            volume_name: b"bench.backup".to_vec(),
            backup_date: 1_700_006_000,
            oldest: 1_700_005_000,
            latest: 1_700_005_000,
            ..DumpHeader::default()
        };
        let volume = VolumeDiskData {
            id: header.volume_id,
            stamp_version: 1,
            name: header.volume_name.clone(),
            partition: b"/vicepa".to_vec(),
            in_service: 1,
            blessed: 1,
            uniquifier: vol.unique,
            volume_type: 2,
            parent_id: header.parent_id,
            week_use: vec![0; 7],
            ..VolumeDiskData::default()
        };
        let index = |entries: Vec<IndexEntry>, min: u32| Index {
            header: IndexHeader {
                vnode_count: entries.len() as u32,
                slots: (entries.len() as u32 + 1).max(min).next_power_of_two(),
            },
            entries,
        };
        let dump = Dump {
            header,
            volume,
            large: index(large, 128),
            small: index(small, 256),
        };
        dump.write(Vec::new()).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use volume_dump::{Dump, ReadOptions};

    #[test]
    fn the_recipe_gives_the_directories_files_and_big_files_asked_for() {
        for (dirs, per_dir, big) in [(3, 5, 1), (1, 0, 0), (0, 0, 2), (12, 9, 0)] {
            let bytes = super::dumpgen::generate(dirs, per_dir, big);
            let dump = Dump::read(&bytes[..], ReadOptions::default()).unwrap();
            // The root and one vnode a directory; one a file.
            assert_eq!(dump.large.entries.len() as u32, 1 + dirs);
            assert_eq!(dump.small.entries.len() as u32, dirs * per_dir + big);
            let big_files = dump
                .small
                .entries
                .iter()
                .filter(
                    |e| matches!(e, volume_dump::IndexEntry::Vnode(v, _) if v.length == 4 << 20),
                )
                .count() as u32;
            assert_eq!(big_files, big, "{dirs} {per_dir} {big}");
        }
    }
}
