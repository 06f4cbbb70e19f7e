//! `VolumeList` files (Spec §15.2): what `volutil getvolumelist` writes,
//! per server in `<vicedir>/vol/remote/<host>.list`, and concatenated into
//! `<vicedir>/vol/BigVolumeList`.
//!
//! ```text
//! P<partition> H<hostname> T<total 1K blocks> F<free 1K blocks>
//! <type><name> I<volid> H<serverid> P<partition> m<minquota> M<maxquota> U<diskused> W<parentid> C<creation> D<copydate> B<backupdate> A<weekuse>
//! ```
//!
//! Numbers are hex without `0x`. In a concatenated list each server's
//! partition lines come before its volumes, so a volume belongs to the host
//! named by the partition lines above it ([`VolumeEntry::host`]).
//!
//! Names, partitions and host names are checked as they are read
//! ([`crate::names`]): a line with a name coda-rs will not put into a path
//! or a script is an error naming the file and line.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::input::read_input;
use crate::names::{escaped, HostName, NameError, PartitionName, VolumeName};
use crate::text::{hex_u32, hex_u64, lines};
use crate::{Error, Result};

/// A volume's type letter (Spec §15.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VolumeType {
    /// `W`: read-write (the replicas of replicated volumes are read-write).
    ReadWrite,
    /// `R`: read-only clone.
    ReadOnly,
    /// `B`: backup clone, or a volume created by `volutil restore`.
    Backup,
    /// `N`: non-replicated.
    NonReplicated,
    /// `?`: any other type.
    Other,
}

impl VolumeType {
    /// The letter that starts the line.
    pub fn letter(self) -> char {
        match self {
            VolumeType::ReadWrite => 'W',
            VolumeType::ReadOnly => 'R',
            VolumeType::Backup => 'B',
            VolumeType::NonReplicated => 'N',
            VolumeType::Other => '?',
        }
    }

    /// The type for a line's first character.
    pub fn from_letter(c: char) -> Option<Self> {
        Some(match c {
            'W' => VolumeType::ReadWrite,
            'R' => VolumeType::ReadOnly,
            'B' => VolumeType::Backup,
            'N' => VolumeType::NonReplicated,
            '?' => VolumeType::Other,
            _ => return None,
        })
    }
}

/// A partition line: `P<partition> H<hostname> T<total> F<free>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// Partition path, e.g. `/vicepa`.
    pub name: PartitionName,
    /// Server host name.
    pub host: HostName,
    /// Size of the partition in 1 KiB blocks.
    pub total_blocks: u64,
    /// Free space in 1 KiB blocks.
    pub free_blocks: u64,
    /// 1-based line number in the file.
    pub line: usize,
}

/// A volume line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeEntry {
    /// Type letter.
    pub volume_type: VolumeType,
    /// Volume name; replicas are `<group>.<n>`.
    pub name: VolumeName,
    /// `I`: volume id.
    pub id: u32,
    /// `H`: server id (a number, not the host name).
    pub server_id: u32,
    /// `P`: partition path.
    pub partition: PartitionName,
    /// `m`: minimum quota.
    pub min_quota: u32,
    /// `M`: maximum quota.
    pub max_quota: u32,
    /// `U`: disk space used, in 1 KiB blocks.
    pub disk_used: u32,
    /// `W`: parent (read-write) volume id.
    pub parent_id: u32,
    /// `C`: creation date (Unix seconds).
    pub creation_date: u32,
    /// `D`: copy date (Unix seconds).
    pub copy_date: u32,
    /// `B`: backup date (Unix seconds).
    pub backup_date: u32,
    /// `A`: sum of the week's daily use counters.
    pub week_use: u32,
    /// Host name of the partition lines above this line, if any.
    pub host: Option<HostName>,
    /// 1-based line number in the file.
    pub line: usize,
}

impl VolumeEntry {
    /// Disk space used in bytes (`U` × 1024).
    pub fn used_bytes(&self) -> u64 {
        u64::from(self.disk_used) * 1024
    }

    /// True for a backup clone (`<replica>.backup`).
    pub fn is_backup_clone(&self) -> bool {
        self.name.ends_with(".backup")
    }

    /// True for a volume made by `volutil restore` (`<x>.restored`).
    pub fn is_restored(&self) -> bool {
        self.name.ends_with(".restored")
    }
}

impl fmt::Display for VolumeEntry {
    /// The line as `volutil getvolumelist` writes it (without newline).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{} I{:x} H{:x} P{} m{:x} M{:x} U{:x} W{:x} C{:x} D{:x} B{:x} A{:x}",
            self.volume_type.letter(),
            self.name,
            self.id,
            self.server_id,
            self.partition,
            self.min_quota,
            self.max_quota,
            self.disk_used,
            self.parent_id,
            self.creation_date,
            self.copy_date,
            self.backup_date,
            self.week_use
        )
    }
}

impl fmt::Display for Partition {
    /// The line as `volutil getvolumelist` writes it (without newline).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "P{} H{} T{:x} F{:x}",
            self.name, self.host, self.total_blocks, self.free_blocks
        )
    }
}

/// One line of a VolumeList, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A `P` line.
    Partition(Partition),
    /// A volume line.
    Volume(VolumeEntry),
}

/// A parsed VolumeList (one server's, or several concatenated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeList {
    /// Every line in file order.
    pub lines: Vec<Line>,
}

impl VolumeList {
    /// Parses a VolumeList. `file` names the input in errors. Empty lines
    /// are skipped; anything else that is not a partition or volume line is
    /// an error naming the line.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Self> {
        let mut out = Vec::new();
        let mut host: Option<HostName> = None;
        let mut in_partitions = false;
        for (number, text) in lines(bytes, file)? {
            if text.is_empty() {
                continue;
            }
            let syntax = |what: String, expected: &str| Error::Syntax {
                file: file.to_string(),
                line: number,
                what,
                expected: expected.to_string(),
            };
            if text.starts_with('P') {
                let p = parse_partition(text, number).map_err(|(w, e)| syntax(w, e))?;
                // A new block of partition lines starts a new server's list.
                if !in_partitions {
                    host = Some(p.host.clone());
                }
                in_partitions = true;
                out.push(Line::Partition(p));
            } else {
                in_partitions = false;
                let mut v = parse_volume(text, number).map_err(|(w, e)| syntax(w, e))?;
                v.host = host.clone();
                out.push(Line::Volume(v));
            }
        }
        Ok(VolumeList { lines: out })
    }

    /// Reads and parses a file (`-` = stdin).
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = read_input(path)?;
        Self::parse(&bytes, &path.display().to_string())
    }

    /// Reads and parses several files as one list, in the order given
    /// (as `cat a.list b.list > BigVolumeList` would).
    pub fn read_all(paths: &[PathBuf]) -> Result<Self> {
        let mut all = VolumeList::default();
        for p in paths {
            all.extend(Self::read(p)?);
        }
        Ok(all)
    }

    /// Appends another list (as `cat a.list b.list > BigVolumeList` does).
    pub fn extend(&mut self, other: VolumeList) {
        self.lines.extend(other.lines);
    }

    /// The volume lines in file order.
    pub fn volumes(&self) -> impl Iterator<Item = &VolumeEntry> {
        self.lines.iter().filter_map(|l| match l {
            Line::Volume(v) => Some(v),
            Line::Partition(_) => None,
        })
    }

    /// The partition lines in file order.
    pub fn partitions(&self) -> impl Iterator<Item = &Partition> {
        self.lines.iter().filter_map(|l| match l {
            Line::Partition(p) => Some(p),
            Line::Volume(_) => None,
        })
    }

    /// Host names of the partition lines, each once, in file order.
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = Vec::new();
        for p in self.partitions() {
            if !hosts.iter().any(|h| p.host == h.as_str()) {
                hosts.push(p.host.to_string());
            }
        }
        hosts
    }

    /// The partitions and volumes of `server` (everything for `None`);
    /// [`Error::UnknownHost`] when no partition line names it.
    pub fn for_server(self, server: Option<&str>) -> Result<VolumeList> {
        let Some(host) = server else {
            return Ok(self);
        };
        let hosts = self.hosts();
        if !hosts.iter().any(|h| h == host) {
            return Err(Error::UnknownHost {
                host: escaped(host),
                hosts,
            });
        }
        Ok(self.only_host(host))
    }

    /// The server a one-server runbook is for: `chosen`, else the one host
    /// the list names ([`Error::SeveralHosts`] when it names several; `None`
    /// when it names none).
    pub fn the_server(&self, chosen: Option<&str>) -> Result<Option<String>> {
        let hosts = self.hosts();
        match chosen {
            Some(host) => Ok(Some(host.to_string())),
            None if hosts.len() > 1 => Err(Error::SeveralHosts { hosts }),
            None => Ok(hosts.into_iter().next()),
        }
    }

    /// Keeps only the partitions and volumes of one host.
    pub fn only_host(&self, host: &str) -> VolumeList {
        let lines = self
            .lines
            .iter()
            .filter(|l| match l {
                Line::Partition(p) => p.host == host,
                Line::Volume(v) => v.host.as_deref() == Some(host),
            })
            .cloned()
            .collect();
        VolumeList { lines }
    }

    /// The file as `volutil getvolumelist` writes it.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for l in &self.lines {
            match l {
                Line::Partition(p) => s.push_str(&p.to_string()),
                Line::Volume(v) => s.push_str(&v.to_string()),
            }
            s.push('\n');
        }
        s
    }
}

type FieldError = (String, &'static str);

/// A name check's failure as a line's error.
fn name_err(e: NameError) -> FieldError {
    (e.what, e.expected)
}

fn parse_partition(text: &str, line: usize) -> std::result::Result<Partition, FieldError> {
    const EXPECTED: &str = "`P<partition> H<host> T<total hex> F<free hex>`";
    let fields: Vec<&str> = text.split(' ').collect();
    if fields.len() != 4 {
        return Err((
            format!("partition line has {} fields", fields.len()),
            EXPECTED,
        ));
    }
    let name = &fields[0][1..];
    let host = key(fields[1], 'H').ok_or_else(|| field_err("host", fields[1], EXPECTED))?;
    let total = key(fields[2], 'T')
        .and_then(hex_u64)
        .ok_or_else(|| field_err("total blocks", fields[2], EXPECTED))?;
    let free = key(fields[3], 'F')
        .and_then(hex_u64)
        .ok_or_else(|| field_err("free blocks", fields[3], EXPECTED))?;
    Ok(Partition {
        name: PartitionName::new(name).map_err(name_err)?,
        host: HostName::new(host).map_err(name_err)?,
        total_blocks: total,
        free_blocks: free,
        line,
    })
}

/// The volume line's keyed fields, in the order the server writes them.
const VOLUME_KEYS: [char; 11] = ['I', 'H', 'P', 'm', 'M', 'U', 'W', 'C', 'D', 'B', 'A'];

fn parse_volume(text: &str, line: usize) -> std::result::Result<VolumeEntry, FieldError> {
    const EXPECTED: &str =
        "`<W|R|B|N|?><name> I<id> H<server> P<partition> m<hex> M<hex> U<hex> W<hex> C<hex> D<hex> B<hex> A<hex>`";
    let fields: Vec<&str> = text.split(' ').collect();
    let first = fields[0];
    let mut chars = first.chars();
    let letter = chars.next().unwrap_or(' ');
    let volume_type = VolumeType::from_letter(letter).ok_or_else(|| {
        (
            format!(
                "line starts with `{}`, not a partition or volume type letter",
                escaped(&letter.to_string())
            ),
            EXPECTED,
        )
    })?;
    let name = chars.as_str();
    if name.is_empty() {
        return Err(("volume line without a name".to_string(), EXPECTED));
    }
    if fields.len() != 1 + VOLUME_KEYS.len() {
        return Err((
            format!(
                "volume line has {} fields, not {}",
                fields.len(),
                1 + VOLUME_KEYS.len()
            ),
            EXPECTED,
        ));
    }
    let name = VolumeName::new(name).map_err(name_err)?;
    let mut numbers = [0u32; 11];
    let mut partition = None;
    for (i, (&k, &field)) in VOLUME_KEYS.iter().zip(&fields[1..]).enumerate() {
        let value = key(field, k).ok_or_else(|| {
            (
                format!("field {} is `{}`, not `{k}...`", i + 2, escaped(field)),
                EXPECTED,
            )
        })?;
        if k == 'P' {
            partition = Some(PartitionName::new(value).map_err(name_err)?);
        } else {
            numbers[i] = hex_u32(value).ok_or_else(|| {
                (
                    format!(
                        "field `{}`: `{}` is not a 32-bit hex number",
                        escaped(field),
                        escaped(value)
                    ),
                    EXPECTED,
                )
            })?;
        }
    }
    let partition = partition.ok_or(("no partition field".to_string(), EXPECTED))?;
    Ok(VolumeEntry {
        volume_type,
        name,
        id: numbers[0],
        server_id: numbers[1],
        partition,
        min_quota: numbers[3],
        max_quota: numbers[4],
        disk_used: numbers[5],
        parent_id: numbers[6],
        creation_date: numbers[7],
        copy_date: numbers[8],
        backup_date: numbers[9],
        week_use: numbers[10],
        host: None,
        line,
    })
}

fn key(field: &str, k: char) -> Option<&str> {
    field.strip_prefix(k)
}

fn field_err(what: &str, field: &str, expected: &'static str) -> FieldError {
    (format!("bad {what} field `{}`", escaped(field)), expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "P/vicepa Hvm T5adf280 F4b8959c\n\
Wtestvol.0 I1000001 H1 P/vicepa m0 M0 U2 W1000001 C6b07c902 D6b07c902 B6b07c903 A0\n";

    #[test]
    fn parses_partition_and_volume() {
        let vl = VolumeList::parse(SAMPLE.as_bytes(), "t").unwrap();
        let p = vl.partitions().next().unwrap();
        assert_eq!((p.name.as_str(), p.host.as_str()), ("/vicepa", "vm"));
        assert_eq!(p.total_blocks, 0x5adf280);
        let v = vl.volumes().next().unwrap();
        assert_eq!(v.volume_type, VolumeType::ReadWrite);
        assert_eq!(v.name, "testvol.0");
        assert_eq!(v.id, 0x1000001);
        assert_eq!(v.backup_date, 0x6b07c903);
        assert_eq!(v.host.as_deref(), Some("vm"));
        assert_eq!(v.line, 2);
        assert_eq!(vl.to_text(), SAMPLE);
    }

    #[test]
    fn concatenated_lists_attribute_hosts() {
        let text =
            "P/vicepa Ha T1 F1\nP/vicepb Ha T1 F1\nWx.0 I1 H1 P/vicepa m0 M0 U1 W1 C0 D0 B0 A0\n\
P/vicepa Hb T1 F1\nWx.1 I2 H2 P/vicepa m0 M0 U1 W2 C0 D0 B0 A0\n";
        let vl = VolumeList::parse(text.as_bytes(), "t").unwrap();
        let hosts: Vec<_> = vl.volumes().map(|v| v.host.clone().unwrap()).collect();
        assert_eq!(hosts, ["a", "b"]);
        assert_eq!(vl.hosts(), ["a", "b"]);
        assert_eq!(vl.only_host("b").volumes().count(), 1);
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        let cases = [
            "Wx I1 H1 P/a m0 M0 U1 W1 C0 D0 B0\n",
            "Wx I1 H1 P/a m0 M0 Uzz W1 C0 D0 B0 A0\n",
            "Xx I1 H1 P/a m0 M0 U1 W1 C0 D0 B0 A0\n",
            "Wx J1 H1 P/a m0 M0 U1 W1 C0 D0 B0 A0\n",
            "W I1 H1 P/a m0 M0 U1 W1 C0 D0 B0 A0\n",
            "P/vicepa Hvm T5adf280\n",
            "Wx I100000000 H1 P/a m0 M0 U1 W1 C0 D0 B0 A0\n",
        ];
        for case in cases {
            let text = format!("P/a Hh T1 F1\n{case}");
            match VolumeList::parse(text.as_bytes(), "list") {
                Err(Error::Syntax { file, line, .. }) => {
                    assert_eq!((file.as_str(), line), ("list", 2), "{case}")
                }
                other => panic!("{case:?}: {other:?}"),
            }
        }
    }
}
