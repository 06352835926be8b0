//! Driving a container through separate runlet commands (create, start, state,
//! kill, delete), as containerd's shim does. `create` hands its stdio to the
//! container's process, so it writes to files here, not to pipes the test waits on.

use super::run::in_flight;
use super::{deadline, spawn, Fixture, Outcome};
use crate::sys;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

/// Makes the test process a child subreaper, as containerd's shim is (the inits
/// `create` leaves come to it, to be reaped by their test), and runs the tests that
/// call it one at a time (hold the guard for the whole test): an exited init is a
/// zombie child of the test process until its test reaps it, which another test's
/// leak check must not see.
pub fn subreaper() -> MutexGuard<'static, ()> {
    static ONCE: Once = Once::new();
    static SERIAL: Mutex<()> = Mutex::new(());
    ONCE.call_once(sys::become_subreaper);
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Nothing of the container is left: no state dir, cgroup, mount or process.
pub fn assert_gone(fx: &Fixture) {
    let leaks = fx.leaks();
    assert!(leaks.is_empty(), "left behind:\n  {}", leaks.join("\n  "));
}

impl Fixture {
    /// `runlet --root <root> <args...>` to its end; no leak check (the container
    /// may rightly still exist).
    pub fn runlet(&self, args: &[&str]) -> Outcome {
        spawn(self.command(args)).wait()
    }

    /// Where the container's stdout and stderr go when made by [`Fixture::create`].
    pub fn out_path(&self) -> PathBuf {
        self.dir.join("container.out")
    }

    pub fn err_path(&self) -> PathBuf {
        self.dir.join("container.err")
    }

    /// `runlet create --bundle <bundle> <extra...> <id>`, its stdout and stderr (and
    /// so the container's) going to `out_path()` and `err_path()`.
    pub fn create(&self, extra: &[&str]) -> Outcome {
        self.prepare();
        let mut cmd = self.command(&["create", "--bundle"]);
        cmd.arg(&self.bundle).args(extra).arg(&self.id);
        self.run_to_files(cmd)
    }

    /// Runs `cmd` with stdout/stderr appended to the container's files, to its end.
    pub fn run_to_files(&self, mut cmd: Command) -> Outcome {
        let open = |p: PathBuf| {
            fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&p)
                .unwrap_or_else(|e| panic!("open {}: {e}", p.display()))
        };
        let err_before = fs::metadata(self.err_path()).map_or(0, |m| m.len() as usize);
        let what = format!("{cmd:?}").replace('"', "");
        cmd.stdin(Stdio::null())
            .stdout(open(self.out_path()))
            .stderr(open(self.err_path()));
        let mut child = {
            let mut g = in_flight();
            let c = cmd.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
            g.push(c.id());
            c
        };
        let end = Instant::now() + deadline();
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait for runlet") {
                break s;
            }
            if Instant::now() > end {
                let _ = child.kill();
                let _ = child.wait();
                in_flight().retain(|&p| p != child.id());
                panic!("`{what}` still running after {:?}: killed it", deadline());
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        in_flight().retain(|&p| p != child.id());
        let err = fs::read_to_string(self.err_path()).unwrap_or_default();
        Outcome {
            what,
            code: status.code(),
            signal: status.signal(),
            stdout: String::new(),
            stderr: err.get(err_before..).unwrap_or_default().to_string(),
            held_open: None,
        }
    }

    /// What the container's process has written to stdout so far.
    pub fn container_out(&self) -> String {
        fs::read_to_string(self.out_path()).unwrap_or_default()
    }

    /// Waits until the container's stdout holds a line starting with `prefix`;
    /// returns that line.
    pub fn wait_output(&self, prefix: &str) -> String {
        let end = Instant::now() + deadline();
        loop {
            let out = self.container_out();
            if let Some(l) = out.lines().find(|l| l.starts_with(prefix)) {
                return l.to_string();
            }
            assert!(
                Instant::now() < end,
                "no line starting with {prefix:?} from the container; stdout so far:\n{out}\nstderr:\n{}",
                fs::read_to_string(self.err_path()).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Creates and starts the container with the probe running `init`; returns the
    /// init's pid (from `create --pid-file`).
    pub fn running(&mut self, init: &[&str]) -> u32 {
        self.spec.probe(init);
        let pid_file = self.dir.join("init.pid");
        self.create(&["--pid-file", pid_file.to_str().unwrap()])
            .assert_exit(0);
        self.runlet(&["start", &self.id]).assert_exit(0);
        self.read_pid_file(&pid_file)
    }

    /// The init's pid from a pid file.
    pub fn read_pid_file(&self, p: &PathBuf) -> u32 {
        let text = fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{}: not a pid: {text:?}", p.display()))
    }

    /// Reaps a process of the container that came to the test as subreaper (as the
    /// shim reaps the init); returns its wait status if it was our child.
    pub fn reap(&self, pid: u32) -> Option<i32> {
        sys::reap_child(pid, deadline())
    }
}
