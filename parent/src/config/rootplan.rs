//! How runlet-init leaves the host's root (docs/initramfs.md): `pivot_root`, or, with
//! `--no-pivot` or when the host's root cannot be pivoted away from (an initramfs:
//! `/` is the namespace's root mount, `rootfs`), the rootfs moved over `/` and
//! chrooted into, with every other host mount detached. A root that is not a mount
//! point is refused with advice (its propagation cannot be set).

use std::path::{Path, PathBuf};

use wire::limits::MAX_ROOT_DETACH;
use wire::{tag, Encoder, WireError};

use crate::debug;
use crate::error::{Error, Result};
use crate::os::mountinfo::{parse_mountinfo, MountLine};

/// The root switch the init is told to make.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RootPlan {
    /// Move the rootfs over `/` and chroot instead of `pivot_root`.
    pub move_root: bool,
    /// Host mount points the init detaches once the rootfs is over `/`: every mount
    /// whose parent is the root mount (their own submounts go with them).
    pub detach: Vec<PathBuf>,
}

/// Why pivot_root cannot leave the current root, if it cannot.
pub fn unpivotable(mounts: &[MountLine]) -> Option<String> {
    // The process's root is the last mount listed on `/` (the top of any stack).
    match mounts.iter().rfind(|m| m.mount_point == Path::new("/")) {
        None => Some("/ is not a mount point".into()),
        Some(m) if m.id == m.parent || m.fstype == "rootfs" || m.fstype == "ramfs" => {
            Some(format!(
                "/ is the mount namespace's root mount ({}: an initramfs)",
                m.fstype
            ))
        }
        Some(_) => None,
    }
}

/// The mounts hanging directly off the root mount (or off no listed mount, when
/// `/` is not a mount point), in mountinfo order.
pub fn top_level(mounts: &[MountLine]) -> Vec<PathBuf> {
    let root = mounts
        .iter()
        .rfind(|m| m.mount_point == Path::new("/"))
        .map(|m| m.id);
    mounts
        .iter()
        .filter(|m| Some(m.id) != root && m.mount_point != Path::new("/"))
        .filter(|m| Some(m.parent) == root || !mounts.iter().any(|p| p.id == m.parent))
        .map(|m| m.mount_point.clone())
        .collect()
}

/// Decides the switch from this process's mount table (runlet-init's mount namespace
/// starts as a copy of it).
pub fn plan(no_pivot: bool) -> Result<RootPlan> {
    let text = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| Error::msg(format!("read /proc/self/mountinfo: {e}")))?;
    let mounts = parse_mountinfo(&text)?;
    let why = unpivotable(&mounts);
    if mounts.iter().all(|m| m.mount_point != Path::new("/")) {
        // The mount holding `/` is outside this root: its propagation cannot be made
        // slave or private, so every mount the init made in it could reach the host.
        return Err(Error::msg(
            "/ is not a mount point (runlet runs chrooted into a plain directory): \
             runlet cannot keep a container's mounts from propagating to the host; \
             make the directory a mount point first (mount --bind DIR DIR, then chroot DIR)",
        ));
    }
    if !no_pivot && why.is_none() {
        return Ok(RootPlan::default());
    }
    match &why {
        Some(w) if !no_pivot => debug!(
            "{w}: pivot_root cannot leave it; moving the rootfs over / and chrooting instead"
        ),
        _ => debug!("--no-pivot: moving the rootfs over / and chrooting"),
    }
    let mut detach = top_level(&mounts);
    if detach.len() > MAX_ROOT_DETACH {
        return Err(Error::msg(format!(
            "the host has {} top-level mounts; runlet-init detaches at most {MAX_ROOT_DETACH}",
            detach.len()
        )));
    }
    detach.dedup();
    debug!("{} host mounts to detach after the move", detach.len());
    Ok(RootPlan {
        move_root: true,
        detach,
    })
}

impl RootPlan {
    pub fn encode(&self, e: &mut Encoder<Vec<u8>>) -> Result<(), WireError> {
        use std::os::unix::ffi::OsStrExt;
        if self.move_root {
            e.flag(tag::ROOT_MOVE, true)?;
            for p in &self.detach {
                e.str(tag::ROOT_DETACH, p.as_os_str().as_bytes())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INITRAMFS: &str = "\
1 1 0:2 / / rw - rootfs rootfs rw,size=116104k
16 1 0:5 / /dev rw,relatime - devtmpfs devtmpfs rw
17 1 0:22 / /proc rw,relatime - proc proc rw
18 16 0:23 / /dev/pts rw - devpts devpts rw
19 1 0:24 / /sys rw - sysfs sysfs rw
20 19 0:25 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
21 1 0:26 / /run\\040dir rw - tmpfs tmpfs rw
";

    const DISK: &str = "\
25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
26 25 0:5 / /dev rw shared:2 - devtmpfs udev rw
27 25 0:22 / /proc rw shared:3 - proc proc rw
";

    #[test]
    fn an_initramfs_root_is_unpivotable_and_its_top_mounts_are_detached() {
        let m = parse_mountinfo(INITRAMFS).unwrap();
        assert!(unpivotable(&m).unwrap().contains("rootfs"));
        assert_eq!(
            top_level(&m),
            ["/dev", "/proc", "/sys", "/run dir"].map(PathBuf::from)
        );
    }

    #[test]
    fn a_disk_root_is_pivotable() {
        let m = parse_mountinfo(DISK).unwrap();
        assert_eq!(unpivotable(&m), None);
        assert_eq!(top_level(&m), ["/dev", "/proc"].map(PathBuf::from));
    }

    #[test]
    fn a_root_that_is_no_mount_point_is_unpivotable() {
        // In a chroot below a mount point, that mount is not listed.
        let m = parse_mountinfo("30 25 0:40 / /proc rw - proc proc rw\n").unwrap();
        assert_eq!(unpivotable(&m).as_deref(), Some("/ is not a mount point"));
        assert_eq!(top_level(&m), [PathBuf::from("/proc")]);
    }

    #[test]
    fn a_namespace_root_of_another_type_is_unpivotable() {
        let m = parse_mountinfo("1 1 0:2 / / rw - tmpfs none rw\n").unwrap();
        assert!(unpivotable(&m).is_some());
    }
}
