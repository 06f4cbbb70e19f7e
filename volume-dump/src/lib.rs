//! Streaming reader and writer of Coda `volutil dump` streams.

pub mod acl;
pub mod dirpage;
