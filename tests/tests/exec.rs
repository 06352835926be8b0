//! `runlet exec` against real containers: the exec'd probe sees what the init sees
//! (namespaces, root, hostname, cgroup), exit status and signals come back, options
//! and `--process` take effect, `--detach` with `--pid-file`, errors for a stopped
//! container, a reused pid and an unknown ID, exactly fds 0-2, and 200 execs that
//! leave nothing behind.
//!
//! The test process is a child subreaper (as containerd's shim is), and the tests of
//! this file run one at a time (see `subreaper`).

use std::fs;
use std::os::unix::process::CommandExt;

use runlet_tests::fixture;
use runlet_tests::harness::subreaper;
use runlet_tests::harness::{spawn, stray_zombie_children, Fixture};
use runlet_tests::sys;

/// `runlet exec <opts...> ID <args...>`.
fn exec(fx: &Fixture, opts: &[&str], args: &[&str]) -> runlet_tests::harness::Outcome {
    let mut v = vec!["exec"];
    v.extend(opts);
    v.push(&fx.id);
    v.extend(args);
    fx.runlet(&v)
}

/// Kills the container, reaps its init and checks nothing is left.
fn finish(fx: &Fixture, init: u32) {
    fx.runlet(&["delete", "--force", &fx.id]).assert_exit(0);
    fx.reap(init);
    let leaks = fx.leaks();
    assert!(leaks.is_empty(), "left behind:\n  {}", leaks.join("\n  "));
}

fn ns_of(pid: u32, typ: &str) -> String {
    fs::read_link(format!("/proc/{pid}/ns/{typ}"))
        .unwrap_or_else(|e| panic!("readlink /proc/{pid}/ns/{typ}: {e}"))
        .to_string_lossy()
        .into_owned()
}

/// Mount points of a process, as it sees them (relative to its own root).
fn mount_points(pid: u32) -> Vec<String> {
    let text = fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap();
    text.lines()
        .filter_map(|l| l.split(' ').nth(4).map(String::from))
        .collect()
}

#[test]
fn the_process_sees_what_the_init_sees() {
    let mut fx = fixture!("ex-same");
    let _serial = subreaper();
    fx.prepare();
    fs::write(fx.rootfs().join("marker"), &fx.id).unwrap();
    let init = fx.running(&["sleep", "300"]);
    let r = exec(&fx, &[], &["/probe", "report", "--cat", "/marker"]).report();
    for typ in ["pid", "net", "ipc", "uts", "mnt", "cgroup", "user", "time"] {
        assert_eq!(
            r.ns(typ).as_deref(),
            Some(ns_of(init, typ).as_str()),
            "{typ} namespace\n{}",
            r.dump()
        );
    }
    // Inside the init's PID namespace, where the init is 1.
    assert!(r.num("pid") > 1, "{}", r.dump());
    assert_eq!(r.num("ppid"), 0, "the parent is outside the namespace");
    assert_eq!(r.must("hostname"), "runlet");
    assert_eq!(r.answer("cat", "/marker"), format!("ok {}", fx.id));
    assert_eq!(r.must("cwd"), "/");
    let mut theirs: Vec<String> = r.mounts().iter().map(|m| m.point.clone()).collect();
    let mut ours = mount_points(init);
    theirs.sort();
    ours.sort();
    assert_eq!(
        theirs, ours,
        "mount points of the exec'd process and of the init"
    );
    // Inside the container's cgroup namespace, at its root in every hierarchy, as
    // the init is; the host's view of both follows.
    let cgroups = r.all("cgroup");
    assert!(
        !cgroups.is_empty() && cgroups.iter().all(|c| c.ends_with(":/")),
        "{cgroups:?}"
    );
    let host_cg = |pid: u32| fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    assert!(host_cg(init).contains(&fx.id), "{}", host_cg(init));
    // The process's own cgroup files, read from the host while it runs.
    let out = exec(
        &fx,
        &["-d", "--pid-file", fx.dir.join("p").to_str().unwrap()],
        &["/probe", "sleep", "300"],
    );
    out.assert_exit(0);
    let pid = fx.read_pid_file(&fx.dir.join("p"));
    assert_eq!(
        host_cg(pid),
        host_cg(init),
        "cgroups of exec'd {pid} and init {init}"
    );
    sys::send_signal(pid, 9).unwrap();
    fx.reap(pid)
        .expect("the detached process came to the test as subreaper");
    finish(&fx, init);
}

#[test]
fn exit_status_and_signals_come_back() {
    let mut fx = fixture!("ex-status");
    let _serial = subreaper();
    let init = fx.running(&["sleep", "300"]);
    exec(&fx, &[], &["/probe", "exit", "7"]).assert_exit(7);
    exec(&fx, &[], &["/probe", "exit", "0"]).assert_exit(0);
    // Killed by a signal: 128+N, as a shell reports it.
    exec(&fx, &[], &["/probe", "kill-self", "9"]).assert_exit(137);
    // A signal runlet gets goes on to the process.
    for sig in [15, 2, 1] {
        let mut cmd = fx.command(&["exec", &fx.id, "/probe", "wait-signal"]);
        cmd.stdin(std::process::Stdio::null());
        let mut r = spawn(cmd);
        r.wait_line(|l| l == "ready");
        r.signal(sig);
        let out = r.wait();
        out.assert_exit(0);
        assert!(
            out.stdout.contains(&format!("signal={sig}")),
            "{}",
            out.context()
        );
    }
    finish(&fx, init);
}

#[test]
fn env_cwd_user_and_groups() {
    let mut fx = fixture!("ex-opts");
    let _serial = subreaper();
    let init = fx.running(&["sleep", "300"]);
    let env_file = fx.dir.join("env");
    fs::write(&env_file, "# a comment\nFROM_FILE=1\nFOO=file\n\n").unwrap();
    let r = exec(
        &fx,
        &[
            "--env-file",
            env_file.to_str().unwrap(),
            "-e",
            "FOO=bar",
            "--env=BAZ=qux",
            "--cwd",
            "/tmp",
            "-u",
            "1000:1001",
            "--additional-gids",
            "5",
            "-g",
            "6",
        ],
        &["/probe", "report"],
    )
    .report();
    assert_eq!(
        r.env_var("FOO").as_deref(),
        Some("bar"),
        "-e after --env-file wins"
    );
    assert_eq!(r.env_var("BAZ").as_deref(), Some("qux"));
    assert_eq!(r.env_var("FROM_FILE").as_deref(), Some("1"));
    // The container's own environment is kept.
    assert!(r.env_var("PATH").is_some(), "{}", r.dump());
    assert_eq!(r.must("cwd"), "/tmp");
    assert_eq!((r.num("uid"), r.num("euid")), (1000, 1000));
    assert_eq!((r.num("gid"), r.num("egid")), (1001, 1001));
    assert_eq!(r.groups(), [5, 6]);
    // Only the uid: the gid stays the container's.
    let r = exec(&fx, &["-u", "42"], &["/probe", "report"]).report();
    assert_eq!((r.num("uid"), r.num("gid")), (42, 0));
    // A cwd that does not exist in the container is an error, not a guess.
    exec(&fx, &["--cwd", "/nope"], &["/probe", "noop"])
        .assert_error(&["chdir to cwd /nope", "No such file or directory"]);
    exec(&fx, &["-u", "root"], &["/probe", "noop"]).assert_error(&["--user", "root"]);
    exec(&fx, &["-e", "NOEQUALS"], &["/probe", "noop"]).assert_error(&["NAME=value"]);
    finish(&fx, init);
}

#[test]
fn a_process_json_file() {
    let mut fx = fixture!("ex-process");
    let _serial = subreaper();
    let init = fx.running(&["sleep", "300"]);
    let file = fx.dir.join("process.json");
    fs::write(
        &file,
        r#"{"terminal":false,"user":{"uid":7,"gid":8,"additionalGids":[9]},
            "args":["/probe","report"],"env":["ONLY=this"],"cwd":"/tmp",
            "noNewPrivileges":true,
            "rlimits":[{"type":"RLIMIT_NOFILE","hard":77,"soft":66}]}"#,
    )
    .unwrap();
    let r = exec(&fx, &["--process", file.to_str().unwrap()], &[]).report();
    assert_eq!((r.num("uid"), r.num("gid")), (7, 8));
    assert_eq!(r.groups(), [9]);
    assert_eq!(r.env(), [("ONLY".to_string(), "this".to_string())]);
    assert_eq!(r.must("cwd"), "/tmp");
    assert_eq!(r.must("no_new_privs"), "1");
    assert_eq!(r.rlimit("NOFILE"), (66, 77));
    // Bad files say what is wrong, and nothing runs.
    fs::write(&file, r#"{"args":"/probe","cwd":"/"}"#).unwrap();
    exec(&fx, &["-p", file.to_str().unwrap()], &[]).assert_error(&["process.args"]);
    let env: Vec<String> = (0..5000).map(|i| format!("\"V{i}=1\"")).collect();
    fs::write(
        &file,
        format!(
            r#"{{"args":["/probe"],"cwd":"/","env":[{}]}}"#,
            env.join(",")
        ),
    )
    .unwrap();
    exec(&fx, &["-p", file.to_str().unwrap()], &[])
        .assert_error(&["process.env has 5000 entries; runlet-exec holds at most 4096"]);
    exec(&fx, &["-p", file.to_str().unwrap()], &["/probe"])
        .assert_error(&["--process and a command line exclude each other"]);
    finish(&fx, init);
}

#[test]
fn detached_with_a_pid_file() {
    let mut fx = fixture!("ex-detach");
    let _serial = subreaper();
    let init = fx.running(&["sleep", "300"]);
    let pid_file = fx.dir.join("exec.pid");
    let mut cmd = fx.command(&["exec", "-d", "--pid-file", pid_file.to_str().unwrap()]);
    cmd.arg(&fx.id).args(["/probe", "wait-signal"]);
    fx.run_to_files(cmd).assert_exit(0);
    let pid = fx.read_pid_file(&pid_file);
    fx.wait_output("ready");
    // runlet is gone; the process runs on, in the container.
    assert_eq!(ns_of(pid, "pid"), ns_of(init, "pid"));
    assert_eq!(ns_of(pid, "mnt"), ns_of(init, "mnt"));
    sys::send_signal(pid, 15).unwrap();
    assert_eq!(fx.wait_output("signal="), "signal=15");
    assert_eq!(
        fx.reap(pid),
        Some(0),
        "the detached process came to the test as subreaper"
    );
    finish(&fx, init);
}

#[test]
fn errors_leave_nothing_behind() {
    let mut fx = fixture!("ex-errors");
    let _serial = subreaper();
    let init = fx.running(&["sleep", "300"]);
    exec(&fx, &[], &["/nope"]).assert_error(&["exec /nope: No such file or directory"]);
    exec(&fx, &[], &["nope-in-path"])
        .assert_error(&["exec nope-in-path: No such file or directory"]);
    fx.runlet(&["exec", "no-such-container", "/probe"])
        .assert_error(&["container no-such-container does not exist"]);
    fx.runlet(&["exec", &fx.id])
        .assert_error(&["missing the command"]);
    fx.runlet(&["exec", "-t", "-d", &fx.id, "/probe"])
        .assert_error(&[
            "cannot allocate tty if runlet will detach without setting console socket",
        ]);

    // A pid whose start time changed belongs to another process now.
    let file = fx.state_dir().join("state.json");
    let saved = fs::read_to_string(&file).unwrap();
    let start = fs::read_to_string(format!("/proc/{init}/stat")).unwrap();
    let start: u64 = start
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .nth(19)
        .unwrap()
        .parse()
        .unwrap();
    let stale = saved.replace(
        &format!("\"runletStartTime\":{start}"),
        &format!("\"runletStartTime\":{}", start + 1),
    );
    assert_ne!(stale, saved);
    fs::write(&file, &stale).unwrap();
    exec(&fx, &[], &["/probe", "noop"]).assert_error(&[
        "cannot exec in a stopped container",
        "belongs to another process",
    ]);
    fs::write(&file, &saved).unwrap();
    assert!(stray_zombie_children().is_empty());

    // A stopped container.
    fx.runlet(&["kill", &fx.id, "KILL"]).assert_exit(0);
    fx.reap(init);
    exec(&fx, &[], &["/probe", "noop"]).assert_error(&["cannot exec in a stopped container"]);
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    let leaks = fx.leaks();
    assert!(leaks.is_empty(), "left behind:\n  {}", leaks.join("\n  "));
}

/// fd 7 is left open (not close-on-exec) in runlet by the test: nothing of the
/// caller's beyond stdio reaches the process.
#[test]
fn only_fds_0_1_2_reach_the_process() {
    let mut fx = fixture!("ex-fds");
    let _serial = subreaper();
    let init = fx.running(&["sleep", "300"]);
    let leak = fs::File::open("/dev/null").unwrap();
    let mut cmd = fx.command(&["exec", &fx.id, "/probe", "report"]);
    use std::os::fd::AsRawFd;
    let raw = leak.as_raw_fd();
    // SAFETY: dup2 is async-signal-safe; both fds are valid in the child.
    unsafe {
        cmd.pre_exec(move || {
            if libc_dup2(raw, 7) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = spawn(cmd).wait();
    let r = out.report();
    assert_eq!(r.fds(), [0, 1, 2], "{}", r.dump());
    finish(&fx, init);
}

fn libc_dup2(from: i32, to: i32) -> i32 {
    extern "C" {
        fn dup2(old: i32, new: i32) -> i32;
    }
    // SAFETY: plain integer arguments.
    unsafe { dup2(from, to) }
}

/// The fds a process holds, with what they point to.
fn fds_of(pid: u32) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .map(|e| {
            let target = fs::read_link(e.path()).unwrap_or_default();
            format!("{} {}", e.file_name().to_string_lossy(), target.display())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn two_hundred_execs_leave_nothing_behind() {
    let mut fx = fixture!("ex-loop");
    let _serial = subreaper();
    let init = fx.running(&["sleep", "300"]);
    // Processes in the container's cgroup (the first hierarchy).
    let procs = |fx: &Fixture| -> Vec<u32> {
        let dir = &fx.cgroup_dirs()[0];
        let text = fs::read_to_string(dir.join("cgroup.procs")).unwrap();
        text.lines().map(|l| l.trim().parse().unwrap()).collect()
    };
    // runlet itself ends with each exec; what lives on is the container's init.
    let before = (fds_of(init), procs(&fx));
    assert_eq!(before.1, [init]);
    for i in 0..200 {
        let out = exec(&fx, &[], &["/probe", "noop"]);
        assert_eq!(out.code, Some(0), "exec {i}\n{}", out.context());
    }
    assert_eq!(
        procs(&fx),
        [init],
        "only the init is left in the container's cgroup"
    );
    assert_eq!(fds_of(init), before.0, "fds of the container's init");
    assert!(stray_zombie_children().is_empty(), "zombies");
    assert!(
        runlet_tests::harness::processes_rooted_at(&fx.rootfs()) == [init],
        "processes with the container's root: {:?}",
        runlet_tests::harness::processes_rooted_at(&fx.rootfs())
    );
    finish(&fx, init);
}

/// A container in the host's PID namespace, and one that is only created: exec works
/// in both (runc allows exec before start too).
#[test]
fn host_pid_namespace_and_a_created_container() {
    let mut fx = fixture!("ex-hostpid");
    let _serial = subreaper();
    fx.spec.remove_namespace("pid");
    fx.spec.probe(&["sleep", "300"]);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    let init = fx.read_pid_file(&pid_file);
    // Created: the init waits for start; its namespaces are all there.
    let r = exec(&fx, &[], &["/probe", "report"]).report();
    assert_eq!(r.ns("mnt").as_deref(), Some(ns_of(init, "mnt").as_str()));
    // The host's PID namespace: the probe sees host pids, and its parent is runlet
    // (its subreaper once runlet-exec exited), not 0 as from inside a PID namespace.
    assert_eq!(r.ns("pid").as_deref(), Some(ns_of(init, "pid").as_str()));
    assert!(r.num("pid") > 1 && r.num("ppid") > 1, "{}", r.dump());
    assert_eq!(
        fx.container_out(),
        "",
        "the init's program ran before start"
    );
    exec(&fx, &[], &["/probe", "exit", "5"]).assert_exit(5);
    finish(&fx, init);
}

#[test]
fn an_exec_is_filtered_by_the_container_s_seccomp_profile() {
    let mut fx = fixture!("ex-seccomp");
    let _serial = subreaper();
    for nnp in [true, false] {
        fx.spec.no_new_privileges = nnp;
        fx.spec.extra_linux = vec![(
            "seccomp".into(),
            r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],
                "syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#
                .into(),
        )];
        let init = fx.running(&["sleep", "300"]);
        let out = exec(&fx, &[], &["/probe", "mkdir", "/dev/exec-sc"]);
        out.assert_exit(0);
        assert!(
            out.stdout.contains("mkdir=errno 1") && out.stdout.contains("after=ok"),
            "no_new_privileges={nnp}: the exec'd mkdir was not denied\n{}",
            out.context()
        );
        let st = exec(&fx, &[], &["/probe", "report"]);
        assert!(
            st.stdout.contains("Seccomp=2"),
            "no filter in an exec'd process\n{}",
            st.context()
        );
        finish(&fx, init);
    }
}
