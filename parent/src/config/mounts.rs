//! `mounts[]`: options parsed as runc parses them, destinations cleaned, bind sources
//! resolved, and `cgroup` mounts expanded into one operation per host hierarchy.

use std::path::{Path, PathBuf};

use linux_raw_sys::general as g;
use wire::MountKind;

use super::paths::{container_path, host_fits, no_nul, resolve};
use super::{spec, CgroupMount};
use crate::bail;
use crate::error::{Error, Result};

const fn ms(f: u32) -> u64 {
    f as u64
}

/// The mount options runlet takes (for `runlet features`).
pub fn option_names() -> impl Iterator<Item = &'static str> {
    FLAGS
        .iter()
        .map(|(n, _, _)| *n)
        .chain(PROPAGATION.iter().map(|(n, _)| *n))
        .chain(REC_ATTRS.iter().map(|(n, _, _)| *n))
        .chain(["idmap", "ridmap"])
}

/// VFS flags by option name; `true` clears the flag instead of setting it.
const FLAGS: [(&str, bool, u64); 35] = [
    ("ro", false, ms(g::MS_RDONLY)),
    ("rw", true, ms(g::MS_RDONLY)),
    ("nosuid", false, ms(g::MS_NOSUID)),
    ("suid", true, ms(g::MS_NOSUID)),
    ("nodev", false, ms(g::MS_NODEV)),
    ("dev", true, ms(g::MS_NODEV)),
    ("noexec", false, ms(g::MS_NOEXEC)),
    ("exec", true, ms(g::MS_NOEXEC)),
    ("sync", false, ms(g::MS_SYNCHRONOUS)),
    ("async", true, ms(g::MS_SYNCHRONOUS)),
    ("dirsync", false, ms(g::MS_DIRSYNC)),
    ("remount", false, ms(g::MS_REMOUNT)),
    ("mand", false, ms(g::MS_MANDLOCK)),
    ("nomand", true, ms(g::MS_MANDLOCK)),
    ("noatime", false, ms(g::MS_NOATIME)),
    ("atime", true, ms(g::MS_NOATIME)),
    ("nodiratime", false, ms(g::MS_NODIRATIME)),
    ("diratime", true, ms(g::MS_NODIRATIME)),
    ("relatime", false, ms(g::MS_RELATIME)),
    ("norelatime", true, ms(g::MS_RELATIME)),
    ("strictatime", false, ms(g::MS_STRICTATIME)),
    ("nostrictatime", true, ms(g::MS_STRICTATIME)),
    ("bind", false, ms(g::MS_BIND)),
    ("rbind", false, ms(g::MS_BIND | g::MS_REC)),
    ("nosymfollow", false, ms(g::MS_NOSYMFOLLOW)),
    ("symfollow", true, ms(g::MS_NOSYMFOLLOW)),
    ("silent", false, ms(g::MS_SILENT)),
    ("loud", true, ms(g::MS_SILENT)),
    ("lazytime", false, ms(g::MS_LAZYTIME)),
    ("nolazytime", true, ms(g::MS_LAZYTIME)),
    ("iversion", false, ms(g::MS_I_VERSION)),
    ("noiversion", true, ms(g::MS_I_VERSION)),
    ("acl", false, ms(g::MS_POSIXACL)),
    ("noacl", true, ms(g::MS_POSIXACL)),
    ("defaults", false, 0),
];

/// Propagation names (also `linux.rootfsPropagation`).
pub(crate) const PROPAGATION: [(&str, u64); 8] = [
    ("private", ms(g::MS_PRIVATE)),
    ("rprivate", ms(g::MS_PRIVATE | g::MS_REC)),
    ("shared", ms(g::MS_SHARED)),
    ("rshared", ms(g::MS_SHARED | g::MS_REC)),
    ("slave", ms(g::MS_SLAVE)),
    ("rslave", ms(g::MS_SLAVE | g::MS_REC)),
    ("unbindable", ms(g::MS_UNBINDABLE)),
    ("runbindable", ms(g::MS_UNBINDABLE | g::MS_REC)),
];

/// runc's recursive mount attributes: `MOUNT_ATTR_*` set (false) or cleared (true) on
/// the mount and every mount below it, with mount_setattr(AT_RECURSIVE).
const REC_ATTRS: [(&str, bool, u64); 18] = [
    ("rro", false, g::MOUNT_ATTR_RDONLY as u64),
    ("rrw", true, g::MOUNT_ATTR_RDONLY as u64),
    ("rnosuid", false, g::MOUNT_ATTR_NOSUID as u64),
    ("rsuid", true, g::MOUNT_ATTR_NOSUID as u64),
    ("rnodev", false, g::MOUNT_ATTR_NODEV as u64),
    ("rdev", true, g::MOUNT_ATTR_NODEV as u64),
    ("rnoexec", false, g::MOUNT_ATTR_NOEXEC as u64),
    ("rexec", true, g::MOUNT_ATTR_NOEXEC as u64),
    ("rnodiratime", false, g::MOUNT_ATTR_NODIRATIME as u64),
    ("rdiratime", true, g::MOUNT_ATTR_NODIRATIME as u64),
    ("rrelatime", false, g::MOUNT_ATTR_RELATIME as u64),
    ("rnorelatime", true, g::MOUNT_ATTR_RELATIME as u64),
    ("rnoatime", false, g::MOUNT_ATTR_NOATIME as u64),
    ("ratime", true, g::MOUNT_ATTR_NOATIME as u64),
    ("rstrictatime", false, g::MOUNT_ATTR_STRICTATIME as u64),
    ("rnostrictatime", true, g::MOUNT_ATTR_STRICTATIME as u64),
    ("rnosymfollow", false, g::MOUNT_ATTR_NOSYMFOLLOW as u64),
    ("rsymfollow", true, g::MOUNT_ATTR_NOSYMFOLLOW as u64),
];

/// `MOUNT_ATTR_*` to set and to clear, recursively.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RecAttr {
    pub set: u64,
    pub clr: u64,
}

impl RecAttr {
    /// One option, later ones undoing earlier ones as runc applies them. The access
    /// time is one field of three values: setting one clears the field first.
    fn apply(&mut self, clear: bool, f: u64) {
        let atime = g::MOUNT_ATTR__ATIME as u64;
        let is_atime = f & atime == f;
        if clear {
            self.clr |= f;
            self.set &= !f;
        } else {
            if is_atime {
                self.clr |= atime;
                self.set &= !atime;
            }
            self.set |= f;
            self.clr &= !f;
        }
    }
}

/// Files below /proc a container may mount over (what lxcfs provides), as runc allows.
const PROC_OK: [&str; 10] = [
    "/proc/cpuinfo",
    "/proc/diskstats",
    "/proc/meminfo",
    "/proc/stat",
    "/proc/swaps",
    "/proc/uptime",
    "/proc/loadavg",
    "/proc/slabinfo",
    "/proc/sys/kernel/ns_last_pid",
    "/proc/sys/crypto/fips_enabled",
];

/// What the options of one mount say.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Options {
    pub flags: u64,
    pub propagation: u64,
    pub rec: RecAttr,
    /// Everything else, joined with ',' (filesystem data).
    pub data: String,
    /// `idmap` (false) or `ridmap` (true: submounts mapped too).
    pub idmap: Option<bool>,
}

pub(crate) fn parse_options(at: &str, opts: &[String]) -> Result<Options> {
    let mut o = Options::default();
    let mut data: Vec<&str> = Vec::new();
    for opt in opts {
        let opt = opt.as_str();
        if let Some(&(_, clear, f)) = FLAGS.iter().find(|(n, _, _)| *n == opt) {
            if clear {
                o.flags &= !f;
            } else {
                o.flags |= f;
            }
        } else if let Some(&(_, p)) = PROPAGATION.iter().find(|(n, _)| *n == opt) {
            // Applied one after another by runc; the last one decides.
            o.propagation = p;
        } else if let Some(&(_, clear, f)) = REC_ATTRS.iter().find(|(n, _, _)| *n == opt) {
            o.rec.apply(clear, f);
        } else if opt == "idmap" || opt == "ridmap" {
            o.idmap = Some(opt == "ridmap" || o.idmap == Some(true));
        } else if opt == "tmpcopyup" {
            bail!("{at}: \"tmpcopyup\" is not supported yet");
        } else if !opt.is_empty() {
            data.push(opt);
        }
    }
    o.data = data.join(",");
    no_nul(at, &o.data)?;
    // The kernel copies one page of mount data.
    if o.data.len() >= 4096 {
        bail!(
            "{at}: the filesystem options are {} bytes long; the kernel takes at most 4095",
            o.data.len()
        );
    }
    Ok(o)
}

/// One mount operation for runlet-init (a `wire::Mount` to be).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Op {
    pub kind: MountKind,
    pub source: Option<PathBuf>,
    pub dest: String,
    pub fstype: Option<String>,
    pub flags: u64,
    pub data: Option<String>,
    pub propagation: u64,
    pub after_placement: bool,
    /// Recursive attributes (`rro`, `rnosuid`, ...), applied with mount_setattr.
    pub rec: RecAttr,
}

/// A mount of `mounts[]` after checking; cgroup mounts wait for the host's hierarchies.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Entry {
    Op(Op),
    Cgroup {
        dest: String,
        flags: u64,
        propagation: u64,
        data: String,
    },
    /// Attached by runlet itself (crate::idmap), not by runlet-init.
    IdMapped(super::idmapped::IdMapped),
}

fn some(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn empty_value(v: &Option<miniserde::json::Value>) -> bool {
    super::spec::is_empty(v.as_ref())
}

pub(crate) fn parse(list: &[spec::Mount], bundle: &Path) -> Result<Vec<Entry>> {
    let mut out = Vec::with_capacity(list.len());
    for (i, m) in list.iter().enumerate() {
        let at = format!("mounts[{i}]");
        let Some(dest) = &m.destination else {
            bail!("{at}.destination is required");
        };
        let dest = container_path(&format!("{at}.destination"), dest)?;
        if dest == "/" {
            bail!("{at}.destination: mounting over / is not allowed (root.path is the container's root)");
        }
        let o = parse_options(
            &format!("{at}.options"),
            m.options.as_deref().unwrap_or(&[]),
        )?;
        let fstype = m.r#type.as_deref().unwrap_or("");
        no_nul(&format!("{at}.type"), fstype)?;
        let bind = fstype == "bind" || o.flags & ms(g::MS_BIND) != 0;
        check_proc(&at, &dest, fstype, bind)?;
        let mapped =
            !empty_value(&m.uid_mappings) || !empty_value(&m.gid_mappings) || o.idmap.is_some();
        if mapped && !bind {
            bail!("{at}: an id-mapped mount (idmap, uidMappings) must be a bind mount");
        }
        if bind {
            let Some(src) = m.source.as_deref().filter(|s| !s.is_empty()) else {
                bail!("{at}.source is required for a bind mount");
            };
            let field = format!("{at}.source");
            no_nul(&field, src)?;
            let src = resolve(bundle, src);
            std::fs::metadata(&src).map_err(|e| Error::io(&field, &src, e))?;
            host_fits(&field, &src)?;
            if mapped {
                out.push(Entry::IdMapped(super::idmapped::parse(
                    &at, m, src, dest, &o,
                )?));
                continue;
            }
            out.push(Entry::Op(Op {
                kind: MountKind::Bind,
                source: Some(src),
                dest,
                fstype: None,
                flags: o.flags | ms(g::MS_BIND),
                // The kernel ignores data for a bind mount.
                data: None,
                propagation: o.propagation,
                after_placement: false,
                rec: o.rec,
            }));
            continue;
        }
        match fstype {
            "" => bail!("{at}.type is required (or a \"bind\" or \"rbind\" option)"),
            "cgroup" | "cgroup2" if o.rec != RecAttr::default() => {
                bail!("{at}: recursive mount attributes on a cgroup mount are not supported (use ro, nosuid, ...: they apply to each hierarchy)")
            }
            "cgroup" | "cgroup2" => out.push(Entry::Cgroup {
                dest,
                flags: o.flags,
                propagation: o.propagation,
                data: o.data,
            }),
            _ => {
                let source = m.source.as_deref().filter(|s| !s.is_empty());
                let source = source.unwrap_or(fstype);
                let field = format!("{at}.source");
                no_nul(&field, source)?;
                host_fits(&field, Path::new(source))?;
                out.push(Entry::Op(Op {
                    kind: MountKind::Fs,
                    source: Some(PathBuf::from(source)),
                    dest,
                    fstype: Some(fstype.to_string()),
                    flags: o.flags,
                    data: some(o.data),
                    propagation: o.propagation,
                    after_placement: false,
                    rec: o.rec,
                }))
            }
        }
    }
    Ok(out)
}

/// runc's rule for /proc: only procfs on /proc itself, and below it only the files
/// lxcfs emulates, so a mount cannot hide what maskedPaths/readonlyPaths protect.
fn check_proc(at: &str, dest: &str, fstype: &str, bind: bool) -> Result<()> {
    if dest == "/proc" {
        if bind || fstype != "proc" {
            bail!("{at}: only a proc filesystem may be mounted on /proc");
        }
    } else if dest.starts_with("/proc/") && !PROC_OK.contains(&dest) {
        bail!(
            "{at}.destination {dest} is inside /proc; only {} may be mounted over",
            PROC_OK.join(", ")
        );
    }
    Ok(())
}

/// How many operations `entries` become at least (a cgroup mount becomes one or more).
pub(crate) fn min_ops(entries: &[Entry]) -> usize {
    entries.len()
}

const CGROUP_TMPFS: u64 = ms(g::MS_NOSUID | g::MS_NODEV | g::MS_NOEXEC);

/// The operations for runlet-init. A cgroup mount becomes, on a pure v2 host (one
/// hierarchy with an empty name), a cgroup2 mount (new cgroup namespace) or a bind of
/// the container's cgroup; otherwise a tmpfs with one mount or bind per hierarchy
/// below it, and a read-only remount of the tmpfs when the mount asked for `ro`.
pub(crate) fn expand(entries: &[Entry], cgroups: &[CgroupMount], new_cgroupns: bool) -> Vec<Op> {
    let mut out = Vec::with_capacity(entries.len() + cgroups.len() + 1);
    for e in entries {
        let (dest, flags, propagation, data) = match e {
            Entry::Op(op) => {
                out.push(op.clone());
                continue;
            }
            Entry::IdMapped(_) => continue,
            Entry::Cgroup {
                dest,
                flags,
                propagation,
                data,
            } => (dest, *flags, *propagation, data),
        };
        let hierarchy = |dest: String, c: &CgroupMount, extra: &str| {
            if new_cgroupns {
                let d = [c.data.as_str(), extra]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(",");
                Op {
                    kind: MountKind::Fs,
                    source: Some(PathBuf::from(c.fstype)),
                    dest,
                    fstype: Some(c.fstype.to_string()),
                    flags,
                    data: some(d),
                    propagation,
                    after_placement: true,
                    rec: RecAttr::default(),
                }
            } else {
                Op {
                    kind: MountKind::Bind,
                    source: Some(c.host_path.clone()),
                    dest,
                    fstype: None,
                    flags: flags | ms(g::MS_BIND | g::MS_REC),
                    data: None,
                    propagation,
                    after_placement: true,
                    rec: RecAttr::default(),
                }
            }
        };
        if let [only] = cgroups {
            if only.name.is_empty() {
                out.push(hierarchy(dest.clone(), only, data));
                continue;
            }
        }
        out.push(Op {
            kind: MountKind::Fs,
            source: Some(PathBuf::from("tmpfs")),
            dest: dest.clone(),
            fstype: Some("tmpfs".to_string()),
            flags: CGROUP_TMPFS,
            data: Some("mode=755".to_string()),
            propagation,
            after_placement: true,
            rec: RecAttr::default(),
        });
        for c in cgroups {
            out.push(hierarchy(format!("{dest}/{}", c.name), c, ""));
        }
        if flags & ms(g::MS_RDONLY) != 0 {
            out.push(Op {
                kind: MountKind::Remount,
                source: None,
                dest: dest.clone(),
                fstype: None,
                flags: ms(g::MS_RDONLY) | CGROUP_TMPFS,
                data: None,
                propagation: 0,
                after_placement: true,
                rec: RecAttr::default(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
