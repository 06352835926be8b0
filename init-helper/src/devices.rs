//! Device nodes in the rootfs and the standard /dev symlinks, before pivot_root.

use helper_rt::{fail, Context, Failure};
use rustix::fd::BorrowedFd;
use rustix::fs::{
    chmodat, chownat, makedev, mknodat, symlinkat, unlinkat, AtFlags, FileType, Mode,
};
use rustix::io::Errno;
use rustix::process::{Gid, Uid};
use wire::{Bootstrap, Device};

use crate::resolve::{resolve, resolve_parent, Create};

/// The links runc makes in every container's /dev.
const LINKS: [(&core::ffi::CStr, &core::ffi::CStr); 5] = [
    (c"/proc/self/fd", c"fd"),
    (c"/proc/self/fd/0", c"stdin"),
    (c"/proc/self/fd/1", c"stdout"),
    (c"/proc/self/fd/2", c"stderr"),
    (c"pts/ptmx", c"ptmx"),
];

pub fn create_all(root: BorrowedFd<'_>, bs: &Bootstrap<'_>) -> Result<(), Failure> {
    for d in bs.devices() {
        create(root, &d)?;
    }
    let dev = resolve(root, c"/dev", Create::Dir)?;
    for (target, name) in LINKS {
        match symlinkat(target, &dev, name) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(fail(&[b"symlink /dev/", name.to_bytes()], Some(e))),
        }
    }
    Ok(())
}

/// mknod, then chown and chmod to the exact mode (the umask does not apply to a
/// chmod). A node already at the path is replaced.
fn create(root: BorrowedFd<'_>, d: &Device<'_>) -> Result<(), Failure> {
    let path = d.path.to_bytes();
    let (dir, name) = resolve_parent(root, d.path)?;
    let name = name.as_cstr();
    let (kind, dev) = match d.kind {
        b'b' => (FileType::BlockDevice, makedev(d.major, d.minor)),
        b'p' => (FileType::Fifo, 0),
        _ => (FileType::CharacterDevice, makedev(d.major, d.minor)),
    };
    let mode = Mode::from_raw_mode(d.mode & 0o7777);
    match mknodat(&dir, name, kind, mode, dev) {
        Err(Errno::EXIST) => {
            unlinkat(&dir, name, AtFlags::empty()).ctx(&[b"remove existing ", path])?;
            mknodat(&dir, name, kind, mode, dev).ctx(&[b"mknod ", path])?;
        }
        r => r.ctx(&[b"mknod ", path])?,
    }
    // u32::MAX is "leave as is" for chown.
    let uid = (d.uid != u32::MAX).then(|| Uid::from_raw_unchecked(d.uid));
    let gid = (d.gid != u32::MAX).then(|| Gid::from_raw_unchecked(d.gid));
    chownat(&dir, name, uid, gid, AtFlags::SYMLINK_NOFOLLOW).ctx(&[b"chown ", path])?;
    // The node was just made by this process, nothing else runs in the container yet:
    // following the name cannot lead elsewhere.
    chmodat(&dir, name, mode, AtFlags::empty()).ctx(&[b"chmod ", path])
}
