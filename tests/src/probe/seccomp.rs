//! Probe modes for the seccomp tests and benchmark. Each makes one raw syscall (musl's
//! `syscall()`, so the number and the full 64-bit arguments are exactly what the
//! filter sees), prints `<name>=ok <ret>` or `<name>=errno <N>`, then `after=ok` (the
//! process goes on after a denied call), and exits 0.
//!
//! - `mkdir PATH`: mkdir(PATH, 0755).
//! - `mount SRC DIR FSTYPE`: mount(SRC, DIR, FSTYPE, MS_RDONLY, NULL): `mount=ok 0`
//!   or `mount=errno <N>` (the user namespace tests: a host block device).
//! - `personality N`: personality(N), N up to 64 bits (the kernel uses the low 32).
//! - `raw NR ARG`: syscall number NR (e.g. an x32 one, with bit 30 set) with one
//!   integer argument: prints `raw=ok <ret>` or `raw=errno <N>`.
//! - `int80 NR ARG`: the i386 syscall NR through `int 0x80` (AUDIT_ARCH_I386 from a
//!   64-bit process), one integer argument: `int80=ok <ret>` or `int80=errno <N>`.
//! - `getppid-loop N`: N getppid calls; prints `ns_per_call=<F>`. Under a profile that
//!   allows getppid unconditionally, the kernel's constant-action cache skips the filter.
//! - `personality-loop N`: N personality(0xffffffff) calls (a query, changing nothing);
//!   podman's profile allows it by an argument rule, so the filter runs every time.

use std::ffi::{c_long, CString};
use std::io;
use std::time::Instant;

extern "C" {
    fn syscall(n: c_long, ...) -> c_long;
}

use linux_raw_sys::general as g;

const SYS_GETPPID: c_long = g::__NR_getppid as c_long;
const SYS_PERSONALITY: c_long = g::__NR_personality as c_long;
const SYS_MOUNT: c_long = g::__NR_mount as c_long;
const MS_RDONLY: c_long = g::MS_RDONLY as c_long;

/// mkdir(path, 0755) by the architecture's own call: `mkdir` where there is one
/// (x86_64, arm), else `mkdirat(AT_FDCWD, ...)` (aarch64, riscv64 have only that).
fn raw_mkdir(path: &CString) -> c_long {
    // SAFETY: a valid C string; the call reads it only.
    #[cfg(any(target_arch = "x86_64", target_arch = "arm"))]
    return unsafe { syscall(g::__NR_mkdir as c_long, path.as_ptr(), 0o755 as c_long) };
    // SAFETY: as above; AT_FDCWD resolves the path as mkdir would.
    #[cfg(not(any(target_arch = "x86_64", target_arch = "arm")))]
    return unsafe {
        syscall(
            g::__NR_mkdirat as c_long,
            g::AT_FDCWD as c_long,
            path.as_ptr(),
            0o755 as c_long,
        )
    };
}

fn report(name: &str, r: c_long) {
    if r < 0 {
        let e = io::Error::last_os_error().raw_os_error().unwrap_or(0);
        println!("{name}=errno {e}");
    } else {
        println!("{name}=ok {r}");
    }
    println!("after=ok");
}

/// Runs a seccomp mode; `None` when `mode` is not one.
pub fn run(mode: &str, rest: &[String]) -> Option<i32> {
    let arg = rest.first().map(String::as_str).unwrap_or("");
    match mode {
        "mkdir" => {
            let Ok(path) = CString::new(arg) else {
                return Some(2);
            };
            let r = raw_mkdir(&path);
            report("mkdir", r);
        }
        "mount" => {
            let c = |i: usize| CString::new(rest.get(i).map(String::as_str).unwrap_or(""));
            let (Ok(src), Ok(dir), Ok(fs)) = (c(0), c(1), c(2)) else {
                return Some(2);
            };
            // SAFETY: valid C strings and a null data pointer; mount reads them only.
            let r = unsafe {
                syscall(
                    SYS_MOUNT,
                    src.as_ptr(),
                    dir.as_ptr(),
                    fs.as_ptr(),
                    MS_RDONLY,
                    std::ptr::null::<u8>(),
                )
            };
            report("mount", r);
        }
        "personality" => {
            let Ok(n) = arg.parse::<u64>() else {
                eprintln!("probe: personality needs a number");
                return Some(2);
            };
            // SAFETY: personality takes one integer and touches no memory.
            let r = unsafe { syscall(SYS_PERSONALITY, n as c_long) };
            report("personality", r);
        }
        "raw" | "int80" => {
            let num = |i: usize| rest.get(i).and_then(|s| s.parse::<u64>().ok());
            let (Some(nr), Some(a)) = (num(0), num(1)) else {
                eprintln!("probe: {mode} needs NR ARG");
                return Some(2);
            };
            let r = if mode == "raw" {
                // SAFETY: the tests pass syscalls taking one integer argument.
                unsafe { syscall(nr as c_long, a as c_long) }
            } else {
                int80(nr as u32, a as u32)
            };
            report(mode, r);
        }
        "getppid-loop" | "personality-loop" => {
            let n: u64 = arg.parse().unwrap_or(1_000_000);
            let t = Instant::now();
            if mode == "getppid-loop" {
                for _ in 0..n {
                    // SAFETY: getppid takes no arguments.
                    unsafe { syscall(SYS_GETPPID) };
                }
            } else {
                for _ in 0..n {
                    // SAFETY: personality takes one integer; 0xffffffff only queries.
                    unsafe { syscall(SYS_PERSONALITY, 0xffff_ffff_u32 as c_long) };
                }
            }
            let ns = t.elapsed().as_nanos() as f64 / n.max(1) as f64;
            println!("ns_per_call={ns:.1}");
        }
        _ => return None,
    }
    Some(0)
}

/// An i386 syscall from this 64-bit process: -1 with errno set on failure, as
/// `syscall()` reports. Only x86_64 has such a way into a compat ABI from a native
/// process; elsewhere ENOSYS.
#[cfg(not(target_arch = "x86_64"))]
fn int80(_: u32, _: u32) -> c_long {
    set_errno(linux_raw_sys::errno::ENOSYS as i32);
    -1
}

/// See above.
#[cfg(target_arch = "x86_64")]
fn int80(nr: u32, arg: u32) -> c_long {
    let mut ret: i64 = nr as i64;
    // SAFETY: `int 0x80` with eax = nr and ebx = arg (an integer, no memory). rbx is
    // LLVM's, so it is saved in a scratch register around the call; the ia32 entry
    // may clobber r8-r11, declared.
    unsafe {
        std::arch::asm!(
            "xchg {a}, rbx",
            "int 0x80",
            "xchg {a}, rbx",
            a = inout(reg) arg as u64 => _,
            inout("rax") ret,
            out("r8") _, out("r9") _, out("r10") _, out("r11") _,
        );
    }
    let r = ret as i32;
    if r < 0 && r > -4096 {
        set_errno(-r);
        return -1;
    }
    r as c_long
}

fn set_errno(e: i32) {
    extern "C" {
        fn __errno_location() -> *mut std::ffi::c_int;
    }
    // SAFETY: musl's errno location is valid for this thread.
    unsafe { *__errno_location() = e };
}
