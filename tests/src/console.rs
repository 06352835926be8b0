//! The test's side of a console socket, as conmon and containerd's shim hold one:
//! a listening unix socket; runlet connects and the container's helper sends the
//! pty master over it with SCM_RIGHTS. Plus the pty calls the tests make on the
//! master (window size) and reading lines from it with a deadline.

use std::ffi::{c_int, c_ulong, c_void};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::time::{Duration, Instant};

#[repr(C)]
struct IoVec {
    base: *mut c_void,
    len: usize,
}

/// The kernel's `struct user_msghdr`, which musl's `struct msghdr` matches on every
/// little-endian target (on 64-bit ones musl's int lengths are padded to 8 bytes,
/// padding it zeroes).
type MsgHdr = linux_raw_sys::net::msghdr;

extern "C" {
    fn recvmsg(fd: c_int, msg: *mut MsgHdr, flags: c_int) -> isize;
    fn ioctl(fd: c_int, req: c_ulong, ...) -> c_int;
    fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
}

const SOL_SOCKET: c_int = 1;
const SCM_RIGHTS: c_int = 1;
const TIOCSWINSZ: c_ulong = 0x5414;
const F_SETFL: c_int = 4;
const O_NONBLOCK: c_int = 0o4000;

/// A console socket listening at a path.
pub struct ConsoleSocket {
    listener: UnixListener,
}

impl ConsoleSocket {
    pub fn bind(path: &Path) -> ConsoleSocket {
        let _ = std::fs::remove_file(path);
        let listener =
            UnixListener::bind(path).unwrap_or_else(|e| panic!("bind {}: {e}", path.display()));
        ConsoleSocket { listener }
    }

    /// Accepts runlet's connection and receives the master: (the name sent with it,
    /// the fd). Non-blocking accept within `timeout`.
    pub fn receive(&self, timeout: Duration) -> (String, File) {
        self.listener.set_nonblocking(true).unwrap();
        let end = Instant::now() + timeout;
        let conn = loop {
            match self.listener.accept() {
                Ok((c, _)) => break c,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < end => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(e) => panic!("no connection on the console socket: {e}"),
            }
        };
        conn.set_nonblocking(false).unwrap();
        conn.set_read_timeout(Some(timeout)).unwrap();
        let mut name = [0u8; 256];
        let mut control = [0u64; 8];
        let mut iov = IoVec {
            base: name.as_mut_ptr().cast(),
            len: name.len(),
        };
        let mut msg = MsgHdr {
            msg_name: std::ptr::null_mut(),
            msg_namelen: 0,
            msg_iov: (&mut iov as *mut IoVec).cast(),
            msg_iovlen: 1,
            msg_control: control.as_mut_ptr().cast(),
            msg_controllen: std::mem::size_of_val(&control),
            msg_flags: 0,
        };
        // SAFETY: msg points at live buffers of the sizes it gives.
        let n = unsafe { recvmsg(conn.as_raw_fd(), &mut msg, 0) };
        assert!(
            n > 0,
            "recvmsg console socket: {}",
            io::Error::last_os_error()
        );
        // struct cmsghdr: size_t len, i32 level, i32 type, then the fd.
        let (level, header) = (
            std::mem::size_of::<usize>(),
            std::mem::size_of::<linux_raw_sys::net::cmsghdr>(),
        );
        let words: &[u8] = unsafe {
            // SAFETY: control is 64 initialised bytes.
            std::slice::from_raw_parts(control.as_ptr().cast(), 64)
        };
        let int = |at: usize| i32::from_ne_bytes(words[at..at + 4].try_into().unwrap());
        assert!(
            msg.msg_controllen >= header + 4,
            "no control message with the master"
        );
        assert_eq!(
            (int(level), int(level + 4)),
            (SOL_SOCKET, SCM_RIGHTS),
            "not SCM_RIGHTS"
        );
        let fd = int(header);
        // SAFETY: the fd just arrived and nothing else owns it.
        let file = unsafe { File::from_raw_fd(fd) };
        (
            String::from_utf8_lossy(&name[..n as usize]).into_owned(),
            file,
        )
    }
}

/// Sets the pty's window size through its master.
pub fn set_winsize(master: &File, rows: u16, cols: u16) {
    let ws = [rows, cols, 0, 0];
    // SAFETY: TIOCSWINSZ reads a struct winsize (four u16).
    let r = unsafe { ioctl(master.as_raw_fd(), TIOCSWINSZ, ws.as_ptr()) };
    assert_eq!(r, 0, "TIOCSWINSZ: {}", io::Error::last_os_error());
}

/// Reads from a pty master, line by line, with deadlines.
pub struct PtyReader {
    master: File,
    seen: String,
}

impl PtyReader {
    pub fn new(master: File) -> PtyReader {
        // SAFETY: integer arguments only.
        unsafe { fcntl(master.as_raw_fd(), F_SETFL, O_NONBLOCK) };
        PtyReader {
            master,
            seen: String::new(),
        }
    }

    pub fn master(&self) -> &File {
        &self.master
    }

    pub fn send(&mut self, text: &str) {
        self.master
            .write_all(text.as_bytes())
            .expect("write pty master");
    }

    /// Waits for a line (CR LF stripped) starting with `prefix`, after those already
    /// returned; returns it.
    pub fn line(&mut self, prefix: &str, timeout: Duration) -> String {
        let end = Instant::now() + timeout;
        loop {
            if let Some(pos) = self
                .seen
                .split('\n')
                .position(|l| l.trim_end_matches('\r').starts_with(prefix))
            {
                let lines: Vec<&str> = self.seen.split('\n').collect();
                let found = lines[pos].trim_end_matches('\r').to_string();
                self.seen = lines[pos + 1..].join("\n");
                return found;
            }
            let mut buf = [0u8; 4096];
            match self.master.read(&mut buf) {
                Ok(0) => panic!("pty closed; no line {prefix:?} in {:?}", self.seen),
                Ok(n) => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    assert!(
                        Instant::now() < end,
                        "no line {prefix:?} from the pty within {timeout:?}; got {:?}",
                        self.seen
                    );
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!(
                    "read pty master: {e} (no line {prefix:?} in {:?})",
                    self.seen
                ),
            }
        }
    }
}
