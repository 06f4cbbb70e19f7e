//! A buffered, offset-counting byte source with one-byte look-ahead, so
//! that field lists can end at a tag byte without pushing it back.

use std::io::{self, Read};

/// Buffer size: large sequential reads, few syscalls (a whole pipe's
/// buffer, see [`crate::direct::PIPE_SIZE`]).
const BUF_SIZE: usize = 1 << 20;

pub(crate) struct Input<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
}

impl<R> Input<R> {
    /// Stream offset of the next unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub(crate) fn into_inner(self) -> R {
        self.inner
    }

    /// Bytes received from the inner reader so far (the stream offset
    /// just past the buffer).
    pub(crate) fn received(&self) -> u64 {
        self.base + self.end as u64
    }

    /// How many unread bytes the buffer holds.
    pub(crate) fn buffered(&self) -> usize {
        self.end - self.pos
    }

    /// Consumes the buffer and `n` further bytes that the caller moved the
    /// inner reader past itself.
    pub(crate) fn skip_unbuffered(&mut self, n: u64) {
        self.base += self.end as u64 + n;
        self.pos = 0;
        self.end = 0;
    }
}

impl<R: Read> Input<R> {
    pub(crate) fn new(inner: R) -> Self {
        Input {
            inner,
            buf: vec![0; BUF_SIZE].into_boxed_slice(),
            pos: 0,
            end: 0,
            base: 0,
        }
    }

    /// The buffered unread bytes, refilling when empty; empty at EOF.
    pub(crate) fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.end {
            self.base += self.end as u64;
            self.pos = 0;
            self.end = 0;
            loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => {
                        self.end = n;
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(&self.buf[self.pos..self.end])
    }

    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(self.pos + n <= self.end);
        self.pos += n;
    }

    /// The next byte without consuming it; `None` at EOF.
    pub(crate) fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.fill_buf()?.first().copied())
    }

    /// Fills `out` completely; `Ok(false)` if the stream ends first (the
    /// bytes that were there are consumed).
    pub(crate) fn read_exact(&mut self, out: &mut [u8]) -> io::Result<bool> {
        // Fast path: all in the buffer.
        if self.end - self.pos >= out.len() {
            out.copy_from_slice(&self.buf[self.pos..self.pos + out.len()]);
            self.pos += out.len();
            return Ok(true);
        }
        let mut done = 0;
        while done < out.len() {
            let n = self.read_some(&mut out[done..])?;
            if n == 0 {
                return Ok(false);
            }
            done += n;
        }
        Ok(true)
    }

    /// Reads up to `out.len()` bytes (0 only at EOF). Large reads with an
    /// empty buffer go straight to the inner reader.
    pub(crate) fn read_some(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.pos == self.end && out.len() >= self.buf.len() {
            self.base += self.end as u64;
            self.pos = 0;
            self.end = 0;
            loop {
                match self.inner.read(out) {
                    Ok(n) => {
                        self.base += n as u64;
                        return Ok(n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.pos += n;
        Ok(n)
    }

    /// Skips up to `n` bytes; returns how many were skipped (fewer only
    /// at EOF).
    pub(crate) fn skip(&mut self, n: u64) -> io::Result<u64> {
        let mut left = n;
        while left > 0 {
            let avail = self.fill_buf()?.len();
            if avail == 0 {
                break;
            }
            let k = (avail as u64).min(left) as usize;
            self.pos += k;
            left -= k as u64;
        }
        Ok(n - left)
    }
}
