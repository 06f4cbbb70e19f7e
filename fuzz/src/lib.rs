//! Checks shared by the fuzz targets in `fuzz_targets/`.

use recovery_plan::Error;

/// Number of lines of a text file as the line-based parsers count them
/// (a last line without a newline counts; an empty file has none).
pub fn line_count(data: &[u8]) -> usize {
    let newlines = data.iter().filter(|&&b| b == b'\n').count();
    newlines + usize::from(!data.is_empty() && !data.ends_with(b"\n"))
}

/// Asserts that an error of a line-based parser (VolumeList, VRList,
/// dumplist, server.conf) names the file it was given and a line of it.
pub fn assert_names_a_line(e: &Error, data: &[u8], file: &str) {
    match e {
        Error::Syntax { file: f, line, .. } => {
            assert_eq!(f, file, "error names another file: {e}");
            let lines = line_count(data).max(1);
            assert!(
                (1..=lines).contains(line),
                "error names line {line} of a {lines}-line file: {e}"
            );
        }
        other => panic!("a parser error that names no line: {other}"),
    }
}

/// Splits `data` at its first NUL byte (text files never hold one): the
/// part before and, if there was a NUL, the part after.
pub fn split_nul(data: &[u8]) -> (&[u8], Option<&[u8]>) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    }
}
