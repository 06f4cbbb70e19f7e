//! Inputs the fuzz targets (`fuzz/fuzz_targets/`) found, kept in
//! `tests/fuzz/`, and variants of each class; every one must fail with an
//! error naming what was wrong, never panic or produce bad output.

use std::path::Path;

use volume_dump::acl::yaml::parse_acl_yaml;
use volume_dump::acl::Acl;
use volume_dump::acl::ACL_FILE;
use volume_dump::create::{create_dump, CreateOptions};
use volume_dump::Error;

fn fuzz_input(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A `..CodaACLs.yaml` whose one directory has a single positive entry
/// named by the quoted YAML string `name`.
fn yaml_with_name(name: &str) -> Vec<u8> {
    format!("acls:\n- path: \".\"\n  acl:\n  - name: \"{name}\"\n    rights: \"rl\"\n").into_bytes()
}

/// `dump create` of a tree holding `yaml` as its ACL file: the error.
fn create_error(yaml: &[u8]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(ACL_FILE), yaml).unwrap();
    let opts = CreateOptions::new(0x0100_0002, b"vol", 1_700_000_000);
    match create_dump(dir.path(), &opts, Vec::new()) {
        Err(Error::Tree { path, problem }) => (path, problem),
        Ok(_) => panic!("dump create accepted the ACL file"),
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// fuzz acl_yaml crash-970b46d0: an entry name holding NUL bytes was
/// turned into an ACL text the dump's `'X'` field cannot hold (the
/// strict ACL parser, like the server, refuses it). Now the YAML reader
/// refuses it, naming the line.
#[test]
fn acl_yaml_name_with_nul_is_refused_with_its_line() {
    let yaml = fuzz_input("acl_yaml-970b46d0-nul-in-name.yaml");
    let e = parse_acl_yaml(&yaml).unwrap_err();
    assert!(e.starts_with("line 16: entry name "), "{e}");
    let (path, problem) = create_error(&yaml);
    assert!(path.ends_with(ACL_FILE), "{path}");
    assert!(problem.starts_with("line 16: entry name "), "{problem}");
}

/// Names the text form cannot carry, raw or escaped: each would shift or
/// inject entries (`jan\t127\n...` gives `jan` all rights while the YAML
/// says `rl`), so each is refused at its line.
#[test]
fn acl_yaml_names_that_break_the_text_form_are_refused() {
    let long = "n".repeat(256);
    for name in [
        "",
        "two words",
        "tab\\there",
        "jan\\t127\\nSystem:AnyUser",
        "line\\nbreak",
        "cr\\rhere",
        "vt\\vhere",
        "ff\\fhere",
        "nul\\x00here",
        "esc-space\\x20here",
        long.as_str(),
    ] {
        let e = parse_acl_yaml(&yaml_with_name(name)).unwrap_err();
        assert!(e.starts_with("line 4: entry name "), "{name:?}: {e}");
        let (_, problem) = create_error(&yaml_with_name(name));
        assert!(
            problem.starts_with("line 4: entry name "),
            "{name:?}: {problem}"
        );
    }
    // The longest name the text form carries, and escaped bytes that are
    // not whitespace, are still accepted.
    for name in [
        "n".repeat(255),
        "caf\\xC3\\xA9".to_string(),
        "a\\\"b\\\\c".to_string(),
    ] {
        let acls = parse_acl_yaml(&yaml_with_name(&name)).unwrap();
        let text = &acls[&b"."[..]];
        assert_eq!(Acl::parse(text).unwrap().positive.len(), 1, "{name:?}");
    }
}

/// A directory with more entries than the text form allows is refused at
/// its `- path:` line.
#[test]
fn acl_yaml_with_too_many_entries_is_refused() {
    let mut yaml = b"acls:\n- path: \"./big\"\n  acl:\n".to_vec();
    for i in 0..1025 {
        yaml.extend_from_slice(format!("  - name: \"u{i}\"\n    rights: \"r\"\n").as_bytes());
    }
    let e = parse_acl_yaml(&yaml).unwrap_err();
    assert!(
        e.starts_with("line 2: the ACL of \"./big\" cannot be stored: "),
        "{e}"
    );
    assert!(e.contains("1025 entries"), "{e}");
}

/// `\x` takes exactly two hex digits (`from_str_radix` alone accepts a
/// sign, so `\x+f` used to read as 0x0f).
#[test]
fn acl_yaml_hex_escape_needs_two_hex_digits() {
    for bad in ["\\x+f", "\\x-1", "\\x 1", "\\xg0", "\\x1"] {
        let yaml = format!("acls:\n- path: \"./{bad}\"\n  acl:\n").into_bytes();
        let e = parse_acl_yaml(&yaml).unwrap_err();
        assert!(e.starts_with("line 2: "), "{bad:?}: {e}");
        assert!(e.contains("\\x escape"), "{bad:?}: {e}");
    }
    let acls = parse_acl_yaml(b"acls:\n- path: \"./\\x41\\xfF\"\n  acl:\n").unwrap();
    assert!(acls.contains_key(&b"./A\xff"[..]));
}
