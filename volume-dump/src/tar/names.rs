//! Objects, their names and `codadump2tar`'s bounded paths (spec §11.2).

use std::collections::HashMap;

/// One name of an object: the directory holding the entry and the entry's
/// name bytes.
#[derive(Debug, Clone)]
pub(crate) struct Name {
    pub parent: usize,
    pub component: Box<[u8]>,
}

/// A (vnode, uniquifier) met in the dump, with its names in discovery
/// order. Objects are numbered in creation order.
#[derive(Debug, Clone)]
pub(crate) struct Object {
    pub vnode: u32,
    pub unique: u32,
    pub names: Vec<Name>,
}

/// A path could not be built: the names form a cycle (a corrupt dump).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cycle {
    pub vnode: u32,
    pub unique: u32,
}

/// Every object of the dump, in creation order.
#[derive(Debug, Default)]
pub(crate) struct Objects {
    pub list: Vec<Object>,
    index: HashMap<(u32, u32), usize>,
}

impl Objects {
    /// The object for (vnode, unique), created if it is new.
    pub fn get_or_create(&mut self, vnode: u32, unique: u32) -> usize {
        let next = self.list.len();
        *self.index.entry((vnode, unique)).or_insert_with(|| {
            self.list.push(Object {
                vnode,
                unique,
                names: Vec::new(),
            });
            next
        })
    }

    /// The last component `comp(obj, k, cap)`: name k, or for an object
    /// without name k `ROOT` (1.1) or `ROOT/lost+found/%08x.%08x`; cut to
    /// `cap - 4` bytes + `~~~` when it needs `cap` bytes or more.
    pub fn comp(&self, obj: usize, k: usize, cap: usize, root: &[u8], out: &mut Vec<u8>) {
        let o = &self.list[obj];
        let start = out.len();
        match o.names.get(k) {
            Some(n) => out.extend_from_slice(&n.component),
            None if o.vnode == 1 && o.unique == 1 => out.extend_from_slice(root),
            None => {
                out.extend_from_slice(root);
                let tail = format!("/lost+found/{:08x}.{:08x}", o.vnode, o.unique);
                out.extend_from_slice(tail.as_bytes());
            }
        }
        let len = out.len() - start;
        if len < cap {
            return;
        }
        let room = cap.saturating_sub(1);
        let tildes = room.min(3);
        out.truncate(start + room - tildes);
        out.extend(std::iter::repeat_n(b'~', tildes));
    }

    /// The full path `path(obj, k, cap)` (spec §11.2): the parent's path
    /// (name 0 upwards, same cap), a `/` if it is non-empty and shorter than
    /// `cap - 2`, then `comp` with the remaining room. Appended to `out`.
    pub fn path(
        &self,
        obj: usize,
        k: usize,
        cap: usize,
        root: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Cycle> {
        // The chain from the object up to an object without a name.
        let mut chain = vec![(obj, k)];
        let mut cur = (obj, k);
        while let Some(n) = self.list[cur.0].names.get(cur.1) {
            cur = (n.parent, 0);
            chain.push(cur);
            if chain.len() > self.list.len() + 1 {
                let o = &self.list[obj];
                return Err(Cycle {
                    vnode: o.vnode,
                    unique: o.unique,
                });
            }
        }
        let start = out.len();
        for &(o, i) in chain.iter().rev() {
            let used = out.len() - start;
            if used > 0 && used < cap.saturating_sub(2) {
                out.push(b'/');
            }
            let used = out.len() - start;
            self.comp(o, i, cap - used, root, out);
        }
        Ok(())
    }

    /// The prefix field `path(parent of name k, 0, cap)`, empty when the
    /// object has no name k.
    pub fn prefix(
        &self,
        obj: usize,
        k: usize,
        cap: usize,
        root: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Cycle> {
        match self.list[obj].names.get(k) {
            Some(n) => self.path(n.parent, 0, cap, root, out),
            None => Ok(()),
        }
    }

    /// Objects with two or more names in `codadump2tar`'s hash-table order:
    /// buckets `vnode & (2^power - 1)` ascending, most recently created
    /// first within a bucket (spec §11.4).
    pub fn hard_link_order(&self, power: u32) -> Vec<usize> {
        let mask = if power >= 32 {
            u32::MAX
        } else {
            (1u32 << power) - 1
        };
        let mut linked: Vec<usize> = (0..self.list.len())
            .filter(|&i| self.list[i].names.len() >= 2)
            .collect();
        linked.sort_by_key(|&i| (self.list[i].vnode & mask, std::cmp::Reverse(i)));
        linked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(objs: &mut Objects, parent: usize, vnode: u32, name: &[u8]) -> usize {
        let o = objs.get_or_create(vnode, 1);
        objs.list[o].names.push(Name {
            parent,
            component: name.into(),
        });
        o
    }

    fn comp(objs: &Objects, obj: usize, cap: usize) -> Vec<u8> {
        let mut v = Vec::new();
        objs.comp(obj, 0, cap, b"t1.backup", &mut v);
        v
    }

    #[test]
    fn components_are_cut_with_tildes() {
        // Spec §11.2: a 99-byte component is kept whole, 100 bytes become
        // the first 96 + `~~~`; caps 3, 2, 1 give `~~`, `~`, empty.
        let mut objs = Objects::default();
        let root = objs.get_or_create(1, 1);
        let a = named(&mut objs, root, 2, &[b'a'; 99]);
        let b = named(&mut objs, root, 4, &[b'b'; 100]);
        assert_eq!(comp(&objs, a, 100), vec![b'a'; 99]);
        let mut want = vec![b'b'; 96];
        want.extend_from_slice(b"~~~");
        assert_eq!(comp(&objs, b, 100), want);
        assert_eq!(comp(&objs, b, 3), b"~~");
        assert_eq!(comp(&objs, b, 2), b"~");
        assert_eq!(comp(&objs, b, 1), b"");
        assert_eq!(comp(&objs, b, 0), b"");
        assert_eq!(comp(&objs, root, 100), b"t1.backup");
        let lost = objs.get_or_create(5, 5);
        assert_eq!(
            comp(&objs, lost, 100),
            b"t1.backup/lost+found/00000005.00000005"
        );
    }

    #[test]
    fn deep_paths_follow_the_spec_example() {
        // Spec §11.2: root `t1.backup`, A*60/B*60/C*60/deepfile, second
        // name `deeplink2` of the same file in the root.
        let mut objs = Objects::default();
        let root = objs.get_or_create(1, 1);
        let a = named(&mut objs, root, 3, &[b'A'; 60]);
        let b = named(&mut objs, a, 5, &[b'B'; 60]);
        let c = named(&mut objs, b, 7, &[b'C'; 60]);
        let f = named(&mut objs, c, 2, b"deepfile");
        objs.list[f].names.push(Name {
            parent: root,
            component: (*b"deeplink2").into(),
        });
        let mut prefix = Vec::new();
        objs.prefix(f, 0, 155, b"t1.backup", &mut prefix).unwrap();
        let mut want = b"t1.backup/".to_vec();
        want.extend_from_slice(&[b'A'; 60]);
        want.push(b'/');
        want.extend_from_slice(&[b'B'; 60]);
        want.push(b'/');
        want.extend_from_slice(&[b'C'; 19]);
        want.extend_from_slice(b"~~~");
        assert_eq!(prefix.len(), 154);
        assert_eq!(prefix, want);
        let mut target = Vec::new();
        objs.path(f, 0, 99, b"t1.backup", &mut target).unwrap();
        let mut want = b"t1.backup/".to_vec();
        want.extend_from_slice(&[b'A'; 60]);
        want.push(b'/');
        want.extend_from_slice(&[b'B'; 24]);
        want.extend_from_slice(b"~~~");
        assert_eq!(target.len(), 98);
        assert_eq!(target, want);
    }

    #[test]
    fn cycles_are_reported() {
        let mut objs = Objects::default();
        let a = objs.get_or_create(3, 1);
        let b = named(&mut objs, a, 5, b"b");
        objs.list[a].names.push(Name {
            parent: b,
            component: (*b"a").into(),
        });
        let mut out = Vec::new();
        let err = objs.path(b, 0, 1024, b"r", &mut out).unwrap_err();
        assert_eq!(
            err,
            Cycle {
                vnode: 5,
                unique: 1
            }
        );
    }

    #[test]
    fn hard_link_order_follows_the_spec_example() {
        // Spec §11.4: 2.2 and 4098.3 share bucket 2 (2.2 created first),
        // then 16.x, then 2050.x.
        let mut objs = Objects::default();
        let root = objs.get_or_create(1, 1);
        let two = named(&mut objs, root, 2, b"a2");
        let big = named(&mut objs, root, 4098, b"b");
        let sixteen = named(&mut objs, root, 16, b"c");
        let late = named(&mut objs, root, 2050, b"d");
        for &o in &[two, big, sixteen, late] {
            objs.list[o].names.push(Name {
                parent: root,
                component: (*b"x").into(),
            });
        }
        assert_eq!(objs.hard_link_order(12), vec![big, two, sixteen, late]);
    }
}
