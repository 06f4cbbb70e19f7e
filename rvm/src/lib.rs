//! RVM log devices and RDS data segments, byte-compatible with Coda's
//! `rvmutl` and `rdsinit` (LP64 little-endian layout, spec
//! `shared/spec/rvm-format.md`).
//!
//! Modules follow the spec's nouns: [`status`] (the status block, §4),
//! [`record`] (log records, §5), [`reader`] (tail location, §6),
//! [`segment`] and [`heap`] (the data segment, §7), [`rdsinit`] (§8),
//! [`log_device`] (files and raw partitions, §3, §10), [`text`] (rvmutl's
//! output, §12) and [`view`] (the `--json` documents). Every writer writes through a [`claim`]: targets in use
//! ([`in_use`]) are never written, and [`contents`] decides what may be
//! overwritten. [`size`] is the one grammar of RVM sizes; [`init`] is
//! `rvm init` with its pre-flight. Every `unsafe` call is in [`sys`].

#![warn(missing_docs)]
#![deny(unsafe_code)]

pub mod checksum;
pub mod claim;
pub mod contents;
pub mod device;
pub mod epoch;
pub mod error;
#[cfg(test)]
mod golden;
pub mod heap;
pub mod in_use;
pub mod init;
pub mod le;
pub mod log_device;
pub mod rdsinit;
pub mod reader;
pub mod record;
pub mod recover;
pub mod segment;
pub mod show;
pub mod size;
pub mod status;
#[allow(unsafe_code)]
pub mod sys;
pub mod text;
pub mod uname;
pub mod view;
pub mod writer;

pub use error::Left;
pub use error::{Error, ErrorClass, Result};
pub use heap::{HeapLayout, HeapParams};
pub use log_device::{init_log, InitLogOptions, InitLogReport, LogDevice};
pub use rdsinit::{init_data, InitDataOptions, InitDataReport};
pub use status::StatusBlock;
pub use uname::{Timeval, Uname};
