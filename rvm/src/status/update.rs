//! The status updates of truncation and recovery (spec §9.2): folding the
//! epoch's statistics into the totals, and clearing the epoch.

use super::StatusBlock;
use crate::uname::Timeval;

impl StatusBlock {
    /// Accumulates the epoch statistics into the totals ("fold", spec
    /// §9.2), including `tot_log_written` from the pointers as they are now.
    pub fn fold(&mut self, num_bytes: u64) {
        macro_rules! add {
            ($($n:ident => $t:ident),*) => {$(
                self.$t = self.$t.wrapping_add(self.$n);
                self.$n = 0;
            )*};
        }
        add!(n_abort => tot_abort, n_flush_commit => tot_flush_commit,
            n_no_flush_commit => tot_no_flush_commit, n_split => tot_split,
            n_flush => tot_flush, n_rvm_flush => tot_rvm_flush,
            n_special => tot_special, n_truncation_wait => tot_truncation_wait,
            n_range_elim => tot_range_elim, n_trans_elim => tot_trans_elim,
            n_trans_coalesced => tot_trans_coalesced,
            range_overlap => tot_range_overlap, trans_overlap => tot_trans_overlap);
        fn add_arr<const N: usize>(tot: &mut [u64; N], cur: &mut [u64; N]) {
            for (t, c) in tot.iter_mut().zip(cur.iter_mut()) {
                *t = t.wrapping_add(*c);
                *c = 0;
            }
        }
        add_arr(&mut self.tot_flush_times, &mut self.flush_times);
        add_arr(&mut self.tot_range_lengths, &mut self.range_lengths);
        add_arr(&mut self.tot_range_overlaps, &mut self.range_overlaps);
        add_arr(&mut self.tot_trans_overlaps, &mut self.trans_overlaps);
        add_arr(&mut self.tot_range_elims, &mut self.range_elims);
        add_arr(&mut self.tot_trans_elims, &mut self.trans_elims);
        self.tot_flush_time = add_tv(self.tot_flush_time, self.flush_time);
        self.flush_time = Timeval::default();
        let head = if self.prev_log_head != 0 {
            self.prev_log_head
        } else {
            self.log_head
        };
        let e = head & !511;
        let tail_length = if self.log_tail >= self.log_head && self.log_tail >= self.prev_log_head {
            let after = num_bytes.saturating_sub(self.log_tail);
            let after = if after < 376 { 0 } else { after };
            after.wrapping_add(e).wrapping_sub(self.log_start)
        } else {
            e.wrapping_sub(self.log_tail)
        };
        self.tot_log_written = self
            .tot_log_written
            .wrapping_add(self.log_size.wrapping_sub(tail_length));
    }

    /// "Clear" (spec §9.2): mark the log empty, forget the epoch, then fold.
    pub fn clear(&mut self, num_bytes: u64) {
        self.valid = true;
        self.log_empty = true;
        self.first_rec_num = 0;
        self.last_rec_num = 0;
        self.first_uname = Timeval::default();
        self.last_uname = Timeval::default();
        self.last_commit = Timeval::default();
        self.first_write = Timeval::default();
        self.last_write = Timeval::default();
        self.wrap_time = Timeval::default();
        self.flush_time = Timeval::default();
        self.prev_log_head = 0;
        self.prev_log_tail = 0;
        self.fold(num_bytes);
    }
}

/// Sum of two timevals, carrying µs into seconds.
pub fn add_tv(a: Timeval, b: Timeval) -> Timeval {
    Timeval::new(a.sec.wrapping_add(b.sec), 0).plus_usec(a.usec.wrapping_add(b.usec))
}

/// Histogram bucket for a range length (buckets ≤0, ≤4, ≤8, …, ≤4096, >4096;
/// spec §4.2 `range_lengths`).
pub fn range_length_bucket(len: u64) -> usize {
    if len == 0 {
        return 0;
    }
    let mut limit = 4u64;
    for i in 1..12 {
        if len <= limit {
            return i;
        }
        limit *= 2;
    }
    12
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_length_buckets_follow_spec() {
        let got: Vec<usize> = [0, 1, 4, 5, 8, 32, 1544, 4096, 4097]
            .iter()
            .map(|&l| range_length_bucket(l))
            .collect();
        assert_eq!(got, [0, 1, 1, 2, 2, 4, 10, 11, 12]);
    }
}
