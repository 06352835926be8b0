//! OCI hooks (docs/hooks.md): each of the six runs once, in order, at its moment, in
//! the right namespace, with the right state on stdin, its args and env; a hook past
//! its timeout is killed; a failing creation hook stops the start and leaves
//! nothing; a failing poststart/poststop hook is only a warning.
//!
//! The hooks are the probe (`probe hook NAME FILE`, which appends what it saw to
//! FILE) or shell scripts the tests write. startContainer runs inside the container,
//! so it is the rootfs's `/probe`, writing into a directory bind-mounted from the host.
//!
//! Serial, and the test process is a child subreaper (as in lifecycle.rs): the inits
//! `create` leaves become its children, and each test reaps the ones it ends.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

use runlet_tests::fixture;
use runlet_tests::harness::{host_ns, Fixture, Outcome};
use runlet_tests::spec::{quote, Mount};
use runlet_tests::sys;

const KINDS: [&str; 6] = [
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
];

fn subreaper() -> MutexGuard<'static, ()> {
    static ONCE: Once = Once::new();
    static SERIAL: Mutex<()> = Mutex::new(());
    ONCE.call_once(sys::become_subreaper);
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// One hook as JSON.
fn hook(path: &str, args: &[&str], env: &[&str], timeout: Option<u32>) -> String {
    let list = |v: &[&str]| {
        let q: Vec<String> = v.iter().map(|s| quote(s)).collect();
        format!("[{}]", q.join(", "))
    };
    let mut s = format!(
        "{{\"path\": {}, \"args\": {}, \"env\": {}",
        quote(path),
        list(args),
        list(env)
    );
    if let Some(t) = timeout {
        s.push_str(&format!(", \"timeout\": {t}"));
    }
    s.push('}');
    s
}

/// Sets `hooks` to the given kinds, each a list of hook JSON texts.
fn set_hooks(fx: &mut Fixture, hooks: &[(&str, Vec<String>)]) {
    let members: Vec<String> = hooks
        .iter()
        .map(|(k, list)| format!("{}: [{}]", quote(k), list.join(", ")))
        .collect();
    fx.spec
        .extra_top
        .push(("hooks".into(), format!("{{{}}}", members.join(", "))));
}

/// A shell script hook in the test's directory.
fn script(fx: &Fixture, name: &str, body: &str) -> String {
    let p = fx.dir.join(name);
    fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    p.to_str().unwrap().to_string()
}

/// A host directory the container sees at /hooklog; returns the host-side log file.
fn hook_log(fx: &mut Fixture) -> PathBuf {
    let dir = fx.dir.join("hooklog");
    fs::create_dir_all(&dir).unwrap();
    fx.spec
        .mounts
        .push(Mount::bind(dir.to_str().unwrap(), "/hooklog", &["rw"]));
    dir.join("log")
}

/// Every kind as a probe hook logging to `log` (host side) or /hooklog/log (inside).
fn probe_hooks(fx: &mut Fixture, log: &Path) {
    let probe = fx.probe_path().to_str().unwrap().to_string();
    let host_log = log.to_str().unwrap().to_string();
    let hooks: Vec<(&str, Vec<String>)> = KINDS
        .iter()
        .map(|&k| {
            let (path, file) = if k == "startContainer" {
                ("/probe".to_string(), "/hooklog/log".to_string())
            } else {
                (probe.clone(), host_log.clone())
            };
            let argv0 = format!("argv0-{k}");
            let env = format!("HOOK_VAR=v-{k}");
            let args = [argv0.as_str(), "hook", k, &file, "a1", "a2"];
            (k, vec![hook(&path, &args, &[&env], Some(20))])
        })
        .collect();
    set_hooks(fx, &hooks);
}

/// The log's lines as (name, map of key=value).
fn log_lines(log: &Path) -> Vec<(String, Vec<(String, String)>)> {
    let text = fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .map(|l| {
            let mut parts = l.split(' ');
            let name = parts.next().unwrap_or("").to_string();
            let kv = parts
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            (name, kv)
        })
        .collect()
}

fn get<'a>(kv: &'a [(String, String)], key: &str) -> &'a str {
    kv.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {kv:?}"))
}

fn names(log: &Path) -> Vec<String> {
    log_lines(log).into_iter().map(|(n, _)| n).collect()
}

/// A failure whose last stderr line is runlet's error and contains each fragment
/// (a hook's own stderr comes before it).
fn assert_failed(out: &Outcome, fragments: &[&str]) {
    assert_ne!(out.code, Some(0), "expected a failure\n{}", out.context());
    let last = out.stderr.lines().last().unwrap_or("");
    assert!(last.starts_with("runlet: "), "{}", out.context());
    for f in fragments {
        assert!(
            last.contains(f),
            "want {f:?} in {last:?}\n{}",
            out.context()
        );
    }
}

fn assert_gone(fx: &Fixture) {
    let leaks = fx.leaks();
    assert!(leaks.is_empty(), "left behind:\n  {}", leaks.join("\n  "));
}

/// Checks the line of each kind: status, pid, namespaces, args and env.
fn check_lines(log: &Path, pid: u32, id: &str, container_mnt: &str) {
    let lines = log_lines(log);
    let got: Vec<&str> = lines.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(got, KINDS, "each hook once, in order");
    let (host_mnt, host_uts) = (host_ns("mnt"), host_ns("uts"));
    for (name, kv) in &lines {
        let want_status = match name.as_str() {
            "prestart" | "createRuntime" | "createContainer" => "creating",
            "startContainer" => "created",
            "poststart" => "running",
            _ => "stopped",
        };
        assert_eq!(get(kv, "status"), want_status, "{name}");
        let want_pid = if name == "poststop" { 0 } else { pid };
        assert_eq!(get(kv, "pid"), want_pid.to_string(), "{name}");
        assert_eq!(get(kv, "id"), id, "{name}");
        let inside = name == "createContainer" || name == "startContainer";
        if inside {
            assert_eq!(
                get(kv, "mnt"),
                container_mnt,
                "{name}: the container's mount ns"
            );
            assert_ne!(get(kv, "uts"), host_uts, "{name}: the container's uts ns");
        } else {
            assert_eq!(get(kv, "mnt"), host_mnt, "{name}: the host's mount ns");
            assert_eq!(get(kv, "uts"), host_uts, "{name}: the host's uts ns");
        }
        assert_eq!(
            get(kv, "argv0"),
            format!("argv0-{name}"),
            "args[0] as given"
        );
        assert_eq!(get(kv, "args"), "a1,a2", "{name}: args");
        // The env is the hook's own, nothing of runlet's.
        assert_eq!(get(kv, "env"), format!("HOOK_VAR=v-{name}"), "{name}: env");
    }
}

#[test]
fn six_hooks_once_each_in_order_across_create_start_delete() {
    let mut fx = fixture!("hk-cycle");
    let _serial = subreaper();
    let log = hook_log(&mut fx);
    probe_hooks(&mut fx, &log);
    fx.spec.probe(&["wait-signal"]);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    let pid = fx.read_pid_file(&pid_file);
    assert_eq!(names(&log), KINDS[..3], "after create");
    let container_mnt = fs::read_link(format!("/proc/{pid}/ns/mnt"))
        .unwrap()
        .to_string_lossy()
        .into_owned();

    fx.runlet(&["start", &fx.id]).assert_exit(0);
    // poststart has run when start returns.
    assert_eq!(names(&log), KINDS[..5], "after start");
    fx.wait_output("ready");

    fx.runlet(&["kill", &fx.id, "TERM"]).assert_exit(0);
    fx.wait_output("signal=");
    fx.reap(pid);
    assert_eq!(names(&log), KINDS[..5], "poststop waits for delete");
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    check_lines(&log, pid, &fx.id, &container_mnt);
    assert_gone(&fx);
}

#[test]
fn run_runs_all_six() {
    let mut fx = fixture!("hk-run");
    let _serial = subreaper();
    let log = hook_log(&mut fx);
    probe_hooks(&mut fx, &log);
    fx.spec.probe(&["exit", "0"]);
    fx.run().assert_exit(0);
    assert_eq!(names(&log), KINDS);
    let lines = log_lines(&log);
    assert_eq!(get(&lines[4].1, "status"), "running");
    assert_eq!(get(&lines[5].1, "status"), "stopped");
    // The two inside hooks saw the same (the container's) mount namespace.
    assert_eq!(get(&lines[2].1, "mnt"), get(&lines[3].1, "mnt"));
    assert_ne!(get(&lines[2].1, "mnt"), host_ns("mnt"));
}

/// A hook that fails with exit status 3 and says why on stderr.
fn failing(fx: &Fixture, kind: &str) -> String {
    script(
        fx,
        &format!("fail-{kind}"),
        &format!("cat >/dev/null\necho \"first line\" >&2\necho \"oops from {kind}\" >&2\nexit 3"),
    )
}

#[test]
fn a_failing_creation_hook_stops_create_and_leaves_nothing() {
    for kind in ["prestart", "createRuntime", "createContainer"] {
        let mut fx = fixture!("hk-fail");
        let _serial = subreaper();
        let path = failing(&fx, kind);
        set_hooks(&mut fx, &[(kind, vec![hook(&path, &[], &[], None)])]);
        fx.spec.probe(&["wait-signal"]);
        let out = fx.create(&[]);
        assert_failed(
            &out,
            &[&format!(
                "{kind} hook 0 ({path}) failed: exit status 3; stderr: first line / oops from {kind}"
            )],
        );
        // The hook's stderr reached runlet's.
        assert!(out.stderr.contains("oops from"), "{}", out.context());
        assert_gone(&fx);
    }
}

#[test]
fn a_failing_start_container_hook_stops_start_and_leaves_nothing() {
    let mut fx = fixture!("hk-fail-sc");
    let _serial = subreaper();
    set_hooks(
        &mut fx,
        &[(
            "startContainer",
            vec![hook(
                "/probe",
                &["probe", "hook-fail", "4", "no start"],
                &[],
                Some(10),
            )],
        )],
    );
    fx.spec.probe(&["wait-signal"]);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    let pid = fx.read_pid_file(&pid_file);
    let out = fx.runlet(&["start", &fx.id]);
    assert_failed(
        &out,
        &["startContainer hook 0 (/probe) failed: exit status 4; stderr: no start"],
    );
    fx.reap(pid);
    assert_eq!(fx.container_out(), "", "the container's process ran");
    assert_gone(&fx);

    // The same through `run`, which starts over the sync socket.
    let out = fx.run();
    assert_failed(
        &out,
        &["startContainer hook 0 (/probe) failed: exit status 4; stderr: no start"],
    );
}

#[test]
fn a_hook_past_its_timeout_is_killed_and_the_start_fails() {
    let mut fx = fixture!("hk-timeout");
    let _serial = subreaper();
    let pid_file = fx.dir.join("hook.pid");
    let slow = script(
        &fx,
        "slow",
        &format!("echo $$ > {}\nexec sleep 30", pid_file.display()),
    );
    set_hooks(
        &mut fx,
        &[("createRuntime", vec![hook(&slow, &[], &[], Some(1))])],
    );
    let t = Instant::now();
    let out = fx.create(&[]);
    assert_failed(
        &out,
        &[&format!(
            "createRuntime hook 0 ({slow}) failed: did not finish within its timeout of 1s (killed)"
        )],
    );
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    let hook_pid = fs::read_to_string(&pid_file).unwrap();
    assert!(
        !Path::new(&format!("/proc/{}", hook_pid.trim())).exists(),
        "the hook {} still exists",
        hook_pid.trim()
    );
    assert_gone(&fx);

    // The init's own: a createContainer hook.
    let mut fx = fixture!("hk-timeout-cc");
    let slow = script(&fx, "slow", "exec sleep 30");
    set_hooks(
        &mut fx,
        &[("createContainer", vec![hook(&slow, &[], &[], Some(1))])],
    );
    let t = Instant::now();
    let out = fx.create(&[]);
    assert_failed(
        &out,
        &[&format!(
            "createContainer hook 0 ({slow}) failed: did not finish within its timeout of 1s (killed)"
        )],
    );
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    assert_gone(&fx);
}

#[test]
fn a_hook_that_cannot_be_executed_is_named() {
    for kind in ["createRuntime", "createContainer"] {
        let mut fx = fixture!("hk-noexec");
        let _serial = subreaper();
        set_hooks(
            &mut fx,
            &[(kind, vec![hook("/nonexistent-hook", &[], &[], None)])],
        );
        let out = fx.create(&[]);
        assert_failed(
            &out,
            &[
                &format!("{kind} hook 0 (/nonexistent-hook) failed: exec"),
                "No such file or directory",
            ],
        );
        assert_gone(&fx);
    }
}

#[test]
fn failing_poststart_and_poststop_hooks_are_warnings() {
    let mut fx = fixture!("hk-warn");
    let _serial = subreaper();
    let log = hook_log(&mut fx);
    let probe = fx.probe_path().to_str().unwrap().to_string();
    let logged = |k: &str| {
        hook(
            &probe,
            &["probe", "hook", k, log.to_str().unwrap()],
            &[],
            None,
        )
    };
    let (bad_start, bad_stop) = (failing(&fx, "poststart"), failing(&fx, "poststop"));
    set_hooks(
        &mut fx,
        &[
            // A failure does not keep the next hook from running.
            (
                "poststart",
                vec![hook(&bad_start, &[], &[], None), logged("poststart")],
            ),
            (
                "poststop",
                vec![hook(&bad_stop, &[], &[], None), logged("poststop")],
            ),
        ],
    );
    fx.spec.probe(&["wait-signal"]);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    let pid = fx.read_pid_file(&pid_file);
    let out = fx.runlet(&["start", &fx.id]);
    out.assert_exit(0);
    assert!(
        out.stderr.contains(&format!(
            "runlet: warning: poststart hook 0 ({bad_start}) failed: exit status 3; stderr: first line / oops from poststart"
        )),
        "{}",
        out.context()
    );
    fx.wait_output("ready");
    assert_eq!(names(&log), ["poststart"]);
    fx.runlet(&["kill", &fx.id, "KILL"]).assert_exit(0);
    fx.reap(pid);
    let out = fx.runlet(&["delete", &fx.id]);
    out.assert_exit(0);
    assert!(
        out.stderr.contains(&format!(
            "runlet: warning: poststop hook 0 ({bad_stop}) failed: exit status 3"
        )),
        "{}",
        out.context()
    );
    assert_eq!(names(&log), ["poststart", "poststop"]);
    assert_gone(&fx);
}

#[test]
fn run_detached_runs_hooks_up_to_poststart_and_delete_the_rest() {
    let mut fx = fixture!("hk-run-d");
    let _serial = subreaper();
    let log = hook_log(&mut fx);
    probe_hooks(&mut fx, &log);
    fx.spec.probe(&["wait-signal"]);
    fx.prepare();
    let pid_file = fx.dir.join("init.pid");
    let mut cmd = fx.command(&["run", "-d", "--pid-file", pid_file.to_str().unwrap(), "-b"]);
    cmd.arg(&fx.bundle).arg(&fx.id);
    fx.run_to_files(cmd).assert_exit(0);
    assert_eq!(names(&log), KINDS[..5]);
    let pid = fx.read_pid_file(&pid_file);
    fx.wait_output("ready");
    fx.runlet(&["delete", "--force", &fx.id]).assert_exit(0);
    fx.reap(pid);
    assert_eq!(names(&log), KINDS);
    assert_gone(&fx);
}

#[test]
fn features_list_the_six_kinds() {
    let fx = fixture!("hk-features");
    let out = fx.runlet(&["features"]);
    out.assert_exit(0);
    let want = format!(
        "\"hooks\":[{}]",
        KINDS.map(|k| format!("\"{k}\"")).join(",")
    );
    assert!(out.stdout.contains(&want), "{want} in {}", out.stdout);
}

#[test]
fn the_init_waits_for_slow_runtime_hooks() {
    let mut fx = fixture!("hk-slow");
    let _serial = subreaper();
    let log = fx.dir.join("order");
    let slow = script(
        &fx,
        "slow-runtime",
        &format!("sleep 0.3\necho createRuntime >> {}", log.display()),
    );
    let quick = script(
        &fx,
        "quick-container",
        &format!("echo createContainer >> {}", log.display()),
    );
    set_hooks(
        &mut fx,
        &[
            ("createRuntime", vec![hook(&slow, &[], &[], Some(10))]),
            ("createContainer", vec![hook(&quick, &[], &[], Some(10))]),
        ],
    );
    fx.spec.probe(&["exit", "0"]);
    fx.run().assert_exit(0);
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "createRuntime\ncreateContainer\n"
    );
}

#[test]
fn hooks_start_with_default_signal_handling() {
    let mut fx = fixture!("hk-sig");
    let _serial = subreaper();
    let log = fx.dir.join("sigs.log");
    // SigBlk and SigIgn of grep, a child of the hook's shell (which changes neither).
    let body = format!(
        "grep -E '^Sig(Ign|Blk)' /proc/self/status | tr '\\n' ' ' >> {}\necho >> {}",
        log.display(),
        log.display()
    );
    let sh = script(&fx, "sigs", &body);
    set_hooks(
        &mut fx,
        &[
            ("createRuntime", vec![hook(&sh, &[], &[], Some(10))]),
            ("createContainer", vec![hook(&sh, &[], &[], Some(10))]),
        ],
    );
    fx.spec.probe(&["exit", "0"]);
    fx.run().assert_exit(0);
    let text = fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for l in lines {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(
            (f[0], f[1], f[2]),
            ("SigBlk:", "0000000000000000", "SigIgn:"),
            "{text}"
        );
        // SIGPIPE (13, bit 12) not ignored. (Other ignored signals come from
        // whatever started the test.)
        let ign = u64::from_str_radix(f[3], 16).unwrap();
        assert_eq!(ign & 1 << 12, 0, "SIGPIPE ignored: {text}");
    }
}
