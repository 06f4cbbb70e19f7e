//! Access control lists, in the two forms a dump's ACLs take:
//!
//! * the external text form a directory vnode's `'X'` field carries
//!   (spec §7.3): [`Acl::parse`] and [`Acl::to_text`];
//! * the `..CodaACLs.yaml` file ([`ACL_FILE`], spec §11.5) that holds a
//!   tree's ACLs beside it: written by `dump to-tar` and `dump restore`
//!   ([`yaml::directory_item`]), read by `dump create` and `dump
//!   incremental` ([`yaml::parse_acl_yaml`]);
//! * venus's, on a Coda mount ([`crate::venus_acl`]: setacl for the
//!   restore, getacl for `verify --against`).

mod text;
pub mod yaml;

pub use text::{
    Acl, AclEntry, AclError, AclErrorKind, Rights, MAX_ENTRIES, MAX_NAME_LEN, MAX_TEXT_LEN,
};
pub use yaml::ACL_FILE;
