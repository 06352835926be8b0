//! The hooks runlet runs itself, in the runtime's namespaces: prestart and
//! createRuntime (at create, between the init's `Prestart` and `Resume`), poststart
//! (after the container's process started) and poststop (at delete and at the end of
//! `run`). Each gets the OCI state JSON on stdin; its stdout and stderr go to
//! runlet's stderr, and the tail of its stderr is kept for the error message.
//! createContainer and startContainer run in the init (init-helper/src/hooks.rs),
//! with the state JSON the parent renders here. docs/hooks.md has the whole picture.

use std::collections::BTreeMap;
mod spawn;

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use miniserde::Serialize;
use rustix::event::{PollFd, PollFlags};
use rustix::io::Errno;
use rustix::process::{waitid, WaitId, WaitIdOptions, WaitIdStatus};

use crate::config::{Hook, HookKind, Hooks};
use crate::debug;
use crate::error::{strerror, Error, Result};
use crate::os::poll::poll_until;
use crate::process::signals::SIGKILL;
use crate::state::Saved;
use spawn::Started;

/// Bytes of a hook's stderr quoted in the message when it fails.
const TAIL: usize = 400;

/// The OCI state a hook reads on stdin (runtime.md "State").
#[derive(Serialize, Clone, Debug)]
pub struct State {
    #[serde(rename = "ociVersion")]
    pub oci_version: String,
    pub id: String,
    pub status: String,
    pub pid: i32,
    pub bundle: String,
    pub annotations: BTreeMap<String, String>,
}

impl State {
    pub fn from_saved(s: &Saved) -> State {
        State {
            oci_version: s.oci_version.clone(),
            id: s.id.clone(),
            status: s.status.clone(),
            pid: s.pid,
            bundle: s.bundle.clone(),
            annotations: s.annotations.clone(),
        }
    }

    /// The JSON text with this status and pid ("stopped" has pid 0, as `state` shows).
    pub fn json(&self, status: &str, pid: i32) -> String {
        let mut s = self.clone();
        s.status = status.into();
        s.pid = if status == "stopped" { 0 } else { pid };
        miniserde::json::to_string(&s)
    }
}

/// Runs the hooks of `kind` in order; the first failure is the error.
pub fn run_all(kind: HookKind, hooks: &Hooks, state: &str) -> Result<()> {
    for (i, h) in hooks.get(kind).iter().enumerate() {
        run_one(kind, i, h, state)?;
        debug!("{} hook {i} ({}) done", kind.name(), h.path);
    }
    Ok(())
}

/// Runs the hooks of `kind` in order; a failure is a warning and the rest still run
/// (poststart, poststop).
pub fn run_warn(kind: HookKind, hooks: &Hooks, state: &str) {
    for (i, h) in hooks.get(kind).iter().enumerate() {
        if let Err(e) = run_one(kind, i, h, state) {
            eprintln!("runlet: warning: {e}");
        }
    }
}

fn run_one(kind: HookKind, i: usize, h: &Hook, state: &str) -> Result<()> {
    let name = format!("{} hook {i} ({})", kind.name(), h.path);
    let failed = |what: String| Error::msg(format!("{name} failed: {what}"));
    let mut started = spawn::start(h).map_err(|e| failed(e.to_string()))?;
    let waited = supervise(&mut started, state, h.timeout);
    if waited.is_err() {
        let _ = crate::os::sys::pidfd_send_signal(started.pidfd.as_fd(), SIGKILL);
    }
    let status = reap(&started).map_err(|e| failed(e.to_string()))?;
    let tail = waited.map_err(|e| failed(e.to_string()))?;
    let mut errno = [0u8; 4];
    if let Ok(4) = rustix::io::read(&started.exec_report, &mut errno) {
        let e = std::io::Error::from_raw_os_error(i32::from_le_bytes(errno));
        return Err(failed(format!("exec: {}", strerror(&e))));
    }
    judge(&name, status, &tail)
}

/// Waits for the hook's exit status (it has exited or was killed).
fn reap(s: &Started) -> Result<WaitIdStatus> {
    loop {
        match waitid(WaitId::PidFd(s.pidfd.as_fd()), WaitIdOptions::EXITED) {
            Err(Errno::INTR) => continue,
            Ok(Some(st)) => return Ok(st),
            Ok(None) => return Err(Error::msg(format!("wait for hook {}: no status", s.pid))),
            Err(e) => return Err(Error::sys(&format!("wait for hook {}", s.pid), e)),
        }
    }
}

/// Feeds stdin, passes stderr on (keeping its tail), and waits for the exit until
/// the timeout. Returns the tail; past the deadline, an error (the caller kills).
fn supervise(s: &mut Started, state: &str, timeout: Duration) -> Result<Vec<u8>> {
    let deadline = Instant::now() + timeout;
    let mut stdin = s.stdin.take();
    for fd in stdin.iter().map(AsFd::as_fd).chain([s.stderr.as_fd()]) {
        rustix::io::ioctl_fionbio(fd, true).map_err(|e| Error::sys("set O_NONBLOCK", e))?;
    }
    let mut input = state.as_bytes();
    let mut tail = Vec::new();
    let mut err_open = true;
    loop {
        if input.is_empty() {
            // Closed: EOF for the hook.
            stdin = None;
        }
        let err_flags = if err_open {
            PollFlags::IN
        } else {
            PollFlags::empty()
        };
        let mut fds = [
            PollFd::new(&s.pidfd, PollFlags::IN),
            PollFd::new(&s.stderr, err_flags),
            match &stdin {
                Some(fd) => PollFd::new(fd, PollFlags::OUT),
                None => PollFd::new(&s.pidfd, PollFlags::empty()),
            },
        ];
        if !poll_until(&mut fds, Some(deadline)).map_err(|e| Error::sys("poll", e))? {
            return Err(Error::msg(format!(
                "did not finish within its timeout of {}s (killed)",
                timeout.as_secs()
            )));
        }
        let exited = !fds[0].revents().is_empty();
        if err_open {
            err_open = pass_on(s.stderr.as_fd(), &mut tail);
        }
        if let Some(fd) = &stdin {
            match rustix::io::write(fd, input) {
                Ok(n) => input = &input[n..],
                Err(Errno::AGAIN | Errno::INTR) => {}
                // The hook does not read its stdin: fine.
                Err(_) => input = &[],
            }
        }
        if exited {
            if err_open {
                pass_on(s.stderr.as_fd(), &mut tail);
            }
            return Ok(tail);
        }
    }
}

/// Copies what the hook wrote to stderr to ours, keeping the last `TAIL` bytes.
/// Returns false at EOF.
fn pass_on(fd: BorrowedFd<'_>, tail: &mut Vec<u8>) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match rustix::io::read(fd, &mut buf) {
            Ok(0) => return false,
            Ok(n) => {
                let _ = std::io::stderr().write_all(&buf[..n]);
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > TAIL {
                    tail.drain(..tail.len() - TAIL);
                }
            }
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => return true,
            Err(_) => return false,
        }
    }
}

fn judge(name: &str, status: WaitIdStatus, tail: &[u8]) -> Result<()> {
    let what = match (status.exit_status(), status.terminating_signal()) {
        (Some(0), _) => return Ok(()),
        (Some(c), _) => format!("exit status {c}"),
        (_, Some(s)) => format!("killed by signal {s}"),
        _ => "ended abnormally".into(),
    };
    Err(Error::msg(format!(
        "{name} failed: {what}{}",
        quote_tail(tail)
    )))
}

/// "; stderr: ..." with the last bytes of a hook's stderr on one line, or nothing.
pub fn quote_tail(tail: &[u8]) -> String {
    let text = String::from_utf8_lossy(tail);
    let one_line: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if one_line.is_empty() {
        return String::new();
    }
    format!("; stderr: {}", one_line.join(" / "))
}

/// Appends the state JSON for the init's hooks to an encoded `Bootstrap` frame (the
/// init's pid is known only once it is cloned, after the frame was encoded).
pub fn add_init_states(frame: &mut Vec<u8>, hooks: &Hooks, state: &State, pid: i32) -> Result<()> {
    use wire::tag;
    for (kind, t, status) in [
        // crun's statuses; startContainer "created" (crun's "starting" is no OCI status).
        (HookKind::CreateContainer, tag::CREATE_STATE, "created"),
        (HookKind::StartContainer, tag::START_STATE, "created"),
    ] {
        if hooks.get(kind).is_empty() {
            continue;
        }
        let json = state.json(status, pid);
        frame.extend_from_slice(&t.to_le_bytes());
        frame.extend_from_slice(&(json.len() as u32 + 1).to_le_bytes());
        frame.extend_from_slice(json.as_bytes());
        frame.push(0);
    }
    let len = frame.len() - wire::HEADER_LEN + 1;
    if len > wire::FrameKind::Bootstrap.max_len() {
        return Err(Error::msg(format!(
            "the container's setup and its hooks' state take {len} bytes; runlet-init holds at most {}",
            wire::FrameKind::Bootstrap.max_len()
        )));
    }
    frame[..4].copy_from_slice(&(len as u32).to_le_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_json_per_moment() {
        let s = State {
            oci_version: "1.0.2".into(),
            id: "c1".into(),
            status: String::new(),
            pid: 0,
            bundle: "/b".into(),
            annotations: [("k".to_string(), "v".to_string())].into(),
        };
        assert_eq!(
            s.json("creating", 42),
            r#"{"ociVersion":"1.0.2","id":"c1","status":"creating","pid":42,"bundle":"/b","annotations":{"k":"v"}}"#
        );
        assert!(s
            .json("stopped", 42)
            .contains(r#""status":"stopped","pid":0"#));
    }

    #[test]
    fn stderr_tail_on_one_line() {
        assert_eq!(quote_tail(b""), "");
        assert_eq!(quote_tail(b"\n  \n"), "");
        assert_eq!(
            quote_tail(b"one\n\n two \nthree"),
            "; stderr: one / two / three"
        );
    }

    #[test]
    fn init_states_are_appended_to_the_frame() {
        let text = r#"{"hooks": {"startContainer": [{"path": "/s"}]}}"#;
        let hooks = Hooks::from_config_text(text).unwrap();
        let mut e = wire::Encoder::new(Vec::new(), wire::FrameKind::Bootstrap).unwrap();
        e.str(wire::tag::ARG, b"x").unwrap();
        e.str(wire::tag::CWD, b"/").unwrap();
        e.u32(wire::tag::UID, 0).unwrap();
        e.u32(wire::tag::GID, 0).unwrap();
        e.str(wire::tag::ROOTFS, b"/r").unwrap();
        let mut f = e.finish().unwrap();
        let s = State {
            oci_version: "1".into(),
            id: "c".into(),
            status: String::new(),
            pid: 0,
            bundle: "/b".into(),
            annotations: BTreeMap::new(),
        };
        add_init_states(&mut f, &hooks, &s, 7).unwrap();
        let (_, len) = wire::parse_header(&f).unwrap();
        assert_eq!(f.len(), wire::HEADER_LEN + len);
        let bs = wire::Bootstrap::decode(&f[wire::HEADER_LEN..]).unwrap();
        assert_eq!(bs.create_state, None);
        let start = bs.start_state.unwrap().to_str().unwrap();
        assert!(start.contains(r#""status":"created","pid":7"#), "{start}");
    }
}
