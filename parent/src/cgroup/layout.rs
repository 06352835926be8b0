//! The host's cgroup layout, read from /proc/self/mountinfo: unified v2, v1 (one
//! hierarchy per controller or group of controllers), or hybrid (both).

use std::fs;
use std::path::PathBuf;

use crate::error::{Error, Result};

/// One mounted hierarchy of the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    pub mountpoint: PathBuf,
    /// "" for cgroup2; the controllers or name= of a v1 hierarchy ("cpu", "name=systemd").
    pub controllers: String,
    pub v2: bool,
}

impl Hierarchy {
    /// Whether this v1 hierarchy carries `controller` ("cpu" in "cpu,cpuacct").
    pub fn has(&self, controller: &str) -> bool {
        !self.v2 && self.controllers.split(',').any(|c| c == controller)
    }
}

/// The host's layout, read from /proc/self/mountinfo.
#[derive(Debug, Clone)]
pub struct Layout {
    pub hierarchies: Vec<Hierarchy>,
}

impl Layout {
    pub fn detect() -> Result<Layout> {
        let p = "/proc/self/mountinfo";
        let text = fs::read_to_string(p).map_err(|e| Error::io("read", p, e))?;
        Ok(Layout::parse(&text))
    }

    pub(super) fn parse(mountinfo: &str) -> Layout {
        let mut hierarchies: Vec<Hierarchy> = Vec::new();
        for line in mountinfo.lines() {
            // "id parent maj:min root mountpoint opts [optional...] - fstype source superopts"
            let Some((left, right)) = line.split_once(" - ") else {
                continue;
            };
            let mut r = right.split(' ');
            let (fstype, _source, superopts) = (r.next(), r.next(), r.next().unwrap_or(""));
            let mountpoint = match left.split(' ').nth(4) {
                Some(m) => PathBuf::from(unescape(m)),
                None => continue,
            };
            let h = match fstype {
                Some("cgroup2") => Hierarchy {
                    mountpoint,
                    controllers: String::new(),
                    v2: true,
                },
                Some("cgroup") => {
                    let c: Vec<&str> = superopts
                        .split(',')
                        .filter(|o| !matches!(*o, "rw" | "ro") && !o.starts_with("release_agent"))
                        .filter(|o| {
                            !matches!(
                                *o,
                                "noprefix" | "clone_children" | "xattr" | "cpuset_v2_mode"
                            )
                        })
                        .collect();
                    Hierarchy {
                        mountpoint,
                        controllers: c.join(","),
                        v2: false,
                    }
                }
                _ => continue,
            };
            // The same hierarchy mounted twice: the first mount serves.
            if !hierarchies
                .iter()
                .any(|x| x.v2 == h.v2 && x.controllers == h.controllers)
            {
                hierarchies.push(h);
            }
        }
        Layout { hierarchies }
    }

    /// A pure v2 host: one cgroup2 hierarchy and no v1 ones.
    pub fn is_pure_v2(&self) -> bool {
        self.hierarchies.len() == 1 && self.hierarchies[0].v2
    }
}

fn unescape(s: &str) -> String {
    s.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const HYBRID: &str = "\
30 23 0:26 / /sys/fs/cgroup rw,nosuid - tmpfs tmpfs rw,mode=755
31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu
32 30 0:28 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children
33 30 0:29 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
34 30 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
35 23 0:27 / /mnt/cpu-again rw,relatime - cgroup cgroup rw,cpu
";

    #[test]
    fn hybrid_layout() {
        let l = Layout::parse(HYBRID);
        let names: Vec<_> = l
            .hierarchies
            .iter()
            .map(|h| (h.mountpoint.clone(), h.controllers.clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("/sys/fs/cgroup/cpu".into(), "cpu".to_string()),
                ("/sys/fs/cgroup/cpuset".into(), "cpuset".to_string()),
                ("/sys/fs/cgroup/systemd".into(), "name=systemd".to_string()),
                ("/sys/fs/cgroup/unified".into(), String::new()),
            ]
        );
        assert!(!l.is_pure_v2());
        assert!(l.hierarchies.iter().any(|h| h.v2));
        assert!(l.hierarchies[0].has("cpu") && !l.hierarchies[3].has("cpu"));
    }

    #[test]
    fn pure_v2_layout() {
        let l = Layout::parse("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n");
        assert!(l.is_pure_v2());
    }
}
