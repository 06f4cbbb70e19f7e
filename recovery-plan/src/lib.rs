//! Planning a Coda server's backup and reinitialisation (`dump-format.md`
//! §15, the procedure of the Coda manual's chapter 13).
//!
//! * [`volume_list`]: the `VolumeList` / `BigVolumeList` / `<host>.list`
//!   files written by `volutil getvolumelist` (Spec §15.2).
//! * [`vrlist`]: the replicated-volume list `VRList` (Spec §15.3).
//! * [`dumplist`]: the `dumplist` files read by Coda's backup program
//!   (Spec §15.1).
//! * [`pack`]: which volumes to dump and how they fill tapes
//!   (first-fit decreasing).
//! * [`recreate`]: the `volutil create_rep` script of `partial-reinit.sh`
//!   (Spec §15.4), with exact instead of substring id matching.
//! * [`runbook`] and [`journal`]: the reinitialisation procedure as a list
//!   of concrete steps, and the crash-safe record of how far it got.
//! * [`server_conf`]: the RVM settings of `server.conf`.
//! * [`names`]: the checked volume names, partitions and host names that
//!   the lists carry into paths and scripts.
//! * [`shell`]: quoting for the commands printed for a shell.
//! * [`size`]: `1.5G`-style sizes.
//!
//! Libraries never print: every problem is an [`Error`] or a [`Warning`]
//! that the caller reports.

#![warn(missing_docs)]

pub mod atomic;
pub mod dumplist;
mod error;
pub mod journal;
pub mod names;
pub mod pack;
pub mod recreate;
pub mod runbook;
pub mod server_conf;
pub mod shell;
pub mod size;
mod text;
pub mod volume_list;
pub mod vrlist;

pub use error::{Error, Result, Warning};
