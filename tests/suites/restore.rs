//! `coda-rs dump restore`: golden trees, attacks, resume, verify.
//!
//! One test binary per area; each topic stays in its own file under
//! `tests/tests/` (see `tests/Cargo.toml`).

#[path = "../tests/new_file_modes.rs"]
mod new_file_modes;
#[path = "../tests/restore_attacks.rs"]
mod restore_attacks;
#[path = "../tests/restore_checkpoints.rs"]
mod restore_checkpoints;
#[path = "../tests/restore_direct.rs"]
mod restore_direct;
#[path = "../tests/restore_golden.rs"]
mod restore_golden;
#[path = "../tests/restore_memory.rs"]
mod restore_memory;
#[path = "../tests/restore_mount_links.rs"]
mod restore_mount_links;
#[path = "../tests/restore_resume.rs"]
mod restore_resume;
#[path = "../tests/restore_verify.rs"]
mod restore_verify;
#[path = "../tests/tool_files.rs"]
mod tool_files;
#[path = "../tests/tree_manifest.rs"]
mod tree_manifest;

// Helpers shared by the topics above.
#[path = "../tests/hostile/mod.rs"]
mod hostile;
#[path = "../tests/restore_support/mod.rs"]
mod restore_support;
