//! `linux.intelRdt`: Intel RDT cache and memory-bandwidth allocation through the
//! resctrl filesystem, as runc's intelrdt manager does it. The container's init joins
//! a resctrl group, `closID` if given, else one named after the container; runlet
//! writes the group's `schemata` only when it made the group, and removes what it
//! made when the container goes. A host without resctrl mounted is an error naming it.

use std::path::{Path, PathBuf};

use miniserde::json::Value;

use crate::bail;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntelRdt {
    pub clos_id: Option<String>,
    /// `schemata` lines: `l3CacheSchema`, `memBwSchema`, then `schemata[]`.
    pub schemata: Vec<String>,
    /// `enableMonitoring` (or the older `enableCMT`/`enableMBM`): a monitoring group.
    pub monitoring: bool,
}

fn string(o: &miniserde::json::Object, k: &str) -> Result<Option<String>> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => bail!("linux.intelRdt.{k} must be a string"),
    }
}

/// Parses `linux.intelRdt` (None: absent or empty).
pub fn parse(v: Option<&Value>) -> Result<Option<IntelRdt>> {
    let o = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) => o,
        Some(_) => bail!("linux.intelRdt must be an object"),
    };
    let mut r = IntelRdt {
        clos_id: string(o, "closID")?,
        ..IntelRdt::default()
    };
    if let Some(c) = &r.clos_id {
        if c == "." || c == ".." || c.contains('/') || c.contains('\0') || c.contains('\n') {
            bail!("linux.intelRdt.closID {c:?} is not a resctrl group name");
        }
    }
    for k in ["l3CacheSchema", "memBwSchema"] {
        r.schemata.extend(string(o, k)?);
    }
    match o.get("schemata") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            for (i, s) in a.iter().enumerate() {
                let Value::String(s) = s else {
                    bail!("linux.intelRdt.schemata[{i}] must be a string")
                };
                r.schemata.push(s.clone());
            }
        }
        Some(_) => bail!("linux.intelRdt.schemata must be an array of strings"),
    }
    if r.schemata.iter().any(|s| s.contains('\0')) {
        bail!("linux.intelRdt: a schema contains a NUL byte");
    }
    for k in ["enableMonitoring", "enableCMT", "enableMBM"] {
        match o.get(k) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) => r.monitoring = true,
            Some(_) => bail!("linux.intelRdt.{k} must be true or false"),
        }
    }
    Ok((r != IntelRdt::default()).then_some(r))
}

/// Where resctrl is mounted, from /proc/self/mountinfo.
fn resctrl_mount() -> Result<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| Error::io("read", "/proc/self/mountinfo", e))?;
    let mounts = crate::os::mountinfo::parse_mountinfo(&text)?;
    match mounts.iter().find(|m| m.fstype == "resctrl") {
        Some(m) => Ok(m.mount_point.clone()),
        None => bail!("linux.intelRdt: resctrl is not mounted on this host (Intel RDT needs it: mount -t resctrl resctrl /sys/fs/resctrl)"),
    }
}

fn write(p: &Path, v: &str) -> Result<()> {
    std::fs::write(p, v).map_err(|e| Error::io(&format!("linux.intelRdt: write {v:?} to"), p, e))
}

/// The resctrl directories runlet made for a container, removed (innermost first) on
/// drop unless kept.
#[derive(Default)]
pub struct Groups {
    pub made: Vec<PathBuf>,
    keep: bool,
}

impl Groups {
    pub fn keep(&mut self) {
        self.keep = true;
    }
}

impl Drop for Groups {
    fn drop(&mut self) {
        if !self.keep {
            if let Err(e) = remove(&self.made) {
                eprintln!("runlet: warning: {e}");
            }
        }
    }
}

/// Puts `pid` (the init, before it runs anything of the container's) into its group.
pub fn apply(r: &IntelRdt, id: &str, pid: i32) -> Result<Groups> {
    apply_at(&resctrl_mount()?, r, id, pid)
}

fn apply_at(mount: &Path, r: &IntelRdt, id: &str, pid: i32) -> Result<Groups> {
    let mut g = Groups::default();
    let group = mount.join(r.clos_id.as_deref().unwrap_or(id));
    if group.is_dir() {
        if !r.schemata.is_empty() {
            bail!(
                "linux.intelRdt: the resctrl group {} exists; runlet does not change the schemata of a group it did not make",
                group.display()
            );
        }
    } else {
        mkdir(&group)?;
        g.made.push(group.clone());
        // One line per write: the kernel takes a schema line by line.
        for s in &r.schemata {
            write(&group.join("schemata"), &format!("{s}\n"))?;
        }
    }
    let mut tasks = group.join("tasks");
    if r.monitoring {
        let mon = group.join("mon_groups").join(id);
        mkdir(&mon)?;
        g.made.push(mon.clone());
        tasks = mon.join("tasks");
    }
    write(&tasks, &pid.to_string())?;
    Ok(g)
}

fn mkdir(p: &Path) -> Result<()> {
    std::fs::create_dir(p).map_err(|e| Error::io("linux.intelRdt: mkdir", p, e))
}

/// Removes the directories of `made`, innermost first (gone already is fine).
pub fn remove(made: &[PathBuf]) -> Result<()> {
    for d in made.iter().rev() {
        match std::fs::remove_dir(d) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io("linux.intelRdt: rmdir", d, e))
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(json: &str) -> Result<Option<IntelRdt>> {
        let v: Value = miniserde::json::from_str(json).unwrap();
        parse(Some(&v))
    }

    #[test]
    fn parsed_and_named() {
        let r = p(r#"{"closID":"g1","l3CacheSchema":"L3:0=f","memBwSchema":"MB:0=50","enableMonitoring":true}"#)
            .unwrap()
            .unwrap();
        assert_eq!(r.clos_id.as_deref(), Some("g1"));
        assert_eq!(r.schemata, ["L3:0=f", "MB:0=50"]);
        assert!(r.monitoring);
        assert_eq!(p(r#"{"closID":""}"#).unwrap(), None);
        let e = p(r#"{"closID":"../x"}"#).err().unwrap().to_string();
        assert!(e.contains("is not a resctrl group name"), "{e}");
    }

    #[test]
    fn a_group_made_written_joined_and_removed() {
        // A fake resctrl tree: directories and files only.
        let m = std::env::temp_dir().join(format!("runlet-rdt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&m);
        std::fs::create_dir_all(&m).unwrap();
        let r = IntelRdt {
            clos_id: None,
            schemata: vec!["L3:0=f".into()],
            monitoring: false,
        };
        let mut g = apply_at(&m, &r, "c1", 42).unwrap();
        assert_eq!(
            std::fs::read_to_string(m.join("c1/schemata")).unwrap(),
            "L3:0=f\n"
        );
        assert_eq!(std::fs::read_to_string(m.join("c1/tasks")).unwrap(), "42");
        // An existing group someone else made keeps its schemata.
        let e = apply_at(&m, &r, "c1", 43).err().unwrap().to_string();
        assert!(e.contains("does not change the schemata"), "{e}");
        g.keep();
        for f in ["schemata", "tasks"] {
            std::fs::remove_file(m.join("c1").join(f)).unwrap();
        }
        remove(&g.made).unwrap();
        assert!(!m.join("c1").exists());
        std::fs::remove_dir_all(&m).unwrap();
    }
}
