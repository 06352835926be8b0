//! Id-mapped bind mounts (docs/userns.md): runlet makes each one before the clone
//! (a detached copy of the source, `open_tree(OPEN_TREE_CLONE)`, given the mount's
//! maps with `mount_setattr(MOUNT_ATTR_IDMAP)`: that needs CAP_SYS_ADMIN where the
//! source's filesystem was mounted, which the container's init does not have), and
//! attaches them in the init's mount namespace at `Prestart` (docs/protocol.md),
//! from a short-lived child that joins that namespace.

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use linux_raw_sys::general as g;
use rustix::fs::{mkdirat, openat, openat2, Mode, OFlags, ResolveFlags, CWD};
use rustix::io::Errno;
use rustix::mount::{move_mount, open_tree, MoveMountFlags, OpenTreeFlags};
use rustix::thread::{move_into_link_name_space, LinkNameSpaceType};

use crate::config::idmapped::IdMapped;
use crate::config::userns::IdMaps;
use crate::error::{Error, Result};
use crate::os::sys::{self, CloneArgs, MountAttr, CLONE_PIDFD};

/// How long attaching may take (a child making a few syscalls).
const ATTACH_TIMEOUT: Duration = Duration::from_secs(10);

/// An id-mapped mount made and waiting to be attached.
pub struct Prepared {
    fd: OwnedFd,
    dest: CString,
    at: String,
}

/// Makes every id-mapped mount (detached) and its mount point inside the rootfs.
pub fn prepare(list: &[(IdMapped, IdMaps)], rootfs: &Path) -> Result<Vec<Prepared>> {
    let mut out = Vec::with_capacity(list.len());
    for (m, maps) in list {
        let what = |op: &str| format!("{}: {op}", m.at);
        let ns = userns_with(maps).map_err(|e| e.context(what("user namespace for the maps")))?;
        let mut flags = OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC;
        if m.rbind {
            flags |= OpenTreeFlags::AT_RECURSIVE;
        }
        let fd = open_tree(CWD, &m.source, flags)
            .map_err(|e| Error::io(&what("open_tree"), &m.source, e.into()))?;
        let attr = MountAttr {
            attr_set: g::MOUNT_ATTR_IDMAP as u64 | m.attrs,
            userns_fd: ns.as_raw_fd() as u64,
            ..Default::default()
        };
        sys::mount_setattr(fd.as_fd(), m.recursive, &attr)
            .map_err(|e| Error::io(&what("mount_setattr MOUNT_ATTR_IDMAP"), &m.source, e))?;
        let is_dir = m.source.is_dir();
        make_dest(rootfs, &m.dest, is_dir).map_err(|e| e.context(what("mount point")))?;
        out.push(Prepared {
            fd,
            dest: CString::new(m.dest.as_bytes()).expect("checked for NUL"),
            at: m.at.clone(),
        });
    }
    Ok(out)
}

/// A user namespace holding `maps`: a child is born in it and waits; runlet writes
/// its maps, opens its `ns/user` and lets it go.
fn userns_with(maps: &IdMaps) -> Result<OwnedFd> {
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| Error::sys("pipe", e))?;
    let mut pidfd: i32 = -1;
    let mut args = CloneArgs {
        flags: g::CLONE_NEWUSER as u64 | CLONE_PIDFD,
        pidfd: &mut pidfd as *mut i32 as u64,
        exit_signal: g::SIGCHLD as u64,
        ..Default::default()
    };
    // SAFETY: the child only closes, reads and exits (async-signal-safe).
    let pid =
        unsafe { sys::clone3(&mut args) }.map_err(|e| Error::sys("clone3 (CLONE_NEWUSER)", e))?;
    if pid == 0 {
        // Its copy of the write end goes, so the parent's close is EOF.
        drop(w);
        let _ = rustix::io::read(&r, &mut [0u8; 1]);
        sys::exit_now(0);
    }
    // SAFETY: clone3 wrote a new pidfd that nothing else owns.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
    let ns = crate::container::userns::write_maps(pid, maps).and_then(|()| {
        let p = format!("/proc/{pid}/ns/user");
        rustix::fs::open(&p, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| Error::io("open", &p, e.into()))
    });
    drop(w);
    reap(&pidfd);
    ns
}

/// Waits for a child that is ending (killed first if it has not within the
/// deadline).
fn reap(pidfd: &OwnedFd) {
    let mut fds = [rustix::event::PollFd::new(
        pidfd,
        rustix::event::PollFlags::IN,
    )];
    let t = rustix::event::Timespec {
        tv_sec: ATTACH_TIMEOUT.as_secs() as i64,
        tv_nsec: 0,
    };
    if !matches!(rustix::event::poll(&mut fds, Some(&t)), Ok(1)) {
        let _ = sys::pidfd_send_signal(pidfd.as_fd(), g::SIGKILL as i32);
    }
    let _ = rustix::process::waitid(
        rustix::process::WaitId::PidFd(pidfd.as_fd()),
        rustix::process::WaitIdOptions::EXITED,
    );
}

/// The mount point `dest` inside `rootfs`, each part resolved inside it (a symlink
/// in the rootfs cannot lead out); missing directories and a missing last file are
/// made.
fn make_dest(rootfs: &Path, dest: &str, dir: bool) -> Result<()> {
    let root = openat(
        CWD,
        rootfs,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::io("open", rootfs, e.into()))?;
    let parts: Vec<&str> = dest.split('/').filter(|p| !p.is_empty()).collect();
    let how = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    for i in 0..parts.len() {
        let path = parts[..=i].join("/");
        match openat2(
            &root,
            &path,
            OFlags::PATH | OFlags::CLOEXEC,
            Mode::empty(),
            how,
        ) {
            Ok(_) => continue,
            Err(Errno::NOENT) => {}
            Err(e) => return Err(Error::io("open", rootfs.join(&path), e.into())),
        }
        let parent = parts[..i].join("/");
        let parent = if parent.is_empty() {
            ".".to_string()
        } else {
            parent
        };
        let pfd = openat2(
            &root,
            &parent,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
            how,
        )
        .map_err(|e| Error::io("open", rootfs.join(&parent), e.into()))?;
        let last = i + 1 == parts.len();
        let made = match (last, dir) {
            (true, false) => openat(
                &pfd,
                parts[i],
                OFlags::CREATE | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o644),
            )
            .map(drop),
            _ => mkdirat(&pfd, parts[i], Mode::from_raw_mode(0o755)),
        };
        match made {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(Error::io("create", rootfs.join(&path), e.into())),
        }
    }
    Ok(())
}

/// Attaches the mounts in the mount namespace of `pid` (the init, stopped at
/// `Prestart`), each on its destination resolved inside `rootfs` there.
pub fn attach(list: &[Prepared], pid: i32, rootfs: &Path) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let ns_path = format!("/proc/{pid}/ns/mnt");
    let mnt = rustix::fs::open(&ns_path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| Error::io("open", &ns_path, e.into()))?;
    let root = CString::new(rootfs.as_os_str().as_bytes()).expect("checked for NUL");
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| Error::sys("pipe", e))?;
    let mut pidfd: i32 = -1;
    let mut args = CloneArgs {
        flags: CLONE_PIDFD,
        pidfd: &mut pidfd as *mut i32 as u64,
        exit_signal: g::SIGCHLD as u64,
        ..Default::default()
    };
    // SAFETY: the child makes syscalls on memory prepared above, then exits.
    let child = unsafe { sys::clone3(&mut args) }.map_err(|e| Error::sys("clone3", e))?;
    if child == 0 {
        let (i, errno) = match attach_in_child(list, &mnt, &root) {
            Ok(()) => sys::exit_now(0),
            Err(x) => x,
        };
        let mut msg = [0u8; 5];
        msg[0] = i;
        msg[1..].copy_from_slice(&errno.to_le_bytes());
        let _ = rustix::io::write(&w, &msg);
        sys::exit_now(1);
    }
    // SAFETY: clone3 wrote a new pidfd that nothing else owns.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
    drop(w);
    reap(&pidfd);
    let mut msg = [0u8; 5];
    match rustix::io::read(&r, &mut msg) {
        Ok(0) => Ok(()),
        Ok(5) => {
            let (i, errno) = (msg[0], i32::from_le_bytes([msg[1], msg[2], msg[3], msg[4]]));
            let (what, at) = match list.get(i as usize) {
                Some(p) => ("attach id-mapped mount on", p),
                None => ("join the init's mount namespace for", &list[0]),
            };
            Err(Error::io(
                &format!("{}: {what}", at.at),
                at.dest.to_string_lossy().as_ref(),
                std::io::Error::from_raw_os_error(errno),
            ))
        }
        _ => Err(Error::msg(
            "attaching the id-mapped mounts: the child ended without a word",
        )),
    }
}

/// In the child: joins the mount namespace, then moves each mount onto its
/// destination. Returns the index of the mount that failed (255: the join) and the
/// errno.
fn attach_in_child(
    list: &[Prepared],
    mnt: &OwnedFd,
    root: &CString,
) -> std::result::Result<(), (u8, i32)> {
    move_into_link_name_space(mnt.as_fd(), Some(LinkNameSpaceType::Mount))
        .map_err(|e| (255, e.raw_os_error()))?;
    let rootfd = openat(
        CWD,
        root.as_c_str(),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| (255, e.raw_os_error()))?;
    let how = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    for (i, p) in list.iter().enumerate() {
        let fail = |e: Errno| (i as u8, e.raw_os_error());
        let dest = openat2(
            &rootfd,
            p.dest.as_c_str(),
            OFlags::PATH | OFlags::CLOEXEC,
            Mode::empty(),
            how,
        )
        .map_err(fail)?;
        move_mount(
            &p.fd,
            c"",
            &dest,
            c"",
            MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
        )
        .map_err(fail)?;
    }
    Ok(())
}
