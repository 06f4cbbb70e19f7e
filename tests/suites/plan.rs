//! Recovery plans: lists, dumplists, recreate scripts and the reinit runbook.
//!
//! One test binary per area; each topic stays in its own file under
//! `tests/tests/` (see `tests/Cargo.toml`).

#[path = "../tests/plan_dumplists.rs"]
mod plan_dumplists;
#[path = "../tests/plan_golden.rs"]
mod plan_golden;
#[path = "../tests/plan_hostile_lists.rs"]
mod plan_hostile_lists;
#[path = "../tests/plan_props.rs"]
mod plan_props;
#[path = "../tests/plan_reinit_rvm.rs"]
mod plan_reinit_rvm;
#[path = "../tests/plan_scripts.rs"]
mod plan_scripts;
#[path = "../tests/reinit_run.rs"]
mod reinit_run;
#[path = "../tests/reinit_run_step.rs"]
mod reinit_run_step;
#[path = "../tests/reinit_walk.rs"]
mod reinit_walk;

// Helpers shared by the topics above.
#[path = "../tests/plan_support/mod.rs"]
mod plan_support;
