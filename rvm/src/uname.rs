//! Timestamps ("unames", spec §1): timevals from one generator that never
//! repeats and advances by 1 µs per use.

use serde::Serialize;
use zerocopy::little_endian::I64;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// An on-disk `struct timeval` (16 bytes: i64 seconds, i64 µs; spec §0.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Timeval {
    /// Seconds since the Unix epoch.
    pub sec: i64,
    /// Microseconds, 0..999999.
    pub usec: i64,
}

impl Timeval {
    /// On-disk size.
    pub const SIZE: usize = 16;

    /// A timeval from its parts.
    pub const fn new(sec: i64, usec: i64) -> Self {
        Timeval { sec, usec }
    }

    /// The current wall-clock time.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timeval {
            sec: d.as_secs() as i64,
            usec: i64::from(d.subsec_micros()),
        }
    }

    /// True for the all-zero value RVM uses for "unset".
    pub fn is_zero(&self) -> bool {
        self.sec == 0 && self.usec == 0
    }

    /// This time plus `n` microseconds (carrying into seconds). The
    /// arithmetic wraps like the C `long` fields it mirrors: a hostile log
    /// can hold any 64-bit value in either field.
    pub fn plus_usec(self, n: i64) -> Self {
        let total = self.usec.wrapping_add(n);
        Timeval {
            sec: self.sec.wrapping_add(total.div_euclid(1_000_000)),
            usec: total.rem_euclid(1_000_000),
        }
    }

    /// Microseconds from `earlier` to `self` (negative if earlier is later;
    /// wrapping, as [`Timeval::plus_usec`]).
    pub fn micros_since(self, earlier: Timeval) -> i64 {
        (self.sec.wrapping_sub(earlier.sec))
            .wrapping_mul(1_000_000)
            .wrapping_add(self.usec.wrapping_sub(earlier.usec))
    }

    /// Decodes 16 bytes at `at`.
    pub fn read(buf: &[u8], at: usize) -> Self {
        crate::le::read::<RawTimeval>(buf, at).into()
    }

    /// Encodes into 16 bytes at `at`.
    pub fn write(self, buf: &mut [u8], at: usize) {
        crate::le::write(buf, at, &RawTimeval::from(self));
    }
}

/// A `struct timeval` as stored (spec §0.1).
#[derive(Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct RawTimeval {
    /// Seconds.
    pub sec: I64,
    /// Microseconds.
    pub usec: I64,
}

const _: () = assert!(size_of::<RawTimeval>() == Timeval::SIZE);

impl From<RawTimeval> for Timeval {
    fn from(r: RawTimeval) -> Self {
        Timeval::new(r.sec.get(), r.usec.get())
    }
}

impl From<Timeval> for RawTimeval {
    fn from(t: Timeval) -> Self {
        RawTimeval {
            sec: I64::new(t.sec),
            usec: I64::new(t.usec),
        }
    }
}

/// The per-process uname generator of spec §1: each use returns the
/// current value and advances it by exactly 1 µs.
#[derive(Clone, Debug)]
pub struct Uname {
    next: Timeval,
}

impl Uname {
    /// A generator starting at `start`.
    pub fn starting_at(start: Timeval) -> Self {
        Uname { next: start }
    }

    /// A generator starting at the current wall-clock time.
    pub fn now() -> Self {
        Self::starting_at(Timeval::now())
    }

    /// Raises the generator to `t` if `t` is later (what RVM does at
    /// initialization and at each commit).
    pub fn raise(&mut self, t: Timeval) {
        if t > self.next {
            self.next = t;
        }
    }

    /// Returns the current value and advances by 1 µs.
    pub fn take(&mut self) -> Timeval {
        let t = self.next;
        self.next = t.plus_usec(1);
        t
    }

    /// The value the next [`take`](Self::take) returns.
    pub fn peek(&self) -> Timeval {
        self.next
    }
}
