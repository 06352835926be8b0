//! What a helper's final execve is built from, the same for both helpers: the
//! received frame (read in place), argv and envp pointing into it, and the exit code
//! and umask that go with the exec. Statics, not stack: 1 MiB of frame and 64 KiB of
//! pointers that on the stack would be probed page by page. Each is handed out once.

use core::ffi::c_char;
use core::sync::atomic::{AtomicBool, Ordering};

use wire::limits::{MAX_ARGS, MAX_ENV, MAX_FRAME};
use wire::Process;

use crate::fail::{fail, Failure};
use crate::process::fill_pointers;

/// Exit code when the final execve fails (as a shell reports "cannot execute").
pub const EXEC_FAILED_EXIT: i32 = 127;
/// The container process's umask: runc's default (the config has no field for it).
pub const PROCESS_UMASK: u32 = 0o022;

pub type Argv = heapless::Vec<*const c_char, { MAX_ARGS + 1 }>;
pub type Envp = heapless::Vec<*const c_char, { MAX_ENV + 1 }>;

static mut FRAME: [u8; MAX_FRAME] = [0; MAX_FRAME];
static mut ARGV: Argv = Argv::new();
static mut ENVP: Envp = Envp::new();
static FRAME_TAKEN: AtomicBool = AtomicBool::new(false);
static POINTERS_TAKEN: AtomicBool = AtomicBool::new(false);

/// The buffer the helper's one big frame is read into, for the rest of the process.
pub fn frame_buffer() -> Result<&'static mut [u8; MAX_FRAME], Failure> {
    if FRAME_TAKEN.swap(true, Ordering::Relaxed) {
        return Err(fail(&[b"frame buffer taken twice (a bug)"], None));
    }
    let frame: *mut [u8; MAX_FRAME] = &raw mut FRAME;
    // SAFETY: the flag above makes this the only reference ever made to FRAME.
    Ok(unsafe { &mut *frame })
}

/// NULL-terminated argv and envp of `p` (pointing into the frame, which lives for
/// the rest of the process).
pub fn pointer_arrays(p: &Process<'static>) -> Result<(&'static Argv, &'static Envp), Failure> {
    if POINTERS_TAKEN.swap(true, Ordering::Relaxed) {
        return Err(fail(&[b"argv/envp built twice (a bug)"], None));
    }
    let (argv, envp): (*mut Argv, *mut Envp) = (&raw mut ARGV, &raw mut ENVP);
    // SAFETY: the flag above makes these the only references ever made to ARGV and
    // ENVP.
    let (argv, envp) = unsafe { (&mut *argv, &mut *envp) };
    fill_pointers(argv, p.args())?;
    fill_pointers(envp, p.env())?;
    Ok((argv, envp))
}

#[cfg(test)]
mod tests;
