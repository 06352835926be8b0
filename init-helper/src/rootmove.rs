//! The root switch without pivot_root (docs/initramfs.md): for `--no-pivot`, and for a
//! host root pivot_root cannot leave (an initramfs is the mount namespace's root
//! mount; pivot_root refuses to move it). The rootfs mount is moved over `/`, every
//! other host mount is detached, and the init chroots into the rootfs. What is left
//! below the rootfs is the host's root mount alone: with the rootfs mounted on that
//! mount's root directory, `..` from the container's `/` stays there, even after a
//! chroot of the container's own.

use helper_rt::{sys, Context, Failure};
use linux_raw_sys::general::{MS_MOVE, MS_REC, MS_SLAVE};
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::mount::{unmount, UnmountFlags};
use rustix::process::{chdir, chroot, fchdir};
use wire::Bootstrap;

/// Moves the rootfs (`root`, the init's bind mount of it) over `/`, detaches the
/// host mounts the parent listed, and chroots into the rootfs.
pub fn move_root(root: OwnedFd, bs: &Bootstrap<'_>) -> Result<(), Failure> {
    // The rootfs is about to be mounted on the host's root mount: that mount must not
    // pass the move on to the host's copy of it (it is shared when the config asked
    // for shared root propagation). Only `/` itself: the rootfs keeps its own.
    sys::mount(None, c"/", None, MS_SLAVE as u64, None).ctx(&[b"make / a slave mount"])?;
    fchdir(&root).ctx(&[b"chdir to rootfs"])?;
    sys::mount(Some(c"."), c"/", None, MS_MOVE as u64, None).ctx(&[
        b"move rootfs ",
        bs.rootfs.to_bytes(),
        b" over /",
    ])?;
    // Absolute paths still start at the old root, below the rootfs now stacked on it:
    // the host's mounts are reachable by their names until the chroot.
    for p in bs.root_detach() {
        let what: &[&[u8]] = &[b"detach host mount ", p.to_bytes()];
        // First out of the host's propagation, so the unmount stays in this namespace.
        match sys::mount(None, p, None, (MS_SLAVE | MS_REC) as u64, None) {
            // Gone with a mount detached before it, or not a mount point any more.
            Err(Errno::NOENT | Errno::INVAL) => continue,
            r => r.ctx(what)?,
        }
        match unmount(p, UnmountFlags::DETACH) {
            Err(Errno::NOENT | Errno::INVAL) => {}
            r => r.ctx(what)?,
        }
    }
    chroot(c".").ctx(&[b"chroot into rootfs"])?;
    chdir(c"/").ctx(&[b"chdir /"])
}
