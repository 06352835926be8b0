//! Resolving a path inside the container's root so that no symlink in the rootfs can
//! lead outside it: every lookup is `openat2(rootfs, path, O_PATH, RESOLVE_IN_ROOT)`,
//! which treats `/` and `..` as the rootfs itself. Missing components are created one
//! at a time with `mkdirat` in a directory that was itself resolved that way.

use core::ffi::CStr;

use helper_rt::{fail, Context, Failure};
use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::fs::{mkdirat, openat, Mode, OFlags};

pub use helper_rt::inroot::open_in_root;
use rustix::io::Errno;

use crate::path::{split_last, PathBuf};

/// What to make when the last component is missing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// Nothing: a missing path is an error (ENOENT).
    No,
    /// Directories all the way (0755).
    Dir,
    /// Directories for the parents, an empty file (0644) for the last component.
    File,
}

/// Resolves `path` inside `root`, creating what is missing as `create` says.
pub fn resolve(root: BorrowedFd<'_>, path: &CStr, create: Create) -> Result<OwnedFd, Failure> {
    match open_in_root(root, path) {
        Ok(fd) => return Ok(fd),
        Err(Errno::NOENT) if create != Create::No => {}
        Err(e) => {
            return Err(fail(
                &[b"resolve ", path.to_bytes(), b" in rootfs"],
                Some(e),
            ))
        }
    }
    // Most often only the last component is missing (a mountpoint in an existing
    // directory): make it in its parent, found with one lookup.
    let bytes = path.to_bytes();
    let (dir_len, name) = split_last(bytes);
    if !name.is_empty() && name != b"." && name != b".." && dir_len > 0 {
        let dir = PathBuf::from_parts(&[&bytes[..dir_len]])?;
        if let Ok(parent) = open_in_root(root, dir.as_cstr()) {
            return make_last(root, &parent, path, name, create);
        }
    }
    let mut cur = open_in_root(root, c"/").ctx(&[b"open rootfs"])?;
    let mut prefix = PathBuf::new();
    let mut comps = bytes
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .peekable();
    while let Some(comp) = comps.next() {
        prefix.push(b"/")?.push(comp)?;
        match open_in_root(root, prefix.as_cstr()) {
            Ok(fd) => {
                cur = fd;
                continue;
            }
            Err(Errno::NOENT) => {}
            Err(e) => return Err(fail(&[b"resolve ", prefix.bytes(), b" in rootfs"], Some(e))),
        }
        let last = if comps.peek().is_none() {
            create
        } else {
            Create::Dir
        };
        cur = make_last(root, &cur, prefix.as_cstr(), comp, last)?;
    }
    Ok(cur)
}

/// Makes `name` in `dir` (a directory, or an empty file for `Create::File`) and
/// returns it resolved inside `root`; `path` is its full path, for messages and the
/// lookup.
fn make_last(
    root: BorrowedFd<'_>,
    dir: &OwnedFd,
    path: &CStr,
    name: &[u8],
    create: Create,
) -> Result<OwnedFd, Failure> {
    let name = PathBuf::from_parts(&[name])?;
    let made = if create == Create::File {
        openat(
            dir,
            name.as_cstr(),
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )
        .map(drop)
    } else {
        mkdirat(dir, name.as_cstr(), Mode::from_raw_mode(0o755))
    };
    match made {
        // EEXIST: a dangling symlink (reported by the lookup below) or a race.
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(fail(&[b"create ", path.to_bytes(), b" in rootfs"], Some(e))),
    }
    open_in_root(root, path).ctx(&[b"resolve ", path.to_bytes(), b" in rootfs"])
}

/// The directory holding `path` (resolved and created as directories inside `root`)
/// and the last component's name, for calls that take (dirfd, name): mknodat,
/// symlinkat, unlinkat. The name is never empty, `.` or `..`.
pub fn resolve_parent(root: BorrowedFd<'_>, path: &CStr) -> Result<(OwnedFd, PathBuf), Failure> {
    let bytes = path.to_bytes();
    let (dir_len, name) = split_last(bytes);
    if name.is_empty() || name == b"." || name == b".." {
        return Err(fail(&[b"bad path ", bytes], Some(Errno::INVAL)));
    }
    let dir = PathBuf::from_parts(&[&bytes[..dir_len.max(1)]])?;
    let dirfd = resolve(root, dir.as_cstr(), Create::Dir)?;
    Ok((dirfd, PathBuf::from_parts(&[name])?))
}
