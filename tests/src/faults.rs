//! Fault injection for the reliability suite: runlet stopped at exactly one of its
//! `--debug` lines, where the test kills it (or its helper).
//!
//! How it stops there, deterministically: runlet's stderr is a pipe in packet mode
//! (`O_DIRECT`: one write, one packet, never merged) with room for one packet, and
//! that room is taken by a filler before runlet starts. Its k-th write to stderr can
//! only complete once the test has read k packets (the filler and lines 1..k-1), so
//! after reading n-1 the test knows runlet will stop inside write n. It waits until
//! runlet sleeps in `write(2, ...)` with the slot full (line n-1 in it): then everything
//! runlet does before its n-th line is done, and nothing after. `--debug` writes one
//! line with one write (parent/src/log.rs).

use crate::harness::{describe_pid, spawn_registered, unregister};
use std::ffi::c_int;
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

extern "C" {
    fn pipe2(fds: *mut c_int, flags: c_int) -> c_int;
    fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
    fn ioctl(fd: c_int, req: std::ffi::c_ulong, ...) -> c_int;
}

const O_CLOEXEC: c_int = 0o2000000;
const O_DIRECT: c_int = 0o40000;
const F_SETPIPE_SZ: c_int = 1031;
const FIONREAD: std::ffi::c_ulong = 0x541b;

/// How long runlet may take to reach the next line.
const STEP_DEADLINE: Duration = Duration::from_secs(30);

/// The thread reading stderr to its end, and what it read.
type Drain = (JoinHandle<()>, Arc<Mutex<Vec<String>>>);

/// A runlet command whose stderr the test releases one line at a time.
pub struct Stepped {
    pub what: String,
    child: Option<Child>,
    rd: Option<File>,
    /// The read end again, to see whether the drain thread has caught up.
    peek: OwnedFd,
    /// stderr writes read so far (the filler not counted), one per line under
    /// `--debug`.
    pub lines: Vec<String>,
    /// Packets read, the filler included.
    released: usize,
    drain: Option<Drain>,
}

fn packet_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: fds is a valid array of two ints.
    if unsafe { pipe2(fds.as_mut_ptr(), O_CLOEXEC | O_DIRECT) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 just made both fds; nothing else owns them.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // One page: one slot.
    // SAFETY: integer arguments only.
    if unsafe { fcntl(w.as_raw_fd(), F_SETPIPE_SZ, 4096 as c_int) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((r, w))
}

/// Spawns `cmd` with stdin from /dev/null, stdout to `stdout`, stderr to the packet
/// pipe (already full): runlet stops at its first stderr line until released.
pub fn spawn_stepped(mut cmd: Command, stdout: Stdio) -> Stepped {
    let what = format!("{cmd:?}").replace('"', "");
    let (r, w) = packet_pipe().expect("packet pipe for runlet's stderr");
    let mut wf = File::from(w.try_clone().expect("dup pipe"));
    io::Write::write_all(&mut wf, b"filler").expect("fill the pipe");
    drop(wf);
    cmd.stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::from(w));
    let child = spawn_registered(&mut cmd, &what);
    Stepped {
        what,
        child: Some(child),
        peek: r.try_clone().expect("dup pipe"),
        rd: Some(File::from(r)),
        lines: Vec::new(),
        released: 0,
        drain: None,
    }
}

impl Stepped {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    fn exited(&mut self) -> bool {
        let c = self.child.as_mut().expect("runlet child");
        matches!(c.try_wait(), Ok(Some(_)))
    }

    /// Reads one packet, unless runlet exits first (false).
    fn release_one(&mut self, end: Instant) -> bool {
        loop {
            if self.unread() > 0 {
                let mut buf = vec![0u8; 4096];
                let n = self
                    .rd
                    .as_mut()
                    .unwrap()
                    .read(&mut buf)
                    .expect("read stderr");
                if self.released > 0 {
                    self.lines
                        .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                }
                self.released += 1;
                return true;
            }
            if self.exited() {
                return false;
            }
            assert!(
                Instant::now() < end,
                "`{}`: no stderr line for {STEP_DEADLINE:?}; lines so far:\n{}",
                self.what,
                self.lines.join("\n")
            );
            std::thread::sleep(Duration::from_micros(300));
        }
    }

    /// Bytes waiting in the pipe (0 or one packet).
    fn unread(&self) -> c_int {
        let mut n: c_int = 0;
        // SAFETY: FIONREAD writes one int.
        unsafe { ioctl(self.peek.as_raw_fd(), FIONREAD, &mut n) };
        n
    }

    fn blocked_in_stderr_write(&self) -> bool {
        let s = fs::read_to_string(format!("/proc/{}/syscall", self.pid())).unwrap_or_default();
        let mut f = s.split(' ');
        f.next() == Some(linux_raw_sys::general::__NR_write.to_string().as_str())
            && f.next() == Some("0x2")
            && self.unread() > 0
    }

    /// Lets runlet go on until it is stopped inside its `n`-th stderr write (n ≥ 1),
    /// lines 1..n-1 written. False when it exited before that.
    pub fn stop_at(&mut self, n: usize) -> bool {
        let end = Instant::now() + STEP_DEADLINE;
        while self.released < n - 1 {
            if !self.release_one(end) {
                return false;
            }
        }
        loop {
            // Twice, 1 ms apart: a write just woken may still show for an instant.
            if self.blocked_in_stderr_write() {
                std::thread::sleep(Duration::from_millis(1));
                if self.blocked_in_stderr_write() {
                    return true;
                }
            }
            if self.exited() {
                return false;
            }
            assert!(
                Instant::now() < end,
                "`{}`: did not reach stderr line {n} within {STEP_DEADLINE:?} ({}); lines so far:\n{}",
                self.what,
                describe_pid(self.pid()),
                self.lines.join("\n")
            );
            std::thread::sleep(Duration::from_micros(300));
        }
    }

    /// runlet's children (its helpers), by /proc/<pid>/stat.
    pub fn children(&self) -> Vec<u32> {
        crate::harness::children_of(self.pid())
    }

    /// Hands stderr to a thread that reads it to its end, so nothing writing to it
    /// blocks any more (the container's processes hold it too).
    pub fn release_all(&mut self) {
        let Some(mut rd) = self.rd.take() else { return };
        let skip_filler = self.released == 0;
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let h = std::thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            let mut first = skip_filler;
            while let Ok(n @ 1..) = rd.read(&mut buf) {
                if std::mem::take(&mut first) {
                    continue;
                }
                g.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        });
        self.drain = Some((h, got));
    }

    /// Releases stderr and waits (until the deadline) for runlet to exit: its exit
    /// code (None: killed by a signal) and every stderr line it wrote (writes joined,
    /// then split at newlines).
    pub fn wait(&mut self) -> (Option<i32>, Vec<String>) {
        self.release_all();
        let mut child = self.child.take().expect("runlet child");
        let end = Instant::now() + STEP_DEADLINE;
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait for runlet") {
                break s;
            }
            if Instant::now() > end {
                let _ = child.kill();
                let _ = child.wait();
                unregister(child.id());
                panic!("`{}` still running after {STEP_DEADLINE:?}", self.what);
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        unregister(child.id());
        // What runlet wrote last is read by the drain thread: let it catch up.
        let end = Instant::now() + Duration::from_secs(5);
        while self.unread() > 0 && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(20));
        let mut writes = self.lines.clone();
        if let Some((_, got)) = &self.drain {
            writes.extend(got.lock().unwrap().iter().cloned());
        }
        let text = writes.concat();
        (status.code(), text.lines().map(String::from).collect())
    }

    /// Waits (5 s at most) until nothing holds runlet's stderr any more; false if
    /// something still does (a process of the container left behind).
    pub fn stderr_closed(&mut self) -> bool {
        let Some((h, _)) = self.drain.take() else {
            return true;
        };
        let end = Instant::now() + Duration::from_secs(5);
        while !h.is_finished() {
            if Instant::now() > end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = h.join();
        true
    }

    /// SIGKILL runlet where it stands.
    pub fn kill(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
        }
    }
}

impl Drop for Stepped {
    fn drop(&mut self) {
        self.release_all();
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
            unregister(c.id());
        }
    }
}
