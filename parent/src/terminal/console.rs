//! The console socket runlet hands the helper, runc's rules for when one is needed,
//! and receiving the pty master. The helper opens the pty inside the container and
//! sends the master itself over the socket it is given (helper_rt::console): the
//! caller's `--console-socket`, connected by runlet, or, for a foreground
//! `run`/`exec` without one, one end of a socketpair whose other end runlet keeps, to
//! relay the caller's terminal (`relay`). docs/terminal.md.

use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};
use rustix::net::{
    connect, recvmsg, socket_with, AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage,
    RecvFlags, SocketAddrUnix, SocketFlags, SocketType,
};

use crate::process::channel::socket_pair;

use crate::error::{Error, Result};
use crate::os::poll::poll_until;

/// The console socket's two sides: the helper's end, and runlet's own when it relays.
#[derive(Default)]
pub struct Console {
    pub for_helper: Option<OwnedFd>,
    pub relay: Option<OwnedFd>,
}

/// runc's rules, then the socket. `detach`: the command returns while the process
/// runs (`create`, `run -d`, `exec -d`), so only a console socket can take the pty.
pub fn prepare(terminal: bool, socket: Option<&Path>, detach: bool) -> Result<Console> {
    if detach && terminal && socket.is_none() {
        return Err(Error::msg(
            "cannot allocate tty if runlet will detach without setting console socket",
        ));
    }
    if socket.is_some() && (!detach || !terminal) {
        return Err(Error::msg(
            "cannot use console socket if runlet will not detach or allocate tty",
        ));
    }
    if !terminal {
        return Ok(Console::default());
    }
    if let Some(path) = socket {
        return Ok(Console {
            for_helper: Some(connect_to(path)?),
            relay: None,
        });
    }
    let (ours, theirs) = socket_pair("console")?;
    Ok(Console {
        for_helper: Some(theirs),
        relay: Some(ours),
    })
}

fn connect_to(path: &Path) -> Result<OwnedFd> {
    let addr =
        SocketAddrUnix::new(path).map_err(|e| Error::io("console socket", path, e.into()))?;
    let fd = socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| Error::sys("socket (console)", e))?;
    connect(&fd, &addr).map_err(|e| Error::io("connect console socket", path, e.into()))?;
    Ok(fd)
}

/// The master the helper sent over `sock` (data: its name; the fd: SCM_RIGHTS).
pub fn recv_master(sock: &OwnedFd, timeout: Duration) -> Result<OwnedFd> {
    let mut fds = [PollFd::new(sock, PollFlags::IN)];
    let ready = poll_until(&mut fds, Some(Instant::now() + timeout))
        .map_err(|e| Error::sys("poll console socket", e))?;
    if !ready {
        return Err(Error::msg(format!(
            "no pty master on the console socket within {}s",
            timeout.as_secs()
        )));
    }
    let mut name = [0u8; 256];
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut iov = [std::io::IoSliceMut::new(&mut name)];
    let r = recvmsg(sock, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC)
        .map_err(|e| Error::sys("recvmsg console socket", e))?;
    if r.bytes == 0 {
        return Err(Error::msg(
            "the console socket closed without a pty master (the process's setup failed)",
        ));
    }
    for msg in control.drain() {
        if let RecvAncillaryMessage::ScmRights(mut fds) = msg {
            if let Some(fd) = fds.next() {
                return Ok(fd);
            }
        }
    }
    Err(Error::msg("the console socket carried no fd"))
}
