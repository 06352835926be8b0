//! Installing the container's seccomp filter, for both helpers: `runlet-init` before
//! the container's first exec, and `runlet-exec` (once exec lands) before a joined
//! process's exec. The parent compiled the program; the helper only loads it.
//!
//! The caller picks the moment, as runc does: with no_new_privs set, right before
//! execve (fewest syscalls after it); without it the kernel demands CAP_SYS_ADMIN, so
//! before capabilities are dropped.

use wire::Seccomp;

use crate::fail::{fail, Failure};
use crate::sys;

/// Loads `filter` into this thread (and with SECCOMP_FILTER_FLAG_TSYNC, all threads).
/// A failure names the call: `seccomp(SECCOMP_SET_MODE_FILTER)` and the errno.
pub fn install(filter: &Seccomp<'_>) -> Result<(), Failure> {
    sys::seccomp_set_mode_filter(filter.program, filter.flags).map_err(|e| {
        fail(
            &[b"seccomp(SECCOMP_SET_MODE_FILTER) of the container's filter"],
            Some(e),
        )
    })
}
