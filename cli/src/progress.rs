//! Progress of long work: the `meter` crate's display, and the total of a
//! dump file read with one ([`volume_dump::source::plain_dump_len`]).

pub use meter::{Counting, Meter};
pub use volume_dump::source::plain_dump_len as file_total;
