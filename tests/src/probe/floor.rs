//! `unshare-run PROGRAM ARGS...`: the start-up floor where util-linux's `unshare` is
//! not at hand (a board's initramfs, tests/boards_vm.rs): new pid, mount, uts, ipc
//! and net namespaces, PROGRAM run as their PID 1, its exit status returned. What
//! `unshare --pid --fork --mount --uts --ipc --net PROGRAM ARGS...` does, the floor
//! scripts/bench.sh compares runlet with.

use std::ffi::c_int;
use std::process::Command;

use linux_raw_sys::general::{CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS};

extern "C" {
    fn unshare(flags: c_int) -> c_int;
}

pub fn unshare_run(rest: &[String]) -> i32 {
    let Some((program, args)) = rest.split_first() else {
        eprintln!("probe: unshare-run needs PROGRAM");
        return 2;
    };
    let flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;
    // SAFETY: unshare takes flags only; this process is single-threaded.
    if unsafe { unshare(flags as c_int) } != 0 {
        eprintln!("probe: unshare: {}", std::io::Error::last_os_error());
        return 1;
    }
    // The next child is PID 1 of the new pid namespace.
    match Command::new(program).args(args).status() {
        Ok(s) => s.code().unwrap_or(128),
        Err(e) => {
            eprintln!("probe: {program}: {e}");
            1
        }
    }
}
