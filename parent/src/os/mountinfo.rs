//! /proc/self/mountinfo, read by the root switch's plan (config/rootplan.rs) and by
//! `linux.intelRdt` (finding resctrl).

use std::path::PathBuf;

use crate::error::{Error, Result};

/// One line of /proc/self/mountinfo, the fields that matter here.
#[derive(Debug, Clone, PartialEq)]
pub struct MountLine {
    pub id: u32,
    pub parent: u32,
    pub mount_point: PathBuf,
    pub fstype: String,
}

/// Parses /proc/self/mountinfo (`proc(5)`): id, parent id, major:minor, root, mount
/// point (octal escapes), options, optional fields up to `-`, fstype, source, options.
pub fn parse_mountinfo(text: &str) -> Result<Vec<MountLine>> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let bad = || Error::msg(format!("/proc/self/mountinfo: cannot parse line {l:?}"));
            let f: Vec<&str> = l.split(' ').collect();
            let sep = f.iter().position(|x| *x == "-").ok_or_else(bad)?;
            if f.len() < 5 || sep < 6 || f.len() < sep + 2 {
                return Err(bad());
            }
            Ok(MountLine {
                id: f[0].parse().map_err(|_| bad())?,
                parent: f[1].parse().map_err(|_| bad())?,
                mount_point: PathBuf::from(unescape(f[4])),
                fstype: f[sep + 1].to_string(),
            })
        })
        .collect()
}

/// Undoes mountinfo's `\ooo` escapes (space, tab, newline, backslash).
fn unescape(s: &str) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let oct = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (b[i], oct) {
            (b'\\', Some(d)) => {
                out.push(d.iter().fold(0u8, |v, c| v.wrapping_mul(8) + (c - b'0')));
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    std::ffi::OsString::from_vec(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_escapes() {
        let m = parse_mountinfo("21 1 0:26 / /run\\040dir rw - tmpfs tmpfs rw\n").unwrap();
        assert_eq!(
            m,
            [MountLine {
                id: 21,
                parent: 1,
                mount_point: PathBuf::from("/run dir"),
                fstype: "tmpfs".into(),
            }]
        );
    }

    #[test]
    fn bad_lines_are_named() {
        let e = parse_mountinfo("1 1 0:2 /\n").unwrap_err().to_string();
        assert!(e.contains("cannot parse line"), "{e}");
    }
}
