//! A foreground `run` or `exec` with `process.terminal` and no console socket: runlet
//! connects the caller's stdin and stdout to the pty's master itself, as runc does.
//! The caller's terminal (if stdin is one) is put in raw mode for the duration and
//! restored on every way out (a guard); its window size goes to the pty at start and
//! on each SIGWINCH; EOF on stdin becomes the pty's EOF character; the process's
//! exit status is runlet's.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::event::{poll, PollFd, PollFlags};
use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};
use rustix::io::{read, write, Errno};
use rustix::termios::{
    isatty, tcgetattr, tcgetwinsize, tcsetattr, tcsetwinsize, OptionalActions, SpecialCodeIndex,
    Termios,
};

use crate::error::{Error, Result};
use crate::process::signals;
use crate::process::spawn::{Child, Exit};

/// The caller's terminal in raw mode; restored when dropped.
pub struct RawMode {
    saved: Termios,
}

impl RawMode {
    /// Raw mode on stdin, when stdin is a terminal (else nothing to do).
    pub fn enter() -> Result<Option<RawMode>> {
        let stdin = rustix::stdio::stdin();
        if !isatty(stdin) {
            return Ok(None);
        }
        let saved = tcgetattr(stdin).map_err(|e| Error::sys("tcgetattr stdin", e))?;
        let mut raw = saved.clone();
        raw.make_raw();
        tcsetattr(stdin, OptionalActions::Now, &raw)
            .map_err(|e| Error::sys("tcsetattr stdin (raw mode)", e))?;
        Ok(Some(RawMode { saved }))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = tcsetattr(rustix::stdio::stdin(), OptionalActions::Now, &self.saved);
    }
}

/// The caller's window size onto the pty (when stdin or stdout is a terminal).
pub fn copy_winsize(master: &OwnedFd) {
    let from = [rustix::stdio::stdin(), rustix::stdio::stdout()]
        .into_iter()
        .find_map(|fd| tcgetwinsize(fd).ok());
    if let Some(ws) = from {
        let _ = tcsetwinsize(master, ws);
    }
}

fn write_all(fd: BorrowedFd<'_>, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(n) => buf = &buf[n..],
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => {
                let mut fds = [PollFd::new(&fd, PollFlags::OUT)];
                let _ = poll(&mut fds, None);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Copies between the caller and the master until `process` exits, passing on the
/// signals read from `sigfd` (SIGWINCH resizes the pty instead). Returns its exit.
pub fn relay(master: OwnedFd, process: &mut Child, sigfd: &OwnedFd) -> Result<Exit> {
    let stdin = rustix::stdio::stdin();
    let stdout = rustix::stdio::stdout();
    let mut stdin_open = true;
    let mut master_open = true;
    let mut buf = [0u8; 8192];
    loop {
        let mut fds = vec![
            PollFd::new(&process.pidfd, PollFlags::IN),
            PollFd::new(sigfd, PollFlags::IN),
        ];
        if master_open {
            fds.push(PollFd::new(&master, PollFlags::IN));
        }
        if stdin_open {
            fds.push(PollFd::new(&stdin, PollFlags::IN));
        }
        match poll(&mut fds, None) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(Error::sys("poll (terminal relay)", e)),
        }
        let ready: Vec<bool> = fds.iter().map(|f| !f.revents().is_empty()).collect();
        drop(fds);
        // Where stdin was in this poll (before master_open may change below).
        let stdin_at = if master_open { 3 } else { 2 };
        if ready[1] {
            forward_signals(sigfd, process, &master);
        }
        if master_open && ready[2] {
            match read(&master, &mut buf) {
                Ok(0) | Err(Errno::IO) => master_open = false,
                Ok(n) => write_all(stdout, &buf[..n])
                    .map_err(|e| Error::msg(format!("write stdout: {e}")))?,
                Err(Errno::INTR) | Err(Errno::AGAIN) => {}
                Err(e) => return Err(Error::sys("read pty master", e)),
            }
        }
        if stdin_open && ready.get(stdin_at).copied().unwrap_or(false) {
            match read(stdin, &mut buf) {
                Ok(0) => {
                    stdin_open = false;
                    send_eof(&master);
                }
                Ok(n) => {
                    // The process may be gone with nothing reading: not an error.
                    let _ = write_all(master.as_fd(), &buf[..n]);
                }
                Err(Errno::INTR) | Err(Errno::AGAIN) => {}
                Err(_) => stdin_open = false,
            }
        }
        if ready[0] {
            if let Some(exit) = process.wait(true)? {
                drain(&master, stdout, &mut buf);
                return Ok(exit);
            }
        }
    }
}

/// EOF from the caller: the pty's EOF character (^D by default), as a terminal
/// passes it on; the program reads it as end of input at the start of a line.
fn send_eof(master: &OwnedFd) {
    let eof = tcgetattr(master)
        .map(|t| t.special_codes[SpecialCodeIndex::VEOF])
        .unwrap_or(4);
    let _ = write_all(master.as_fd(), &[eof]);
}

/// What the pty still holds once the process exited (a descendant may keep the
/// slave open: read only what is there).
fn drain(master: &OwnedFd, stdout: BorrowedFd<'_>, buf: &mut [u8]) {
    if let Ok(fl) = fcntl_getfl(master) {
        let _ = fcntl_setfl(master, fl | OFlags::NONBLOCK);
    }
    while let Ok(n @ 1..) = read(master, &mut *buf) {
        if write_all(stdout, &buf[..n]).is_err() {
            break;
        }
    }
}

fn forward_signals(sigfd: &OwnedFd, process: &Child, master: &OwnedFd) {
    signals::drain(sigfd, |sig| {
        if sig == signals::SIGWINCH {
            copy_winsize(master);
        } else {
            let _ = process.signal(sig);
        }
    });
}
