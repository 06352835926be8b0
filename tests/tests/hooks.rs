//! OCI hooks at their moments (docs/hooks.md): each of the six runs once, in order,
//! in the right namespace, with the right state on stdin, its args and env, across
//! create/start/delete, `run` and `run -d`. Failures are in hook_failures.rs.
//!
//! The hooks are the probe (`probe hook NAME FILE`, which appends what it saw to
//! FILE) or shell scripts the tests write. startContainer runs inside the container,
//! so it is the rootfs's `/probe`, writing into a directory bind-mounted from the host.
//!
//! Serial, and the test process is a child subreaper (as in lifecycle.rs): the inits
//! `create` leaves become its children, and each test reaps the ones it ends.

use std::fs;
use std::path::Path;

use runlet_tests::fixture;
use runlet_tests::harness::host_ns;
use runlet_tests::hooks::*;

/// Checks the line of each kind: status, pid, namespaces, args and env.
fn check_lines(log: &Path, pid: u32, id: &str, container_mnt: &str) {
    let lines = log_lines(log);
    let got: Vec<&str> = lines.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(got, KINDS, "each hook once, in order");
    let (host_mnt, host_uts) = (host_ns("mnt"), host_ns("uts"));
    for (name, kv) in &lines {
        let want_status = match name.as_str() {
            // As crun: every kind before the user's program sees "created".
            "prestart" | "createRuntime" | "createContainer" | "startContainer" => "created",
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
