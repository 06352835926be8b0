//! A container without a mount namespace of its own shares runlet's (the spec allows
//! it; runc and crun run it). Its mounts then go into the caller's namespace, so
//! runlet first binds the rootfs onto itself there: every mount the init makes lands
//! below that one bind, and one detaching unmount of it removes them all when the
//! container goes (runc and crun leave them behind). The bind is told from a mount
//! someone else made at the rootfs by its mount ID, kept in state.json.

use std::path::Path;

use rustix::fs::{statx, AtFlags, StatxFlags, CWD};
use rustix::mount::{mount_bind_recursive, unmount, UnmountFlags};

use crate::debug;
use crate::error::{Error, Result};

/// The rootfs bind of a container in the caller's mount namespace; unmounted on drop
/// unless kept (`create` leaves it for `delete`).
pub struct SharedRoot {
    rootfs: std::path::PathBuf,
    pub mount_id: u64,
    keep: bool,
}

fn mount_id(p: &Path) -> Result<u64> {
    let st = statx(CWD, p, AtFlags::empty(), StatxFlags::MNT_ID)
        .map_err(|e| Error::io("statx", p, e.into()))?;
    Ok(st.stx_mnt_id)
}

impl SharedRoot {
    pub fn bind(rootfs: &Path) -> Result<SharedRoot> {
        mount_bind_recursive(rootfs, rootfs)
            .map_err(|e| Error::io("bind the rootfs onto itself: mount", rootfs, e.into()))?;
        let id = mount_id(rootfs)?;
        debug!(
            "no mount namespace of its own: {} bound onto itself in runlet's (mount {id})",
            rootfs.display()
        );
        Ok(SharedRoot {
            rootfs: rootfs.to_path_buf(),
            mount_id: id,
            keep: false,
        })
    }

    pub fn keep(&mut self) {
        self.keep = true;
    }
}

impl Drop for SharedRoot {
    fn drop(&mut self) {
        if !self.keep {
            if let Err(e) = remove(&self.rootfs, self.mount_id) {
                eprintln!("runlet: warning: {e}");
            }
        }
    }
}

/// Unmounts the bind `id` at `rootfs` with everything below it, if it is still the
/// top mount there (nothing to do once it is gone).
pub fn remove(rootfs: &Path, id: u64) -> Result<()> {
    if mount_id(rootfs).ok() != Some(id) {
        return Ok(());
    }
    unmount(rootfs, UnmountFlags::DETACH)
        .map_err(|e| Error::io("unmount the container's rootfs bind", rootfs, e.into()))?;
    debug!("rootfs bind (mount {id}) and the container's mounts below it removed");
    Ok(())
}
