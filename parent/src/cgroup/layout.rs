//! The host's cgroup layout, read from /proc/self/mountinfo: unified v2, v1 (one
//! hierarchy per controller or group of controllers), or hybrid (both). Only mounts
//! path lookup reaches count (one stacked on a cgroup mount hides it), and each is
//! checked to be the cgroup file system it claims (statfs).

use std::fs;
use std::path::PathBuf;

use linux_raw_sys::general;
use rustix::fs::statfs;

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

/// One mountinfo line: "id parent maj:min root mountpoint opts [optional...] - fstype
/// source superopts".
struct Mount<'a> {
    id: &'a str,
    parent: &'a str,
    /// The directory of the file system mounted there ("/": the whole hierarchy).
    root: &'a str,
    point: PathBuf,
    fstype: &'a str,
    superopts: &'a str,
}

impl<'a> Mount<'a> {
    fn parse(line: &'a str) -> Option<Mount<'a>> {
        let (left, right) = line.split_once(" - ")?;
        let mut l = left.split(' ');
        let (id, parent, root) = (l.next()?, l.next()?, l.nth(1)?);
        let point = PathBuf::from(unescape(l.next()?));
        let mut r = right.split(' ');
        let (fstype, superopts) = (r.next()?, r.nth(1).unwrap_or(""));
        Some(Mount {
            id,
            parent,
            root,
            point,
            fstype,
            superopts,
        })
    }
}

/// Whether path lookup reaches `m`: neither it nor a mount it sits on is covered by a
/// mount stacked on its root (a child at the same mount point: the topmost wins), the
/// one on the way to `m` apart.
fn visible(all: &[Mount], m: &Mount) -> bool {
    let covered = |under: &Mount, via: Option<&str>| {
        // An initramfs's root mount is its own parent: not a cover of itself.
        all.iter().any(|c| {
            c.parent == under.id && c.point == under.point && c.id != under.id && Some(c.id) != via
        })
    };
    let (mut cur, mut via) = (m, None);
    // Bounded: a malformed table with a parent cycle must not loop.
    for _ in 0..=all.len() {
        if covered(cur, via) {
            return false;
        }
        match all.iter().find(|p| p.id == cur.parent && p.id != cur.id) {
            Some(p) => (cur, via) = (p, Some(cur.id)),
            None => return true,
        }
    }
    false
}

fn hierarchy(m: &Mount) -> Option<Hierarchy> {
    let controllers = match m.fstype {
        "cgroup2" => String::new(),
        "cgroup" => {
            let c: Vec<&str> = m
                .superopts
                .split(',')
                .filter(|o| !matches!(*o, "rw" | "ro") && !o.starts_with("release_agent"))
                .filter(|o| {
                    !matches!(
                        *o,
                        "noprefix" | "clone_children" | "xattr" | "cpuset_v2_mode"
                    )
                })
                .collect();
            c.join(",")
        }
        _ => return None,
    };
    Some(Hierarchy {
        mountpoint: m.point.clone(),
        controllers,
        v2: m.fstype == "cgroup2",
    })
}

/// Which of several mounts of one hierarchy serves: one under /sys/fs/cgroup (not a
/// copy a container's rootfs or a test shows elsewhere, which may go away), then one
/// of the whole hierarchy; among equals the first.
fn rank(m: &Mount) -> u8 {
    2 * u8::from(m.point.starts_with("/sys/fs/cgroup")) + u8::from(m.root == "/")
}

/// Whether the file system at `h`'s mount point is what mountinfo says (a mount
/// stacked there that the table does not show as such hides it).
fn really_cgroup(h: &Hierarchy) -> bool {
    let want = if h.v2 {
        general::CGROUP2_SUPER_MAGIC
    } else {
        general::CGROUP_SUPER_MAGIC
    };
    statfs(&h.mountpoint).is_ok_and(|s| s.f_type as u32 == want)
}

impl Layout {
    pub fn detect() -> Result<Layout> {
        let p = "/proc/self/mountinfo";
        let text = fs::read_to_string(p).map_err(|e| Error::io("read", p, e))?;
        let mut l = Layout::parse(&text);
        l.hierarchies.retain(really_cgroup);
        Ok(l)
    }

    /// The cgroup hierarchies path lookup reaches, as the kernel means mountinfo: a
    /// later mount at the same point hides the earlier ones and all below them.
    pub(super) fn parse(mountinfo: &str) -> Layout {
        let all: Vec<Mount> = mountinfo.lines().filter_map(Mount::parse).collect();
        let mut found: Vec<(Hierarchy, u8)> = Vec::new();
        for m in &all {
            // Cgroup mounts only are walked: a host may have hundreds of others.
            let Some(h) = hierarchy(m).filter(|_| visible(&all, m)) else {
                continue;
            };
            let rank = rank(m);
            let same =
                |x: &&mut (Hierarchy, u8)| x.0.v2 == h.v2 && x.0.controllers == h.controllers;
            match found.iter_mut().find(same) {
                Some(x) if x.1 < rank => *x = (h, rank),
                Some(_) => {}
                None => found.push((h, rank)),
            }
        }
        Layout {
            hierarchies: found.into_iter().map(|(h, _)| h).collect(),
        }
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
    use std::path::Path;

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
    fn a_mount_stacked_on_cgroup2_hides_it() {
        let stacked =
            format!("{HYBRID}60 34 0:40 / /sys/fs/cgroup/unified rw,relatime - tmpfs tmpfs rw\n");
        let l = Layout::parse(&stacked);
        assert!(l.hierarchies.iter().all(|h| !h.v2), "{l:?}");
        assert_eq!(l.hierarchies.len(), 3);
        // A cgroup2 mount stacked on the tmpfs is the one that counts.
        let again =
            format!("{stacked}61 60 0:30 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
        let l = Layout::parse(&again);
        assert_eq!(l.hierarchies.iter().filter(|h| h.v2).count(), 1);
        // A tmpfs over /sys/fs/cgroup itself hides every hierarchy below it, and a
        // mount at the same point elsewhere in the tree (another parent) hides nothing.
        let over = format!("{HYBRID}70 30 0:50 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n");
        let l = Layout::parse(&over);
        assert_eq!(l.hierarchies.len(), 1, "{l:?}");
        assert_eq!(l.hierarchies[0].mountpoint, Path::new("/mnt/cpu-again"));
        let beside = format!("{HYBRID}71 23 0:51 / /sys/fs/cgroup/cpu rw - tmpfs tmpfs rw\n");
        assert_eq!(Layout::parse(&beside).hierarchies.len(), 4);
    }

    #[test]
    fn an_initramfs_root_is_its_own_parent() {
        let l = Layout::parse(
            "1 1 0:2 / / rw - rootfs rootfs rw\n7 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
        );
        assert!(l.is_pure_v2(), "{l:?}");
    }

    #[test]
    fn the_mount_under_sys_fs_cgroup_serves() {
        // A container's rootfs (rshared propagation) shows cgroup2 first; the private
        // namespace of a simulated v2 host mounts /sys/fs/cgroup after it.
        let l = Layout::parse(
            "1 1 0:2 / / rw - ext4 /dev/vda rw\n\
             5 1 0:26 / /tmp/b/rootfs/sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n\
             6 1 0:26 /sub /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n\
             7 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
        );
        assert_eq!(l.hierarchies.len(), 1, "{l:?}");
        assert_eq!(l.hierarchies[0].mountpoint, Path::new("/sys/fs/cgroup"));
        assert!(l.is_pure_v2());
        let l = Layout::parse(HYBRID);
        assert_eq!(l.hierarchies[0].mountpoint, Path::new("/sys/fs/cgroup/cpu"));
    }

    #[test]
    fn a_parent_cycle_ends() {
        let l = Layout::parse(
            "1 2 0:1 / /a rw - cgroup2 cgroup2 rw\n2 1 0:2 / /b rw - tmpfs tmpfs rw\n",
        );
        assert!(l.hierarchies.is_empty());
    }

    #[test]
    fn pure_v2_layout() {
        let l = Layout::parse("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n");
        assert!(l.is_pure_v2());
    }
}
