//! What containerd's runc shim and podman's conmon call, run verbatim: the shim's
//! sequence with a terminal (create, start, exec --process --detach, ps --format
//! json, pause, resume, kill --all, delete, delete --force again) with its JSON log
//! checked line by line; `--preserve-fds` (podman) and socket activation's
//! `LISTEN_FDS`; `delete --force` of a gone ID with the log's directory missing.

use std::fs::{self, File};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use miniserde::json::{self, Value};
use runlet_tests::console::{ConsoleSocket, PtyReader};
use runlet_tests::fixture;
use runlet_tests::harness::Fixture;
use runlet_tests::harness::{assert_gone, subreaper};

#[path = "support/json.rs"]
mod support_json;
use support_json::text;

const T: Duration = Duration::from_secs(20);

#[test]
fn containerd_shim_calls_with_a_terminal() {
    let mut fx = fixture!("cd-shim");
    let _serial = subreaper();
    fx.spec.probe(&["tty-shell"]);
    fx.spec.terminal = true;
    fx.prepare();
    let log = fx.dir.join("log.json");
    let global = ["--log", log.to_str().unwrap(), "--log-format", "json"];
    let call = |args: &[&str]| fx.runlet(&[&global[..], args].concat());
    let b = fx.bundle.to_str().unwrap().to_string();
    let (init_pid, exec_pid) = (format!("{b}/init.pid"), format!("{b}/exec.pid"));
    let (s1, s2) = (fx.dir.join("c1.sock"), fx.dir.join("c2.sock"));
    let (sock1, sock2) = (ConsoleSocket::bind(&s1), ConsoleSocket::bind(&s2));

    let mut create = fx.command(&global);
    create.args(["create", "--bundle", &b, "--pid-file", &init_pid]);
    create.args(["--console-socket", s1.to_str().unwrap(), &fx.id]);
    fx.run_to_files(create).assert_exit(0);
    let init = fx.read_pid_file(&init_pid.clone().into());
    let mut pty1 = PtyReader::new(sock1.receive(T).1);
    call(&["start", &fx.id]).assert_exit(0);
    pty1.send("echo started\n");
    pty1.line("started", T);

    let process = fx.dir.join("process.json");
    fs::write(
        &process,
        r#"{"terminal": true, "user": {"uid": 0, "gid": 0}, "args": ["/probe", "tty-shell"],
            "env": ["PATH=/bin"], "cwd": "/"}"#,
    )
    .unwrap();
    let exec = call(&[
        "exec",
        "--process",
        process.to_str().unwrap(),
        "--detach",
        "--pid-file",
        &exec_pid,
        "--console-socket",
        s2.to_str().unwrap(),
        &fx.id,
    ]);
    exec.assert_exit(0);
    let execd = fx.read_pid_file(&exec_pid.clone().into());
    let mut pty2 = PtyReader::new(sock2.receive(T).1);
    pty2.send("tty\n");
    assert!(pty2.line("tty=", T).starts_with("tty=/dev/pts/"));

    let ps = call(&["ps", "--format", "json", &fx.id]);
    ps.assert_exit(0);
    let mut want = [init, execd];
    want.sort();
    assert_eq!(
        ps.stdout,
        format!("[{},{}]\n", want[0], want[1]),
        "only the pids"
    );
    assert_eq!(ps.stderr, "", "nothing on stderr");

    call(&["pause", &fx.id]).assert_exit(0);
    let st = call(&["state", &fx.id]);
    assert_eq!(
        text(&json::from_str(&st.stdout).unwrap(), "status"),
        "paused"
    );
    call(&["resume", &fx.id]).assert_exit(0);
    pty2.send("echo thawed\n");
    pty2.line("thawed", T);

    call(&["kill", "--all", &fx.id, "9"]).assert_exit(0);
    // The exec'd process first: the init (pid 1 of its namespace) finishes dying
    // only once every process of the namespace has been reaped.
    for pid in [execd, init] {
        let st = fx.reap(pid).expect("the shim reaps both");
        assert_eq!(st & 0x7f, 9, "pid {pid}: wait status {st:#x}");
    }
    call(&["delete", &fx.id]).assert_exit(0);
    call(&["delete", "--force", &fx.id]).assert_exit(0);
    let logged = fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(logged, "", "errors logged on a clean run");

    // An error: one JSON line, logrus's keys, the message the shim shows.
    let failed = call(&["start", &fx.id]);
    failed.assert_exit(1);
    let logged = fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = logged.lines().collect();
    assert_eq!(lines.len(), 1, "{logged}");
    let v: Value = json::from_str(lines[0]).expect("a JSON line");
    assert_eq!(text(&v, "level"), "error");
    assert_eq!(
        format!("runlet: {}\n", text(&v, "msg")),
        failed.stderr,
        "the log says what stderr says"
    );
    let time = text(&v, "time");
    assert!(time.len() >= 20 && time.ends_with('Z'), "{time}");
    assert!(
        lines[0].starts_with(r#"{"level":"error","msg":"#),
        "keys sorted: {}",
        lines[0]
    );
    assert_gone(&fx);
}

#[test]
fn delete_force_of_a_gone_id_needs_no_log_directory() {
    let fx = fixture!("cd-gone");
    let _serial = subreaper();
    let missing = fx.dir.join("no-such-dir");
    let log = missing.join("log.json");
    let out = fx.runlet(&[
        "--log",
        log.to_str().unwrap(),
        "--log-format",
        "json",
        "delete",
        "--force",
        &fx.id,
    ]);
    out.assert_exit(0);
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    assert!(!missing.exists(), "the log's directory was made");
    // A failing command with the directory missing still fails cleanly.
    let out = fx.runlet(&["--log", log.to_str().unwrap(), "delete", &fx.id]);
    out.assert_error(&["does not exist"]);
    assert!(!missing.exists());
    // A bad option of the command is logged too (the globals before it parsed).
    let log = fx.dir.join("log.json");
    let out = fx.runlet(&[
        "--log",
        log.to_str().unwrap(),
        "--log-format",
        "json",
        "kill",
        "--bogus",
        &fx.id,
    ]);
    out.assert_error(&["kill: unknown option --bogus"]);
    let logged = fs::read_to_string(&log).unwrap();
    let v: Value = json::from_str(logged.trim_end()).expect("one JSON line");
    assert_eq!(text(&v, "msg"), "kill: unknown option --bogus");
}

extern "C" {
    fn dup2(old: i32, new: i32) -> i32;
    fn fcntl(fd: i32, cmd: i32, ...) -> i32;
}

/// `cmd` with `files` on fds 3, 4, … (as podman hands them over).
fn with_fds(cmd: &mut Command, files: Vec<File>) {
    let raw: Vec<i32> = files.iter().map(|f| f.as_raw_fd()).collect();
    // SAFETY: only fcntl and dup2 run between fork and exec; `files` stay open in
    // the parent (moved into the closure) until the Command is dropped.
    unsafe {
        cmd.pre_exec(move || {
            let _keep = &files;
            const F_DUPFD_CLOEXEC: i32 = 1030;
            let high: Vec<i32> = raw
                .iter()
                .map(|&fd| fcntl(fd, F_DUPFD_CLOEXEC, 100))
                .collect();
            for (i, fd) in high.into_iter().enumerate() {
                if fd < 0 || dup2(fd, 3 + i as i32) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

fn files(fx: &Fixture, texts: &[&str]) -> Vec<File> {
    texts
        .iter()
        .map(|t| {
            let p = fx.dir.join(format!("fd-{t}"));
            File::create(&p).unwrap().write_all(t.as_bytes()).unwrap();
            File::open(&p).unwrap()
        })
        .collect()
}

fn output(mut cmd: Command) -> String {
    cmd.stdin(Stdio::null());
    let out = cmd.output().expect("run runlet");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?}: {:?}\n{text}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn preserve_fds_and_listen_fds_reach_the_process() {
    let mut fx = fixture!("cd-fds");
    let _serial = subreaper();
    fx.spec.probe(&["read-fds", "2"]);
    fx.prepare();
    let mut run = fx.command(&["run", "--preserve-fds", "2", "--bundle"]);
    run.arg(&fx.bundle).arg(&fx.id);
    with_fds(&mut run, files(&fx, &["alpha", "beta"]));
    let out = output(run);
    for want in ["fd3=alpha", "fd4=beta", "LISTEN_FDS=unset", "fdnext=closed"] {
        assert!(out.lines().any(|l| l == want), "no {want}:\n{out}");
    }
    assert_gone(&fx);

    // Socket activation: LISTEN_FDS for runlet's own pid; those fds come first.
    let line = format!(
        "LISTEN_PID=$$ LISTEN_FDS=1 exec {} --root {} run --preserve-fds 1 --bundle {} {}",
        fx.command::<&str>(&[]).get_program().to_str().unwrap(),
        fx.root.display(),
        fx.bundle.display(),
        fx.id
    );
    let mut sh = Command::new("/bin/sh");
    sh.args(["-c", &line]);
    with_fds(&mut sh, files(&fx, &["listen", "kept"]));
    let out = output(sh);
    for want in ["fd3=listen", "fd4=kept", "LISTEN_FDS=1", "fdnext=closed"] {
        assert!(out.lines().any(|l| l == want), "no {want}:\n{out}");
    }
    assert_gone(&fx);

    // exec --preserve-fds into a running container.
    fx.spec.probe(&["wait-signal"]);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    let init = fx.read_pid_file(&pid_file);
    fx.runlet(&["start", &fx.id]).assert_exit(0);
    let mut exec = fx.command(&[
        "exec",
        "--preserve-fds",
        "1",
        &fx.id,
        "/probe",
        "read-fds",
        "1",
    ]);
    with_fds(&mut exec, files(&fx, &["gamma"]));
    let out = output(exec);
    assert!(out.lines().any(|l| l == "fd3=gamma"), "{out}");
    assert!(out.lines().any(|l| l == "fdnext=closed"), "{out}");
    // An fd that is not open is named.
    let out = fx.runlet(&[
        "exec",
        "--preserve-fds",
        "40",
        &fx.id,
        "/probe",
        "read-fds",
        "1",
    ]);
    out.assert_error(&["--preserve-fds 40: fd"]);
    fx.runlet(&["kill", &fx.id, "KILL"]).assert_exit(0);
    fx.reap(init);
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    assert_gone(&fx);
}
