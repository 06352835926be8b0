//! Frame headers: `u32 LE length | u8 kind`.

use crate::error::WireError;
use crate::limits::{MAX_ERROR_FRAME, MAX_FRAME};

/// Length field plus kind byte.
pub const HEADER_LEN: usize = 5;

/// The frame kinds, in the order a start uses them (docs/protocol.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FrameKind {
    /// parent → init: everything the init needs to set up the container.
    Bootstrap = 1,
    /// init → parent: mounts prepared; run prestart/createRuntime hooks, confirm placement.
    Prestart = 2,
    /// parent → init/exec: placement confirmed and hooks done; go on.
    Resume = 3,
    /// init → parent: set up, waiting for `start`.
    Ready = 4,
    /// helper → parent (or spawned child → parent): a step failed.
    Error = 5,
    /// exec helper → parent: host pid of the forked child inside the container.
    ExecPid = 6,
    /// parent → exec helper: the process to run.
    Process = 7,
    /// parent → spawned child (before it execs runlet-init): the id maps of its new
    /// user namespace are written; become its root and go on.
    IdMapped = 8,
    /// init → parent (and into the exec FIFO): a createContainer or startContainer
    /// hook failed; the body is an `Error`'s. Unlike `Error` after `start`, the
    /// container is to be destroyed (docs/hooks.md).
    HookFailed = 16,
}

impl FrameKind {
    pub fn from_u8(b: u8) -> Result<Self, WireError> {
        Ok(match b {
            1 => FrameKind::Bootstrap,
            2 => FrameKind::Prestart,
            3 => FrameKind::Resume,
            4 => FrameKind::Ready,
            5 => FrameKind::Error,
            6 => FrameKind::ExecPid,
            7 => FrameKind::Process,
            8 => FrameKind::IdMapped,
            16 => FrameKind::HookFailed,
            _ => return Err(WireError::UnknownKind(b)),
        })
    }

    /// Largest `length` (kind byte plus body) this kind may carry.
    pub fn max_len(self) -> usize {
        match self {
            FrameKind::Bootstrap | FrameKind::Process => MAX_FRAME,
            FrameKind::Error | FrameKind::HookFailed => MAX_ERROR_FRAME,
            FrameKind::ExecPid => 1 + 6 + 4,
            FrameKind::Prestart | FrameKind::Resume | FrameKind::Ready | FrameKind::IdMapped => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FrameKind::Bootstrap => "Bootstrap",
            FrameKind::Prestart => "Prestart",
            FrameKind::Resume => "Resume",
            FrameKind::Ready => "Ready",
            FrameKind::Error => "Error",
            FrameKind::ExecPid => "ExecPid",
            FrameKind::Process => "Process",
            FrameKind::IdMapped => "IdMapped",
            FrameKind::HookFailed => "HookFailed",
        }
    }
}

/// Checks a header and returns the kind and the body's length. The length is checked
/// against the kind's maximum before any body byte is read.
pub fn parse_header(h: &[u8]) -> Result<(FrameKind, usize), WireError> {
    if h.len() < HEADER_LEN {
        return Err(WireError::Truncated {
            what: "frame header",
            need: HEADER_LEN,
            have: h.len(),
        });
    }
    let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
    let kind = FrameKind::from_u8(h[4])?;
    if len == 0 || len > kind.max_len() {
        return Err(WireError::BadFrameLength {
            kind: h[4],
            len,
            max: kind.max_len(),
        });
    }
    Ok((kind, len - 1))
}
