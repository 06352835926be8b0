//! Raw syscalls that rustix does not cover, each through musl (linked statically).
//! Everything here is `unsafe` at the boundary; callers get safe signatures.

use core::ffi::{c_char, c_int, c_long, c_ulong, c_void, CStr};

use rustix::io::Errno;

/// Exit code of a helper that panicked (a bug, never an input error).
pub const PANIC_EXIT: i32 = 126;

unsafe extern "C" {
    // rustix only has a hidden, renamed execve in its `runtime` module.
    fn execve(path: *const c_char, argv: *const *const c_char, envp: *const *const c_char)
        -> c_int;
    // rustix has no close_range, keyctl or mount_setattr; musl exposes them only
    // through syscall().
    fn syscall(n: c_long, ...) -> c_long;
    fn __errno_location() -> *mut c_int;
    // rustix's hidden fork leaves musl's cached tid stale; musl's own fork does not.
    fn fork() -> c_int;
    fn _exit(code: c_int) -> !;
    // rustix's clock_gettime brings its own vDSO lookup (about 2 KiB), next to the
    // musl one already linked; musl's is the one call. On 32-bit targets musl's plain
    // `clock_gettime` is the legacy 32-bit-time entry point (its headers redirect C
    // callers to `__clock_gettime64`): with our 64-bit `tv_sec` it would leave the
    // upper half zero and the lower half garbage, and every deadline would be wrong.
    #[cfg_attr(target_pointer_width = "64", link_name = "clock_gettime")]
    #[cfg_attr(target_pointer_width = "32", link_name = "__clock_gettime64")]
    fn c_clock_gettime(clock: c_int, ts: *mut Timespec) -> c_int;
    // rustix's `mount` takes a non-NULL source and fs type, and its remount/bind/
    // propagation helpers each fix part of the flags or data; a helper applying a mount
    // the parent already decided needs the plain call with NULL where a value is absent.
    #[link_name = "mount"]
    fn c_mount(
        source: *const c_char,
        target: *const c_char,
        fstype: *const c_char,
        flags: c_ulong,
        data: *const c_void,
    ) -> c_int;
}

/// musl's `struct timespec` with a 64-bit `time_t` (every target; on 32-bit ones the
/// `long` nanoseconds are followed by padding, which `repr(C)` adds by alignment).
#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: c_long,
}

/// Milliseconds of the monotonic clock.
pub fn monotonic_ms() -> u64 {
    const CLOCK_MONOTONIC: c_int = 1;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid struct timespec for the call to fill; the monotonic clock
    // always exists, so the call cannot fail.
    unsafe { c_clock_gettime(CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

fn last_errno() -> Errno {
    // SAFETY: musl's errno location is valid for the calling thread.
    Errno::from_raw_os_error(unsafe { *__errno_location() })
}

pub fn exit(code: i32) -> ! {
    // SAFETY: _exit never returns and touches no Rust state.
    unsafe { _exit(code) }
}

/// Replaces this process image. Returns only on failure.
///
/// # Safety
/// `argv` and `envp` must be NULL-terminated arrays of pointers to NUL-terminated
/// strings that stay valid for the call.
pub unsafe fn exec(path: &CStr, argv: *const *const c_char, envp: *const *const c_char) -> Errno {
    // SAFETY: the caller guarantees the arrays; `path` is a valid C string.
    unsafe { execve(path.as_ptr(), argv, envp) };
    last_errno()
}

/// Marks every fd from `first` up close-on-exec, so nothing inherited reaches the
/// container's program.
pub fn cloexec_from(first: u32) -> Result<(), Errno> {
    const CLOSE_RANGE_CLOEXEC: c_long = 1 << 2;
    close_range(first, u32::MAX, CLOSE_RANGE_CLOEXEC)
}

/// Closes fds `first..=last`: a directory fd left open (even close-on-exec) is a way
/// out of the container for any path walked through `/proc/self/fd` before the exec.
pub fn close_fds(first: u32, last: u32) -> Result<(), Errno> {
    close_range(first, last, 0)
}

fn close_range(first: u32, last: u32, flags: c_long) -> Result<(), Errno> {
    let nr = linux_raw_sys::general::__NR_close_range as c_long;
    // SAFETY: close_range takes three integer arguments and touches no memory.
    let r = unsafe { syscall(nr, first as c_long, last as c_long, flags) };
    if r < 0 {
        return Err(last_errno());
    }
    Ok(())
}

/// `keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)`: a new anonymous session keyring, so
/// the container does not share the caller's keys. rustix has no keyctl.
pub fn join_new_session_keyring() -> Result<(), Errno> {
    const KEYCTL_JOIN_SESSION_KEYRING: c_long = 1;
    let nr = linux_raw_sys::general::__NR_keyctl as c_long;
    // SAFETY: a NULL name asks for an anonymous keyring; no other memory is passed.
    let r = unsafe { syscall(nr, KEYCTL_JOIN_SESSION_KEYRING, 0 as c_long) };
    if r < 0 {
        return Err(last_errno());
    }
    Ok(())
}

/// `mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, {set, clr})`: mount attributes
/// on the mount at `fd` and every mount below it (Linux 5.12). rustix has no
/// mount_setattr.
pub fn mount_setattr_recursive(fd: c_int, set: u64, clr: u64) -> Result<(), Errno> {
    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }
    let attr = MountAttr {
        attr_set: set,
        attr_clr: clr,
        propagation: 0,
        userns_fd: 0,
    };
    let nr = linux_raw_sys::general::__NR_mount_setattr as c_long;
    let flags =
        (linux_raw_sys::general::AT_EMPTY_PATH | linux_raw_sys::general::AT_RECURSIVE) as c_long;
    // SAFETY: `attr` lives across the call and its size is passed; the path is "".
    let r = unsafe {
        syscall(
            nr,
            fd as c_long,
            c"".as_ptr(),
            flags,
            &attr as *const MountAttr,
            core::mem::size_of::<MountAttr>(),
        )
    };
    if r < 0 {
        return Err(last_errno());
    }
    Ok(())
}

/// `fork()`: `Ok(0)` in the child, the child's pid in the parent.
pub fn fork_process() -> Result<i32, Errno> {
    // SAFETY: the helpers are single-threaded, so the child may go on freely.
    let r = unsafe { fork() };
    if r < 0 {
        return Err(last_errno());
    }
    Ok(r)
}

fn opt_ptr(s: Option<&CStr>) -> *const c_char {
    s.map_or(core::ptr::null(), CStr::as_ptr)
}

/// `mount(2)` exactly as given: NULL for each absent string, all 64 flag bits passed.
pub fn mount(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: u64,
    data: Option<&CStr>,
) -> Result<(), Errno> {
    // SAFETY: every pointer is NULL or a NUL-terminated string borrowed for the call.
    let r = unsafe {
        c_mount(
            opt_ptr(source),
            target.as_ptr(),
            opt_ptr(fstype),
            flags as c_ulong,
            opt_ptr(data).cast(),
        )
    };
    if r < 0 {
        return Err(last_errno());
    }
    Ok(())
}

/// `struct sock_fprog`, whose `filter` pointer need not be aligned: the kernel copies
/// the instructions with copy_from_user.
#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const u8,
}

/// seccomp(SECCOMP_SET_MODE_FILTER, flags, prog): rustix has no seccomp call.
/// `program` is a whole number of 8-byte `struct sock_filter`s, at most 4096 of them
/// (the wire crate checked it).
pub fn seccomp_set_mode_filter(program: &[u8], flags: u32) -> Result<(), Errno> {
    let len = u16::try_from(program.len() / 8).map_err(|_| Errno::INVAL)?;
    let prog = SockFprog {
        len,
        filter: program.as_ptr(),
    };
    let nr = linux_raw_sys::general::__NR_seccomp as c_long;
    let op = linux_raw_sys::ptrace::SECCOMP_SET_MODE_FILTER as c_long;
    // SAFETY: `prog` lives across the call and points at `len * 8` readable bytes; the
    // kernel only reads them.
    let r = unsafe { syscall(nr, op, flags as c_long, &prog as *const SockFprog) };
    if r < 0 {
        return Err(last_errno());
    }
    Ok(())
}
