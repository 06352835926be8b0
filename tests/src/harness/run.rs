//! Running one runlet process with a deadline: stdout read line by line,
//! stderr collected, and the child killed (never left to hang) when time is up.

use super::deadline;
use super::outcome::Outcome;
use crate::sys;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Pids of `runlet` processes spawned and not reaped yet (they may be zombies for a
/// moment); any other zombie child of the test process is a leak.
static IN_FLIGHT: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// The pids in flight, locked (a test that panicked holding it does not poison it).
pub(super) fn in_flight() -> MutexGuard<'static, Vec<u32>> {
    IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner())
}

/// The pids of runlet commands spawned and not reaped yet.
pub fn in_flight_pids() -> Vec<u32> {
    in_flight().clone()
}

/// Forgets a child spawned by [`spawn_registered`] once it is reaped.
pub fn unregister(pid: u32) {
    in_flight().retain(|&p| p != pid);
}

/// Kill a runlet child, reap it and forget it.
fn reap(c: &mut Child) {
    let _ = c.kill();
    let _ = c.wait();
    unregister(c.id());
}

/// A runlet process being run by a test.
pub struct Running {
    pub what: String,
    child: Option<Child>,
    lines: Receiver<String>,
    stderr: Receiver<String>,
    pub seen: Vec<String>,
    started: Instant,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Wait (until the deadline) for a stdout line for which `pred` is true.
    pub fn wait_line(&mut self, pred: impl Fn(&str) -> bool) -> String {
        let end = self.started + deadline();
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if pred(&l) {
                        return l;
                    }
                }
                Err(e) => {
                    let status = self
                        .child
                        .as_mut()
                        .and_then(|c| c.try_wait().ok().flatten());
                    self.kill();
                    let err = self
                        .stderr
                        .recv_timeout(Duration::from_secs(1))
                        .unwrap_or_default();
                    panic!(
                        "`{}`: the expected line did not come ({}; runlet status {status:?})\n--- stdout ---\n{}\n--- stderr ---\n{err}",
                        self.what,
                        if e == RecvTimeoutError::Timeout { "deadline passed" } else { "stdout closed" },
                        self.seen.join("\n")
                    );
                }
            }
        }
    }

    /// Send a signal to runlet.
    pub fn signal(&self, sig: i32) {
        sys::send_signal(self.pid(), sig).expect("signal runlet");
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            reap(&mut c);
        }
    }

    /// Wait for runlet to exit (at most until the deadline, then kill it and fail),
    /// then for its stdout and stderr to close.
    pub fn wait(mut self) -> Outcome {
        let mut child = self.child.take().expect("child");
        let end = self.started + deadline();
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) => {}
                Err(e) => panic!("wait for runlet: {e}"),
            }
            if Instant::now() > end {
                reap(&mut child);
                let mut out = self.seen.join("\n");
                while let Ok(l) = self.lines.try_recv() {
                    out.push('\n');
                    out.push_str(&l);
                }
                panic!(
                    "`{}` still running after {:?}: killed it\n--- stdout so far ---\n{out}",
                    self.what,
                    deadline()
                );
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        unregister(child.id());
        // Output ends when every process holding the pipes is gone.
        let end = Instant::now() + Duration::from_secs(5);
        let mut held_open = None;
        loop {
            match self
                .lines
                .recv_timeout(end.saturating_duration_since(Instant::now()))
            {
                Ok(l) => self.seen.push(l),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    held_open = Some("stdout");
                    break;
                }
            }
        }
        let stderr = match self
            .stderr
            .recv_timeout(end.saturating_duration_since(Instant::now()))
        {
            Ok(s) => s,
            Err(_) => {
                held_open = held_open.or(Some("stderr"));
                String::new()
            }
        };
        let mut stdout = self.seen.join("\n");
        if !stdout.is_empty() {
            stdout.push('\n');
        }
        Outcome {
            what: self.what.clone(),
            code: status.code(),
            signal: status.signal(),
            stdout,
            stderr,
            held_open: held_open.map(|w| {
                format!("runlet's {w} still open 5 s after it exited: a process of the container holds it")
            }),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Spawns `cmd` as it is set up, known to the zombie check until [`unregister`]ed.
pub fn spawn_registered(cmd: &mut Command, what: &str) -> Child {
    let mut g = in_flight();
    let c = cmd.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    g.push(c.id());
    c
}

/// Spawn `cmd` with stdin from /dev/null and stdout/stderr read by threads.
pub fn spawn(mut cmd: Command) -> Running {
    let what = format!("{cmd:?}").replace('"', "");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = {
        let mut g = in_flight();
        let c = cmd.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
        g.push(c.id());
        c
    };
    let (tx, lines) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines() {
            match l {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    let (etx, stderr) = mpsc::channel();
    let mut err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        let _ = etx.send(String::from_utf8_lossy(&b).into_owned());
    });
    Running {
        what,
        child: Some(child),
        lines,
        stderr,
        seen: Vec::new(),
        started: Instant::now(),
    }
}
