//! `process.terminal`: the pty made inside the container, its master sent over a
//! console socket (create, exec, as containerd's shim and conmon receive it), or
//! relayed by a foreground `runlet run`/`exec` itself (under script(1), and through
//! pipes); `process.consoleSize` and window-size changes; runc's rules.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runlet_tests::console::{set_winsize, ConsoleSocket, PtyReader};
use runlet_tests::fixture;
use runlet_tests::harness::Fixture;
use runlet_tests::harness::{assert_gone, subreaper};
use runlet_tests::sys;

const T: Duration = Duration::from_secs(20);

fn tty_spec(fx: &mut Fixture) {
    fx.spec.probe(&["tty-shell"]);
    fx.spec.terminal = true;
    fx.spec.extra_process.push((
        "consoleSize".into(),
        r#"{"height": 30, "width": 100}"#.into(),
    ));
}

/// Runs `cmd` with `input` on a pipe kept open until it exits (within `T`), or
/// closed after the input with `close`; its exit code and stdout. Orphans it leaves
/// to the test (a subreaper) are reaped.
fn run_with_input(mut cmd: Command, input: &str, close: bool) -> (i32, String) {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let mut stdin = child.stdin.take();
    stdin.as_mut().unwrap().write_all(input.as_bytes()).unwrap();
    if close {
        stdin = None;
    }
    let end = Instant::now() + T;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > end {
            let _ = child.kill();
            panic!("{cmd:?} still running after {T:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr);
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("killed: {text} {err}"));
    reap_orphans();
    (code, format!("{text}\n--- stderr ---\n{err}"))
}

/// Zombies left to the test as subreaper (script(1)'s children outlive it).
fn reap_orphans() {
    let me = std::process::id().to_string();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let f: Vec<&str> = rest.split(' ').collect();
        if f.len() > 1 && f[0] == "Z" && f[1] == me {
            if let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() {
                sys::reap_child(pid, T);
            }
        }
    }
}

#[test]
fn console_socket_gets_the_master_of_the_containers_pty() {
    let mut fx = fixture!("tty-sock");
    let _serial = subreaper();
    tty_spec(&mut fx);
    let sock_path = fx.dir.join("console.sock");
    let sock = ConsoleSocket::bind(&sock_path);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&[
        "--console-socket",
        sock_path.to_str().unwrap(),
        "--pid-file",
        pid_file.to_str().unwrap(),
    ])
    .assert_exit(0);
    let pid = fx.read_pid_file(&pid_file);
    let (name, master) = sock.receive(T);
    assert_eq!(name, "/dev/ptmx", "the name runc sends with the master");
    fx.runlet(&["start", &fx.id]).assert_exit(0);
    let mut pty = PtyReader::new(master);
    pty.send("tty\nsize\nctty\n");
    let tty = pty.line("tty=", T);
    assert!(tty.starts_with("tty=/dev/pts/"), "{tty}");
    assert_eq!(pty.line("size=", T), "size=30 100", "process.consoleSize");
    assert_eq!(pty.line("ctty=", T), "ctty=yes", "the controlling terminal");
    set_winsize(pty.master(), 40, 120);
    pty.send("size\necho hi\nexit 7\n");
    assert_eq!(pty.line("size=", T), "size=40 120", "a window-size change");
    assert_eq!(pty.line("hi", T), "hi");
    let status = fx.reap(pid).expect("the init is the test's child");
    assert_eq!(
        status >> 8 & 0xff,
        7,
        "exit status 7 (wait status {status:#x})"
    );
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    assert_gone(&fx);
}

#[test]
fn exec_with_a_console_socket() {
    let mut fx = fixture!("tty-exec");
    let _serial = subreaper();
    fx.spec.probe(&["wait-signal"]);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    let init = fx.read_pid_file(&pid_file);
    fx.runlet(&["start", &fx.id]).assert_exit(0);
    fx.wait_output("ready");
    let sock_path = fx.dir.join("exec.sock");
    let sock = ConsoleSocket::bind(&sock_path);
    let exec_pid = fx.dir.join("exec.pid");
    fx.runlet(&[
        "exec",
        "-t",
        "-d",
        "--console-socket",
        sock_path.to_str().unwrap(),
        "--pid-file",
        exec_pid.to_str().unwrap(),
        &fx.id,
        "/probe",
        "tty-shell",
    ])
    .assert_exit(0);
    let pid = fx.read_pid_file(&exec_pid);
    let (_, master) = sock.receive(T);
    let mut pty = PtyReader::new(master);
    pty.send("tty\nctty\nexit 3\n");
    assert!(pty.line("tty=", T).starts_with("tty=/dev/pts/"));
    assert_eq!(pty.line("ctty=", T), "ctty=yes");
    let status = fx
        .reap(pid)
        .expect("the exec'd process is the test's child");
    assert_eq!(
        status >> 8 & 0xff,
        3,
        "exit status 3 (wait status {status:#x})"
    );
    fx.runlet(&["kill", &fx.id, "KILL"]).assert_exit(0);
    fx.reap(init);
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    assert_gone(&fx);
}

#[test]
fn foreground_run_under_script_relays_the_terminal() {
    let mut fx = fixture!("tty-script");
    let _serial = subreaper();
    if Command::new("script").arg("--version").output().is_err() {
        runlet_tests::missing!("no script(1): install bsdutils (.ci/run does)");
    }
    tty_spec(&mut fx);
    fx.prepare();
    let line = format!(
        "{} --root {} run --bundle {} {}",
        fx.command::<&str>(&[]).get_program().to_str().unwrap(),
        fx.root.display(),
        fx.bundle.display(),
        fx.id
    );
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"]);
    let (code, out) = run_with_input(cmd, "tty\necho hi\nexit 7\n", false);
    assert_eq!(
        code, 7,
        "the container's status through runlet and script\n{out}"
    );
    assert!(out.lines().any(|l| l.trim_end() == "hi"), "{out}");
    assert!(out.contains("tty=/dev/pts/"), "{out}");
    assert_gone(&fx);

    // The caller's window size reaches the pty (over consoleSize), and its terminal
    // settings are as they were once runlet has exited (raw mode undone).
    let shell =
        format!("stty rows 33 cols 77; stty -g; {line}; echo status=$?; stty -g; stty size");
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &shell, "/dev/null"]);
    let (code, out) = run_with_input(cmd, "size\nexit 3\n", false);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("size=33 77"), "{out}");
    assert!(out.lines().any(|l| l.trim_end() == "status=3"), "{out}");
    let modes: Vec<&str> = out
        .lines()
        .map(str::trim_end)
        .filter(|l| l.split(':').count() > 30)
        .collect();
    assert_eq!(modes.len(), 2, "two `stty -g` lines\n{out}");
    assert_eq!(modes[0], modes[1], "terminal settings restored\n{out}");
    assert!(out.lines().any(|l| l.trim_end() == "33 77"), "{out}");
    assert_gone(&fx);
}

#[test]
fn foreground_run_and_exec_relay_through_pipes() {
    let mut fx = fixture!("tty-pipe");
    let _serial = subreaper();
    tty_spec(&mut fx);
    fx.prepare();
    // Not a terminal on runlet's side: no raw mode; EOF goes through as ^D.
    let (code, out) = run_with_input(fx.run_command(), "size\necho hi\nexit 5\n", false);
    assert_eq!(code, 5, "{out}");
    assert!(out.contains("size=30 100"), "{out}");
    assert!(out.lines().any(|l| l.trim_end() == "hi"), "{out}");
    let (code, out) = run_with_input(fx.run_command(), "echo bye\n", true);
    assert_eq!(code, 0, "EOF ends the shell\n{out}");
    assert_gone(&fx);

    fx.spec.terminal = false;
    fx.spec.probe(&["wait-signal"]);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    let init = fx.read_pid_file(&pid_file);
    fx.runlet(&["start", &fx.id]).assert_exit(0);
    let exec = fx.command(&["exec", "-t", &fx.id, "/probe", "tty-shell"]);
    let (code, out) = run_with_input(exec, "tty\nexit 4\n", false);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("tty=/dev/pts/"), "{out}");
    fx.runlet(&["kill", &fx.id, "KILL"]).assert_exit(0);
    fx.reap(init);
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    assert_gone(&fx);
}

#[test]
fn runc_rules_for_terminals_and_console_sockets() {
    let mut fx = fixture!("tty-rules");
    let _serial = subreaper();
    tty_spec(&mut fx);
    fx.create(&[]).assert_error(&[
        "cannot allocate tty if runlet will detach without setting console socket",
    ]);
    fx.spec.terminal = false;
    let s = fx.dir.join("unused.sock");
    fx.create(&["--console-socket", s.to_str().unwrap()])
        .assert_error(&["cannot use console socket if runlet will not detach or allocate tty"]);
    fx.spec.terminal = true;
    fx.create(&["--console-socket", "/nonexistent/console.sock"])
        .assert_error(&["connect console socket /nonexistent/console.sock"]);
    assert_gone(&fx);
}
