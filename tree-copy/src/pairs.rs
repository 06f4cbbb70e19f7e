//! The pairs file of `coda-rs copy --pairs`: one `SRC DST` pair per line;
//! blank lines and lines starting with `#` are ignored.

use std::path::Path;

use crate::{Error, Pair};

/// Parses the text of the pairs file `file` (named in errors). A line with
/// other than two whitespace-separated fields is an error naming the file
/// and line.
pub fn parse_pairs(text: &str, file: &Path) -> Result<Vec<Pair>, Error> {
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [src, dst] = fields[..] else {
            return Err(Error::BadPairLine {
                file: file.to_path_buf(),
                line: n + 1,
                fields: fields.len(),
            });
        };
        pairs.push(Pair {
            src: src.into(),
            dst: dst.into(),
        });
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::parse_pairs;

    #[test]
    fn pairs_comments_and_bad_lines() {
        let f = Path::new("volumes.txt");
        let text = "# restored -> inited\n\n  /r/u.a   /i/u.a \n\t/r/u.b\t/i/u.b\n";
        let got: Vec<(PathBuf, PathBuf)> = parse_pairs(text, f)
            .unwrap()
            .into_iter()
            .map(|p| (p.src, p.dst))
            .collect();
        assert_eq!(
            got,
            [
                ("/r/u.a".into(), "/i/u.a".into()),
                ("/r/u.b".into(), "/i/u.b".into())
            ]
        );
        for (text, line, n) in [("/a\n", 1, 1), ("# c\n/a /b\n/a /b /c\n", 3, 3)] {
            let e = parse_pairs(text, f).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("volumes.txt:{line}: {n} fields (expected `SRC DST`)")
            );
        }
        assert!(parse_pairs("# nothing\n\n", f).unwrap().is_empty());
    }
}
