//! `runlet-exec`: the child side of `runlet exec`. Until the exec issue lands it only
//! reports that it is not implemented, through the same sync protocol.
#![no_std]
#![no_main]

use core::ffi::{c_char, c_int};

use helper_rt::{fail, sys, Channel};

/// Entry point called by musl's crt.
///
/// # Safety
/// Called once by the C runtime with valid argv/envp.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn main(
    _argc: c_int,
    _argv: *const *const c_char,
    _envp: *const *const c_char,
) -> c_int {
    // SAFETY: runlet hands every helper the sync socket as fd 3.
    let chan = unsafe { Channel::from_sync_fd() };
    chan.report(&fail(
        &[b"runlet-exec: joining a container is not implemented yet"],
        None,
    ));
    sys::exit(1)
}
