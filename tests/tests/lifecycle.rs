//! The lifecycle commands against real containers: create → start → state → kill →
//! delete, run -d, list, ps, kill --all, stale pids, concurrent creates, spec,
//! features, JSON logs, and the call sequence of containerd's runc shim.
//!
//! The test process is a child subreaper (as the shim is): the inits `create` leaves
//! behind become its children, and each test reaps the ones it ends.

use std::fs;

use miniserde::json::{self, Value};
use runlet_tests::fixture;
use runlet_tests::harness::{assert_gone, subreaper, Fixture};

#[path = "support/json.rs"]
mod support_json;
use support_json::{field, int, parse, text};

/// `runlet state ID`, parsed; checks the fields every state must have.
fn state(fx: &Fixture) -> Value {
    let out = fx.runlet(&["state", &fx.id]);
    out.assert_exit(0);
    let v = parse(&out.stdout);
    assert_eq!(text(&v, "id"), fx.id);
    assert_eq!(text(&v, "bundle"), fx.bundle.to_str().unwrap());
    assert!(!text(&v, "ociVersion").is_empty());
    let created = text(&v, "created");
    assert!(
        created.len() >= 20 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "created is not RFC 3339: {created}"
    );
    v
}

fn status(fx: &Fixture) -> String {
    text(&state(fx), "status").to_string()
}

#[test]
fn create_start_kill_delete() {
    let mut fx = fixture!("lc-cycle");
    let _serial = subreaper();
    fx.spec.probe(&["wait-signal"]);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    let pid = fx.read_pid_file(&pid_file);

    let v = state(&fx);
    assert_eq!(text(&v, "status"), "created");
    assert_eq!(int(&v, "pid"), pid as i64);
    assert!(fx.state_dir().join("exec.fifo").exists());
    // The container's process has not run: the init waits on the exec FIFO.
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(fx.container_out(), "", "the probe ran before start");
    let st = fs::metadata(fx.state_dir()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(st.permissions().mode() & 0o777, 0o700, "state dir mode");

    fx.runlet(&["start", &fx.id]).assert_exit(0);
    fx.wait_output("ready");
    assert_eq!(status(&fx), "running");
    assert!(!fx.state_dir().join("exec.fifo").exists());
    fx.runlet(&["start", &fx.id])
        .assert_error(&["cannot start an already running container"]);

    fx.runlet(&["kill", &fx.id, "SIGTERM"]).assert_exit(0);
    assert_eq!(fx.wait_output("signal="), "signal=15");
    fx.reap(pid)
        .expect("the init came to the test as subreaper");
    let v = state(&fx);
    assert_eq!((text(&v, "status"), int(&v, "pid")), ("stopped", 0));
    fx.runlet(&["kill", &fx.id, "KILL"])
        .assert_error(&["container not running"]);
    fx.runlet(&["start", &fx.id])
        .assert_error(&["cannot start a container that has stopped"]);

    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    fx.runlet(&["state", &fx.id])
        .assert_error(&[&format!("container {} does not exist", fx.id)]);
    assert_gone(&fx);
}

#[test]
fn run_detached_with_pid_file() {
    let mut fx = fixture!("lc-run-d");
    let _serial = subreaper();
    fx.spec.probe(&["wait-signal"]);
    fx.prepare();
    let pid_file = fx.dir.join("pid");
    let mut cmd = fx.command(&["run", "-d", "--pid-file", pid_file.to_str().unwrap(), "-b"]);
    cmd.arg(&fx.bundle).arg(&fx.id);
    fx.run_to_files(cmd).assert_exit(0);
    let pid = fx.read_pid_file(&pid_file);
    fx.wait_output("ready");
    let v = state(&fx);
    assert_eq!(
        (text(&v, "status"), int(&v, "pid")),
        ("running", pid as i64)
    );
    // A running container is not deleted without --force.
    fx.runlet(&["delete", &fx.id])
        .assert_error(&["cannot delete container", "not stopped: running"]);
    fx.runlet(&["delete", "--force", &fx.id]).assert_exit(0);
    fx.reap(pid);
    assert_gone(&fx);
}

#[test]
fn list_and_ps_as_json() {
    let mut fx = fixture!("lc-list");
    let _serial = subreaper();
    fx.spec.probe(&["family", "2"]);
    // The host's PID namespace: ps lists host pids either way; here they match the
    // pids the probe itself sees.
    fx.spec.remove_namespace("pid");
    fx.create(&[]).assert_exit(0);
    let init = int(&state(&fx), "pid");
    fx.runlet(&["start", &fx.id]).assert_exit(0);
    let children = fx.wait_output("children=");
    fx.wait_output("ready");

    let out = fx.runlet(&["list", "--format", "json"]);
    out.assert_exit(0);
    let Value::Array(items) = parse(&out.stdout) else {
        panic!("list --format json is not an array: {}", out.stdout)
    };
    assert_eq!(items.len(), 1, "{}", out.stdout);
    assert_eq!(text(&items[0], "id"), fx.id);
    assert_eq!(text(&items[0], "status"), "running");
    assert_eq!(int(&items[0], "pid"), init);
    let quiet = fx.runlet(&["list", "-q"]);
    assert_eq!(quiet.stdout.trim(), fx.id);
    let table = fx.runlet(&["list"]);
    assert!(table.stdout.starts_with("ID "), "{}", table.stdout);
    assert!(table.stdout.contains(&fx.id), "{}", table.stdout);

    let out = fx.runlet(&["ps", "--format", "json", &fx.id]);
    out.assert_exit(0);
    let Value::Array(pids) = parse(&out.stdout) else {
        panic!("ps --format json is not an array: {}", out.stdout)
    };
    let mut got: Vec<i64> = pids
        .iter()
        .map(|p| match p {
            Value::Number(json::Number::U64(n)) => *n as i64,
            Value::Number(json::Number::I64(n)) => *n,
            _ => panic!("not a pid: {}", out.stdout),
        })
        .collect();
    got.sort();
    let mut want: Vec<i64> = children["children=".len()..]
        .split(',')
        .map(|p| p.parse().unwrap())
        .chain([init])
        .collect();
    want.sort();
    assert_eq!(got, want, "ps --format json");
    assert!(out.stderr.is_empty(), "ps wrote to stderr: {}", out.stderr);

    // --all reaches every process: TERM kills the children and the init alike
    // (in the host's PID namespace the init is not a namespace's PID 1).
    fx.runlet(&["kill", "--all", &fx.id, "TERM"]).assert_exit(0);
    for p in &want {
        fx.reap(*p as u32);
    }
    assert_eq!(status(&fx), "stopped");
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    assert_gone(&fx);
}

#[test]
fn a_reused_pid_reads_as_stopped() {
    let mut fx = fixture!("lc-stale");
    let _serial = subreaper();
    fx.spec.probe(&["sleep", "300"]);
    fx.create(&[]).assert_exit(0);
    let file = fx.state_dir().join("state.json");
    let saved = fs::read_to_string(&file).unwrap();
    let v = parse(&saved);
    let start = int(&v, "runletStartTime");
    let pid = int(&v, "pid");
    // The same pid with another start time: a process that reused the pid.
    let stale = saved.replace(
        &format!("\"runletStartTime\":{start}"),
        &format!("\"runletStartTime\":{}", start + 1),
    );
    assert_ne!(stale, saved);
    fs::write(&file, &stale).unwrap();
    let v = state(&fx);
    assert_eq!((text(&v, "status"), int(&v, "pid")), ("stopped", 0));
    fx.runlet(&["kill", &fx.id, "KILL"])
        .assert_error(&["container not running"]);
    assert!(
        fs::metadata(format!("/proc/{pid}")).is_ok(),
        "kill reached a process it should have taken for someone else"
    );
    // Back to the truth, and the container is removed as a created one.
    fs::write(&file, &saved).unwrap();
    assert_eq!(status(&fx), "created");
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    fx.reap(pid as u32);
    assert_gone(&fx);
}

#[test]
fn concurrent_creates_of_one_id() {
    let mut fx = fixture!("lc-race");
    let _serial = subreaper();
    fx.spec.probe(&["sleep", "300"]);
    fx.prepare();
    let outcomes: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut cmd = fx.command(&["create", "--bundle"]);
                    cmd.arg(&fx.bundle).arg(&fx.id);
                    fx.run_to_files(cmd)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won = outcomes.iter().filter(|o| o.code() == 0).count();
    assert_eq!(won, 1, "{outcomes:#?}");
    for o in outcomes.iter().filter(|o| o.code() != 0) {
        assert!(
            o.stderr.contains("container ID already exists"),
            "{}",
            o.context()
        );
    }
    let pid = int(&state(&fx), "pid");
    assert_eq!(status(&fx), "created");
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    fx.reap(pid as u32);
    assert_gone(&fx);
}

#[test]
fn a_failed_exec_is_reported_by_start() {
    let mut fx = fixture!("lc-badexec");
    let _serial = subreaper();
    // Executable, but not a program: execve fails with ENOEXEC only at start.
    let bad = fx.rootfs().join("bad");
    fs::write(&bad, "not a program\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&bad, fs::Permissions::from_mode(0o755)).unwrap();
    fx.spec.args(&["/bad"]);
    fx.create(&[]).assert_exit(0);
    let pid = int(&state(&fx), "pid");
    fx.runlet(&["start", &fx.id])
        .assert_error(&["exec /bad: Exec format error"]);
    fx.reap(pid as u32);
    assert_eq!(status(&fx), "stopped");
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    assert_gone(&fx);
}

#[test]
fn unknown_ids_and_bad_arguments() {
    let fx = fixture!("lc-errors");
    for args in [
        vec!["state", "nope"],
        vec!["start", "nope"],
        vec!["kill", "nope"],
        vec!["delete", "nope"],
        vec!["ps", "nope"],
    ] {
        fx.runlet(&args)
            .assert_error(&["container nope does not exist"]);
    }
    // delete --force of a container that is already gone succeeds (containerd calls
    // it twice).
    fx.runlet(&["delete", "--force", "nope"]).assert_exit(0);
    fx.runlet(&["state", "../etc"])
        .assert_error(&["invalid container id"]);
    fx.runlet(&["kill", "x", "SIGNOPE"])
        .assert_error(&["unknown signal \"SIGNOPE\""]);
    let empty = fx.runlet(&["list", "--format", "json"]);
    empty.assert_exit(0);
    assert_eq!(empty.stdout.trim(), "[]");
}

#[test]
fn json_log_lines_on_failure() {
    let fx = fixture!("lc-log");
    let log = fx.dir.join("log.json");
    let out = fx.runlet(&[
        "--log",
        log.to_str().unwrap(),
        "--log-format",
        "json",
        "state",
        "nope",
    ]);
    out.assert_error(&["does not exist"]);
    let text_ = fs::read_to_string(&log).unwrap();
    let last = text_.lines().last().expect("a log line");
    let v = parse(last);
    assert_eq!(text(&v, "level"), "error");
    assert_eq!(text(&v, "msg"), "container nope does not exist");
    assert!(text(&v, "time").ends_with('Z'), "{last}");
}

#[test]
fn containerd_shim_sequence() {
    let mut fx = fixture!("lc-shim");
    let _serial = subreaper();
    fx.spec.probe(&["wait-signal"]);
    let log = fx.dir.join("log.json");
    let pid_file = fx.bundle.join("init.pid");
    let logs = ["--log", log.to_str().unwrap(), "--log-format", "json"];
    let with_log =
        |args: &[&str]| -> Vec<String> { logs.iter().chain(args).map(|s| s.to_string()).collect() };
    fx.prepare();
    let mut cmd = fx.command(&with_log(&[
        "create",
        "--bundle",
        fx.bundle.to_str().unwrap(),
        "--pid-file",
        pid_file.to_str().unwrap(),
        &fx.id,
    ]));
    cmd.env_clear();
    fx.run_to_files(cmd).assert_exit(0);
    let pid = fx.read_pid_file(&pid_file);
    fx.runlet(
        &with_log(&["start", &fx.id])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .assert_exit(0);
    fx.wait_output("ready");
    let v = state(&fx);
    assert_eq!(
        (text(&v, "status"), int(&v, "pid")),
        ("running", pid as i64)
    );
    fx.runlet(
        &with_log(&["kill", &fx.id, "9"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .assert_exit(0);
    let status_ = fx.reap(pid).expect("init reaped by the shim");
    assert_eq!(status_ & 0x7f, 9, "killed by SIGKILL");
    assert_eq!(status(&fx), "stopped");
    fx.runlet(
        &with_log(&["delete", &fx.id])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .assert_exit(0);
    fx.runlet(
        &with_log(&["delete", "--force", &fx.id])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .assert_exit(0);
    let logged = fs::read_to_string(&log).unwrap_or_default();
    assert!(logged.is_empty(), "errors logged on a clean run: {logged}");
    assert_gone(&fx);
}

#[test]
fn spec_writes_a_config_runlet_runs() {
    let mut fx = fixture!("lc-spec");
    let _serial = subreaper();
    fx.write_config = false;
    let _ = fs::remove_file(fx.bundle.join("config.json"));
    fx.runlet(&["spec", "--bundle", fx.bundle.to_str().unwrap()])
        .assert_exit(0);
    let cfg = fx.bundle.join("config.json");
    let written = fs::read_to_string(&cfg).unwrap();
    let v = parse(&written);
    assert_eq!(text(field(&v, "root"), "path"), "rootfs");
    fs::write(&cfg, written.replace("\"sh\"", "\"/probe\", \"report\"")).unwrap();
    let r = fx.run().report();
    assert_eq!(r.must("hostname"), "runlet");
    fx.runlet(&["spec", "--bundle", fx.bundle.to_str().unwrap()])
        .assert_error(&["config.json exists"]);
}

#[test]
fn features_say_what_runlet_supports() {
    let fx = fixture!("lc-features");
    let out = fx.runlet(&["features"]);
    out.assert_exit(0);
    let v = parse(&out.stdout);
    assert_eq!(text(&v, "ociVersionMin"), "1.0.0");
    let linux = field(&v, "linux");
    let Value::Array(ns) = field(linux, "namespaces") else {
        panic!("namespaces")
    };
    let ns: Vec<&str> = ns
        .iter()
        .map(|n| match n {
            Value::String(s) => s.as_str(),
            _ => panic!("namespace name"),
        })
        .collect();
    assert_eq!(
        ns,
        ["cgroup", "ipc", "mount", "network", "pid", "uts", "user"]
    );
    let idmap = field(field(linux, "mountExtensions"), "idmap");
    assert!(matches!(field(idmap, "enabled"), Value::Bool(true)));
    let cg = field(linux, "cgroup");
    assert!(matches!(field(cg, "v1"), Value::Bool(true)));
    assert!(matches!(field(cg, "systemd"), Value::Bool(false)));
    let sc = field(linux, "seccomp");
    assert!(matches!(field(sc, "enabled"), Value::Bool(true)));
    let ops = json::to_string(field(sc, "operators"));
    assert!(ops.contains("\"SCMP_CMP_MASKED_EQ\""), "{ops}");
    let opts = json::to_string(field(&v, "mountOptions"));
    assert!(
        opts.contains("\"rbind\"") && opts.contains("\"rprivate\"") && opts.contains("\"idmap\""),
        "{opts}"
    );
}

#[test]
fn a_foreground_run_leaves_the_container_to_other_commands() {
    let mut fx = fixture!("lc-fg");
    let _serial = subreaper();
    fx.spec.probe(&["wait-signal"]);
    let mut run = fx.spawn();
    run.wait_line(|l| l == "ready");
    // `run` waits without holding the container's lock.
    assert_eq!(status(&fx), "running");
    fx.runlet(&["kill", &fx.id, "TERM"]).assert_exit(0);
    let out = fx.finish(run);
    out.assert_exit(0);
    assert!(out.stdout.contains("signal=15"), "{}", out.context());
}

#[test]
fn delete_removes_the_host_end_of_a_veth() {
    let mut fx = fixture!("lc-veth");
    let _serial = subreaper();
    // A joined netns outlives the init, and the pair with it: only delete removes it.
    let netns = fx.make_netns();
    fx.spec
        .join_namespace("network", netns.to_str().unwrap())
        .probe(&["sleep", "300"]);
    let host = format!("rl{}v", std::process::id() % 1_000_000);
    fx.spec.extra_top.push((
        "annotations".into(),
        format!(
            r#"{{"run.runlet.net.veth0.host-name": "{host}", "run.runlet.net.veth0.address": "10.199.250.2/24"}}"#
        ),
    ));
    let link = std::path::Path::new("/sys/class/net").join(&host);
    fx.create(&[]).assert_exit(0);
    assert!(link.exists(), "no host end {host} after create");
    let pid = int(&state(&fx), "pid");
    fx.runlet(&["start", &fx.id]).assert_exit(0);
    fx.runlet(&["kill", &fx.id, "KILL"]).assert_exit(0);
    fx.reap(pid as u32);
    assert!(link.exists(), "the host end went with the init");
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    assert!(!link.exists(), "delete left the host end {host}");
    assert_gone(&fx);
}

#[test]
fn delete_removes_what_a_killed_create_left() {
    let fx = fixture!("lc-broken");
    let _serial = subreaper();
    // What a `create` SIGKILLed before it wrote state.json leaves: the state dir and
    // the container's cgroups at the default path.
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .mode(0o700)
        .create(fx.state_dir())
        .unwrap();
    let dirs = fx.cgroup_dirs();
    for d in &dirs {
        fs::create_dir_all(d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
    }
    fx.runlet(&["state", &fx.id])
        .assert_error(&["does not exist"]);
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    for d in &dirs {
        assert!(!d.exists(), "delete left {}", d.display());
    }
    assert_gone(&fx);
}
