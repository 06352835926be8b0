//! Exit status passthrough (128+N for signal N), signal forwarding, and that a
//! container's leftovers (orphans) die with it.

use runlet_tests::{fixture, sys};

#[test]
fn exit_status_passes_through() {
    for code in [0, 3, 42, 255] {
        let mut fx = fixture!("exit");
        let c = code.to_string();
        fx.spec.probe(&["exit", &c]);
        fx.run().assert_exit(code);
    }
}

#[test]
fn killed_by_a_fault_is_128_plus_signal() {
    // A real SIGSEGV is forced by the kernel, so it kills even the PID 1 of a namespace.
    let mut fx = fixture!("crash");
    fx.spec.probe(&["crash"]);
    fx.run().assert_exit(128 + sys::SIGSEGV);
}

#[test]
fn killed_by_its_own_signal_without_a_pid_namespace() {
    // PID 1 of a namespace ignores signals it sends itself, so share the host's.
    for sig in [sys::SIGKILL, sys::SIGTERM] {
        let mut fx = fixture!("killself");
        fx.spec.remove_namespace("pid");
        let s = sig.to_string();
        fx.spec.probe(&["kill-self", &s]);
        fx.run().assert_exit(128 + sig);
    }
}

#[test]
fn killed_from_the_host_is_137() {
    let mut fx = fixture!("hostkill");
    fx.spec.probe(&["wait-signal"]);
    let mut run = fx.spawn();
    run.wait_line(|l| l == "ready");
    let pids = fx.container_pids();
    assert_eq!(pids.len(), 1, "container processes: {pids:?}");
    sys::send_signal(pids[0], sys::SIGKILL).unwrap();
    fx.finish(run).assert_exit(128 + sys::SIGKILL);
}

fn forwards(sig: i32, name: &str) {
    let mut fx = fixture!(name);
    fx.spec.probe(&["wait-signal"]);
    let mut run = fx.spawn();
    run.wait_line(|l| l == "ready");
    run.signal(sig);
    let want = format!("signal={sig}");
    run.wait_line(|l| l == want);
    let out = fx.finish(run);
    out.assert_exit(0);
}

#[test]
fn forwards_sigterm() {
    forwards(sys::SIGTERM, "fwdterm");
}

#[test]
fn forwards_sigint() {
    forwards(sys::SIGINT, "fwdint");
}

#[test]
fn forwards_sighup() {
    forwards(sys::SIGHUP, "fwdhup");
}

#[test]
fn forwarded_sigterm_to_a_process_without_a_pid_namespace_kills_it() {
    // Not PID 1 of a namespace: the default action of SIGTERM applies -> 143.
    let mut fx = fixture!("fwdkill");
    fx.spec.remove_namespace("pid");
    fx.spec.probe(&["sleep", "60"]);
    let run = fx.spawn();
    // Wait until the probe itself runs (not a helper) before signalling.
    let t = std::time::Instant::now();
    let is_probe = |p: &u32| {
        std::fs::read(format!("/proc/{p}/cmdline")).is_ok_and(|c| c.starts_with(b"/probe\0sleep"))
    };
    while !fx.container_pids().iter().any(is_probe) {
        assert!(t.elapsed().as_secs() < 20, "the container never started");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    run.signal(sys::SIGTERM);
    fx.finish(run).assert_exit(128 + sys::SIGTERM);
}

#[test]
fn orphans_die_with_the_container() {
    let mut fx = fixture!("orphan");
    fx.spec.probe(&["spawn-orphan", "300"]);
    // finish() fails if any process with the container's root survives, or holds stdout.
    let out = fx.run();
    out.assert_exit(0);
    assert!(out.stdout.contains("orphan="), "{}", out.context());
}

#[test]
fn orphans_die_with_the_container_without_a_pid_namespace() {
    // Without a PID namespace the kernel does not kill them: runlet must (cgroup).
    let mut fx = fixture!("orphanhost");
    fx.spec.remove_namespace("pid");
    fx.spec.probe(&["spawn-orphan", "300"]);
    let out = fx.run();
    out.assert_exit(0);
    assert!(out.stdout.contains("orphan="), "{}", out.context());
}
