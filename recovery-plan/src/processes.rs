//! Whether a process lives: the seam between the runbook's state machine
//! (a step is running while its recorded process lives) and the process
//! table, which also tells whether a temporary file's writer is gone.

/// Tells whether a process lives: the seam between the state machine and
/// the process table.
pub trait Processes {
    /// True when process `pid` exists and has not exited.
    fn alive(&self, pid: u32) -> bool;
}

/// The Linux process table (`/proc/PID/stat`): a zombie counts as gone.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcTable;

impl Processes for ProcTable {
    fn alive(&self, pid: u32) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X"),
            Err(_) => false,
        }
    }
}
