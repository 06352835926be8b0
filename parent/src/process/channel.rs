//! The parent's end of the sync socket: whole frames out, whole frames in with a
//! deadline, and the helper's `Error` frames turned into runlet errors.

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};
use wire::{parse_header, ErrorReport, FrameKind, HEADER_LEN};

use crate::error::{errno_text, Error, Result};
use crate::os::poll::poll_until;

/// A connected pair of stream sockets, both close-on-exec: ours, and the one a
/// helper gets (`what` names the pair in an error).
pub fn socket_pair(what: &str) -> Result<(OwnedFd, OwnedFd)> {
    use rustix::net::{socketpair, AddressFamily, SocketFlags, SocketType};
    socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| Error::sys(&format!("socketpair ({what})"), e))
}

/// What came over the socket.
pub enum Incoming {
    Frame(FrameKind, Vec<u8>),
    /// The helper closed its end: it exec'd (CLOEXEC) or died.
    Eof,
}

pub struct Channel {
    sock: UnixStream,
    /// Who is at the other end, for messages ("runlet-init").
    peer: &'static str,
}

impl Channel {
    pub fn new(fd: OwnedFd, peer: &'static str) -> Channel {
        Channel {
            sock: UnixStream::from(fd),
            peer,
        }
    }

    pub fn send(&mut self, frame: &[u8]) -> Result<()> {
        self.sock
            .write_all(frame)
            .map_err(|e| Error::sys(&format!("send to {}", self.peer), e))
    }

    /// The `Error` frame a departed helper left in our receive queue, if any: after a
    /// failed send, the reason the helper went, where there is one.
    pub fn last_word(&mut self) -> Option<Error> {
        loop {
            match self.recv(Duration::from_millis(100)) {
                Ok(Incoming::Frame(FrameKind::Error | FrameKind::HookFailed, body)) => {
                    return Some(helper_error(&body))
                }
                Ok(Incoming::Frame(..)) => continue,
                Ok(Incoming::Eof) | Err(_) => return None,
            }
        }
    }

    /// Reads one frame, or EOF at a frame boundary, within `timeout`.
    pub fn recv(&mut self, timeout: Duration) -> Result<Incoming> {
        let deadline = Instant::now() + timeout;
        let mut head = [0u8; HEADER_LEN];
        if !self.read_exact(&mut head, deadline, true)? {
            return Ok(Incoming::Eof);
        }
        let (kind, len) =
            parse_header(&head).map_err(|e| Error::msg(format!("{}: {e}", self.peer)))?;
        let mut body = vec![0u8; len];
        self.read_exact(&mut body, deadline, false)?;
        Ok(Incoming::Frame(kind, body))
    }

    /// "runlet-init: expected Ready frame, got Prestart".
    pub fn unexpected(&self, want: &str, got: FrameKind) -> Error {
        Error::msg(format!(
            "{}: expected {want}, got a {} frame",
            self.peer,
            got.name()
        ))
    }

    /// Fills `buf`; `Ok(false)` on EOF before the first byte when `eof_ok`.
    fn read_exact(&mut self, buf: &mut [u8], deadline: Instant, eof_ok: bool) -> Result<bool> {
        let mut got = 0;
        while got < buf.len() {
            let mut fds = [PollFd::new(&self.sock, PollFlags::IN)];
            let ready = poll_until(&mut fds, Some(deadline))
                .map_err(|e| Error::sys("poll sync socket", e))?;
            if !ready {
                return Err(Error::msg(format!(
                    "{} sent nothing for too long (deadline passed)",
                    self.peer
                )));
            }
            match self.sock.read(&mut buf[got..]) {
                Ok(0) if got == 0 && eof_ok => return Ok(false),
                Ok(0) => {
                    return Err(Error::msg(format!(
                        "{}: frame cut short ({got} of {} bytes)",
                        self.peer,
                        buf.len()
                    )))
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A helper that exits with our data unread resets the connection:
                // for us that is its end, like EOF.
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset && got == 0 && eof_ok => {
                    return Ok(false)
                }
                Err(e) => return Err(Error::sys("read sync socket", e)),
            }
        }
        Ok(true)
    }
}

/// "mount proc on /proc: Operation not permitted" from a helper's `Error` frame.
pub fn helper_error(body: &[u8]) -> Error {
    match ErrorReport::decode(body) {
        Ok(r) if r.errno != 0 => Error::with_errno(
            format!("{}: {}", r.message, errno_text(r.errno as i32)),
            r.errno as i32,
        ),
        Ok(r) => Error::msg(r.message.to_string()),
        Err(e) => Error::msg(format!("malformed Error frame: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::{empty_frame, Sink, SliceSink};

    fn pair() -> (Channel, UnixStream) {
        let (a, b) = UnixStream::pair().unwrap();
        (Channel::new(a.into(), "test-helper"), b)
    }

    #[test]
    fn error_frames_become_messages() {
        let (mut c, mut peer) = pair();
        let mut buf = [0u8; 128];
        let n = ErrorReport::encode(SliceSink::new(&mut buf), &[b"exec /nope"], 2)
            .unwrap()
            .written();
        peer.write_all(&buf[..n]).unwrap();
        let Ok(Incoming::Frame(FrameKind::Error, body)) = c.recv(Duration::from_secs(1)) else {
            panic!("no Error frame")
        };
        assert_eq!(
            helper_error(&body).to_string(),
            "exec /nope: No such file or directory"
        );
    }

    #[test]
    fn a_helper_that_failed_leaves_its_last_word() {
        let (mut c, mut peer) = pair();
        let mut buf = [0u8; 128];
        let n = ErrorReport::encode(SliceSink::new(&mut buf), &[b"mount none on /x"], 19)
            .unwrap()
            .written();
        peer.write_all(&empty_frame(FrameKind::Prestart)).unwrap();
        peer.write_all(&buf[..n]).unwrap();
        drop(peer);
        let e = c.send(&empty_frame(FrameKind::Resume)).err().unwrap();
        assert_eq!(e.to_string(), "send to test-helper: Broken pipe");
        let e = c.last_word().unwrap();
        assert_eq!(e.to_string(), "mount none on /x: No such device");

        let (mut c, peer) = pair();
        drop(peer);
        assert!(c.send(&empty_frame(FrameKind::Resume)).is_err());
        assert!(c.last_word().is_none());
    }

    #[test]
    fn cut_frames_eof_and_deadlines() {
        let (mut c, mut peer) = pair();
        peer.write_all(&[9, 0, 0, 0, FrameKind::Bootstrap as u8, 1, 2])
            .unwrap();
        drop(peer);
        let e = c.recv(Duration::from_secs(1)).err().unwrap();
        assert!(e.to_string().contains("frame cut short"), "{e}");

        let (mut c, peer) = pair();
        drop(peer);
        assert!(matches!(c.recv(Duration::from_secs(1)), Ok(Incoming::Eof)));

        let (mut c, _peer) = pair();
        let e = c.recv(Duration::from_millis(20)).err().unwrap();
        assert!(e.to_string().contains("deadline"), "{e}");

        let (mut c, mut peer) = pair();
        peer.write_all(&[1, 0, 0, 0, 200]).unwrap();
        let e = c.recv(Duration::from_secs(1)).err().unwrap();
        assert!(e.to_string().contains("unknown frame kind 200"), "{e}");
    }
}
