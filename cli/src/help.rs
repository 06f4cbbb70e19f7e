//! Help texts that `--help` and the manual pages share: the exit codes
//! (`shared/spec/cli-conventions.md`) and each command group's examples.
//! A subcommand's own examples stay beside its arguments.

use crate::exit;

/// The exit codes every command uses, in order, with what each means.
pub const EXIT_CODES: [(u8, &str); 4] = [
    (exit::SUCCESS, "success"),
    (
        exit::FAILURE,
        "the operation failed, or (verify, copy) found differences or failed items",
    ),
    (exit::USAGE, "usage error: bad arguments, nothing was done"),
    (
        exit::REFUSED,
        "refused for safety: the target holds data or is in use (--force), or was not confirmed (--yes)",
    ),
];

/// The top level's text after the options: examples, then the exit codes.
pub fn top() -> String {
    let mut s = String::from(
        "Examples:
  coda-rs drill                                  # rehearse a recovery on built-in data
  coda-rs rvm init --log /vice/LOG --log-size 20M --data /vice/DATA --data-size 256M
  coda-rs rvm status /vice/LOG
  coda-rs dump restore vol.dump --into /restore/vol
  coda-rs reinit status --state /root/reinit
  coda-rs help dump restore                      # the help of one command
  coda-rs man dump restore | man -l -            # its manual page

Exit status:
",
    );
    for (code, meaning) in EXIT_CODES {
        s.push_str(&format!("  {code}  {meaning}\n"));
    }
    s.pop();
    s
}

/// `coda-rs rvm --help`.
pub const RVM: &str = "Examples:
  coda-rs rvm init --log /vice/LOG --log-size 20M --data /vice/DATA --data-size 256M
  coda-rs rvm init-log /vice/LOG 20M
  coda-rs rvm init-data /vice/LOG /vice/DATA 256M 0x50000000 0xfef0000 1M 80 64
  coda-rs rvm status /vice/LOG
  coda-rs rvm show /vice/LOG --json
  coda-rs rvm recover /vice/LOG --dry-run";

/// `coda-rs dump --help`.
pub const DUMP: &str = "Examples:
  coda-rs dump ls vol.dump
  coda-rs dump verify vol.dump
  coda-rs dump restore vol.full mon.incr --into /restore/vol
  ssh server 'volutil dump 1000002' | coda-rs dump restore - --into /restore/vol
  coda-rs dump merge merged.dump full.dump incr.dump
  coda-rs dump to-tar vol.dump -o vol.tar
  coda-rs dump create /srv/tree -o vol.dump --volume-id 1000102 --volume-name vol.backup";

/// `coda-rs cfs --help`.
pub const CFS: &str = "Examples:
  coda-rs cfs lv /coda/usr/jan
  coda-rs cfs lv --json /coda/usr/jan /coda/usr/bob
  coda-rs cfs mkmount /coda/tmp/restored/vol1 users:jan
  coda-rs cfs rmmount /coda/tmp/restored/vol1
  coda-rs cfs flushcache --yes
  coda-rs cfs sa /coda/usr/jan jan rlidwka
  coda-rs cfs getfid --transport ioctl /coda/usr/jan";

/// `coda-rs plan --help`.
pub const PLAN: &str = "Examples:
  coda-rs plan dumplists --volume-list BigVolumeList --vrlist ../db/VRList \\
      --tape-size 1.5G -o /vice/db/dumplists
  coda-rs plan recreate --volume-list /vice/vol/VolumeList \\
      --vrlist /vice/db/VRList > /tmp/reinit_script";

/// `coda-rs reinit --help`.
pub const REINIT: &str = "Examples:
  coda-rs reinit init --volume-list /vice/vol/VolumeList --vrlist /vice/db/VRList \\
      --state /root/reinit --dump-dir /backup/vm --server-conf /etc/coda/server.conf
  coda-rs reinit status --state /root/reinit
  coda-rs reinit next --state /root/reinit
  coda-rs reinit run 13.2.2 --state /root/reinit
  coda-rs reinit done 13.2.1 --state /root/reinit";

/// `coda-rs tape --help`.
pub const TAPE: &str = "Examples:
  coda-rs tape ls /dev/nst0
  coda-rs tape ls --block-size 10240 /dev/nst0
  coda-rs tape ls backup-file1.tar";
