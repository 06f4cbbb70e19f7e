//! `coda-rs dump`: volume dump streams (codareaddump, codamergedump,
//! codadump2tar, volutil restore's checks), one file per command.

mod create;
mod ls;
mod merge;
mod restore;
mod to_tar;
mod verify;

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use volume_dump::source::Source;

use anyhow::{Context, Result};
use clap::Subcommand;
use volume_dump::restore::RestoreError;
use volume_dump::{Dump, ReadOptions};

use crate::exit;

/// Subcommands of `coda-rs dump`.
#[derive(Subcommand)]
pub enum DumpCommand {
    /// List a dump: header, volume data and every vnode (like codareaddump).
    #[command(after_help = "Examples:\n  \
        coda-rs dump ls /backup/golden.dump\n  \
        coda-rs dump ls --json - < golden.dump\n  \
        coda-rs dump ls --tree golden.dump")]
    Ls(ls::LsArgs),
    /// Check a dump completely (spec §9.3), optionally as the server's
    /// restore would (§9.1).
    #[command(after_help = "Examples:\n  \
        coda-rs dump verify golden.dump\n  \
        coda-rs dump verify --restore-checks golden.dump\n  \
        cat golden.dump | coda-rs dump verify --json -\n  \
        coda-rs dump verify full.dump incr.dump --against /restore/vol\n\n\
        --restore-checks also warns about each directory of 3 or more pages: the real\n\
        server's restore on 64-bit Linux stores it so that the server aborts at its next\n\
        start (\"Magic wrong in Page\"). --against compares names, types, data, modes,\n\
        owners, mtimes, hard links and directory ACLs (DIR/..CodaACLs.yaml, or through\n\
        venus on a Coda mount; --acls).\n\n\
        Exit status: 0 no errors (warnings allowed), 1 errors or differences found.")]
    Verify(verify::VerifyArgs),
    /// Merge incremental dumps into a full dump (codamergedump).
    #[command(after_help = "Examples:\n  \
        coda-rs dump merge merged.dump full.dump incr1.dump\n  \
        coda-rs dump merge merged.dump full.dump mon.dump tue.dump\n  \
        ssh server 'volutil dump 1000002' | coda-rs dump merge merged.dump - incr.dump\n\n\
        The incrementals are applied pairwise, oldest first, exactly as chained\n\
        codamergedump runs would. OUT must not exist; it appears only when complete.\n\
        The result is checked as dump verify checks a dump: if a directory names a vnode\n\
        the result does not hold, or a vnode is in no directory (a server restoring it\n\
        aborts at its next start), nothing is written and the exit status is 1, unless\n\
        --force (written, with a warning).")]
    Merge(merge::MergeArgs),
    /// Write a full dump of a directory tree (restorable with volutil
    /// restore), or its incremental relative to a full dump.
    #[command(after_help = "Examples:\n  \
        coda-rs dump create /srv/extracted/golden.backup -o golden.dump \\\n      \
        --volume-id 1000102 --volume-name golden.backup\n  \
        coda-rs dump create tree -o - --volume-id 0x1000102 --volume-name t.backup | gzip > t.dump.gz\n  \
        coda-rs dump create tree -o mon.dump --incremental-from golden.dump\n  \
        coda-rs dump create tree -o tue.dump --incremental-from golden.dump --level 2\n\n\
        With --incremental-from BASE (a full dump file of the same volume) the output is\n\
        the level-N incremental (spec §8): new and changed objects, and a removal for each\n\
        object of BASE that is gone; volume id, name and data come from BASE. An object\n\
        keeps its vnode while its path holds the same kind of object (a rename is a\n\
        removal and a new object). dump restore BASE OUT (or dump merge) gives the tree.\n\n\
        Volume ids are hexadecimal, as volutil prints them. Directory ACLs come from\n\
        DIR/..CodaACLs.yaml (as written by codadump2tar / dump to-tar) when present;\n\
        otherwise the root gets System:Administrators rlidwka and subdirectories\n\
        inherit their parent's ACL. Owners are the files' numeric uids.")]
    Create(create::CreateArgs),
    /// Convert a dump to a tar archive (codadump2tar).
    #[command(after_help = "Examples:\n  \
        coda-rs dump to-tar golden.dump -o golden.tar\n  \
        coda-rs dump to-tar --pax golden.dump -o golden.tar\n  \
        ssh server 'volutil dump 1000002' | coda-rs dump to-tar - > golden.tar\n\n\
        The output equals codadump2tar's byte for byte (the ..CodaACLs.yaml member's\n\
        time aside). Where codadump2tar fails part-way (unreadable file data), this\n\
        exits 1 and leaves no OUT.")]
    ToTar(to_tar::ToTarArgs),
    /// Restore a dump chain (full dump + incrementals) into a directory
    /// tree, resumably.
    #[command(after_help = "Examples:\n  \
        coda-rs dump restore vol.full --into /restore/vol\n  \
        coda-rs dump restore vol.full mon.incr tue.incr --into /coda/.../newvol\n  \
        ssh server 'volutil dump 1000002' | coda-rs dump restore - --into /restore/vol\n  \
        coda-rs dump restore - --into /restore/vol --resume < vol.full\n\n\
        DIR becomes the volume's root directory (created if missing). The incrementals are\n\
        read first and applied while the full dump streams: the tree equals restoring the\n\
        merged dump. A journal (.coda-rs-restore.json) in DIR lets --resume continue after\n\
        a crash (supply the same stream again); a finished restore removes it. A non-empty DIR is refused (exit 3) unless\n\
        --resume (with its journal) or --force. ACLs go to DIR/..CodaACLs.yaml (the\n\
        codadump2tar format) unless --acls skip. Owners are set when run as root.\n\
        On a Coda mount ACLs go through venus (setacl), a mount link of the dump (a\n\
        symlink of mode 0644 to #VOLUME.) is made with mkmount, a file's names in other\n\
        directories are copies (Coda links only inside one directory), owners best effort.")]
    Restore(restore::RestoreArgs),
}

/// Runs one `coda-rs dump` subcommand.
pub fn run(cmd: DumpCommand) -> Result<ExitCode> {
    match cmd {
        DumpCommand::Ls(a) => ls::run(a),
        DumpCommand::Verify(a) => verify::run(a),
        DumpCommand::Merge(a) => merge::run(a),
        DumpCommand::Create(a) => create::run(a),
        DumpCommand::ToTar(a) => to_tar::run(a),
        DumpCommand::Restore(a) => restore::run(a),
    }
}

/// What a dump argument must name (see [`exit::input_file`]).
const DUMP_FILE: &str = "a dump file, or - for stdin";
/// What an incremental dump argument must name.
const INCREMENTAL_FILE: &str = "an incremental dump file";

/// Reads the incrementals of a chain into memory (they are small): files
/// only, none of them the full dump `full`.
fn read_incrementals(paths: &[PathBuf], full: &Path, lenient: bool) -> Result<Vec<Dump>> {
    let mut incs = Vec::new();
    for p in paths {
        if p == Path::new("-") {
            return Err(exit::usage(
                "incremental dumps must be files (only the full dump can come from stdin)",
            ));
        }
        if p == full {
            return Err(exit::usage(format!(
                "{}: given both as the full dump and as an incremental",
                p.display()
            )));
        }
        exit::input_file(p, INCREMENTAL_FILE)?;
        // Through Source, as the full dump is: gzip is read, other kinds
        // are named.
        let f = Source::file(p)
            .open()
            .with_context(|| p.display().to_string())?;
        let d = Dump::read(
            BufReader::with_capacity(1 << 20, f),
            ReadOptions { lenient },
        )
        .with_context(|| p.display().to_string())?;
        incs.push(d);
    }
    Ok(incs)
}

/// A restore's or comparison's error with the full dump's name before
/// those that concern its stream (the others name their path in the
/// target themselves). The class stays with the error ([`exit`] finds it).
fn in_stream(e: RestoreError, dump: &str) -> anyhow::Error {
    match e {
        RestoreError::Dump(e) => anyhow::Error::new(e).context(dump.to_string()),
        e => e.into(),
    }
}

/// A client of the venus at the discovered mount, for ACLs on a Coda
/// mount (`--acls coda`, or `auto` on one).
fn venus() -> Result<cfs_ioctl::Client> {
    let mnt = cfs_ioctl::mountpoint::discover(None);
    cfs_ioctl::Client::connect(&mnt, cfs_ioctl::TransportKind::default())
        .with_context(|| mnt.display().to_string())
}

/// Now, in Unix seconds (0 for a clock set before 1970), as dumps record
/// dates (32 bits).
fn now() -> u32 {
    human::now() as u32
}
