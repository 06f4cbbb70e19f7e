//! Volume dumps: reading, creating, merging, incrementals, names and shape checks.
//!
//! One test binary per area; each topic stays in its own file under
//! `tests/tests/` (see `tests/Cargo.toml`).

#[path = "../tests/binary_stdout.rs"]
mod binary_stdout;
#[path = "../tests/create_incremental.rs"]
mod create_incremental;
#[path = "../tests/dump_cli.rs"]
mod dump_cli;
#[path = "../tests/dump_create.rs"]
mod dump_create;
#[path = "../tests/dump_golden.rs"]
mod dump_golden;
#[path = "../tests/dump_merge.rs"]
mod dump_merge;
#[path = "../tests/dump_names.rs"]
mod dump_names;
#[path = "../tests/dump_props.rs"]
mod dump_props;
#[path = "../tests/dump_robust.rs"]
mod dump_robust;
#[path = "../tests/dump_shape.rs"]
mod dump_shape;
#[path = "../tests/incremental_golden.rs"]
mod incremental_golden;
#[path = "../tests/incremental_props.rs"]
mod incremental_props;
#[path = "../tests/incremental_tree.rs"]
mod incremental_tree;
#[path = "../tests/input_kinds.rs"]
mod input_kinds;
#[path = "../tests/merge_check.rs"]
mod merge_check;
#[path = "../tests/verify_acls.rs"]
mod verify_acls;
#[path = "../tests/verify_restore_pages.rs"]
mod verify_restore_pages;

// Helpers shared by the topics above.
#[path = "../tests/hostile_support/mod.rs"]
mod hostile_support;
#[path = "../tests/incremental_support/mod.rs"]
mod incremental_support;
#[path = "../tests/restore_support/mod.rs"]
mod restore_support;
