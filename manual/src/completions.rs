//! Shell completion scripts: [`clap_complete`]'s, with its bash
//! generator's state names mended for a binary name with a hyphen.

use clap_complete::Shell;

/// The completion script for `shell`.
pub fn completions(shell: Shell, cmd: &mut clap::Command) -> Vec<u8> {
    let name = cmd.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(shell, cmd, &name, &mut out);
    if shell == Shell::Bash {
        out = fix_bash_state_labels(&out, &name);
    }
    out
}

/// Works around clap_complete's bash generator (4.6.11 and 4.6.12, clap
/// issues #6386, #6421, #6529) for a binary name with a hyphen. The loop
/// over the words spells the state of `coda-rs rvm` as
/// `coda__rs__subcmd__rvm` (hyphens in the binary name become `__`), but
/// the case arms that complete each subcommand spell it
/// `coda__subcmd__rs__subcmd__rvm` (the hyphen becomes the subcommand
/// separator), so no arm below the top level ever matched and only the top
/// level completed. The arms are respelled the loop's way; when clap
/// fixes its generator the wrong spelling no longer occurs and this does
/// nothing.
fn fix_bash_state_labels(script: &[u8], bin_name: &str) -> Vec<u8> {
    let wrong = bin_name.replace('-', "__subcmd__");
    let right = bin_name.replace('-', "__");
    if wrong == right {
        return script.to_vec();
    }
    // Only whole state names: the wrong spelling followed by a separator
    // or the `)` that ends a case label.
    let text = String::from_utf8_lossy(script);
    let mut fixed = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(at) = rest.find(&wrong) {
        let after = &rest[at + wrong.len()..];
        let whole = after.starts_with("__subcmd__") || after.starts_with(')');
        fixed.push_str(&rest[..at]);
        fixed.push_str(if whole { &right } else { &wrong });
        rest = after;
    }
    fixed.push_str(rest);
    fixed.into_bytes()
}
