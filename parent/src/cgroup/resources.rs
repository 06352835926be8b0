//! `linux.resources` into the container's cgroups: each controller's values go to the
//! v1 hierarchy that carries it, else to cgroup2 (translated) once the controller is
//! enabled down to the container's cgroup; a controller the host has in neither is an
//! error naming it. Device rules go to the v1 devices controller, else to a BPF
//! program on the cgroup2 directory.

use std::path::{Path, PathBuf};

use super::manager::CgroupManager;
use super::path::DEFAULT_PARENT;
use super::{devices_bpf, kmem, read_file, v1, v2, write_file, Write};
use crate::config::resources::{DeviceRule, Resources};
use crate::error::{Error, Result};

/// (the spec's name, the v1 controller, the v2 controller).
const CONTROLLERS: [(&str, &str, &str); 9] = [
    ("memory", "memory", "memory"),
    ("cpu", "cpu", "cpu"),
    ("cpu.cpus/mems", "cpuset", "cpuset"),
    ("pids", "pids", "pids"),
    ("blockIO", "blkio", "io"),
    ("hugepageLimits", "hugetlb", "hugetlb"),
    ("network", "net_cls", "net_cls"),
    ("network", "net_prio", "net_prio"),
    ("rdma", "rdma", "rdma"),
];

impl CgroupManager {
    /// Applies a new container's `linux.resources` and its device `rules` (all of
    /// them, see `Config::device_rules`). Call it before the init runs user code.
    pub fn apply(&self, r: &Resources, rules: &[DeviceRule]) -> Result<()> {
        self.set(r)?;
        self.apply_devices(rules)
    }

    /// Changes the limits of a running container (`runlet update`); device rules are
    /// not changed (as runc's update).
    pub fn update(&self, r: &Resources) -> Result<()> {
        if !r.devices.is_empty() {
            return Err(Error::msg(
                "update: linux.resources.devices cannot be changed on a running container",
            ));
        }
        self.check_present()?;
        self.set(r)
    }

    /// The container's cgroups still exist (`update`, `events` on a stopped one).
    pub fn check_present(&self) -> Result<()> {
        match self.dirs.iter().find(|(_, d)| !d.is_dir()) {
            Some((_, d)) => Err(Error::msg(format!(
                "cgroup {} does not exist (has the container stopped?)",
                d.display()
            ))),
            None if self.dirs.is_empty() => Err(Error::msg("the container has no cgroups")),
            None => Ok(()),
        }
    }

    fn set(&self, r: &Resources) -> Result<()> {
        self.set_kernel_memory(r)?;
        self.raise_rt_parents(r)?;
        for (field, c1, c2) in CONTROLLERS {
            let w1 = v1::writes(r, c1);
            if w1.is_empty() {
                continue;
            }
            if let Some(dir) = self.v1_dir(c1) {
                write_all(dir, &w1)?;
            } else if let Some((mount, dir)) = self.v2_dir() {
                let w2 = v2::writes(r, c2)?;
                self.enable(mount, dir, c2, field)?;
                write_all(dir, &w2)?;
            } else {
                return Err(Error::msg(format!(
                    "linux.resources.{field}: the {c1} controller is not mounted on this host"
                )));
            }
        }
        if !r.unified.is_empty() {
            let Some((mount, dir)) = self.v2_dir() else {
                return Err(Error::msg(
                    "linux.resources.unified: this host has no cgroup v2 hierarchy",
                ));
            };
            for (k, v) in &r.unified {
                let field = format!("unified[{k:?}]");
                let ctrl = k.split('.').next().unwrap_or("");
                if ctrl != "cgroup" {
                    self.enable(mount, dir, ctrl, &field)?;
                }
                let f = dir.join(k);
                if !f.exists() {
                    return Err(Error::msg(format!(
                        "linux.resources.{field}: {} does not exist",
                        f.display()
                    )));
                }
                write_file(&f, v).map_err(|e| e.context(format!("linux.resources.{field}")))?;
            }
        }
        Ok(())
    }

    fn set_kernel_memory(&self, r: &Resources) -> Result<()> {
        let m = &r.memory;
        if m.kernel.is_none() && m.kernel_tcp.is_none() {
            return Ok(());
        }
        match self.v1_dir("memory") {
            Some(dir) => kmem::apply_v1(dir, m),
            None => {
                kmem::note_v2(m);
                Ok(())
            }
        }
    }

    fn apply_devices(&self, rules: &[DeviceRule]) -> Result<()> {
        let ctx = |e: Error| e.context("linux.resources.devices");
        if let Some(dir) = self.v1_dir("devices") {
            v1::devices(dir, rules).map_err(ctx)
        } else if let Some((_, dir)) = self.v2_dir() {
            devices_bpf::attach(dir, rules).map_err(ctx)
        } else {
            Err(Error::msg(
                "linux.resources.devices: this host has neither a devices controller nor cgroup v2",
            ))
        }
    }

    fn v1_dir(&self, controller: &str) -> Option<&Path> {
        self.dirs
            .iter()
            .find(|(h, _)| h.has(controller))
            .map(|(_, d)| d.as_path())
    }

    /// (mount point, the container's directory) in the cgroup2 hierarchy.
    fn v2_dir(&self) -> Option<(&Path, &Path)> {
        self.dirs
            .iter()
            .find(|(h, _)| h.v2)
            .map(|(h, d)| (h.mountpoint.as_path(), d.as_path()))
    }

    /// Makes `controller` available in the container's cgroup2 directory: it must be
    /// in every ancestor's `cgroup.controllers`; runlet adds it to the
    /// `cgroup.subtree_control` of the parents it made itself (and of its own
    /// `/runlet`), and refuses to touch a cgroup someone else made or the root.
    fn enable(&self, mount: &Path, leaf: &Path, controller: &str, field: &str) -> Result<()> {
        let mut ancestors: Vec<PathBuf> = leaf
            .ancestors()
            .skip(1)
            .take_while(|a| a.starts_with(mount))
            .map(Path::to_path_buf)
            .collect();
        ancestors.reverse();
        for a in ancestors {
            let has = |file: &str| -> Result<bool> {
                let text = read_file(&a.join(file))?;
                Ok(text.split_whitespace().any(|c| c == controller))
            };
            if !has("cgroup.controllers")? {
                return Err(Error::msg(format!(
                    "linux.resources.{field}: the {controller} controller is not available in {} (not in its cgroup.controllers)",
                    a.display()
                )));
            }
            if has("cgroup.subtree_control")? {
                continue;
            }
            // The hierarchy's root is the host's policy: runlet does not change it.
            let ours = a != mount && (self.created.contains(&a) || a == mount.join(DEFAULT_PARENT));
            if !ours {
                return Err(Error::msg(format!(
                    "linux.resources.{field}: the {controller} controller is not enabled in {}/cgroup.subtree_control (runlet enables controllers only in cgroups it made)",
                    a.display()
                )));
            }
            write_file(&a.join("cgroup.subtree_control"), &format!("+{controller}"))
                .map_err(|e| e.context(format!("linux.resources.{field}")))?;
        }
        Ok(())
    }
}

/// Writes `w` into `dir`. A v1 memory limit and memory+swap limit must stay in order
/// (memsw ≥ limit at every moment): when the limit fails, memsw goes first.
fn write_all(dir: &Path, w: &[Write]) -> Result<()> {
    let mut i = 0;
    while i < w.len() {
        let x = &w[i];
        let res = write_one(dir, x);
        let next_memsw = w
            .get(i + 1)
            .filter(|n| n.file == "memory.memsw.limit_in_bytes");
        match (res, next_memsw) {
            (Err(_), Some(n)) if x.file == "memory.limit_in_bytes" => {
                write_one(dir, n)?;
                write_one(dir, x)?;
                i += 2;
            }
            (r, _) => {
                r?;
                i += 1;
            }
        }
    }
    Ok(())
}

fn write_one(dir: &Path, x: &Write) -> Result<()> {
    let mut f = dir.join(&x.file);
    let mut value = &x.value;
    if !f.exists() {
        match &x.fallback {
            Some((file, v)) if dir.join(file).exists() => {
                f = dir.join(file);
                value = v;
            }
            _ => {
                return Err(Error::msg(format!(
                    "linux.resources.{}: {} does not exist on this host",
                    x.field,
                    f.display()
                )))
            }
        }
    }
    write_file(&f, value).map_err(|e| e.context(format!("linux.resources.{}", x.field)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::layout::{Hierarchy, Layout};
    use crate::config::resources::{Cpu, Memory};
    use std::fs;

    /// A fake cgroup tree in a temp dir: `files` created empty below `dir`.
    fn tree(name: &str) -> PathBuf {
        let t = std::env::temp_dir().join(format!("runlet-cgtree-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&t);
        t
    }

    fn touch(dir: &Path, files: &[(&str, &str)]) {
        fs::create_dir_all(dir).unwrap();
        for (f, v) in files {
            fs::write(dir.join(f), v).unwrap();
        }
    }

    fn layout_at(mount: &Path) -> Layout {
        Layout {
            hierarchies: vec![Hierarchy {
                mountpoint: mount.to_path_buf(),
                controllers: String::new(),
                v2: true,
            }],
        }
    }

    fn limits() -> Resources {
        Resources {
            memory: Memory {
                limit: Some(1 << 20),
                ..Memory::default()
            },
            cpu: Cpu {
                shares: Some(1024),
                quota: Some(20_000),
                period: Some(100_000),
                ..Cpu::default()
            },
            pids_limit: Some(7),
            ..Resources::default()
        }
    }

    #[test]
    fn pure_v2_translates_and_enables_controllers() {
        let t = tree("v2");
        let mount = t.join("unified");
        let ctrls = [
            ("cgroup.controllers", "cpu memory pids"),
            ("cgroup.subtree_control", ""),
        ];
        touch(&mount, &ctrls);
        touch(&mount.join("runlet"), &ctrls);
        let leaf = mount.join("runlet/c1");
        touch(
            &leaf,
            &[
                ("memory.max", ""),
                ("cpu.weight", ""),
                ("cpu.max", ""),
                ("pids.max", ""),
            ],
        );
        let m = CgroupManager::existing(&layout_at(&mount), std::slice::from_ref(&leaf));
        // The root's subtree_control is the host's: runlet enables nothing there.
        let e = m.update(&limits()).err().unwrap().to_string();
        assert!(
            e.contains("the memory controller is not enabled in")
                && e.contains("unified/cgroup.subtree_control"),
            "{e}"
        );
        fs::write(mount.join("cgroup.subtree_control"), "cpu memory pids").unwrap();
        m.update(&limits()).unwrap();
        let read = |p: &Path| fs::read_to_string(p).unwrap();
        assert_eq!(read(&leaf.join("memory.max")), "1048576");
        assert_eq!(read(&leaf.join("cpu.weight")), "39");
        assert_eq!(read(&leaf.join("cpu.max")), "20000 100000");
        assert_eq!(read(&leaf.join("pids.max")), "7");
        // Enabled in runlet's own parent (the last one written), not in the root.
        assert_eq!(
            read(&mount.join("cgroup.subtree_control")),
            "cpu memory pids"
        );
        assert_eq!(read(&mount.join("runlet/cgroup.subtree_control")), "+pids");

        // A controller the host does not offer: an error naming it.
        let mut r = Resources::default();
        r.hugepages.push(("2MB".into(), 1));
        let e = m.update(&r).err().unwrap().to_string();
        assert!(
            e.contains("hugepageLimits: the hugetlb controller is not available in"),
            "{e}"
        );
        // A unified key whose file does not exist.
        let mut r = Resources::default();
        r.unified.push(("pids.nope".into(), "1".into()));
        let e = m.update(&r).err().unwrap().to_string();
        assert!(
            e.contains("unified[\"pids.nope\"]") && e.contains("does not exist"),
            "{e}"
        );
        fs::remove_dir_all(&t).unwrap();
    }

    #[test]
    fn v1_values_as_they_are_and_a_missing_controller_named() {
        let t = tree("v1");
        let h = |c: &str| Hierarchy {
            mountpoint: t.join(c),
            controllers: c.into(),
            v2: false,
        };
        let layout = Layout {
            hierarchies: vec![h("memory"), h("cpu")],
        };
        let leaves = [t.join("memory/x"), t.join("cpu/x")];
        touch(&leaves[0], &[("memory.limit_in_bytes", "")]);
        touch(
            &leaves[1],
            &[
                ("cpu.shares", ""),
                ("cpu.cfs_quota_us", ""),
                ("cpu.cfs_period_us", ""),
            ],
        );
        let m = CgroupManager::existing(&layout, &leaves);
        let e = m.update(&limits()).err().unwrap().to_string();
        assert_eq!(
            e,
            "linux.resources.pids: the pids controller is not mounted on this host"
        );
        let read = |p: PathBuf| fs::read_to_string(p).unwrap();
        assert_eq!(read(leaves[0].join("memory.limit_in_bytes")), "1048576");
        assert_eq!(read(leaves[1].join("cpu.cfs_quota_us")), "20000");
        assert_eq!(read(leaves[1].join("cpu.shares")), "1024");
        fs::remove_dir_all(&t).unwrap();
    }
}
