//! The probe standing in for a helper (`RUNLET_HELPER_DIR` holding a copy named
//! `runlet-init` or `runlet-exec`): it sends runlet a frame cut short and exits, as a
//! helper killed in the middle of a frame would. For the reliability tests: runlet
//! must say so in one line and leave nothing behind.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;

/// The exit status, so a test can tell the stand-in from a real helper's failure.
pub const STATUS: i32 = 9;

/// `argv[0]` names the helper runlet meant to run.
pub fn is_helper_name(argv0: &str) -> bool {
    matches!(
        argv0.rsplit('/').next(),
        Some("runlet-init" | "runlet-exec")
    )
}

/// The init's stand-in reads `Bootstrap` and `Resume`, then sends 2 of a header's 5
/// bytes; the exec helper's reads `Process`, then sends an `ExecPid` header (length
/// 11, kind 6) and 3 of its 10 body bytes. Reading first keeps runlet's sends from
/// failing: what it meets is the frame cut short. The sync socket is fd 3 (no fds
/// passed on).
pub fn run(argv0: &str) -> i32 {
    // SAFETY: fd 3 is the sync socket runlet gave the helper; owned from here on.
    let mut sock = unsafe { File::from_raw_fd(3) };
    let (frames, bytes): (usize, &[u8]) = if argv0.ends_with("runlet-exec") {
        (1, &[11, 0, 0, 0, 6, 1, 0, 4])
    } else {
        (2, &[1, 0])
    };
    for _ in 0..frames {
        if skip_frame(&mut sock).is_err() {
            return STATUS;
        }
    }
    let _ = sock.write_all(bytes);
    STATUS
}

/// Reads one whole frame (u32 LE length, then that many bytes) and drops it.
fn skip_frame(sock: &mut File) -> std::io::Result<()> {
    let mut head = [0u8; 4];
    sock.read_exact(&mut head)?;
    let mut body = vec![0u8; u32::from_le_bytes(head) as usize];
    sock.read_exact(&mut body)
}
