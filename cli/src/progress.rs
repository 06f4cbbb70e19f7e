//! Progress of long work: the `meter` crate's display, and the total of a
//! dump file read with one ([`volume_dump::source::plain_dump_len`]).

pub use meter::{Counting, Meter};
pub use volume_dump::source::plain_dump_len as file_total;

/// A meter for work of `total` bytes (`None`: unknown), hidden with `-q`
/// ([`crate::verbosity`]) as when stderr is no terminal.
pub fn meter(total: Option<u64>) -> Meter {
    Meter::new(total, crate::verbosity::quiet())
}
