//! The command groups, one module each: clap definitions, calls into the
//! libraries, printing.

pub mod plan;
pub mod reinit;
pub mod rvm;
