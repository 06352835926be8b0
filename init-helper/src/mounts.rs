//! The mount namespace before pivot_root: the root's propagation, the rootfs made a
//! mount point, and the parent's mount list applied in order, each onto a target
//! resolved inside the rootfs.

use core::ffi::CStr;

use helper_rt::{fail, sys, Channel, Context, Failure};
use linux_raw_sys::general::{
    MS_BIND, MS_NOATIME, MS_NODEV, MS_NODIRATIME, MS_NOEXEC, MS_NOSUID, MS_NOSYMFOLLOW, MS_PRIVATE,
    MS_RDONLY, MS_REC, MS_RELATIME, MS_REMOUNT, MS_SLAVE, MS_STRICTATIME,
};
use rustix::fd::{AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{
    fstatfs, open, statx, AtFlags, FileType, Mode, OFlags, StatxAttributes, StatxFlags, CWD,
    PROC_SUPER_MAGIC,
};
use rustix::thread::{unshare_unsafe, UnshareFlags};
use wire::{Bootstrap, FrameKind, Mount, MountKind, SharedMount};

use crate::path::{FdPath, PathBuf};
use crate::resolve::{resolve, Create};

/// How long the parent may take to place the init in its cgroups and run the
/// prestart/createRuntime hooks.
const PLACEMENT_TIMEOUT_MS: u64 = 10 * 60 * 1000;

/// Per-mount flags a bind mount only takes through a second, remounting call.
const BIND_REMOUNT_FLAGS: u64 = (MS_RDONLY
    | MS_NOSUID
    | MS_NODEV
    | MS_NOEXEC
    | MS_NOSYMFOLLOW
    | MS_NOATIME
    | MS_NODIRATIME
    | MS_RELATIME
    | MS_STRICTATIME) as u64;

/// The placement barrier: `Prestart` out, `Resume` in, once.
pub struct Placement {
    done: bool,
}

impl Placement {
    pub const fn new() -> Self {
        Placement { done: false }
    }

    /// Tells the parent the mounts that need no placement are done, and waits until it
    /// has made the container's cgroups and run its hooks. Then enters its v1 cgroups
    /// (writing "0" to a `tasks` file moves only the writer, and spares the kernel's
    /// global attach lock), and a new cgroup namespace when asked, so it is rooted
    /// there. Nothing forks or execs before this. Idempotent.
    pub fn wait(&mut self, chan: &Channel, bs: &Bootstrap<'_>) -> Result<(), Failure> {
        if self.done {
            return Ok(());
        }
        chan.send_empty(FrameKind::Prestart)?;
        // Longer by what the parent's prestart and createRuntime hooks may take.
        let wait = PLACEMENT_TIMEOUT_MS + u64::from(bs.resume_wait_s) * 1000;
        chan.expect(FrameKind::Resume, &mut [0u8; 0], wait)?;
        self.done = true;
        for tasks in bs.cgroup_tasks() {
            enter_cgroup(tasks)?;
        }
        if bs.new_cgroupns {
            // SAFETY: the helper is single-threaded and shares no fs/files state that
            // unsharing a cgroup namespace could tear.
            unsafe { unshare_unsafe(UnshareFlags::NEWCGROUP) }
                .ctx(&[b"unshare cgroup namespace"])?;
        }
        Ok(())
    }
}

/// Moves this (single-threaded) process into the cgroup whose `tasks` file this is.
fn enter_cgroup(tasks: &CStr) -> Result<(), Failure> {
    let what: &[&[u8]] = &[b"move into cgroup: write 0 to ", tasks.to_bytes()];
    let fd = open(tasks, OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty()).ctx(what)?;
    rustix::io::write(&fd, b"0").ctx(what)?;
    Ok(())
}

/// Gives `/` its propagation, makes the rootfs a mount point of its own, and returns
/// an `O_PATH` fd of it: the root every later lookup is confined to.
pub fn prepare_root(bs: &Bootstrap<'_>) -> Result<OwnedFd, Failure> {
    match bs.shared_mount {
        SharedMount::No => {}
        // Another namespace's `/` is not ours to change: only the rootfs becomes a
        // mount point (runlet made it one already in its own namespace).
        SharedMount::Joined => {
            bind_onto_itself(bs.rootfs)?;
            return open_root(bs.rootfs);
        }
        SharedMount::Bound => return open_root(bs.rootfs),
    }
    let prop = match bs.root_propagation {
        0 => (MS_SLAVE | MS_REC) as u64,
        p => p,
    };
    sys::mount(None, c"/", None, prop, None).ctx(&[b"set propagation of /"])?;
    // pivot_root refuses a new root whose parent mount is shared. After a recursive
    // slave or private change nothing is shared; otherwise make that mount private,
    // as runc does, so the bind below does not propagate back to the host either.
    let (rec, kind) = (
        prop & MS_REC as u64 != 0,
        prop & (MS_SLAVE | MS_PRIVATE) as u64,
    );
    if !(rec && kind != 0) {
        make_parent_mount_private(bs.rootfs)?;
    }
    bind_onto_itself(bs.rootfs)?;
    open_root(bs.rootfs)
}

fn bind_onto_itself(rootfs: &CStr) -> Result<(), Failure> {
    sys::mount(Some(rootfs), rootfs, None, (MS_BIND | MS_REC) as u64, None).ctx(&[
        b"bind rootfs ",
        rootfs.to_bytes(),
        b" onto itself",
    ])
}

fn open_root(rootfs: &CStr) -> Result<OwnedFd, Failure> {
    open(
        rootfs,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx(&[b"open rootfs ", rootfs.to_bytes()])
}

/// Makes the mount that holds `path` private: walks up from `path` to the first
/// directory that is the root of a mount (STATX_ATTR_MOUNT_ROOT).
fn make_parent_mount_private(path: &CStr) -> Result<(), Failure> {
    let mut p = PathBuf::from_parts(&[path.to_bytes()])?;
    loop {
        let st = statx(CWD, p.as_cstr(), AtFlags::empty(), StatxFlags::BASIC_STATS)
            .ctx(&[b"stat ", p.bytes()])?;
        let is_root = st.stx_attributes.contains(StatxAttributes::MOUNT_ROOT);
        if is_root || p.bytes() == b"/" {
            return sys::mount(None, p.as_cstr(), None, MS_PRIVATE as u64, None).ctx(&[
                b"make mount ",
                p.bytes(),
                b" private",
            ]);
        }
        let (dir_len, _) = crate::path::split_last(p.bytes());
        p.truncate(dir_len.max(1));
    }
}

/// Applies the parent's mount list in order. The placement barrier comes before the
/// first mount that needs it (e.g. cgroup mounts in a new cgroup namespace) and in
/// any case after the last one.
pub fn apply_all(
    root: BorrowedFd<'_>,
    bs: &Bootstrap<'_>,
    chan: &Channel,
    placement: &mut Placement,
) -> Result<(), Failure> {
    for m in bs.mounts() {
        if m.after_placement {
            placement.wait(chan, bs)?;
        }
        apply(root, &m)?;
    }
    placement.wait(chan, bs)
}

fn apply(root: BorrowedFd<'_>, m: &Mount<'_>) -> Result<(), Failure> {
    let dest = m.dest.to_bytes();
    match m.kind {
        MountKind::Fs => {
            let target = resolve(root, m.dest, Create::Dir)?;
            refuse_redirect(&target, dest)?;
            let what = m.source.or(m.fstype).map_or(&b"none"[..], CStr::to_bytes);
            sys::mount(
                m.source,
                FdPath::new(&target).as_cstr(),
                m.fstype,
                m.flags,
                m.data,
            )
            .ctx(&[b"mount ", what, b" on ", dest])?;
        }
        MountKind::Bind => {
            let source = m.source.unwrap_or(c"");
            let is_dir =
                rustix::fs::stat(source).ctx(&[b"stat bind source ", source.to_bytes()])?;
            let create = match FileType::from_raw_mode(is_dir.st_mode) {
                FileType::Directory => Create::Dir,
                _ => Create::File,
            };
            let target = resolve(root, m.dest, create)?;
            refuse_redirect(&target, dest)?;
            let flags = MS_BIND as u64 | (m.flags & MS_REC as u64);
            sys::mount(
                Some(source),
                FdPath::new(&target).as_cstr(),
                None,
                flags,
                None,
            )
            .ctx(&[b"bind ", source.to_bytes(), b" on ", dest])?;
            let extra = m.flags & BIND_REMOUNT_FLAGS;
            if extra != 0 {
                // The fd above is the mount point underneath; the new mount is reached
                // by resolving the path again.
                let target = resolve(root, m.dest, Create::No)?;
                let flags = (MS_REMOUNT | MS_BIND) as u64 | extra;
                sys::mount(None, FdPath::new(&target).as_cstr(), None, flags, None)
                    .ctx(&[b"remount bind mount ", dest])?;
            }
        }
        MountKind::Remount => {
            let target = resolve(root, m.dest, Create::No)?;
            let flags = MS_REMOUNT as u64 | m.flags;
            sys::mount(None, FdPath::new(&target).as_cstr(), None, flags, m.data)
                .ctx(&[b"remount ", dest])?;
        }
    }
    if m.attr_set | m.attr_clr != 0 {
        // The new mount (resolved again: the fd above is the one underneath), and
        // every mount below it.
        let target = resolve(root, m.dest, Create::No)?;
        sys::mount_setattr_recursive(target.as_raw_fd(), m.attr_set, m.attr_clr)
            .ctx(&[b"set recursive mount attributes of ", dest])?;
    }
    if m.propagation != 0 {
        let target = resolve(root, m.dest, Create::No)?;
        sys::mount(
            None,
            FdPath::new(&target).as_cstr(),
            None,
            m.propagation,
            None,
        )
        .ctx(&[b"set propagation of ", dest])?;
    }
    Ok(())
}

/// A mount whose destination is not under /proc or /sys must not land on procfs or
/// sysfs: a symlink in the rootfs (`/data` → `/proc/sys/kernel`) would put it over
/// the kernel's files, and what runlet later writes or masks there would follow it
/// (the CVE-2025-52881 class). The lookup itself stayed inside the root; this is
/// about where inside.
fn refuse_redirect(target: &OwnedFd, dest: &[u8]) -> Result<(), Failure> {
    const SYSFS_MAGIC: u64 = 0x6265_6572;
    let under =
        |top: &[u8]| dest.starts_with(top) && matches!(dest.get(top.len()), None | Some(b'/'));
    let fs = fstatfs(target).ctx(&[b"statfs mount destination ", dest])?;
    let kind = fs.f_type as u64;
    let into = if kind == PROC_SUPER_MAGIC as u64 && !under(b"/proc") {
        &b"/proc"[..]
    } else if kind == SYSFS_MAGIC && !under(b"/sys") {
        &b"/sys"[..]
    } else {
        return Ok(());
    };
    Err(fail(
        &[
            b"mount destination ",
            dest,
            b" resolves into ",
            into,
            b" (a symlink in the rootfs): refused",
        ],
        None,
    ))
}
