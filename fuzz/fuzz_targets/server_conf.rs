//! `server.conf` (`name=value` lines) as `coda-rs reinit` reads it from a
//! broken server to find the RVM log and data segment.
//!
//! What must hold: no panic; an error names the file and one of its
//! lines; a value read is one of the file's lines' values.

#![no_main]

use coda_rs_fuzz::assert_names_a_line;
use libfuzzer_sys::fuzz_target;
use recovery_plan::server_conf::ServerConf;

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    let conf = match ServerConf::parse(data, "server.conf") {
        Ok(conf) => conf,
        Err(e) => return assert_names_a_line(&e, data, "server.conf"),
    };
    let text = String::from_utf8_lossy(data);
    for key in ["rvm_log", "rvm_data", "rvm_data_length"] {
        if let Some(v) = conf.get(key) {
            assert!(!v.is_empty());
            assert!(text.contains(v), "value {v:?} of {key} is not in the file");
            assert!(!v.contains('\n'));
        }
    }
});
