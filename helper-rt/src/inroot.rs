//! Lookups confined to a root: `openat2(root, path, O_PATH, RESOLVE_IN_ROOT |
//! RESOLVE_NO_MAGICLINKS)` treats `/` and `..` as the root itself and refuses
//! `/proc/<pid>/fd`-style magic links, which are how a path leaves a root
//! (CVE-2024-21626). Both helpers resolve every container path this way: the init
//! its mount targets and `process.cwd`, runlet-exec the exec's cwd.

use core::ffi::CStr;

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{open, openat2, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use rustix::process::fchdir;

use crate::fail::{Context, Failure};

/// An `O_PATH` fd of `path` (absolute or not, always taken inside `root`).
pub fn open_in_root(root: BorrowedFd<'_>, path: &CStr) -> Result<OwnedFd, Errno> {
    loop {
        match openat2(
            root,
            path,
            OFlags::PATH | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
        ) {
            // The kernel asks for a retry when a rename raced the lookup.
            Err(Errno::AGAIN) => continue,
            r => return r,
        }
    }
}

/// Changes to `cwd` resolved inside this process's root (`/`): a symlink or `..`
/// in it cannot lead out, and `/proc/self/fd/N` is refused rather than followed.
/// Called after the user switch, so the search permissions are the process's own.
pub fn chdir_in_root(cwd: &CStr) -> Result<(), Failure> {
    let what: &[&[u8]] = &[b"chdir to cwd ", cwd.to_bytes()];
    let root = open(
        c"/",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx(what)?;
    let dir = open_in_root(root.as_fd(), cwd).ctx(what)?;
    fchdir(&dir).ctx(what)
}
