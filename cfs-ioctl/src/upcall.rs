//! The `CODA_IOCTL` upcall and its reply as they cross `/dev/cfs0`
//! (spec §4.4, §4.5). Venus-side codec, used by test doubles of venus.

use crate::error::{Error, Result};
use crate::Opcode;

/// `CODA_IOCTL`, the upcall opcode.
pub const CODA_IOCTL: u32 = 6;

/// Size of `struct coda_ioctl_in`; the input bytes follow it.
pub const IOCTL_IN_SIZE: usize = 56;

/// Size of `struct coda_ioctl_out`; the output bytes follow it.
pub const IOCTL_OUT_SIZE: usize = 24;

/// A decoded `CODA_IOCTL` upcall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoctlUpcall {
    /// Sequence number to echo in the reply.
    pub unique: u32,
    /// Caller pid.
    pub pid: u32,
    /// Caller process group.
    pub pgid: u32,
    /// Caller fsuid.
    pub uid: u32,
    /// `CodaFid` of the resolved path (realm, volume, vnode, unique).
    pub fid: [u32; 4],
    /// `_VICEIOCTL(nr)` as the kernel forwards it (`0x401856NN`).
    pub cmd: u32,
    /// `rwflag` (always 0 from Linux).
    pub rwflag: u32,
    /// Offset of the input bytes (56).
    pub data_offset: u64,
    /// The input bytes.
    pub input: Vec<u8>,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

impl IoctlUpcall {
    /// The pioctl opcode (`_IOC_NR(cmd)`).
    pub fn opcode(&self) -> Opcode {
        Opcode(self.cmd as u8)
    }

    /// Decodes an upcall read from `/dev/cfs0`.
    pub fn parse(bytes: &[u8]) -> Result<IoctlUpcall> {
        let bad = |offset, expected: &str| Error::BadReply {
            op: Opcode(0),
            offset,
            expected: expected.into(),
        };
        if bytes.len() < IOCTL_IN_SIZE {
            return Err(bad(bytes.len(), "a 56-byte coda_ioctl_in"));
        }
        if u32_at(bytes, 0) != CODA_IOCTL {
            return Err(bad(0, "opcode CODA_IOCTL (6)"));
        }
        let len = u32_at(bytes, 40) as usize;
        let data_offset = u64::from_le_bytes(bytes[48..56].try_into().expect("8 bytes"));
        let start = usize::try_from(data_offset).unwrap_or(usize::MAX);
        let input = start
            .checked_add(len)
            .and_then(|end| bytes.get(start..end))
            .ok_or_else(|| bad(40, "len bytes of input at the data offset"))?;
        Ok(IoctlUpcall {
            unique: u32_at(bytes, 4),
            pid: u32_at(bytes, 8),
            pgid: u32_at(bytes, 12),
            uid: u32_at(bytes, 16),
            fid: [
                u32_at(bytes, 20),
                u32_at(bytes, 24),
                u32_at(bytes, 28),
                u32_at(bytes, 32),
            ],
            cmd: u32_at(bytes, 36),
            rwflag: u32_at(bytes, 44),
            data_offset,
            input: input.to_vec(),
        })
    }
}

/// Encodes venus's reply to a `CODA_IOCTL` upcall: header, `len`, data
/// offset 24, then the output (spec §4.5).
pub fn encode_ioctl_reply(unique: u32, result: u32, output: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(IOCTL_OUT_SIZE + output.len());
    out.extend_from_slice(&CODA_IOCTL.to_le_bytes());
    out.extend_from_slice(&unique.to_le_bytes());
    out.extend_from_slice(&result.to_le_bytes());
    out.extend_from_slice(&(output.len() as u32).to_le_bytes());
    out.extend_from_slice(&(IOCTL_OUT_SIZE as u64).to_le_bytes());
    out.extend_from_slice(output);
    out
}
