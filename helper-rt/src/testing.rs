//! What the unit tests share: a decoded `Process` built the way the parent sends one,
//! and a socket pair whose helper end lives as long as a helper's fd 3 does.

use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use wire::{tag, Encoder, FrameKind, Process, Rlimit, Sink, SliceSink, HEADER_LEN};

/// What goes into a test's `Process` frame.
pub struct Spec<'s> {
    pub args: &'s [&'s [u8]],
    pub env: &'s [&'s [u8]],
    pub uid: u32,
    pub gid: u32,
    pub rlimits: &'s [Rlimit],
}

impl Default for Spec<'_> {
    fn default() -> Self {
        Spec {
            args: &[b"/probe"],
            env: &[],
            uid: 0,
            gid: 0,
            rlimits: &[],
        }
    }
}

/// Encodes `s` as a `Process` frame and decodes it; the frame is leaked, as a
/// helper's lives in a static for the rest of the process.
pub fn process(s: &Spec<'_>) -> Process<'static> {
    let buf: &'static mut [u8] = Box::leak(vec![0u8; 64 * 1024].into_boxed_slice());
    let mut e = Encoder::new(SliceSink::new(&mut buf[..]), FrameKind::Process).unwrap();
    for a in s.args {
        e.str(tag::ARG, a).unwrap();
    }
    for v in s.env {
        e.str(tag::ENV, v).unwrap();
    }
    e.str(tag::CWD, b"/").unwrap();
    e.u32(tag::UID, s.uid)
        .unwrap()
        .u32(tag::GID, s.gid)
        .unwrap();
    for r in s.rlimits {
        e.bytes(tag::RLIMIT, &r.to_bytes()).unwrap();
    }
    let n = e.finish().unwrap().written();
    Process::decode(&buf[HEADER_LEN..n]).unwrap()
}

/// A connected stream pair: the helper's end as a raw fd that stays open until
/// `close` (a `Channel` borrows it for 'static), and the parent's end.
pub struct Pair {
    pub helper: RawFd,
    parent: Option<UnixStream>,
}

pub fn pair() -> Pair {
    let (h, parent) = UnixStream::pair().unwrap();
    Pair {
        helper: h.into_raw_fd(),
        parent: Some(parent),
    }
}

impl Pair {
    /// The parent's end (`&UnixStream` reads and writes).
    pub fn parent(&self) -> &UnixStream {
        self.parent.as_ref().expect("the parent hung up")
    }

    /// Closes the parent's end, as a parent that died.
    pub fn hang_up(&mut self) {
        self.parent = None;
    }

    /// Closes the helper's end (after the `Channel` on it is no longer used) and
    /// returns the parent's.
    pub fn close(self) -> Option<UnixStream> {
        // SAFETY: `helper` came from `into_raw_fd` and nothing else owns it.
        drop(unsafe { OwnedFd::from_raw_fd(self.helper) });
        self.parent
    }
}

/// A failure as the parent would print it, for `unwrap` and `assert_eq!`.
impl core::fmt::Debug for crate::Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let text = String::from_utf8_lossy(self.msg.as_bytes());
        write!(f, "{text} (errno {})", self.errno)
    }
}
