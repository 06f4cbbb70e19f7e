//! Quoting words for a POSIX shell: the one function every command line
//! that coda-rs prints for a shell goes through (the `create_rep` script,
//! the runbook's commands, the `reinit` hints).
//!
//! A word made only of letters, digits and `_ . / : @ % + , -` means the
//! same to every POSIX shell (and to bash and zsh) and is printed as is,
//! so ordinary names and paths stay readable and the `create_rep` script
//! stays byte-identical to `partial-reinit.sh`'s. Anything else, including
//! the empty word, is put in single quotes, inside which a POSIX shell
//! gives no character a special meaning; a `'` in the word becomes `'\''`
//! (close the quotes, an escaped quote, reopen). `=` is quoted too: a word
//! `NAME=value` in command position is an assignment, and zsh expands a
//! word starting with `=`.

/// True when `word` needs no quotes.
fn is_plain(word: &[u8]) -> bool {
    !word.is_empty()
        && word
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"_./:@%+,-".contains(&b))
}

/// `word` quoted for a POSIX shell when it needs quoting (see the module
/// documentation).
pub fn shell_quote(word: &str) -> String {
    if is_plain(word.as_bytes()) {
        return word.to_string();
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('\'');
    out.push_str(&word.replace('\'', r"'\''"));
    out.push('\'');
    out
}

/// [`shell_quote`] for a word that need not be UTF-8 (a path given on the
/// command line): the same rules, byte for byte.
pub fn shell_quote_bytes(word: &[u8]) -> Vec<u8> {
    if is_plain(word) {
        return word.to_vec();
    }
    let mut out = Vec::with_capacity(word.len() + 2);
    out.push(b'\'');
    for &b in word {
        if b == b'\'' {
            out.extend_from_slice(br"'\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    out
}

/// `coda-rs reinit VERB [STEP] --state DIR`, every word quoted for the
/// shell, byte for byte (the state directory need not be UTF-8): the
/// command lines `reinit` prints for the operator to run next.
pub fn reinit_command(verb: &str, step: Option<&str>, state_dir: &std::path::Path) -> Vec<u8> {
    let mut line = b"coda-rs reinit ".to_vec();
    line.extend_from_slice(shell_quote(verb).as_bytes());
    if let Some(id) = step {
        line.push(b' ');
        line.extend_from_slice(shell_quote(id).as_bytes());
    }
    line.extend_from_slice(b" --state ");
    line.extend(shell_quote_bytes(state_dir.as_os_str().as_encoded_bytes()));
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_plain() {
        for w in ["/vicepa", "testvol.0", "7f000000", "--force", "a:b@c%d+e,f"] {
            assert_eq!(shell_quote(w), w);
        }
    }

    #[test]
    fn everything_else_is_single_quoted() {
        let cases = [
            ("", "''"),
            ("a b", "'a b'"),
            ("$(touch x)", "'$(touch x)'"),
            ("`id`", "'`id`'"),
            ("a;b|c&d", "'a;b|c&d'"),
            ("a\nb", "'a\nb'"),
            ("*?[", "'*?['"),
            ("~root", "'~root'"),
            ("#x", "'#x'"),
            ("A=b", "'A=b'"),
            ("it's", r"'it'\''s'"),
            ("''", r"''\'''\'''"),
            ("\\", "'\\'"),
            ("!x", "'!x'"),
        ];
        for (w, q) in cases {
            assert_eq!(shell_quote(w), q, "{w:?}");
            assert_eq!(shell_quote_bytes(w.as_bytes()), q.as_bytes(), "{w:?}");
        }
        assert_eq!(shell_quote_bytes(b"a\xffb'"), b"'a\xffb'\\'''");
    }

    #[test]
    fn reinit_commands() {
        use std::os::unix::ffi::OsStrExt;
        let dir = std::ffi::OsStr::from_bytes(b"/r/it's \xff");
        assert_eq!(
            reinit_command("run", Some("13.2.2"), dir.as_ref()),
            b"coda-rs reinit run 13.2.2 --state '/r/it'\\''s \xff'"
        );
        assert_eq!(
            reinit_command("next", None, "/root/reinit".as_ref()),
            b"coda-rs reinit next --state /root/reinit"
        );
    }
}
