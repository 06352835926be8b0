//! Security labels: `process.apparmorProfile`, `process.selinuxLabel`,
//! `linux.mountLabel`. Where the LSM is enabled they are applied (runlet-init writes
//! the exec label before the container's program runs; the mount label becomes a
//! `context=` option); where it is not, nothing on the host could enforce a label,
//! so the container is no weaker without it: accepted and noted under `--debug`, as
//! crun does. What an enabled LSM refuses (a profile not loaded) fails the start.

use std::path::Path;

use super::mounts::Entry;
use super::paths::no_nul;
use crate::debug;
use crate::error::Result;

/// Which LSMs the host enforces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Host {
    pub apparmor: bool,
    pub selinux: bool,
}

impl Host {
    /// AppArmor: the module says enabled and its securityfs directory is there (what
    /// runc checks). SELinux: selinuxfs is mounted (libselinux's test).
    pub fn detect() -> Host {
        let enabled = std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
            .is_ok_and(|s| s.trim() == "Y");
        Host {
            apparmor: enabled && Path::new("/sys/kernel/security/apparmor").is_dir(),
            selinux: Path::new("/sys/fs/selinux/enforce").exists(),
        }
    }
}

/// The labels runlet-init applies to the container's process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Labels {
    /// An AppArmor profile, to `/proc/self/attr/apparmor/exec` (or `attr/exec`).
    pub apparmor: Option<String>,
    /// An SELinux context, to `/proc/self/attr/exec` and (for the init) `keycreate`.
    pub selinux: Option<String>,
}

fn given(field: &str, v: Option<&str>) -> Result<Option<String>> {
    match v.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => {
            no_nul(field, s)?;
            if s.len() > wire::limits::MAX_LABEL {
                crate::bail!(
                    "{field} is {} bytes long; runlet takes at most {}",
                    s.len(),
                    wire::limits::MAX_LABEL
                );
            }
            Ok(Some(s.to_string()))
        }
    }
}

/// The process labels to apply on `host`; a label its LSM does not enforce is dropped
/// with a debug note.
pub(crate) fn process_labels(
    host: Host,
    apparmor: Option<&str>,
    selinux: Option<&str>,
) -> Result<Labels> {
    let apparmor = given("process.apparmorProfile", apparmor)?;
    let selinux = given("process.selinuxLabel", selinux)?;
    Ok(Labels {
        apparmor: keep(
            apparmor,
            host.apparmor,
            "process.apparmorProfile",
            "AppArmor",
        ),
        selinux: keep(selinux, host.selinux, "process.selinuxLabel", "SELinux"),
    })
}

fn keep(v: Option<String>, enabled: bool, field: &str, lsm: &str) -> Option<String> {
    if v.is_some() && !enabled {
        debug!("{field} ignored: {lsm} is not enabled on this host, nothing could enforce it");
        return None;
    }
    v
}

/// File systems runc mounts without the mount label (they take no `context=`, or
/// runc labels them otherwise).
const UNLABELLED: [&str; 3] = ["proc", "sysfs", "mqueue"];

/// `linux.mountLabel`: with SELinux, `context="<label>"` on every mount that makes a
/// file system (not binds, proc, sysfs, mqueue or cgroup hierarchies), as runc.
pub(crate) fn label_mounts(host: Host, label: Option<&str>, mounts: &mut [Entry]) -> Result<()> {
    let Some(label) = given("linux.mountLabel", label)? else {
        return Ok(());
    };
    if !host.selinux {
        debug!("linux.mountLabel ignored: SELinux is not enabled on this host, nothing could enforce it");
        return Ok(());
    }
    for m in mounts.iter_mut() {
        let Entry::Op(op) = m else { continue };
        let fs = op.fstype.as_deref().unwrap_or("");
        if op.kind != wire::MountKind::Fs || UNLABELLED.contains(&fs) {
            continue;
        }
        let ctx = format!("context=\"{label}\"");
        op.data = Some(match op.data.take() {
            Some(d) => format!("{d},{ctx}"),
            None => ctx,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const OFF: Host = Host {
        apparmor: false,
        selinux: false,
    };
    const ON: Host = Host {
        apparmor: true,
        selinux: true,
    };

    #[test]
    fn labels_kept_only_where_the_lsm_is_enabled() {
        let l = process_labels(OFF, Some("p"), Some("system_u:system_r:c:s0")).unwrap();
        assert_eq!(l, Labels::default());
        let l = process_labels(ON, Some("p"), Some("")).unwrap();
        assert_eq!(l.apparmor.as_deref(), Some("p"));
        assert_eq!(l.selinux, None);
        let e = process_labels(ON, Some("a\0b"), None).err().unwrap();
        assert!(e.to_string().starts_with("process.apparmorProfile"), "{e}");
    }

    #[test]
    fn the_mount_label_goes_to_file_system_mounts() {
        let b = std::env::temp_dir();
        let list: Vec<crate::config::spec::Mount> = miniserde::json::from_str(&format!(
            r#"[{{"destination":"/dev","type":"tmpfs","options":["mode=755"]}},
               {{"destination":"/proc","type":"proc"}},
               {{"destination":"/d","type":"devpts"}},
               {{"destination":"/b","source":"{}","options":["bind"]}}]"#,
            b.display()
        ))
        .unwrap();
        let mut m = super::super::mounts::parse(&list, Path::new("/")).unwrap();
        let orig = m.clone();
        label_mounts(OFF, Some("l"), &mut m).unwrap();
        assert_eq!(m, orig);
        label_mounts(ON, Some("l"), &mut m).unwrap();
        let data: Vec<Option<String>> = m
            .iter()
            .map(|e| match e {
                Entry::Op(o) => o.data.clone(),
                _ => None,
            })
            .collect();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            data,
            [s("mode=755,context=\"l\""), None, s("context=\"l\""), None]
        );
    }
}
