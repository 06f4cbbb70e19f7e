//! A small Rust lexer: enough to see items, `use` trees and paths, with
//! comments (doc comments included) skipped and string and character
//! literals kept as single tokens, so that nothing in prose or in a string
//! reads as a path.

/// One token and the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: Tok,
    pub line: usize,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An identifier or keyword (`r#` stripped).
    Ident(String),
    /// `::`
    PathSep,
    /// A string literal's contents as written (escapes not decoded).
    Str(String),
    /// A lifetime, a character or number literal: nothing a path uses.
    Other,
    /// Any other single punctuation character.
    Punct(char),
}

impl Token {
    /// The identifier, if this is one.
    pub fn ident(&self) -> Option<&str> {
        match &self.kind {
            Tok::Ident(s) => Some(s),
            _ => None,
        }
    }

    /// True for the punctuation character `c`.
    pub fn is(&self, c: char) -> bool {
        self.kind == Tok::Punct(c)
    }
}

/// The tokens of `src`.
pub fn tokens(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let ident_char = |c: u8| c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80;
    while i < b.len() {
        let c = b[i];
        let start_line = line;
        let push = |out: &mut Vec<Token>, kind| {
            out.push(Token {
                kind,
                line: start_line,
            })
        };
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            _ if c.is_ascii_whitespace() => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        line += usize::from(b[i] == b'\n');
                        i += 1;
                    }
                }
            }
            b'"' => {
                let (text, end) = quoted(src, i + 1);
                line += text.matches('\n').count();
                push(&mut out, Tok::Str(text));
                i = end;
            }
            b'r' | b'b' if raw_string_start(b, i).is_some() => {
                let (hashes, open) = raw_string_start(b, i).unwrap();
                let close = format!("\"{}", "#".repeat(hashes));
                let body_end = src[open..].find(&close).map_or(b.len(), |n| open + n);
                let text = src[open..body_end].to_string();
                line += text.matches('\n').count();
                push(&mut out, Tok::Str(text));
                i = (body_end + close.len()).min(b.len());
            }
            b'b' if b.get(i + 1) == Some(&b'"') => {
                let (text, end) = quoted(src, i + 2);
                line += text.matches('\n').count();
                push(&mut out, Tok::Str(text));
                i = end;
            }
            b'b' if b.get(i + 1) == Some(&b'\'') => {
                i = char_literal_end(src, i + 1).unwrap_or(i + 2);
                push(&mut out, Tok::Other);
            }
            b'\'' => {
                // A character literal, else a lifetime or label.
                match char_literal_end(src, i) {
                    Some(end) => i = end,
                    None => {
                        i += 1;
                        while i < b.len() && ident_char(b[i]) {
                            i += 1;
                        }
                    }
                }
                push(&mut out, Tok::Other);
            }
            b':' if b.get(i + 1) == Some(&b':') => {
                push(&mut out, Tok::PathSep);
                i += 2;
            }
            _ if c.is_ascii_digit() => {
                while i < b.len() && (ident_char(b[i]) || b[i] == b'.' && next_is_digit(b, i)) {
                    i += 1;
                }
                push(&mut out, Tok::Other);
            }
            _ if ident_char(c) => {
                let mut start = i;
                if b[i..].starts_with(b"r#") {
                    start += 2;
                    i += 2;
                }
                while i < b.len() && ident_char(b[i]) {
                    i += 1;
                }
                push(&mut out, Tok::Ident(src[start..i].to_string()));
            }
            _ => {
                let ch = src[i..].chars().next().unwrap();
                push(&mut out, Tok::Punct(ch));
                i += ch.len_utf8();
            }
        }
    }
    out
}

fn next_is_digit(b: &[u8], i: usize) -> bool {
    b.get(i + 1).is_some_and(u8::is_ascii_digit)
}

/// The body of a `"…"` literal whose contents start at `from`, and the
/// index after its closing quote.
fn quoted(src: &str, from: usize) -> (String, usize) {
    let b = src.as_bytes();
    let mut i = from;
    while i < b.len() && b[i] != b'"' {
        i += if b[i] == b'\\' { 2 } else { 1 };
    }
    let end = i.min(b.len());
    (src[from..end].to_string(), (end + 1).min(b.len()))
}

/// For `r"`, `r#"`, `br#"`…: the number of `#` and where the body starts.
fn raw_string_start(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let mut j = i + usize::from(b[i] == b'b');
    if b.get(j) != Some(&b'r') || (i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
    {
        return None;
    }
    j += 1;
    let hashes = b[j..].iter().take_while(|&&c| c == b'#').count();
    (b.get(j + hashes) == Some(&b'"')).then_some((hashes, j + hashes + 1))
}

/// The end of the character literal starting with the quote at `i`, or
/// `None` when the quote starts a lifetime.
fn char_literal_end(src: &str, i: usize) -> Option<usize> {
    let rest = &src[i + 1..];
    let mut chars = rest.char_indices();
    match chars.next()? {
        (_, '\\') => rest.find('\'').map(|n| {
            // `'\''`: the escaped quote is not the end.
            let n = if n == 1 {
                2 + rest[2..].find('\'').unwrap_or(0)
            } else {
                n
            };
            i + 1 + n + 1
        }),
        (_, c) => {
            let after = c.len_utf8();
            (rest[after..].starts_with('\'')).then_some(i + 1 + after + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        tokens(src).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn comments_strings_and_lifetimes_hide_no_paths() {
        let src = "/// [`crate::a`]\n/* crate::b /* nested */ */ let s = \"crate::c\";\n\
                   let r = r#\"crate::d\"#; let c = '\\''; fn f<'a>(x: &'a u8) {}\n";
        let idents: Vec<_> = kinds(src)
            .into_iter()
            .filter_map(|k| match k {
                Tok::Ident(s) => Some(s),
                _ => None,
            })
            .collect();
        assert_eq!(
            idents,
            ["let", "s", "let", "r", "let", "c", "fn", "f", "x", "u8"]
        );
        assert_eq!(tokens(src).last().unwrap().line, 3);
    }

    #[test]
    fn paths_are_idents_and_separators() {
        assert_eq!(
            kinds("crate::x"),
            [
                Tok::Ident("crate".into()),
                Tok::PathSep,
                Tok::Ident("x".into())
            ]
        );
    }
}
