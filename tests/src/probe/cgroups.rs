//! Probe modes for the cgroup tests:
//!
//! - `fork-n N`: fork N children that sleep; print `forked=K` (how many forks
//!   succeeded) and, for the first failure, `fork_err=ERRNO`; then kill and reap them.
//! - `alloc MIB`: allocate MIB MiB, touching every page; print `allocated=MIB`.
//!   Under a smaller memory limit the kernel kills it first (SIGKILL: status 137).
//! - `mknod-open PATH b|c MAJOR MINOR [PATH ...]`: for each, make the device node and
//!   open it for reading; print `mknod=PATH ok` or `mknod=PATH err ERRNO`, then
//!   `open=PATH ok` or `open=PATH err ERRNO` (an existing node is opened all the same).
//! - `read-direct PATH MIB`: read MIB MiB from PATH with O_DIRECT (past the page
//!   cache, so a blkio throttle sees every byte), 1 MiB at a time; print
//!   `read_bytes=N` and `ms=M` (the time it took), or `read=err ERRNO`.

use crate::report::errname;
use std::ffi::{c_int, c_uint, CString};
use std::io;

extern "C" {
    fn fork() -> c_int;
    fn kill(pid: c_int, sig: c_int) -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    fn _exit(status: c_int) -> !;
    fn mknod(path: *const std::ffi::c_char, mode: c_uint, dev: u64) -> c_int;
}

pub fn main(mode: &str, rest: &[String]) -> Option<i32> {
    let arg = |i: usize| rest.get(i).map(String::as_str).unwrap_or("");
    Some(match mode {
        "fork-n" => fork_n(arg(0).parse().unwrap_or(1)),
        "alloc" => alloc(arg(0).parse().unwrap_or(1)),
        "read-direct" => read_direct(arg(0), arg(1).parse().unwrap_or(1)),
        "mknod-open" => rest
            .chunks(4)
            .map(|c| mknod_open(&c[0], arg_or(c, 1), arg_or(c, 2), arg_or(c, 3)))
            .max()
            .unwrap_or(2),
        _ => return None,
    })
}

fn arg_or(c: &[String], i: usize) -> &str {
    c.get(i).map(String::as_str).unwrap_or("")
}

fn fork_n(n: usize) -> i32 {
    let mut kids = Vec::new();
    let mut err = None;
    for _ in 0..n {
        // SAFETY: single-threaded; the child only sleeps and _exits.
        let pid = unsafe { fork() };
        if pid == 0 {
            std::thread::sleep(std::time::Duration::from_secs(30));
            // SAFETY: leave without the parent's atexit handlers.
            unsafe { _exit(0) };
        }
        if pid < 0 {
            err.get_or_insert(io::Error::last_os_error());
            continue;
        }
        kids.push(pid);
    }
    println!("forked={}", kids.len());
    if let Some(e) = err {
        println!("fork_err={}", errname(&e));
    }
    for &k in &kids {
        let mut st = 0;
        // SAFETY: our own children; status is a valid int.
        unsafe {
            kill(k, 9);
            waitpid(k, &mut st, 0);
        }
    }
    0
}

fn alloc(mib: usize) -> i32 {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for _ in 0..mib {
        let mut b = vec![0u8; 1 << 20];
        for i in (0..b.len()).step_by(4096) {
            // Volatile: the page must really be touched.
            // SAFETY: i is in bounds.
            unsafe { std::ptr::write_volatile(b.as_mut_ptr().add(i), 1) };
        }
        blocks.push(b);
    }
    println!("allocated={mib}");
    0
}

fn mknod_open(path: &str, kind: &str, major: &str, minor: &str) -> i32 {
    let (Ok(maj), Ok(min)) = (major.parse::<u64>(), minor.parse::<u64>()) else {
        eprintln!("probe: mknod-open PATH b|c MAJOR MINOR");
        return 2;
    };
    let fmt: c_uint = if kind == "b" { 0o060000 } else { 0o020000 };
    // glibc/musl makedev for majors < 4096 and minors < 256 in the classic layout.
    let dev = ((maj & 0xfff) << 8) | (min & 0xff) | ((min & !0xff) << 12);
    let c = CString::new(path).unwrap();
    // SAFETY: c is a valid C string.
    let r = unsafe { mknod(c.as_ptr(), fmt | 0o600, dev) };
    if r == 0 {
        println!("mknod={path} ok");
    } else {
        println!("mknod={path} err {}", errname(&io::Error::last_os_error()));
    }
    match std::fs::File::open(path) {
        Ok(_) => println!("open={path} ok"),
        Err(e) => println!("open={path} err {}", errname(&e)),
    }
    0
}

fn read_direct(path: &str, mib: usize) -> i32 {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    const O_DIRECT: i32 = 0o40000;
    const CHUNK: usize = 1 << 20;
    let mut f = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_DIRECT)
        .open(path)
    {
        Ok(f) => f,
        Err(e) => {
            println!("read=err {}", errname(&e));
            return 1;
        }
    };
    // O_DIRECT wants a buffer aligned to the logical block size: 4 KiB covers it.
    let layout = std::alloc::Layout::from_size_align(CHUNK, 4096).unwrap();
    // SAFETY: a non-zero size; freed below with the same layout.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    // SAFETY: `ptr` holds CHUNK initialised bytes, ours until dealloc.
    let buf = unsafe { std::slice::from_raw_parts_mut(ptr, CHUNK) };
    let start = std::time::Instant::now();
    let mut total = 0usize;
    let mut code = 0;
    while total < mib * CHUNK {
        match f.read(buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) => {
                println!("read=err {}", errname(&e));
                code = 1;
                break;
            }
        }
    }
    // SAFETY: allocated above with this layout.
    unsafe { std::alloc::dealloc(ptr, layout) };
    println!("read_bytes={total}");
    println!("ms={}", start.elapsed().as_millis());
    code
}
