//! Streaming reader and writer of Coda `volutil dump` streams.
//!
//! The format is specified in `shared/spec/dump-format.md`; section
//! numbers in the documentation (`§5`) refer to it.
//!
//! * [`DumpReader`] walks a dump strictly forward (files, pipes, tapes),
//!   checking every rule of spec §9.3; vnode data is streamed, never
//!   buffered whole.
//! * [`DumpWriter`] writes the canonical field order, so reading a dump
//!   and writing it back reproduces it byte for byte.
//! * [`Dump`] holds a whole (small) dump in memory.
//! * [`merge`] applies incrementals to a full dump (spec §10) and
//!   [`verify`] checks a dump as `volutil restore` would (spec §9).
//! * [`create`] writes a full dump of a directory tree and
//!   [`incremental`] the level-N dump of a changed tree relative to a full
//!   dump (spec §8).
//! * [`source`] opens a dump wherever it is (file, pipe, tape, tar member);
//!   [`readdump`] lists it as text, [`view`] as JSON, [`manifest`] as the
//!   tree it holds; [`inventory`] says what is on a tape.
//!
//! Inside, each record of the stream is one module holding its struct, its
//! fields and its `decode` and `encode` side by side: `header.rs` (§4),
//! `volume.rs` (§5), `index.rs` (§6: vnode classes and the index header),
//! `vnode.rs` (§7.1), `data.rs` (§7.2: what follows a vnode, and the one
//! state machine that walks directory pages and file data), `removed.rs`
//! (D_RMVNODE, D_NULLVNODE) and `end.rs` (D_DUMPEND). They are built on
//! `field/`, where a record's field rows become both its decoding table
//! (strict or lenient) and its encoder, and where the value encodings of §2
//! (the version vector among them) are read and written. `reader.rs` and
//! `writer.rs` only put the records in stream order.
//!
//! ```
//! use volume_dump::{DumpHeader, DumpReader, DumpWriter, Entry, IndexHeader, VnodeClass,
//!                   VolumeDiskData};
//!
//! // Write an (empty) dump...
//! let mut w = DumpWriter::new(Vec::new());
//! w.write_header(&DumpHeader { volume_id: 0x0100_0002, ..DumpHeader::default() })?;
//! w.write_volume(&VolumeDiskData::default())?;
//! w.begin_index(VnodeClass::Large, IndexHeader { vnode_count: 0, slots: 128 })?;
//! w.begin_index(VnodeClass::Small, IndexHeader { vnode_count: 0, slots: 256 })?;
//! let bytes = w.finish()?;
//!
//! // ... and walk it.
//! let mut r = DumpReader::new(&bytes[..])?;
//! assert_eq!(r.header().volume_id, 0x0100_0002);
//! while let Some(entry) = r.next_entry()? {
//!     if let Entry::Vnode(v) = entry {
//!         let data = r.read_data_to_vec()?; // or r.copy_data(&mut out)
//!         println!("{}.{}: {} bytes", v.vnode.vnode, v.vnode.unique, data.len());
//!     }
//! }
//! # Ok::<(), volume_dump::Error>(())
//! ```

pub mod acl;
pub mod create;
mod data;
pub mod direct;
pub mod dirpage;
mod end;
mod error;
mod field;
mod header;
pub mod incremental;
mod index;
mod input;
pub mod inventory;
pub mod kind;
pub mod manifest;
pub mod merge;
mod model;
pub mod mount_link;
pub mod readdump;
mod reader;
mod removed;
pub mod restore;
pub mod source;
mod source_tree;
mod sys;
pub mod tag;
pub mod tar;
pub mod text;
pub mod tree;
pub mod venus_acl;
pub mod verify;
pub mod view;
mod vnode;
mod volume;
mod writer;

pub use data::VnodeData;
pub use error::{Error, ErrorClass, Record, Result};
pub use field::VersionVector;
pub use header::DumpHeader;
pub use index::{IndexHeader, VnodeClass};
pub use model::{Data, Dump, Index, IndexEntry};
pub use reader::{DataRange, DataReader, DumpReader, Entry, ReadOptions, VnodeEntry};
pub use vnode::{vnode_type, Vnode};
pub use volume::{volume_type, VolumeDiskData};
pub use writer::DumpWriter;
