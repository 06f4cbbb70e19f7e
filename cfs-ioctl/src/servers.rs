//! Server address lists: `_VIOCCKSERV` and `_VIOCWHEREIS` replies
//! (spec §6.7, §6.8).

use std::net::Ipv4Addr;

use crate::error::{Error, Result};
use crate::Opcode;

/// `VSG_MEMBERS`: slots in a `whereis` reply.
pub const VSG_MEMBERS: usize = 8;

/// Decodes a `_VIOCCKSERV` reply: IPv4 addresses (network order) of the
/// servers still down, up to the first 0.0.0.0.
pub fn parse_down_servers(bytes: &[u8]) -> Result<Vec<Ipv4Addr>> {
    let mut down = Vec::new();
    for (i, chunk) in bytes.chunks(4).enumerate() {
        let octets: [u8; 4] = chunk.try_into().map_err(|_| Error::BadReply {
            op: Opcode::CKSERV,
            offset: 4 * i,
            expected: "a 4-byte address or the 0.0.0.0 terminator".into(),
        })?;
        if octets == [0; 4] {
            return Ok(down);
        }
        down.push(Ipv4Addr::from(octets));
    }
    Err(Error::BadReply {
        op: Opcode::CKSERV,
        offset: bytes.len(),
        expected: "the 0.0.0.0 terminator".into(),
    })
}

/// Addresses as `cfs checkservers` and `cfs whereis` list them: each
/// after two spaces (`  192.0.2.10  192.0.2.11`).
pub fn cfs_address_list(addrs: &[Ipv4Addr]) -> String {
    addrs.iter().map(|a| format!("  {a}")).collect()
}

/// A `_VIOCWHEREIS` reply: 8 server addresses, then 8 replica volume ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhereIs {
    /// Server (or custodian) addresses; unused slots are 0.0.0.0.
    pub servers: [Ipv4Addr; VSG_MEMBERS],
    /// Replica volume ids; unused slots are 0.
    pub volumes: [u32; VSG_MEMBERS],
}

impl WhereIs {
    /// Decodes the 64-byte reply.
    pub fn parse(bytes: &[u8]) -> Result<WhereIs> {
        if bytes.len() < 8 * VSG_MEMBERS {
            return Err(Error::BadReply {
                op: Opcode::WHEREIS,
                offset: bytes.len(),
                expected: "64 bytes (8 addresses and 8 volume ids)".into(),
            });
        }
        let mut w = WhereIs {
            servers: [Ipv4Addr::UNSPECIFIED; VSG_MEMBERS],
            volumes: [0; VSG_MEMBERS],
        };
        for i in 0..VSG_MEMBERS {
            let a: [u8; 4] = bytes[4 * i..4 * i + 4].try_into().expect("4 bytes");
            w.servers[i] = Ipv4Addr::from(a);
            let v: [u8; 4] = bytes[32 + 4 * i..32 + 4 * i + 4]
                .try_into()
                .expect("4 bytes");
            w.volumes[i] = u32::from_le_bytes(v);
        }
        Ok(w)
    }

    /// The servers in use (non-zero slots), in slot order.
    pub fn active_servers(&self) -> Vec<Ipv4Addr> {
        self.servers
            .iter()
            .copied()
            .filter(|a| !a.is_unspecified())
            .collect()
    }
}
