//! Where the container's cgroup goes in each hierarchy.
//!
//! `linux.cgroupsPath` absolute: that path from the root of every hierarchy.
//! Relative: as runc's cgroupfs driver takes it, below runlet's own cgroup in each v1
//! hierarchy, and below the *parent* of runlet's own cgroup in cgroup2 (runc's fs2:
//! runlet's own cgroup has processes — runlet itself — so controllers could not be
//! enabled for a child of it). Absent: `/runlet/<id>`.

use std::path::{Component, Path, PathBuf};

use super::layout::Hierarchy;
use crate::error::{Error, Result};

/// The parent of every default container cgroup: runlet's own, so runlet removes it
/// when it is empty, whoever made it (containers come and go concurrently).
pub(super) const DEFAULT_PARENT: &str = "runlet";

/// The container's cgroup path: absolute ("/a/b", from each hierarchy's root) or
/// relative ("a/b", below runlet's own cgroup; see the module's doc). No component may
/// climb out with "..".
pub fn cgroup_path(configured: Option<&str>, id: &str) -> Result<PathBuf> {
    let raw = configured
        .map(str::to_string)
        .unwrap_or_else(|| format!("/{DEFAULT_PARENT}/{id}"));
    let mut out = PathBuf::from(if raw.starts_with('/') { "/" } else { "" });
    for c in Path::new(&raw).components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::CurDir => {}
            _ => {
                return Err(Error::msg(format!(
                    "linux.cgroupsPath {raw:?} must not contain \"..\""
                )))
            }
        }
    }
    if out == Path::new("/") || out == Path::new("") {
        return Err(Error::msg(format!(
            "linux.cgroupsPath {raw:?} names the root cgroup"
        )));
    }
    Ok(out)
}

/// The container's directory in hierarchy `h`. `own` is /proc/self/cgroup's text,
/// used for a relative `path` only.
pub(super) fn dir_in(h: &Hierarchy, path: &Path, own: &str) -> PathBuf {
    if let Ok(rel) = path.strip_prefix("/") {
        return h.mountpoint.join(rel);
    }
    let mine = own_cgroup(h, own);
    let base = if h.v2 {
        Path::new(&mine).parent().unwrap_or(Path::new("/"))
    } else {
        Path::new(&mine)
    };
    let base = base.strip_prefix("/").unwrap_or(base);
    // Our own cgroup as /proc shows it has no ".." (it is below our namespace's root).
    h.mountpoint.join(base).join(path)
}

/// This process's cgroup in `h`, from /proc/self/cgroup ("/" when not listed).
fn own_cgroup(h: &Hierarchy, own: &str) -> String {
    for line in own.lines() {
        let mut f = line.splitn(3, ':');
        let (_, ctrls, p) = (f.next(), f.next().unwrap_or(""), f.next().unwrap_or("/"));
        let same = if h.v2 {
            ctrls.is_empty()
        } else {
            let mut a: Vec<&str> = ctrls.split(',').collect();
            let mut b: Vec<&str> = h.controllers.split(',').collect();
            a.sort_unstable();
            b.sort_unstable();
            a == b
        };
        if same && !p.contains("..") {
            return p.to_string();
        }
    }
    "/".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(mount: &str, controllers: &str) -> Hierarchy {
        Hierarchy {
            mountpoint: mount.into(),
            controllers: controllers.into(),
            v2: controllers.is_empty(),
        }
    }

    #[test]
    fn paths_cannot_climb_out() {
        assert_eq!(cgroup_path(None, "x").unwrap(), Path::new("/runlet/x"));
        assert_eq!(cgroup_path(Some("a/b"), "x").unwrap(), Path::new("a/b"));
        assert_eq!(
            cgroup_path(Some("/a//./b/"), "x").unwrap(),
            Path::new("/a/b")
        );
        assert!(cgroup_path(Some("/a/../../etc"), "x").is_err());
        assert!(cgroup_path(Some("a/.."), "x").is_err());
        assert!(cgroup_path(Some("/"), "x").is_err());
        assert!(cgroup_path(Some("."), "x").is_err());
    }

    #[test]
    fn relative_paths_as_runc_resolves_them() {
        let own = "12:cpu,cpuacct:/svc/a\n4:memory:/m\n1:name=systemd:/s\n0::/user/session\n";
        let rel = Path::new("c/x");
        let cpu = h("/cg/cpu,cpuacct", "cpuacct,cpu");
        assert_eq!(
            dir_in(&cpu, rel, own),
            Path::new("/cg/cpu,cpuacct/svc/a/c/x")
        );
        let sd = h("/cg/systemd", "name=systemd");
        assert_eq!(dir_in(&sd, rel, own), Path::new("/cg/systemd/s/c/x"));
        // cgroup2: beside runlet's own cgroup, below its parent.
        let v2 = h("/cg/unified", "");
        assert_eq!(dir_in(&v2, rel, own), Path::new("/cg/unified/user/c/x"));
        // Not listed (or in the root): from the root.
        let pids = h("/cg/pids", "pids");
        assert_eq!(dir_in(&pids, rel, own), Path::new("/cg/pids/c/x"));
        assert_eq!(dir_in(&v2, rel, "0::/\n"), Path::new("/cg/unified/c/x"));
        // Absolute: from every root, whatever our own cgroup.
        assert_eq!(
            dir_in(&cpu, Path::new("/a/b"), own),
            Path::new("/cg/cpu,cpuacct/a/b")
        );
    }
}
