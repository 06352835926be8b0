//! The small frames: `Error` and `ExecPid`. (`Prestart`, `Resume`, `Ready` have no body.)

use crate::encode::{Encoder, Sink};
use crate::error::WireError;
use crate::fields::{Fields, Seen};
use crate::frame::FrameKind;
use crate::tag;

/// A failed step, as a helper reports it: what it was doing ("mount proc on
/// /run/x/rootfs/proc") and the errno (0 when there is none). The parent renders
/// "<message>: <strerror>", so helpers carry no error-string table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorReport<'a> {
    pub message: &'a str,
    pub errno: u32,
}

impl<'a> ErrorReport<'a> {
    pub fn decode(body: &'a [u8]) -> Result<Self, WireError> {
        const K: &str = "Error";
        let mut seen = Seen::default();
        let mut r = ErrorReport {
            message: "",
            errno: 0,
        };
        for f in Fields::new(body) {
            let f = f?;
            seen.once(K, f.tag)?;
            match f.tag {
                tag::ERR_MESSAGE => r.message = f.text()?,
                tag::ERR_ERRNO => r.errno = f.u32()?,
                t => return Err(WireError::UnknownTag { kind: K, tag: t }),
            }
        }
        seen.require(K, tag::ERR_MESSAGE)?;
        Ok(r)
    }

    /// Encodes an `Error` frame whose message is the concatenation of `parts`, so a
    /// helper can say "mount " + dest + ": ..." without building a string first. A
    /// message too long for the frame is cut (on a UTF-8 boundary) rather than lost.
    pub fn encode<S: Sink>(sink: S, parts: &[&[u8]], errno: u32) -> Result<S, WireError> {
        Self::encode_as(sink, FrameKind::Error, parts, errno)
    }

    /// `encode` as a frame of `kind` (`Error` or `HookFailed`, which share the body).
    pub fn encode_as<S: Sink>(
        sink: S,
        kind: FrameKind,
        parts: &[&[u8]],
        errno: u32,
    ) -> Result<S, WireError> {
        const ROOM: usize = crate::limits::MAX_ERROR_FRAME - 64;
        let mut e = Encoder::new(sink, kind)?;
        let total: usize = parts.iter().map(|p| p.len()).sum::<usize>().min(ROOM);
        e.field_parts(tag::ERR_MESSAGE, parts, total)?;
        e.u32(tag::ERR_ERRNO, errno)?;
        e.finish()
    }
}

/// The exec helper's report of its forked child's pid (as the host sees it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecPid {
    pub pid: u32,
}

impl ExecPid {
    pub fn decode(body: &[u8]) -> Result<Self, WireError> {
        const K: &str = "ExecPid";
        let mut seen = Seen::default();
        let mut pid = 0;
        for f in Fields::new(body) {
            let f = f?;
            seen.once(K, f.tag)?;
            match f.tag {
                tag::PID => pid = f.u32()?,
                t => return Err(WireError::UnknownTag { kind: K, tag: t }),
            }
        }
        seen.require(K, tag::PID)?;
        Ok(ExecPid { pid })
    }

    pub fn encode<S: Sink>(self, sink: S) -> Result<S, WireError> {
        let mut e = Encoder::new(sink, FrameKind::ExecPid)?;
        e.u32(tag::PID, self.pid)?;
        e.finish()
    }
}
