//! Verification (spec §9).
