//! Planning a Coda server's backup and reinitialisation (`dump-format.md`
//! §15, the procedure of the Coda manual's chapter 13).
//!
//! * [`volume_list`]: the `VolumeList` / `BigVolumeList` / `<host>.list`
//!   files written by `volutil getvolumelist` (Spec §15.2).
//! * [`vrlist`]: the replicated-volume list `VRList` (Spec §15.3).
//! * [`dumplist`]: the `dumplist` files read by Coda's backup program
//!   (Spec §15.1).
//! * [`pack`]: which volumes to dump and how they fill tapes
//!   (first-fit decreasing); [`tape_plan`]: the dumplist files of those
//!   tapes, written, summarised and as JSON.
//! * [`recreate`]: the `volutil create_rep` script of `partial-reinit.sh`
//!   (Spec §15.4), with exact instead of substring id matching.
//! * [`runbook`] and [`step`]: the reinitialisation procedure as a list of
//!   concrete steps, for one server or, from a [`cell`] (the servers and
//!   replicated volumes of the lists), for the whole cell
//!   ([`cell_runbook`]); [`settings`]: where things are, the paths that go
//!   into the commands.
//! * [`progress`]: the runbook's state machine (where each step stands,
//!   the checked transitions, the process table it consults);
//!   [`journal`]: its crash-safe persistence in the state directory;
//!   [`run`]: the transitions applied under the journal's lock; [`executor`]: the seam that carries a step out;
//!   [`status`]: what `reinit status` shows; [`walk`]: the runbook
//!   executor of `reinit run` (hosts, remote shell, questions, resumed
//!   restores), with [`venus`], its check that venus serves the place a
//!   step writes to.
//! * [`server_conf`] and [`rvm_settings`]: the RVM settings of
//!   `server.conf`, and those of the runbook's RVM step.
//! * [`names`]: the checked volume names, partitions and host names that
//!   the lists carry into paths and scripts.
//! * [`shell`]: quoting for the commands printed for a shell.
//! * [`size`]: `1.5G`-style tape sizes.
//! * [`input`], [`atomic`], [`time`]: reading inputs, writing files
//!   atomically, time stamps.
//!
//! Libraries never print: every problem is an [`Error`] (which knows its
//! [`ErrorClass`]) or a [`Warning`] that the caller reports.

#![warn(missing_docs)]

pub mod atomic;
mod builder;
pub mod cell;
pub mod cell_runbook;
pub mod dumplist;
mod error;
pub mod executor;
pub mod input;
pub mod journal;
pub mod names;
mod outcome;
pub mod pack;
mod processes;
pub mod progress;
pub mod recreate;
pub mod run;
pub mod runbook;
pub mod rvm_settings;
pub mod server_conf;
pub mod settings;
pub mod shell;
pub mod size;
pub mod status;
pub mod step;
pub mod tape_plan;
mod text;
pub mod time;
mod transition;
pub mod venus;
pub mod volume_list;
pub mod vrlist;
pub mod walk;

pub use error::{Error, ErrorClass, Result, Warning};
