//! What both no_std helpers share: the C runtime glue (musl's crt calls their `main`),
//! the panic handler, raw syscalls rustix lacks, failure reports, the sync socket, and
//! the process settings both apply before their final exec (`process`, `path`).
// std only for the unit tests, which run on the host (`make test`).
#![cfg_attr(not(test), no_std)]
// No heap: a Failure (a 512-byte message) travels by value on the error path only.
#![allow(clippy::result_large_err)]

pub mod console;
pub mod fail;
pub mod fds;
pub mod image;
pub mod inroot;
pub mod lsm;
pub mod path;
pub mod process;
pub mod seccomp;
pub mod sync;
pub mod sys;
#[cfg(test)]
mod testing;

pub use fail::{decimal, fail, Context, Failure, Msg};
pub use sync::{now_ms, Channel};

// musl's static libc: crt1 and `__libc_start_main`, `execve`, `fork`. `-bundle` keeps
// it out of this rlib so it lands once, last, on the final link line (build.rs).
#[link(name = "c", kind = "static", modifiers = "-bundle")]
unsafe extern "C" {}

#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // No unwinding, no formatting: a panic is a bug; exit with a code the parent names.
    sys::exit(sys::PANIC_EXIT)
}

/// Debug builds reference this even with panic=abort.
#[cfg(not(test))]
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}

/// Defines the C `main` musl's crt calls, the same prologue for both helpers: where
/// the sync socket and the helper's other fds are (argv[1]: how many passed-on fds
/// come first; `fds::HelperFds`), the sync channel on it, then `$start(chan, fds)`,
/// which never returns (it execs or exits).
#[macro_export]
macro_rules! helper_main {
    ($start:path) => {
        /// Entry point called by musl's crt.
        ///
        /// # Safety
        /// Called once by the C runtime with valid argv/envp.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn main(
            argc: core::ffi::c_int,
            argv: *const *const core::ffi::c_char,
            _envp: *const *const core::ffi::c_char,
        ) -> core::ffi::c_int {
            // SAFETY: the C runtime's argv.
            let fds = unsafe { $crate::fds::HelperFds::from_argv(argc, argv) };
            // SAFETY: runlet hands the helper its sync socket there, open for its life.
            let chan = unsafe { $crate::Channel::from_fd(fds.sync()) };
            $start(chan, fds)
        }
    };
}
