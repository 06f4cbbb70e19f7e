//! Shared by the `cfs_*` tests: a reader for the example buffers of
//! `shared/golden/pioctl/layout.txt`.

#![allow(dead_code)] // each test binary uses part of it

/// One `## ...` section of layout.txt: its heading, its dumps (label, bytes)
/// and its `#` comment lines / indented text lines (the cfs outputs).
pub struct Section {
    pub heading: String,
    pub dumps: Vec<(String, Vec<u8>)>,
    pub text: Vec<String>,
}

pub fn layout() -> (String, Vec<Section>) {
    let text = String::from_utf8(coda_rs_tests::read_golden("pioctl", "layout.txt")).unwrap();
    let mut sections: Vec<Section> = Vec::new();
    let mut in_examples = false;
    for line in text.lines() {
        if line.starts_with("[example buffers]") {
            in_examples = true;
            continue;
        }
        if line.starts_with('[') {
            in_examples = false;
        }
        if !in_examples {
            continue;
        }
        if let Some(h) = line.strip_prefix("## ") {
            // "## cfs sa ... ->" continues on a second "##" line.
            if let Some(last) = sections.last_mut() {
                if last.dumps.is_empty() && last.heading.ends_with("->") {
                    last.heading.push(' ');
                    last.heading.push_str(h);
                    continue;
                }
            }
            sections.push(Section {
                heading: h.to_string(),
                dumps: Vec::new(),
                text: Vec::new(),
            });
        } else if let Some(label) = line.strip_prefix("-- ") {
            let s = sections.last_mut().expect("dump inside a section");
            s.dumps.push((label.to_string(), Vec::new()));
        } else if line.len() > 8 && line.starts_with("  ") && line.as_bytes()[6] == b':' {
            // "  0000: 31 39 ...  |ascii|"
            let s = sections.last_mut().expect("hex inside a section");
            let hex = &line[8..line.find("  |").unwrap_or(line.len())];
            let bytes = s.dumps.last_mut().expect("hex after a label");
            for h in hex.split_whitespace() {
                bytes.1.push(u8::from_str_radix(h, 16).unwrap());
            }
        } else if let Some(s) = sections.last_mut() {
            s.text.push(line.to_string());
        }
    }
    // Each dump label ends with ": N bytes"; check we read exactly N.
    for s in &sections {
        for (label, bytes) in &s.dumps {
            let n: usize = label
                .rsplit(": ")
                .next()
                .and_then(|t| t.strip_suffix(" bytes"))
                .and_then(|t| t.parse().ok())
                .unwrap_or_else(|| panic!("label without a size: {label}"));
            assert_eq!(bytes.len(), n, "{label}");
        }
    }
    (text, sections)
}

pub fn section<'a>(sections: &'a [Section], heading_start: &str) -> &'a Section {
    sections
        .iter()
        .find(|s| s.heading.starts_with(heading_start))
        .unwrap_or_else(|| panic!("no section {heading_start:?} in layout.txt"))
}

pub fn dump<'a>(s: &'a Section, label_start: &str) -> &'a [u8] {
    &s.dumps
        .iter()
        .find(|(l, _)| l.starts_with(label_start))
        .unwrap_or_else(|| panic!("no dump {label_start:?} under {:?}", s.heading))
        .1
}

/// A golden virtual-file request split into its parts (spec §3.2):
/// nr, path, follow, input, out_size.
pub struct VfRequest {
    pub nr: u8,
    pub path: Vec<u8>,
    pub follow: u8,
    pub input: Vec<u8>,
    pub out_size: u16,
}

/// Splits a golden VF request (five decimal lines, NUL, path, input).
pub fn split_vf(bytes: &[u8]) -> VfRequest {
    let mut pos = 0;
    let mut nums = [0u64; 5];
    for n in &mut nums {
        let end = pos + bytes[pos..].iter().position(|&b| b == b'\n').unwrap();
        *n = std::str::from_utf8(&bytes[pos..end])
            .unwrap()
            .parse()
            .unwrap();
        pos = end + 1;
    }
    assert_eq!(bytes[pos], 0, "NUL separator");
    pos += 1;
    let plen = nums[1] as usize;
    let path = bytes[pos..pos + plen].to_vec();
    let input = bytes[pos + plen..].to_vec();
    assert_eq!(input.len() as u64, nums[3]);
    VfRequest {
        nr: nums[0] as u8,
        path,
        follow: nums[2] as u8,
        input,
        out_size: nums[4] as u16,
    }
}
