//! Raw syscalls the parent needs that rustix does not wrap, through musl (the static
//! C library std already links). Each function says why it is here.

use std::ffi::{c_char, c_int, c_long, c_void, CStr};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

unsafe extern "C" {
    fn syscall(n: c_long, ...) -> c_long;
    fn dup2(old: c_int, new: c_int) -> c_int;
    fn sigprocmask(how: c_int, set: *const SigSet, old: *mut SigSet) -> c_int;
    fn sigemptyset(set: *mut SigSet) -> c_int;
    fn sigaddset(set: *mut SigSet, sig: c_int) -> c_int;
    fn signalfd(fd: c_int, mask: *const SigSet, flags: c_int) -> c_int;
    fn _exit(code: c_int) -> !;
    fn kill(pid: c_int, sig: c_int) -> c_int;
    fn signal(sig: c_int, handler: usize) -> usize;
    fn setsockopt(fd: c_int, level: c_int, name: c_int, val: *const c_void, len: u32) -> c_int;
}

/// musl's sigset_t (128 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SigSet([u64; 16]);

const SIG_BLOCK: c_int = linux_raw_sys::general::SIG_BLOCK as c_int;
const SIG_SETMASK: c_int = linux_raw_sys::general::SIG_SETMASK as c_int;

fn check(r: c_long) -> io::Result<c_long> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// kill(2) with any signal number `kill --all` passes on. rustix's `Signal` holds
/// an arbitrary number only through the unsafe `Signal::from_raw_unchecked`, whose
/// contract forbids sending the C library's reserved real-time signals (32 to 34),
/// which runlet passes on as runc does; the raw call has no such contract.
pub fn kill_pid(pid: i32, sig: c_int) -> io::Result<()> {
    // SAFETY: integer arguments only.
    check(unsafe { kill(pid, sig) }.into()).map(|_| ())
}

/// Blocks `sigs` in this (single-threaded) process; returns the previous mask.
pub fn block_signals(sigs: &[c_int]) -> io::Result<SigSet> {
    let mut set = SigSet([0; 16]);
    let mut old = SigSet([0; 16]);
    // SAFETY: both sets are valid, writable sigset_t values.
    unsafe {
        sigemptyset(&mut set);
        for &s in sigs {
            sigaddset(&mut set, s);
        }
        check(sigprocmask(SIG_BLOCK, &set, &mut old) as c_long)?;
    }
    Ok(old)
}

/// Restores a mask saved by `block_signals`. Async-signal-safe (used in the clone child).
/// An empty signal set.
pub fn empty_sigset() -> SigSet {
    let mut s = SigSet([0; 16]);
    // SAFETY: s is a valid sigset_t to fill.
    unsafe { sigemptyset(&mut s) };
    s
}

pub fn set_signal_mask(mask: &SigSet) -> io::Result<()> {
    // SAFETY: `mask` is a valid sigset_t; no old mask is requested.
    check(unsafe { sigprocmask(SIG_SETMASK, mask, std::ptr::null_mut()) } as c_long).map(|_| ())
}

/// A signalfd for `sigs` (rustix has no signalfd). Close-on-exec, non-blocking.
pub fn signal_fd(sigs: &[c_int]) -> io::Result<std::os::fd::OwnedFd> {
    // The kernel defines SFD_* as the O_* flags of the same names.
    const SFD_CLOEXEC: c_int = linux_raw_sys::general::O_CLOEXEC as c_int;
    const SFD_NONBLOCK: c_int = linux_raw_sys::general::O_NONBLOCK as c_int;
    let mut set = SigSet([0; 16]);
    // SAFETY: `set` is a valid sigset_t; signalfd returns a new fd or -1.
    let fd = unsafe {
        sigemptyset(&mut set);
        for &s in sigs {
            sigaddset(&mut set, s);
        }
        check(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK) as c_long)?
    };
    // SAFETY: the fd was just created and is owned by nobody else.
    Ok(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd as RawFd) })
}

/// Sends any signal number through a pidfd (see `kill_pid` for why not rustix's
/// `pidfd_send_signal`, which takes a `Signal`).
pub fn pidfd_send_signal(pidfd: BorrowedFd<'_>, sig: c_int) -> io::Result<()> {
    let nr = linux_raw_sys::general::__NR_pidfd_send_signal as c_long;
    // SAFETY: integer arguments only; a NULL siginfo is allowed.
    check(unsafe {
        syscall(
            nr,
            pidfd.as_raw_fd() as c_long,
            sig as c_long,
            0 as c_long,
            0 as c_long,
        )
    })
    .map(|_| ())
}

/// `struct clone_args` (linux/sched.h), version 2 (88 bytes, with `cgroup`).
#[repr(C)]
#[derive(Default)]
pub struct CloneArgs {
    pub flags: u64,
    pub pidfd: u64,
    pub child_tid: u64,
    pub parent_tid: u64,
    pub exit_signal: u64,
    pub stack: u64,
    pub stack_size: u64,
    pub tls: u64,
    pub set_tid: u64,
    pub set_tid_size: u64,
    pub cgroup: u64,
}

pub const CLONE_PIDFD: u64 = linux_raw_sys::general::CLONE_PIDFD as u64;
pub const CLONE_INTO_CGROUP: u64 = linux_raw_sys::general::CLONE_INTO_CGROUP;

/// `clone3` without CLONE_VM: a fork with namespace flags, a pidfd and a target
/// cgroup (rustix has no clone). Returns 0 in the child, the child's pid in the parent.
///
/// # Safety
/// The caller must be single-threaded, and in the child only call async-signal-safe
/// functions until it execs or exits.
pub unsafe fn clone3(args: &mut CloneArgs) -> io::Result<i32> {
    let nr = linux_raw_sys::general::__NR_clone3 as c_long;
    // SAFETY: `args` is a valid clone_args of the size passed; without CLONE_VM the
    // child runs on a copy of this stack, like fork.
    let r = check(unsafe {
        syscall(
            nr,
            args as *mut CloneArgs as *mut c_void,
            std::mem::size_of::<CloneArgs>() as c_long,
        )
    })?;
    Ok(r as i32)
}

/// `bpf(cmd, attr, size)`: rustix has no bpf() wrapper (the cgroup2 device program).
///
/// # Safety
/// `attr` must be a live, properly laid out `union bpf_attr` prefix for `cmd`; the
/// kernel reads it (and, for a load, writes the log into memory it points to).
pub unsafe fn bpf<T>(cmd: c_long, attr: &mut T) -> io::Result<c_long> {
    let nr = linux_raw_sys::general::__NR_bpf as c_long;
    // SAFETY: the caller vouches for `attr`; its size is passed with it.
    check(unsafe {
        syscall(
            nr,
            cmd,
            attr as *mut T as *mut c_void,
            std::mem::size_of::<T>() as c_long,
        )
    })
}

/// Sets an int socket option to 1: rustix has no NETLINK_EXT_ACK / NETLINK_CAP_ACK
/// options (the netlink socket's extended acknowledgements).
pub fn set_sockopt_on(fd: BorrowedFd<'_>, level: c_int, name: c_int) -> io::Result<()> {
    let one: c_int = 1;
    // SAFETY: `one` is a valid int for the call, of the size passed.
    let r = unsafe {
        setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&one as *const c_int).cast(),
            4,
        )
    };
    check(r as c_long).map(|_| ())
}

/// `dup2` (async-signal-safe; rustix's dup2 wants an owned target fd).
pub fn dup_to(old: RawFd, new: RawFd) -> io::Result<()> {
    // SAFETY: integer arguments only.
    check(unsafe { dup2(old, new) } as c_long).map(|_| ())
}

/// `execveat(fd, "", argv, envp, AT_EMPTY_PATH)`: runs a helper from its memfd
/// (rustix has no execve). Returns only on failure.
///
/// # Safety
/// `argv`/`envp` must be NULL-terminated arrays of valid C strings.
pub unsafe fn execveat_fd(
    fd: RawFd,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> io::Error {
    const AT_EMPTY_PATH: c_long = linux_raw_sys::general::AT_EMPTY_PATH as c_long;
    let nr = linux_raw_sys::general::__NR_execveat as c_long;
    let empty: &CStr = c"";
    // SAFETY: the caller guarantees argv/envp; `empty` is a valid C string.
    unsafe { syscall(nr, fd as c_long, empty.as_ptr(), argv, envp, AT_EMPTY_PATH) };
    io::Error::last_os_error()
}

/// `execve(path, argv, envp)` for a hook (rustix has no execve). Returns only on
/// failure.
///
/// # Safety
/// `argv`/`envp` must be NULL-terminated arrays of valid C strings.
pub unsafe fn execve_path(
    path: &CStr,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> io::Error {
    let nr = linux_raw_sys::general::__NR_execve as c_long;
    // SAFETY: the caller guarantees argv/envp; `path` is a valid C string.
    unsafe { syscall(nr, path.as_ptr(), argv, envp) };
    io::Error::last_os_error()
}

/// SIGPIPE back to its default action in a clone child before it execs: Rust's
/// runtime makes runlet ignore it, and an ignored signal stays ignored across exec
/// (rustix has no sigaction). Async-signal-safe.
pub fn default_sigpipe() {
    const SIGPIPE: c_int = linux_raw_sys::general::SIGPIPE as c_int;
    const SIG_DFL: usize = 0;
    // SAFETY: installs the default disposition; no handler code is involved.
    unsafe { signal(SIGPIPE, SIG_DFL) };
}

/// `_exit` for the clone child: no atexit handlers, no stdio flush.
pub fn exit_now(code: c_int) -> ! {
    // SAFETY: never returns; touches no Rust state.
    unsafe { _exit(code) }
}

/// `struct mount_attr` (linux/mount.h), version 0 (32 bytes).
#[repr(C)]
#[derive(Default)]
pub struct MountAttr {
    pub attr_set: u64,
    pub attr_clr: u64,
    pub propagation: u64,
    pub userns_fd: u64,
}

/// `mount_setattr(fd, "", AT_EMPTY_PATH [| AT_RECURSIVE], attr)`: rustix has no
/// mount_setattr (MOUNT_ATTR_IDMAP for an id-mapped mount).
pub fn mount_setattr(fd: BorrowedFd<'_>, recursive: bool, attr: &MountAttr) -> io::Result<()> {
    use linux_raw_sys::general::{__NR_mount_setattr, AT_EMPTY_PATH, AT_RECURSIVE};
    let mut flags = AT_EMPTY_PATH;
    if recursive {
        flags |= AT_RECURSIVE;
    }
    // SAFETY: a valid fd, a NUL-terminated empty path and a mount_attr of the size
    // passed, all alive for the call.
    check(unsafe {
        syscall(
            __NR_mount_setattr as c_long,
            fd.as_raw_fd() as c_long,
            c"".as_ptr(),
            flags as c_long,
            attr as *const MountAttr as *const c_void,
            std::mem::size_of::<MountAttr>() as c_long,
        )
    })
    .map(|_| ())
}
