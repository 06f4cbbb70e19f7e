//! The transitions of the runbook's state machine ([`crate::progress`])
//! that a command asks for.

/// A transition a command asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Start carrying the step out (`reinit run`).
    Start,
    /// Record that the operator carried it out (`reinit done`).
    MarkDone,
}
