//! pivot_root, and what is done inside the new root: hostname, sysctls, read-only and
//! masked paths, the read-only root. After pivot_root, `/` is the container's root, so
//! plain paths (and absolute symlinks in them) stay inside it.

use core::ffi::CStr;

use helper_rt::{sys, Context, Failure};
use linux_raw_sys::general::{
    MS_BIND, MS_NOATIME, MS_NODEV, MS_NODIRATIME, MS_NOEXEC, MS_NOSUID, MS_NOSYMFOLLOW, MS_RDONLY,
    MS_REC, MS_RELATIME, MS_REMOUNT, MS_SLAVE,
};
use rustix::fd::OwnedFd;
use rustix::fs::{fstat, makedev, open, stat, statvfs, FileType, Mode, OFlags};
use rustix::io::{write, Errno};
use rustix::mount::{unmount, UnmountFlags};
use rustix::process::{chdir, fchdir, pivot_root};
use wire::Bootstrap;

use crate::path::{FdPath, PathBuf};

/// Makes the rootfs `/`: pivot_root, or (`ROOT_MOVE`) the move of docs/initramfs.md.
pub fn enter(root: OwnedFd, bs: &Bootstrap<'_>) -> Result<(), Failure> {
    if bs.shared_mount != wire::SharedMount::No {
        // The namespace is not the container's: pivot_root would move every process
        // in it; the rootfs bind (its mounts below) is entered by chroot, as runc does.
        fchdir(&root).ctx(&[b"chdir to rootfs"])?;
        rustix::process::chroot(c".").ctx(&[b"chroot to rootfs"])?;
        return chdir(c"/").ctx(&[b"chdir /"]);
    }
    if bs.root_move {
        crate::rootmove::move_root(root, bs)
    } else {
        pivot(root)
    }
}

/// Makes the rootfs `/` and detaches the host's root from this mount namespace.
fn pivot(root: OwnedFd) -> Result<(), Failure> {
    let old = open(
        c"/",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx(&[b"open /"])?;
    fchdir(&root).ctx(&[b"chdir to rootfs"])?;
    // With new and old root the same directory, the old root ends up stacked on top of
    // the new one; no directory for it has to exist in the rootfs.
    // EINVAL here with a root runlet did not see as unpivotable: --no-pivot moves instead.
    pivot_root(c".", c".").ctx(&[b"pivot_root (--no-pivot avoids it)"])?;
    // The kernel does not promise where the cwd is afterwards: go to the old root.
    fchdir(&old).ctx(&[b"chdir to old root"])?;
    // Keep the unmount from propagating to the host's mounts.
    sys::mount(None, c".", None, (MS_SLAVE | MS_REC) as u64, None)
        .ctx(&[b"make old root rslave"])?;
    unmount(c".", UnmountFlags::DETACH).ctx(&[b"unmount old root"])?;
    chdir(c"/").ctx(&[b"chdir /"])
}

/// Everything after pivot_root and before the process's own settings.
pub fn finish(bs: &Bootstrap<'_>) -> Result<(), Failure> {
    if bs.root_propagation != 0 {
        // The rootfs bind was made under a private parent when `/` was shared; give
        // the new `/` the propagation the config asked for.
        sys::mount(None, c"/", None, bs.root_propagation, None).ctx(&[b"set propagation of /"])?;
    }
    if let Some(h) = bs.hostname {
        rustix::system::sethostname(h.to_bytes()).ctx(&[b"sethostname ", h.to_bytes()])?;
    }
    for s in bs.sysctls() {
        let path = PathBuf::from_parts(&[b"/proc/sys/", s.key.to_bytes()])?;
        write_file(path.as_cstr(), s.value.to_bytes()).ctx(&[b"sysctl ", s.key.to_bytes()])?;
    }
    for p in bs.readonly_paths() {
        readonly_path(p)?;
    }
    // Opened once, at the first masked path that is not a directory.
    let mut null = None;
    for p in bs.masked_paths() {
        mask_path(p, &mut null)?;
    }
    Ok(())
}

/// The container's /dev/null, opened without following a symlink and checked to be
/// the null device (1:3): a rootfs whose /dev/null is a symlink must not get the
/// link's target bound over the masked paths (CVE-2025-31133). Masks are bound from
/// this fd, not from the path.
fn null_device() -> Result<OwnedFd, Failure> {
    let fd = open(
        c"/dev/null",
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx(&[b"open /dev/null"])?;
    let st = fstat(&fd).ctx(&[b"stat /dev/null"])?;
    let is_null = FileType::from_raw_mode(st.st_mode) == FileType::CharacterDevice
        && st.st_rdev == makedev(1, 3);
    if !is_null {
        return Err(helper_rt::fail(
            &[b"/dev/null is not the null device (1:3): not masking with it"],
            None,
        ));
    }
    Ok(fd)
}

/// The read-only root, last of all mount changes.
pub fn make_root_readonly() -> Result<(), Failure> {
    remount_readonly(c"/").ctx(&[b"remount / read-only"])
}

/// Writes `value` to an existing file (a /proc or /proc/sys entry).
pub fn write_file(path: &CStr, value: &[u8]) -> Result<(), Errno> {
    let fd = open(
        path,
        OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    )?;
    let mut rest = value;
    while !rest.is_empty() {
        match write(&fd, rest) {
            Ok(0) => return Err(Errno::IO),
            Ok(n) => rest = &rest[n..],
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The per-mount flags a bind remount must repeat to keep them.
const KEEP_FLAGS: u64 =
    (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOSYMFOLLOW | MS_NOATIME | MS_NODIRATIME | MS_RELATIME)
        as u64;

/// Remounts the mount at `path` read-only, keeping its nosuid/nodev/noexec/atime flags
/// (statvfs's ST_* bits have the values of the MS_* flags).
fn remount_readonly(path: &CStr) -> Result<(), Errno> {
    let keep = statvfs(path)?.f_flag.bits() & KEEP_FLAGS;
    let flags = (MS_BIND | MS_REMOUNT | MS_RDONLY) as u64 | keep;
    sys::mount(None, path, None, flags, None)
}

/// Binds `path` onto itself and makes that mount read-only. A missing path is skipped.
fn readonly_path(path: &CStr) -> Result<(), Failure> {
    match sys::mount(Some(path), path, None, (MS_BIND | MS_REC) as u64, None) {
        Err(Errno::NOENT) => return Ok(()),
        r => r.ctx(&[b"bind ", path.to_bytes(), b" onto itself"])?,
    }
    remount_readonly(path).ctx(&[b"make ", path.to_bytes(), b" read-only"])
}

/// Hides `path`: a directory under an empty read-only tmpfs, anything else under
/// /dev/null (`null`, opened on first use). A missing path is skipped.
fn mask_path(path: &CStr, null: &mut Option<OwnedFd>) -> Result<(), Failure> {
    let st = match stat(path) {
        Err(Errno::NOENT) => return Ok(()),
        r => r.ctx(&[b"stat masked path ", path.to_bytes()])?,
    };
    let r = if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
        sys::mount(
            Some(c"tmpfs"),
            path,
            Some(c"tmpfs"),
            MS_RDONLY as u64,
            Some(c"size=0"),
        )
    } else {
        let fd = match null.take() {
            Some(fd) => fd,
            None => null_device()?,
        };
        let r = sys::mount(
            Some(FdPath::new(&fd).as_cstr()),
            path,
            None,
            MS_BIND as u64,
            None,
        );
        *null = Some(fd);
        r
    };
    match r {
        Err(Errno::NOENT) if stat(path).is_err() => Ok(()),
        r => r.ctx(&[b"mask ", path.to_bytes()]),
    }
}
