//! The `_VIOCGETVOLSTAT` reply and cfs's `lv` listing (spec §6.4).

use std::io::{self, Write};

use crate::error::{Error, Result};
use crate::Opcode;

/// Size of the fixed `VolumeStatus` part of the reply.
pub const VOLUME_STATUS_SIZE: usize = 40;

/// `VolumeStatus` (vice.h): the first 40 bytes of the reply, host order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeStatus {
    /// Volume id.
    pub vid: u32,
    /// Parent volume id.
    pub parent_id: u32,
    /// Online flag.
    pub online: u8,
    /// In-service flag.
    pub in_service: u8,
    /// Blessed flag.
    pub blessed: u8,
    /// Needs-salvage flag.
    pub needs_salvage: u8,
    /// `ViceVolumeType` (see [`volume_type_name`]).
    pub vol_type: i32,
    /// Minimum quota, 1 KiB blocks.
    pub min_quota: i32,
    /// Maximum quota, 1 KiB blocks; 0 = unlimited.
    pub max_quota: i32,
    /// Blocks in use, 1 KiB blocks.
    pub blocks_in_use: i32,
    /// Free blocks on the partition, 1 KiB blocks.
    pub part_blocks_avail: i32,
    /// Size of the partition, 1 KiB blocks.
    pub part_max_blocks: i32,
    /// Unused field.
    pub unused: i32,
}

/// The whole `_VIOCGETVOLSTAT` reply (spec §6.4). Strings are kept as the
/// bytes venus sent (without the NUL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeStatusReply {
    /// The fixed part.
    pub status: VolumeStatus,
    /// Volume name.
    pub name: Vec<u8>,
    /// Connection state (1 Unreachable, 2 Reachable, 3 Resolving).
    pub conn_state: i32,
    /// Nonzero when the modify log holds unrepaired conflicts.
    pub conflict: i32,
    /// Pending modify-log entries.
    pub cml_count: i32,
    /// Offline message.
    pub offline_message: Vec<u8>,
    /// Message of the day.
    pub motd: Vec<u8>,
    /// Reintegration age limit, seconds.
    pub age_limit: u32,
    /// Reintegration time limit ("hogtime"), milliseconds.
    pub hogtime: u32,
    /// Bytes in the modify log.
    pub cml_bytes: u64,
}

/// cfs's word for a `ViceVolumeType`.
pub fn volume_type_name(t: i32) -> &'static str {
    match t {
        0 => "ReadWrite",
        1 => "ReadOnly",
        2 => "Backup",
        3 => "Replicated",
        4 => "NonReplicated",
        _ => "????",
    }
}

/// cfs's word for a volume connection state.
pub fn connection_state_name(s: i32) -> &'static str {
    match s {
        1 => "Unreachable",
        2 => "Reachable",
        3 => "Resolving",
        _ => "????",
    }
}

/// Connection state "Unreachable".
pub const UNREACHABLE: i32 = 1;

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn err(&self, expected: impl Into<String>) -> Error {
        Error::BadReply {
            op: Opcode::GETVOLSTAT,
            offset: self.pos,
            expected: expected.into(),
        }
    }

    fn take<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let b = self
            .bytes
            .get(self.pos..self.pos + N)
            .ok_or_else(|| self.err(format!("{N} bytes of {what}")))?;
        self.pos += N;
        Ok(b.try_into().expect("length checked"))
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        self.take::<4>(what).map(u32::from_le_bytes)
    }

    fn i32(&mut self, what: &str) -> Result<i32> {
        self.take::<4>(what).map(i32::from_le_bytes)
    }

    fn cstr(&mut self, what: &str) -> Result<&'a [u8]> {
        let rest = &self.bytes[self.pos.min(self.bytes.len())..];
        let n = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| self.err(format!("{what} ended by a NUL")))?;
        self.pos += n + 1;
        Ok(&rest[..n])
    }
}

impl VolumeStatusReply {
    /// Decodes a reply. Trailing bytes are ignored (the ioctl transport
    /// returns the whole zero-filled buffer).
    pub fn parse(bytes: &[u8]) -> Result<VolumeStatusReply> {
        let mut c = Cursor { bytes, pos: 0 };
        let f = "VolumeStatus";
        let vid = c.u32(f)?;
        let parent_id = c.u32(f)?;
        let [online, in_service, blessed, needs_salvage] = c.take::<4>(f)?;
        let status = VolumeStatus {
            vid,
            parent_id,
            online,
            in_service,
            blessed,
            needs_salvage,
            vol_type: c.i32(f)?,
            min_quota: c.i32(f)?,
            max_quota: c.i32(f)?,
            blocks_in_use: c.i32(f)?,
            part_blocks_avail: c.i32(f)?,
            part_max_blocks: c.i32(f)?,
            unused: c.i32(f)?,
        };
        let name = c.cstr("the volume name")?.to_vec();
        let conn_state = c.i32("conn_state")?;
        let conflict = c.i32("conflict")?;
        let cml_count = c.i32("cml_count")?;
        let offline_message = c.cstr("the offline message")?.to_vec();
        let motd = c.cstr("the message of the day")?.to_vec();
        let age_limit = c.u32("the reintegration age")?;
        let hogtime = c.u32("the reintegration time")?;
        let cml_bytes = u64::from_le_bytes(c.take::<8>("cml_bytes")?);
        Ok(VolumeStatusReply {
            status,
            name,
            conn_state,
            conflict,
            cml_count,
            offline_message,
            motd,
            age_limit,
            hogtime,
            cml_bytes,
        })
    }

    /// Encodes the reply as venus sends it (packed, host order). Strings
    /// must not contain NUL bytes.
    pub fn encode(&self) -> Vec<u8> {
        let s = &self.status;
        let mut out = Vec::with_capacity(
            VOLUME_STATUS_SIZE
                + 12
                + 16
                + 3
                + self.name.len()
                + self.offline_message.len()
                + self.motd.len(),
        );
        out.extend_from_slice(&s.vid.to_le_bytes());
        out.extend_from_slice(&s.parent_id.to_le_bytes());
        out.extend_from_slice(&[s.online, s.in_service, s.blessed, s.needs_salvage]);
        for v in [
            s.vol_type,
            s.min_quota,
            s.max_quota,
            s.blocks_in_use,
            s.part_blocks_avail,
            s.part_max_blocks,
            s.unused,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.name);
        out.push(0);
        for v in [self.conn_state, self.conflict, self.cml_count] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.offline_message);
        out.push(0);
        out.extend_from_slice(&self.motd);
        out.push(0);
        out.extend_from_slice(&self.age_limit.to_le_bytes());
        out.extend_from_slice(&self.hogtime.to_le_bytes());
        out.extend_from_slice(&self.cml_bytes.to_le_bytes());
        out
    }

    /// Writes exactly what `cfs lv` prints for this reply, including the
    /// blank line after the volume (spec §6.4). `label` is the `  <dir>:`
    /// heading cfs prints when it was given more than one path.
    pub fn write_cfs_listing(
        &self,
        w: &mut dyn Write,
        label: Option<&[u8]>,
        local_only: bool,
    ) -> io::Result<()> {
        let s = &self.status;
        if let Some(label) = label {
            w.write_all(b"  ")?;
            w.write_all(label)?;
            w.write_all(b":\n")?;
        }
        write!(w, "  Status of volume {:08x} ({}) named \"", s.vid, s.vid)?;
        w.write_all(&self.name)?;
        w.write_all(b"\"\n")?;
        if !self.offline_message.is_empty() {
            w.write_all(b"  Offline message is \"")?;
            w.write_all(&self.offline_message)?;
            w.write_all(b"\"\n")?;
        }
        if !self.motd.is_empty() {
            w.write_all(b"  Message of the day is \"")?;
            w.write_all(&self.motd)?;
            w.write_all(b"\"\n")?;
        }
        writeln!(w, "  Volume type is {}", volume_type_name(s.vol_type))?;
        writeln!(
            w,
            "  Connection State is {}",
            connection_state_name(self.conn_state)
        )?;
        writeln!(
            w,
            "  Reintegration age: {} sec, time {:.3} sec",
            self.age_limit,
            f64::from(self.hogtime) / 1000.0
        )?;
        if self.conn_state != UNREACHABLE && !local_only {
            // cfs prints these with %u.
            write!(w, "  Minimum quota is {},", s.min_quota as u32)?;
            if s.max_quota == 0 {
                writeln!(w, " maximum quota is unlimited")?;
            } else {
                writeln!(w, " maximum quota is {}", s.max_quota as u32)?;
            }
            writeln!(w, "  Current blocks used are {}", s.blocks_in_use as u32)?;
            writeln!(
                w,
                "  The partition has {} blocks available out of {}",
                s.part_blocks_avail as u32, s.part_max_blocks as u32
            )?;
        }
        if self.conflict != 0 {
            writeln!(w, "  *** There are pending conflicts in this volume ***")?;
        }
        if self.cml_count != 0 {
            writeln!(
                w,
                "  There are {} CML entries pending for reintegration ({} bytes)",
                self.cml_count, self.cml_bytes
            )?;
        }
        writeln!(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_reply_names_the_offset() {
        let full = VolumeStatusReply {
            name: b"v".to_vec(),
            ..Default::default()
        }
        .encode();
        for cut in 0..full.len() {
            match VolumeStatusReply::parse(&full[..cut]) {
                Err(Error::BadReply { offset, .. }) => assert!(offset <= cut),
                other => panic!("cut {cut}: {other:?}"),
            }
        }
        assert!(VolumeStatusReply::parse(&full).is_ok());
    }
}
