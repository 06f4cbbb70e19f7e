//! ACL text and YAML files (spec acl sections): golden files and round trips.
//!
//! One test binary per area; each topic stays in its own file under
//! `tests/tests/` (see `tests/Cargo.toml`).

#[path = "../tests/acl_golden.rs"]
mod acl_golden;
#[path = "../tests/acl_props.rs"]
mod acl_props;

// Helpers shared by the topics above.
#[path = "../tests/dirpage_support/mod.rs"]
mod dirpage_support;
