//! `init.rec`: a small, redundant record of what `delete --force` needs to remove a
//! container when its state.json cannot be read (truncated, garbage, gone): the
//! init's pid and start time, its cgroup directories, its host veth ends. One fact
//! per line, each line trusted only when whole (ends in a newline), so a record cut
//! short still gives every line before the cut; it is written before state.json
//! and never rewritten. Nothing from it is acted on unchecked: the pid only with
//! its start time (a pidfd, as for any init), cgroup directories only strictly
//! below a mounted hierarchy, interfaces only when they are veths.

use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::state::Saved;

pub const RECORD_FILE: &str = "init.rec";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub pid: Option<i32>,
    pub start_time: Option<u64>,
    pub cgroup_dirs: Vec<PathBuf>,
    pub host_veths: Vec<String>,
}

impl Record {
    pub fn of(s: &Saved) -> Record {
        Record {
            pid: Some(s.pid),
            start_time: Some(s.start_time),
            cgroup_dirs: s.cgroup_paths.iter().map(Into::into).collect(),
            host_veths: s.host_veths.clone(),
        }
    }

    pub fn text(&self) -> String {
        let mut t = String::new();
        if let (Some(p), Some(s)) = (self.pid, self.start_time) {
            t += &format!("pid {p}\nstart {s}\n");
        }
        for d in &self.cgroup_dirs {
            t += &format!("cgroup {}\n", d.display());
        }
        for v in &self.host_veths {
            t += &format!("veth {v}\n");
        }
        t
    }

    /// Parses what can be trusted: whole lines with a known key and a sane value.
    pub fn parse(text: &[u8]) -> Record {
        let mut r = Record::default();
        let whole = match text.iter().rposition(|&b| b == b'\n') {
            Some(i) => &text[..i],
            None => return r,
        };
        for line in whole.split(|&b| b == b'\n') {
            let Ok(line) = std::str::from_utf8(line) else {
                continue;
            };
            let Some((key, value)) = line.split_once(' ') else {
                continue;
            };
            match key {
                "pid" => r.pid = value.parse().ok().filter(|&p: &i32| p > 0),
                "start" => r.start_time = value.parse().ok(),
                "cgroup" if sane_cgroup_dir(value) => r.cgroup_dirs.push(value.into()),
                "veth" if sane_ifname(value) => r.host_veths.push(value.into()),
                _ => {}
            }
        }
        r
    }

    pub fn read(dir: &Path) -> Record {
        fs::read(dir.join(RECORD_FILE))
            .map(|t| Record::parse(&t))
            .unwrap_or_default()
    }

    /// Written once, before state.json, and synced with it by the rename that follows.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(RECORD_FILE);
        let mut f = fs::File::create(&path).map_err(|e| Error::io("create", &path, e))?;
        f.write_all(self.text().as_bytes())
            .map_err(|e| Error::io("write", &path, e))
    }
}

/// An absolute path of normal components (delete keeps it only when it lies strictly
/// below a mounted hierarchy).
fn sane_cgroup_dir(p: &str) -> bool {
    let p = Path::new(p);
    p.is_absolute()
        && p.components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
}

/// A Linux interface name: 1–15 bytes, no '/', no whitespace.
fn sane_ifname(n: &str) -> bool {
    (1..16).contains(&n.len()) && !n.bytes().any(|b| b == b'/' || b.is_ascii_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            pid: Some(4242),
            start_time: Some(987654),
            cgroup_dirs: vec!["/sys/fs/cgroup/memory/runlet/c1".into()],
            host_veths: vec!["rn4242a".into()],
        }
    }

    #[test]
    fn round_trip() {
        assert_eq!(Record::parse(sample().text().as_bytes()), sample());
    }

    #[test]
    fn a_cut_keeps_whole_lines_only() {
        let text = sample().text();
        // Cut inside the cgroup line: pid and start stay, the partial path does not.
        let cut = text.find("runlet/c1").unwrap();
        let r = Record::parse(&text.as_bytes()[..cut]);
        assert_eq!((r.pid, r.start_time), (Some(4242), Some(987654)));
        assert!(r.cgroup_dirs.is_empty() && r.host_veths.is_empty(), "{r:?}");
        // Cut inside the first line: nothing.
        assert_eq!(Record::parse(&text.as_bytes()[..6]), Record::default());
    }

    #[test]
    fn garbage_and_bad_values_give_nothing() {
        assert_eq!(
            Record::parse(b"\x00\xff\xfe garbage\n{}\n"),
            Record::default()
        );
        let r = Record::parse(
            b"pid -3\nstart x\ncgroup ../etc\ncgroup /a/../b\nveth a/b\nveth 0123456789abcdef\n",
        );
        assert_eq!(r, Record::default());
    }
}
