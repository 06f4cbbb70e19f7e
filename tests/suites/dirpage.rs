//! Directory pages of volume dumps: golden pages and properties.
//!
//! One test binary per area; each topic stays in its own file under
//! `tests/tests/` (see `tests/Cargo.toml`).

#[path = "../tests/dirpage_golden.rs"]
mod dirpage_golden;
#[path = "../tests/dirpage_props.rs"]
mod dirpage_props;

// Helpers shared by the topics above.
#[path = "../tests/dirpage_support/mod.rs"]
mod dirpage_support;
