//! A whole dump held in memory: for small dumps (incrementals being
//! merged), tests and round trips. Large dumps are better streamed with
//! [`DumpReader`] and [`DumpWriter`].

use std::io::{Read, Write};

use crate::error::Result;
use crate::header::DumpHeader;
use crate::reader::{DumpReader, Entry, ReadOptions};
use crate::tag::PAGE_SIZE;
use crate::vnode::{IndexHeader, Vnode, VnodeClass, VnodeData};
use crate::volume::VolumeDiskData;
use crate::writer::DumpWriter;

/// A complete dump: header, volume data and both indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dump {
    /// The dump header.
    pub header: DumpHeader,
    /// The volume data.
    pub volume: VolumeDiskData,
    /// The large (directory) index.
    pub large: Index,
    /// The small (file/symlink) index.
    pub small: Index,
}

/// One index: its header and its entries in stream order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    /// The index header.
    pub header: IndexHeader,
    /// The entries.
    pub entries: Vec<IndexEntry>,
}

/// One entry of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexEntry {
    /// A vnode with its data.
    Vnode(Vnode, Data),
    /// A D_RMVNODE record.
    Removed {
        /// Vnode number.
        vnode: u32,
        /// Uniquifier.
        unique: u32,
    },
    /// A D_NULLVNODE record.
    Null,
}

/// A vnode's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// Directory pages, concatenated (a multiple of 2048 bytes).
    DirPages(Vec<u8>),
    /// File or symlink bytes.
    File(Vec<u8>),
    /// D_BADINODE.
    BadInode,
}

impl Data {
    /// The record kind and size this data is written with.
    pub fn kind(&self) -> VnodeData {
        match self {
            Data::DirPages(p) => VnodeData::DirPages((p.len() / PAGE_SIZE) as u32),
            Data::File(b) => VnodeData::File(b.len() as u32),
            Data::BadInode => VnodeData::BadInode,
        }
    }

    /// The raw bytes (empty for D_BADINODE).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Data::DirPages(b) | Data::File(b) => b,
            Data::BadInode => &[],
        }
    }
}

impl Dump {
    /// Reads a whole dump (data included) with the given options. Memory
    /// grows with the data actually present, never with a claimed length.
    pub fn read<R: Read>(input: R, opts: ReadOptions) -> Result<Dump> {
        let mut r = DumpReader::with_options(input, opts)?;
        let mut dump = Dump {
            header: r.header().clone(),
            volume: r.volume().clone(),
            ..Dump::default()
        };
        let mut current = VnodeClass::Large;
        while let Some(entry) = r.next_entry()? {
            let index = match current {
                VnodeClass::Large => &mut dump.large,
                VnodeClass::Small => &mut dump.small,
            };
            match entry {
                Entry::Index { class, header, .. } => {
                    current = class;
                    match class {
                        VnodeClass::Large => dump.large.header = header,
                        VnodeClass::Small => dump.small.header = header,
                    }
                }
                Entry::Vnode(v) => {
                    let bytes = r.read_data_to_vec()?;
                    let data = match v.data {
                        VnodeData::DirPages(_) => Data::DirPages(bytes),
                        VnodeData::File(_) => Data::File(bytes),
                        VnodeData::BadInode => Data::BadInode,
                    };
                    index.entries.push(IndexEntry::Vnode(v.vnode, data));
                }
                Entry::Removed { vnode, unique, .. } => {
                    index.entries.push(IndexEntry::Removed { vnode, unique })
                }
                Entry::Null { .. } => index.entries.push(IndexEntry::Null),
                Entry::End { .. } => {}
            }
        }
        Ok(dump)
    }

    /// Writes the dump in canonical form.
    pub fn write<W: Write>(&self, out: W) -> Result<W> {
        let mut w = DumpWriter::new(out);
        w.write_header(&self.header)?;
        w.write_volume(&self.volume)?;
        for (class, index) in [
            (VnodeClass::Large, &self.large),
            (VnodeClass::Small, &self.small),
        ] {
            w.begin_index(class, index.header)?;
            for e in &index.entries {
                match e {
                    IndexEntry::Vnode(v, data) => {
                        w.write_vnode(v, data.kind())?;
                        w.write_data(data.bytes())?;
                    }
                    IndexEntry::Removed { vnode, unique } => w.write_removed(*vnode, *unique)?,
                    IndexEntry::Null => w.write_null()?,
                }
            }
        }
        w.finish()
    }
}
