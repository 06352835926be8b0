//! Joining a running container: every namespace of its init, then its root.
//!
//! runlet hands the helper the init's `/proc/<pid>` directory as fd 4, opened and
//! checked against the saved start time *through that fd*: a directory of /proc
//! stays bound to the process it was opened for, so a pid reused since can never
//! be joined by mistake (lookups in it fail once that process is gone).

use core::ffi::CStr;

use helper_rt::{fail, Context, Failure};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{fstat, openat, stat, Mode, OFlags};
use rustix::io::Errno;
use rustix::process::{chroot, fchdir};
use rustix::thread::{move_into_link_name_space, LinkNameSpaceType as Ns};

/// The namespaces, in the order they are joined. The user namespace comes first: it
/// owns the others, and joining it gives the capabilities the other joins need
/// there. The mount namespace comes last: after it, /proc/<pid> paths of the host
/// are out of reach (the fds opened before still work). PID and time namespaces
/// apply to children, hence the fork after this.
const ORDER: [(&CStr, &CStr, Ns); 8] = [
    (c"ns/user", c"/proc/self/ns/user", Ns::User),
    (c"ns/cgroup", c"/proc/self/ns/cgroup", Ns::ControlGroup),
    (
        c"ns/ipc",
        c"/proc/self/ns/ipc",
        Ns::InterProcessCommunication,
    ),
    (
        c"ns/uts",
        c"/proc/self/ns/uts",
        Ns::HostNameAndNISDomainName,
    ),
    (c"ns/net", c"/proc/self/ns/net", Ns::Network),
    (c"ns/pid", c"/proc/self/ns/pid", Ns::ProcessID),
    (c"ns/time", c"/proc/self/ns/time", Ns::Time),
    (c"ns/mnt", c"/proc/self/ns/mnt", Ns::Mount),
];

/// What to join, all opened before the first join.
pub struct Target {
    /// The init's namespaces that differ from the helper's own (joining one's own
    /// user namespace is an error, and the others would be wasted calls).
    ns: [Option<OwnedFd>; ORDER.len()],
    /// The init's root directory (`/proc/<pid>/root`), where the exec'd process is
    /// rooted once the mount namespace is joined, as nsenter does: the namespace's
    /// root and the init's root differ when the init pivoted or chrooted.
    root: OwnedFd,
}

/// Opens every namespace of the init that is not the helper's own, and its root.
pub fn open(proc_dir: BorrowedFd<'_>) -> Result<Target, Failure> {
    let mut t = Target {
        ns: [const { None }; ORDER.len()],
        root: openat(
            proc_dir,
            c"root",
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ctx(&[b"open /proc/<pid>/root of the container's init"])?,
    };
    for (slot, (rel, own, _)) in t.ns.iter_mut().zip(ORDER) {
        let fd = match openat(
            proc_dir,
            rel,
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            // The init's root was opened above, so it exists: a missing file is a kind
            // of namespace this kernel does not have (time before 5.6).
            Err(Errno::NOENT) => continue,
            Err(e) => return Err(fail(&[b"open /proc/<pid>/", rel.to_bytes()], Some(e))),
        };
        let theirs = fstat(&fd).ctx(&[b"fstat /proc/<pid>/", rel.to_bytes()])?;
        let ours = stat(own).ctx(&[b"stat ", own.to_bytes()])?;
        if (theirs.st_dev, theirs.st_ino) != (ours.st_dev, ours.st_ino) {
            *slot = Some(fd);
        }
    }
    Ok(t)
}

/// Joins the namespaces in `ORDER`, then roots the helper at the init's root.
pub fn enter(t: &Target) -> Result<(), Failure> {
    for (fd, (rel, _, kind)) in t.ns.iter().zip(ORDER) {
        if let Some(fd) = fd {
            move_into_link_name_space(fd.as_fd(), Some(kind))
                .ctx(&[b"setns /proc/<pid>/", rel.to_bytes()])?;
        }
    }
    fchdir(&t.root).ctx(&[b"fchdir to the container's root"])?;
    chroot(c".").ctx(&[b"chroot to the container's root"])?;
    Ok(())
}
