//! RVM logs and data segments on files: format, status, show, recover, bad input.
//!
//! One test binary per area; each topic stays in its own file under
//! `tests/tests/` (see `tests/Cargo.toml`).

#[path = "../tests/rvm_bad_input.rs"]
mod rvm_bad_input;
#[path = "../tests/rvm_format.rs"]
mod rvm_format;
#[path = "../tests/rvm_large_log.rs"]
mod rvm_large_log;
#[path = "../tests/rvm_recover.rs"]
mod rvm_recover;
#[path = "../tests/rvm_recover_target.rs"]
mod rvm_recover_target;
#[path = "../tests/rvm_show.rs"]
mod rvm_show;
#[path = "../tests/rvm_status.rs"]
mod rvm_status;
#[path = "../tests/rvm_writer.rs"]
mod rvm_writer;

// Helpers shared by the topics above.
#[path = "../tests/rvm_support/mod.rs"]
mod rvm_support;
