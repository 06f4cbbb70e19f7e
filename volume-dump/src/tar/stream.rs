//! Reading a tar archive forward, member by member ([`TarStream`]): the
//! dumps of a backup tape or of `dump restore --tar-member` come wrapped in
//! one. Headers are decoded by [`HeaderBlock`], the reading side of the
//! codec the writer ([`super::write_tar`]) encodes with.

use std::io::{self, Read};

use super::header::{padding, HeaderBlock, BLOCK, MAGIC_OFFSET};

/// One member of a tar stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarMember {
    /// Full name (`prefix/name` for ustar).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Type flag (`0` file, `5` directory...).
    pub typeflag: u8,
}

/// Walks a tar stream forward, member by member. Errors name the byte
/// offset in the archive where the header or data concerned starts.
pub struct TarStream<R> {
    inner: R,
    /// Bytes of the current member's data (and padding) not yet read.
    left: u64,
    pad: u64,
    /// Archive bytes consumed so far.
    pos: u64,
    /// The current member's name and where its header starts.
    member: Option<(String, u64)>,
}

fn bad_data(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

fn cut(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, what)
}

impl<R: Read> TarStream<R> {
    /// A tar stream read from `inner`.
    pub fn new(inner: R) -> Self {
        TarStream {
            inner,
            left: 0,
            pad: 0,
            pos: 0,
            member: None,
        }
    }

    /// The next member's header (the rest of the previous member is
    /// skipped); `None` at the end of the archive (a zero block, or the end
    /// of the stream where a header would start). An archive that ends
    /// inside a member, or a header whose checksum or size field is wrong,
    /// is an error.
    pub fn next_member(&mut self) -> io::Result<Option<TarMember>> {
        let skip = self.left + self.pad;
        let skipped = io::copy(&mut (&mut self.inner).take(skip), &mut io::sink())?;
        self.pos += skipped;
        if skipped < skip {
            let (name, at) = self.member.clone().unwrap_or_default();
            return Err(cut(format!(
                "tar archive ends at byte {} inside member {name:?} (header at byte {at}; \
                 expected {} more bytes of data and padding)",
                self.pos,
                skip - skipped
            )));
        }
        self.left = 0;
        self.pad = 0;
        let at = self.pos;
        let mut block = [0u8; BLOCK];
        let n = read_full(&mut self.inner, &mut block)?;
        self.pos += n as u64;
        match n {
            0 => return Ok(None),
            BLOCK => {}
            n => {
                return Err(cut(format!(
                    "tar header at byte {at} cut after {n} bytes (expected {BLOCK})"
                )))
            }
        }
        let h = HeaderBlock(&block);
        if h.is_zero() {
            return Ok(None);
        }
        if !h.is_ustar() {
            return Err(bad_data(format!(
                "not a tar header at byte {at} (expected the ustar magic at byte {})",
                at + MAGIC_OFFSET
            )));
        }
        if !h.checksum_matches() {
            return Err(bad_data(format!(
                "tar header at byte {at}: checksum field {:?} does not match the header's bytes",
                String::from_utf8_lossy(h.checksum_field())
            )));
        }
        let size = h.size().ok_or_else(|| {
            bad_data(format!(
                "tar header at byte {at}: size field {:?} (expected octal digits)",
                String::from_utf8_lossy(h.size_field())
            ))
        })?;
        let name = String::from_utf8_lossy(&h.path()).into_owned();
        self.left = size;
        self.pad = padding(size) as u64;
        self.member = Some((name.clone(), at));
        Ok(Some(TarMember {
            name,
            size,
            typeflag: h.typeflag(),
        }))
    }

    /// Reads the current member's data.
    pub fn data(&mut self) -> TarData<'_, R> {
        TarData { tar: self }
    }

    /// Advances to the member called `name` (its whole name, or the part
    /// after the last `/`); error if the archive has none.
    pub fn find(&mut self, name: &str) -> io::Result<TarMember> {
        while let Some(m) = self.next_member()? {
            let base = m.name.rsplit('/').next().unwrap_or("");
            if m.name == name || base == name {
                return Ok(m);
            }
        }
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("the tar archive holds no member {name:?}"),
        ))
    }
}

/// The data of the current member of a [`TarStream`].
pub struct TarData<'a, R> {
    tar: &'a mut TarStream<R>,
}

impl<R: Read> Read for TarData<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let want = (out.len() as u64).min(self.tar.left) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.tar.inner.read(&mut out[..want])?;
        if n == 0 {
            let (name, at) = self.tar.member.clone().unwrap_or_default();
            return Err(cut(format!(
                "tar archive ends at byte {} inside member {name:?} (header at byte {at}; \
                 expected {} more bytes of data)",
                self.tar.pos, self.tar.left
            )));
        }
        self.tar.left -= n as u64;
        self.tar.pos += n as u64;
        Ok(n)
    }
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
