//! The helper's end of the sync socket (fd 3): frames in with a deadline, frames out
//! without SIGPIPE.

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::fd::{BorrowedFd, RawFd};
use rustix::io::Errno;
use rustix::net::{send, SendFlags};
use wire::{empty_frame, parse_header, ErrorReport, FrameKind, SliceSink, HEADER_LEN};

use crate::fail::{fail, Context, Failure};

/// The sync socket, as the parent hands it to every helper.
pub const SYNC_FD: RawFd = 3;

pub struct Channel {
    fd: BorrowedFd<'static>,
}

/// Milliseconds of the monotonic clock.
pub fn now_ms() -> u64 {
    crate::sys::monotonic_ms()
}

impl Channel {
    /// The channel on fd 3.
    ///
    /// # Safety
    /// fd 3 must be the sync socket and stay open for the life of the process.
    pub unsafe fn from_sync_fd() -> Self {
        // SAFETY: the caller guarantees fd 3 is open for 'static.
        let fd = unsafe { BorrowedFd::borrow_raw(SYNC_FD) };
        Channel { fd }
    }

    /// The channel on `fd` (3, or after the caller's fds: see `fds`).
    ///
    /// # Safety
    /// `fd` must be the sync socket and stay open for the life of the process.
    pub unsafe fn from_fd(fd: RawFd) -> Self {
        // SAFETY: the caller guarantees fd is open for 'static.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        Channel { fd }
    }

    pub fn fd(&self) -> BorrowedFd<'static> {
        self.fd
    }

    pub fn send(&self, mut frame: &[u8]) -> Result<(), Failure> {
        while !frame.is_empty() {
            match send(self.fd, frame, SendFlags::NOSIGNAL) {
                Ok(n) => frame = &frame[n..],
                Err(Errno::INTR) => {}
                Err(e) => return Err(fail(&[b"write to sync socket"], Some(e))),
            }
        }
        Ok(())
    }

    pub fn send_empty(&self, kind: FrameKind) -> Result<(), Failure> {
        self.send(&empty_frame(kind))
    }

    /// Reports a failure to the parent, best effort: if the parent is gone there is
    /// nobody to tell.
    pub fn report(&self, f: &Failure) {
        self.report_also(f, None);
    }

    /// Like `report`, and also writes the same `Error` frame to `also` (the exec FIFO
    /// once `runlet start` may be a process of its own that has no sync socket: it
    /// reads the frame from the FIFO, see docs/init.md).
    pub fn report_also(&self, f: &Failure, also: Option<BorrowedFd<'_>>) {
        self.report_as(FrameKind::Error, f, also);
    }

    /// Like `report_also`, as a frame of `kind` (`Error` or `HookFailed`).
    pub fn report_as(&self, kind: FrameKind, f: &Failure, also: Option<BorrowedFd<'_>>) {
        let mut buf = [0u8; 640];
        let parts = [f.msg.as_bytes()];
        if let Ok(s) = ErrorReport::encode_as(SliceSink::new(&mut buf), kind, &parts, f.errno) {
            use wire::Sink;
            let n = s.written();
            let _ = self.send(&buf[..n]);
            if let Some(fd) = also {
                // Under PIPE_BUF, so one atomic write; nobody may be reading.
                let _ = rustix::io::write(fd, &buf[..n]);
            }
        }
    }

    /// Reads one whole frame into `buf` within `timeout_ms`. EOF (the parent went away)
    /// and a frame cut short are failures, never a hang.
    pub fn recv<'b>(
        &self,
        buf: &'b mut [u8],
        timeout_ms: u64,
    ) -> Result<(FrameKind, &'b [u8]), Failure> {
        let deadline = now_ms() + timeout_ms;
        let mut head = [0u8; HEADER_LEN];
        self.read_exact(&mut head, deadline)?;
        let (kind, len) =
            parse_header(&head).map_err(|_| fail(&[b"sync socket: bad frame header"], None))?;
        if len > buf.len() {
            return Err(fail(
                &[b"sync socket: frame larger than the helper's buffer"],
                None,
            ));
        }
        self.read_exact(&mut buf[..len], deadline)?;
        Ok((kind, &buf[..len]))
    }

    /// Reads a frame and requires it to be of `want` kind.
    pub fn expect<'b>(
        &self,
        want: FrameKind,
        buf: &'b mut [u8],
        timeout_ms: u64,
    ) -> Result<&'b [u8], Failure> {
        let (kind, body) = self.recv(buf, timeout_ms)?;
        if kind != want {
            return Err(fail(
                &[
                    b"sync socket: expected ",
                    want.name().as_bytes(),
                    b", got ",
                    kind.name().as_bytes(),
                ],
                None,
            ));
        }
        Ok(body)
    }

    fn read_exact(&self, mut out: &mut [u8], deadline: u64) -> Result<(), Failure> {
        while !out.is_empty() {
            let left = deadline.saturating_sub(now_ms());
            if left == 0 {
                return Err(fail(
                    &[b"sync socket: runlet sent nothing before the deadline"],
                    None,
                ));
            }
            let ts = Timespec {
                tv_sec: (left / 1000) as i64,
                tv_nsec: ((left % 1000) * 1_000_000) as i64,
            };
            let mut fds = [PollFd::new(&self.fd, PollFlags::IN)];
            match poll(&mut fds, Some(&ts)) {
                Ok(0) | Err(Errno::INTR) => continue,
                Ok(_) => {}
                Err(e) => return Err(fail(&[b"poll sync socket"], Some(e))),
            }
            let n = rustix::io::read(self.fd, &mut *out).ctx(&[b"read sync socket"])?;
            if n == 0 {
                return Err(fail(
                    &[b"sync socket: runlet closed it mid-frame or before sending"],
                    None,
                ));
            }
            out = &mut out[n..];
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
