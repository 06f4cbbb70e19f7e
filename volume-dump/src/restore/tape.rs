//! Tape input (spec §14): not implemented yet.
