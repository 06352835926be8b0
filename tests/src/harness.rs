//! Running real containers from tests: a per-test fixture (temp dir, state root,
//! bundle, unique id), `runlet` with a deadline, and the check that nothing leaked.

use crate::bundle;
use crate::report::Report;
use crate::spec::Spec;
use crate::sys;
use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Pids of `runlet` processes spawned and not reaped yet (they may be zombies for a
/// moment); any other zombie child of the test process is a leak.
static IN_FLIGHT: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The runlet binary: `$RUNLET_BIN`, else the release build of the workspace.
pub fn runlet_bin() -> PathBuf {
    match std::env::var_os("RUNLET_BIN") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/x86_64-unknown-linux-musl/release/runlet"),
    }
}

/// The probe: `$PROBE_BIN`, else the release probe next to runlet, else `fallback`
/// (the probe cargo built for this test run, if the test passes it).
pub fn probe_bin(fallback: Option<&str>) -> PathBuf {
    if let Some(p) = std::env::var_os("PROBE_BIN") {
        return PathBuf::from(p);
    }
    let next = runlet_bin().with_file_name("probe");
    match fallback {
        Some(f) if !next.exists() => PathBuf::from(f),
        _ => next,
    }
}

/// True when the test may go on. Not root: a printed skip, or a failure when
/// `RUNLET_REQUIRE_ROOT=1` (CI), so CI can never pass by skipping.
pub fn require_root(test: &str) -> bool {
    if sys::euid() == 0 {
        return true;
    }
    if std::env::var("RUNLET_REQUIRE_ROOT").as_deref() == Ok("1") {
        panic!("{test}: needs root, and RUNLET_REQUIRE_ROOT=1 forbids skipping it");
    }
    eprintln!("SKIP {test}: needs root (set RUNLET_REQUIRE_ROOT=1 to make this a failure)");
    false
}

/// How long one runlet command may take before the test kills it and fails.
pub fn deadline() -> Duration {
    let secs = std::env::var("RUNLET_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    Duration::from_secs(secs)
}

/// A fixture for one test, or `return` (skip) when not root. Use in #[test] fns:
/// `let mut fx = fixture!("name");`
#[macro_export]
macro_rules! fixture {
    ($name:expr) => {
        match $crate::Fixture::new($name, option_env!("CARGO_BIN_EXE_probe")) {
            Some(f) => f,
            None => return,
        }
    };
}

/// The mount points of the host's cgroup hierarchies (v1 controllers and v2).
pub fn cgroup_mounts() -> Vec<PathBuf> {
    cgroup_mounts_of(&["cgroup", "cgroup2"])
}

/// The mount points of the host's cgroup v1 hierarchies.
pub fn cgroup_v1_mounts() -> Vec<PathBuf> {
    cgroup_mounts_of(&["cgroup"])
}

fn cgroup_mounts_of(types: &[&str]) -> Vec<PathBuf> {
    let s = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut v: Vec<PathBuf> = s
        .lines()
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            let fstype = right.split(' ').next()?;
            let point = left.split(' ').nth(4)?;
            types.contains(&fstype).then(|| PathBuf::from(point))
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Mount points of the test process's mount namespace.
pub fn host_mount_points() -> Vec<PathBuf> {
    let s = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    s.lines()
        .filter_map(|l| {
            l.split(' ')
                .nth(4)
                .map(|p| PathBuf::from(unescape_octal(p)))
        })
        .collect()
}

fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut o = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 4 <= b.len() {
            if let Some(n) = std::str::from_utf8(&b[i + 1..i + 4])
                .ok()
                .and_then(|d| u8::from_str_radix(d, 8).ok())
            {
                o.push(n);
                i += 4;
                continue;
            }
        }
        o.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&o).into_owned()
}

/// Pids (not ours) whose root directory is `dir` (same device and inode): the
/// processes of a container whose rootfs is `dir`.
pub fn processes_rooted_at(dir: &Path) -> Vec<u32> {
    let Ok(m) = fs::metadata(dir) else {
        return Vec::new();
    };
    let me = std::process::id();
    let mut v = Vec::new();
    if let Ok(rd) = fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            if pid == me {
                continue;
            }
            if let Ok(r) = fs::metadata(format!("/proc/{pid}/root")) {
                if r.dev() == m.dev() && r.ino() == m.ino() {
                    v.push(pid);
                }
            }
        }
    }
    v
}

/// `comm` and state of a process, for messages.
pub fn describe_pid(pid: u32) -> String {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let cmd = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
    let state = stat
        .rsplit_once(") ")
        .map(|(_, r)| r.split(' ').next().unwrap_or("?"))
        .unwrap_or("?");
    format!("pid {pid} [{state}] {}", cmd.trim())
}

/// Zombie children of the test process that no running test is about to reap.
pub fn stray_zombie_children() -> Vec<u32> {
    let me = std::process::id();
    // Held during the scan: spawning registers a child under this lock, so no child
    // of ours can exist unregistered meanwhile.
    let guard = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    let in_flight: HashSet<u32> = guard.iter().copied().collect();
    let mut v = Vec::new();
    if let Ok(rd) = fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let Some((_, rest)) = stat.rsplit_once(") ") else {
                continue;
            };
            let f: Vec<&str> = rest.split(' ').collect();
            if f.len() > 1 && f[0] == "Z" && f[1].parse() == Ok(me) && !in_flight.contains(&pid) {
                v.push(pid);
            }
        }
    }
    v
}

/// What a finished runlet command did.
#[derive(Debug)]
pub struct Outcome {
    pub what: String,
    /// Exit code, or None when runlet itself was killed by a signal.
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Set when runlet's stdout or stderr stayed open after it exited.
    pub held_open: Option<String>,
}

impl Outcome {
    pub fn context(&self) -> String {
        let st = match (self.code, self.signal) {
            (Some(c), _) => format!("exit status {c}"),
            (None, Some(s)) => format!("killed by signal {s}"),
            _ => "no status".into(),
        };
        let held = self
            .held_open
            .as_deref()
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        format!(
            "`{}`: {st}{held}\n--- stdout ---\n{}--- stderr ---\n{}--------------",
            self.what, self.stdout, self.stderr
        )
    }

    /// Runlet's exit code (a panic if runlet itself died of a signal).
    pub fn code(&self) -> i32 {
        match self.code {
            Some(c) => c,
            None => panic!("runlet did not exit normally\n{}", self.context()),
        }
    }

    pub fn assert_exit(&self, want: i32) {
        assert_eq!(
            self.code(),
            want,
            "unexpected exit status\n{}",
            self.context()
        );
    }

    /// Exit 0 and a complete probe report.
    pub fn report(&self) -> Report {
        self.assert_exit(0);
        let r = Report::parse(&self.stdout);
        assert!(
            r.complete(),
            "the probe's report is incomplete\n{}",
            self.context()
        );
        r
    }

    /// A clean failure: non-zero status, nothing on stdout, exactly one line on
    /// stderr, starting with `runlet: ` and containing each of `fragments`.
    pub fn assert_error(&self, fragments: &[&str]) {
        let code = self.code();
        assert_ne!(code, 0, "expected a failure\n{}", self.context());
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "expected exactly one line on stderr\n{}",
            self.context()
        );
        assert!(
            lines[0].starts_with("runlet: "),
            "the error line must start with `runlet: `\n{}",
            self.context()
        );
        for f in fragments {
            assert!(
                lines[0].contains(f),
                "the error line should contain {f:?}\n{}",
                self.context()
            );
        }
        assert!(
            self.stdout.is_empty(),
            "expected nothing on stdout\n{}",
            self.context()
        );
    }
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
            let _ = c.kill();
            let _ = c.wait();
            unregister(c.id());
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
                let _ = child.kill();
                let _ = child.wait();
                unregister(child.id());
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

fn unregister(pid: u32) {
    IN_FLIGHT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|&p| p != pid);
}

/// Spawn `cmd` with stdin from /dev/null and stdout/stderr read by threads.
pub fn spawn(mut cmd: Command) -> Running {
    let what = format!("{cmd:?}").replace('"', "");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = {
        let mut g = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
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

/// One test's world: `dir/` (temp) holding `state/` (runlet's --root) and
/// `bundle/` (config.json + rootfs with the probe); a unique container id.
/// Dropping it kills what the container left, unmounts, removes cgroups and the dir.
pub struct Fixture {
    pub name: String,
    pub id: String,
    pub dir: PathBuf,
    pub root: PathBuf,
    pub bundle: PathBuf,
    pub spec: Spec,
    /// Written as config.json instead of `spec` (for malformed input).
    pub config_text: Option<String>,
    /// Write config.json before running (false: leave the bundle as it is).
    pub write_config: bool,
    probe: PathBuf,
    allowed_mounts: Vec<PathBuf>,
}

impl Fixture {
    /// None when the test must be skipped (not root); see [`require_root`].
    pub fn new(name: &str, fallback_probe: Option<&str>) -> Option<Fixture> {
        if !require_root(name) {
            return None;
        }
        let runlet = runlet_bin();
        assert!(
            runlet.exists(),
            "runlet not found at {}: build it (make) or set RUNLET_BIN",
            runlet.display()
        );
        let probe = probe_bin(fallback_probe);
        assert!(
            probe.exists(),
            "probe not found at {}: build it (make) or set PROBE_BIN",
            probe.display()
        );
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let id = format!("{name}-{pid}-{n}");
        let dir = std::env::temp_dir().join(format!("runlet-test-{pid}-{n}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        let root = dir.join("state");
        fs::create_dir_all(&root).expect("create state root");
        let bundle = dir.join("bundle");
        let spec = Spec::runc_default();
        bundle::make_rootfs(&bundle.join("rootfs"), &probe).expect("make rootfs");
        Some(Fixture {
            name: name.into(),
            id,
            dir,
            root,
            bundle,
            spec,
            config_text: None,
            write_config: true,
            probe,
            allowed_mounts: Vec::new(),
        })
    }

    /// The rootfs as configured (`root.path`, relative to the bundle or absolute).
    pub fn rootfs(&self) -> PathBuf {
        self.bundle.join(&self.spec.root_path)
    }

    pub fn probe_path(&self) -> &Path {
        &self.probe
    }

    /// The state dir runlet keeps for this container.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(&self.id)
    }

    /// The container's cgroup dir in every host hierarchy.
    pub fn cgroup_dirs(&self) -> Vec<PathBuf> {
        let rel = match &self.spec.cgroups_path {
            Some(p) => p.trim_start_matches('/').to_string(),
            None => format!("runlet/{}", self.id),
        };
        cgroup_mounts().into_iter().map(|m| m.join(&rel)).collect()
    }

    /// Write config.json (unless told not to).
    pub fn prepare(&self) {
        if !self.write_config {
            return;
        }
        let text = self
            .config_text
            .clone()
            .unwrap_or_else(|| self.spec.to_json());
        fs::write(self.bundle.join("config.json"), text).expect("write config.json");
    }

    /// `runlet --root <root> <args...>`
    pub fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut c = Command::new(runlet_bin());
        c.arg("--root").arg(&self.root).args(args);
        c
    }

    /// `runlet --root <root> run -b <bundle> <id>`
    pub fn run_command(&self) -> Command {
        let mut c = self.command(&["run", "-b"]);
        c.arg(&self.bundle).arg(&self.id);
        c
    }

    /// Start `runlet run` without waiting (see [`Running`]).
    pub fn spawn(&self) -> Running {
        self.prepare();
        spawn(self.run_command())
    }

    /// Run the container to its end, then check nothing leaked.
    pub fn run(&self) -> Outcome {
        self.finish(self.spawn())
    }

    /// Run any runlet command to its end, then check nothing leaked.
    pub fn run_cmd(&self, cmd: Command) -> Outcome {
        self.prepare();
        self.finish(spawn(cmd))
    }

    /// Wait for a running runlet, then check nothing leaked.
    pub fn finish(&self, r: Running) -> Outcome {
        let out = r.wait();
        let mut leaks = self.leaks();
        leaks.extend(out.held_open.clone());
        assert!(
            leaks.is_empty(),
            "left behind after runlet exited:\n  {}\n{}",
            leaks.join("\n  "),
            out.context()
        );
        out
    }

    /// A mount on the host under our dir that the test made itself (not a leak).
    pub fn allow_host_mount(&mut self, p: &Path) {
        self.allowed_mounts.push(p.to_path_buf());
    }

    /// Everything a finished container left behind, one description per item.
    pub fn leaks(&self) -> Vec<String> {
        let mut v = Vec::new();
        let st = self.state_dir();
        if st.exists() {
            let items: Vec<String> = fs::read_dir(&st)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            v.push(format!("state dir {} (holding {items:?})", st.display()));
        }
        for c in self.cgroup_dirs() {
            if c.exists() {
                let procs = fs::read_to_string(c.join("cgroup.procs")).unwrap_or_default();
                v.push(format!(
                    "cgroup dir {} (procs: {:?})",
                    c.display(),
                    procs.split_whitespace().collect::<Vec<_>>()
                ));
            }
        }
        for m in host_mount_points() {
            if m.starts_with(&self.dir) && !self.allowed_mounts.contains(&m) {
                v.push(format!("mount on the host at {}", m.display()));
            }
        }
        // A process exiting right now may still show its root for an instant.
        let mut procs = processes_rooted_at(&self.rootfs());
        for _ in 0..5 {
            if procs.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
            procs = processes_rooted_at(&self.rootfs());
        }
        for p in procs {
            v.push(format!(
                "process with the container's root: {}",
                describe_pid(p)
            ));
        }
        for z in stray_zombie_children() {
            v.push(format!(
                "zombie child of the test process: {}",
                describe_pid(z)
            ));
        }
        v
    }

    /// Host pids of the container's processes (those whose root is the rootfs).
    pub fn container_pids(&self) -> Vec<u32> {
        processes_rooted_at(&self.rootfs())
    }

    /// A persistent network namespace bound to a file under our dir
    /// (`unshare --net=FILE true`); unmounted when the fixture is dropped.
    pub fn make_netns(&mut self) -> PathBuf {
        let f = self.dir.join("netns");
        fs::write(&f, b"").expect("create netns file");
        let st = Command::new("unshare")
            .arg(format!("--net={}", f.display()))
            .arg("true")
            .status();
        assert!(
            matches!(st, Ok(s) if s.success()),
            "unshare --net={} failed: {st:?}",
            f.display()
        );
        self.allow_host_mount(&f);
        f
    }

    /// Mount a tmpfs on the host at `p` (under our dir); unmounted on drop.
    pub fn host_tmpfs(&mut self, p: &Path) {
        fs::create_dir_all(p).unwrap();
        let st = Command::new("mount")
            .args(["-t", "tmpfs", "tmpfs"])
            .arg(p)
            .status();
        assert!(
            matches!(st, Ok(s) if s.success()),
            "mount tmpfs on {}: {st:?}",
            p.display()
        );
        self.allow_host_mount(p);
    }

    fn cleanup(&self) {
        // 1. Whatever the container left running.
        for _ in 0..50 {
            let mut pids = processes_rooted_at(&self.rootfs());
            for c in self.cgroup_dirs() {
                let procs = fs::read_to_string(c.join("cgroup.procs")).unwrap_or_default();
                pids.extend(
                    procs
                        .split_whitespace()
                        .filter_map(|p| p.parse::<u32>().ok()),
                );
            }
            if pids.is_empty() {
                break;
            }
            for p in pids {
                let _ = sys::send_signal(p, sys::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // 2. Mounts under our dir, deepest first.
        for _ in 0..3 {
            let mut ms: Vec<PathBuf> = host_mount_points()
                .into_iter()
                .filter(|m| m.starts_with(&self.dir))
                .collect();
            if ms.is_empty() {
                break;
            }
            ms.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
            for m in ms {
                let _ = sys::umount_detach(&m);
            }
        }
        // 3. Cgroup dirs (children first).
        for c in self.cgroup_dirs() {
            remove_cgroup_tree(&c);
        }
        // 4. The dir, unless something is still mounted in it (never delete through a mount).
        if host_mount_points().iter().any(|m| m.starts_with(&self.dir)) {
            eprintln!(
                "{}: not removing {}: still mounted",
                self.name,
                self.dir.display()
            );
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn remove_cgroup_tree(p: &Path) {
    if let Ok(rd) = fs::read_dir(p) {
        for e in rd.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                remove_cgroup_tree(&e.path());
            }
        }
    }
    for _ in 0..20 {
        if fs::remove_dir(p).is_ok() || !p.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.cleanup();
    }
}

/// The test process's own namespace link for `typ` (`net:[4026531840]`).
pub fn host_ns(typ: &str) -> String {
    fs::read_link(format!("/proc/self/ns/{typ}"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}
