//! Shared helpers for the coda-rs criterion benchmarks.

/// Generated volume dumps for the `dump_rw` and `tar_convert` benchmarks
/// (recipes from `shared/golden/dump/README.md`).
pub mod dumpgen {
    use volume_dump::dirpage::DirBuilder;
    use volume_dump::{
        Data, Dump, DumpHeader, Index, IndexEntry, IndexHeader, VersionVector, Vnode, VnodeClass,
        VolumeDiskData,
    };

    const SIZES: [usize; 8] = [0, 100, 700, 1500, 4096, 9000, 16384, 30000];

    /// A pseudo-random byte source (xorshift), so data does not compress.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn fill(&mut self, n: usize) -> Vec<u8> {
            let mut v = Vec::with_capacity(n + 8);
            while v.len() < n {
                v.extend_from_slice(&self.next().to_le_bytes());
            }
            v.truncate(n);
            v
        }
    }

    fn vnode(vnode: u32, unique: u32, ty: u8, length: u32, parent: (u32, u32)) -> Vnode {
        Vnode {
            vnode,
            unique,
            vnode_type: ty,
            mode: if ty == 2 { 0o755 } else { 0o644 },
            links: if ty == 2 { 2 } else { 1 },
            length,
            data_version: 1,
            version_vector: VersionVector {
                versions: [1, 0, 0, 0, 0, 0, 0, 0],
                store_host: 0xc000_0202,
                store_unique: unique,
                flags: 0,
            },
            mtime: 1_700_000_000,
            author: 1000,
            owner: 1000,
            parent_vnode: parent.0,
            parent_unique: parent.1,
            acl: (ty == 2).then(|| b"1\n0\nSystem:Administrators\t127\n".to_vec()),
        }
    }

    /// Builds a dump with `dirs` directories of `per_dir` files each and
    /// `big` 4 MiB files in the root.
    pub fn generate(dirs: u32, per_dir: u32, big: u32) -> Vec<u8> {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut unique = 2u32;
        let mut large = Vec::new();
        let mut small = Vec::new();
        let mut root = DirBuilder::new((1, 1), (1, 1));
        let mut file_slot = 0u32;
        let mut add_file = |dir: &mut DirBuilder,
                            parent: (u32, u32),
                            name: String,
                            size: usize,
                            rng: &mut Rng,
                            unique: &mut u32| {
            let v = VnodeClass::Small.vnode_of_slot(file_slot);
            file_slot += 1;
            dir.create(name.as_bytes(), v, *unique).unwrap();
            let data = rng.fill(size);
            small.push(IndexEntry::Vnode(
                vnode(v, *unique, 1, size as u32, parent),
                Data::File(data),
            ));
            *unique += 1;
        };
        for i in 0..big {
            add_file(
                &mut root,
                (1, 1),
                format!("big-{i:03}.bin"),
                4 << 20,
                &mut rng,
                &mut unique,
            );
        }
        for d in 0..dirs {
            let dv = VnodeClass::Large.vnode_of_slot(d + 1);
            let du = unique;
            unique += 1;
            root.create(format!("dir-{d:03}").as_bytes(), dv, du)
                .unwrap();
            let mut dir = DirBuilder::new((dv, du), (1, 1));
            for f in 0..per_dir {
                let size = SIZES[(rng.next() % 8) as usize];
                add_file(
                    &mut dir,
                    (dv, du),
                    format!("file-{f:04}.dat"),
                    size,
                    &mut rng,
                    &mut unique,
                );
            }
            let pages = dir.into_bytes();
            large.push(IndexEntry::Vnode(
                vnode(dv, du, 2, pages.len() as u32, (1, 1)),
                Data::DirPages(pages),
            ));
        }
        let pages = root.into_bytes();
        large.insert(
            0,
            IndexEntry::Vnode(
                vnode(1, 1, 2, pages.len() as u32, (0, 0)),
                Data::DirPages(pages),
            ),
        );
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
            uniquifier: unique,
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
