//! Limits on a pure cgroup v2 host, on every host: runlet runs in the simulated pure
//! v2 host (`Fixture::pure_v2`: the host's cgroup2 hierarchy alone at /sys/fs/cgroup
//! in a private mount namespace). A controller the host's cgroup2 root offers and
//! enables: the limit is written and reads back from the host side (memory.max,
//! cpu.max, cpu.weight, pids.max, io weight). One it does not (a hybrid host binds
//! them to v1): runlet's one error line names the controller and the file that
//! lacks it, and nothing is left. The core files need no controller and always run:
//! `cgroup.freeze` (pause/resume), `cgroup.kill` (orphans of a host-PID-namespace
//! container), `events --stats` (cpu.stat); the device program is in
//! cgroup_devices.rs.

use std::fs;
use std::path::Path;

use runlet_tests::harness::{
    cgroup2_mount, child_cgroup_has, pure_v2_unavailable, spawn, v2_controller, Fixture,
    V2Controller,
};
use runlet_tests::{fixture, skip, sys};

fn read(p: &Path) -> String {
    fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
        .trim()
        .to_string()
}

/// A pure v2 runlet command that must succeed; its stdout.
fn ok(fx: &Fixture, args: &[&str]) -> String {
    let o = fx.pure_v2(args).output().expect("run runlet");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "runlet {args:?}: {err}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A pure v2 runlet command that must fail with one line holding `want`.
fn fails(fx: &Fixture, args: &[&str], want: &str) {
    let o = fx.pure_v2(args).output().expect("run runlet");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "runlet {args:?} succeeded");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("runlet: ") && err.contains(want),
        "{err}\nwant: {want}"
    );
}

/// The error runlet gives for a controller the cgroup2 root does not give children,
/// as runlet sees the root (/sys/fs/cgroup in the simulation); None when it does.
fn missing_controller(controller: &str, field: &str) -> Option<String> {
    let f = format!("linux.resources.{field}: the {controller} controller");
    match v2_controller(controller) {
        V2Controller::Enabled => None,
        V2Controller::NotEnabled => Some(format!(
            "{f} is not enabled in /sys/fs/cgroup/cgroup.subtree_control"
        )),
        V2Controller::Absent => Some(format!(
            "{f} is not available in /sys/fs/cgroup (not in its cgroup.controllers)"
        )),
    }
}

/// Runs a container with `resources` in the simulated pure v2 host: where the host
/// gives `controller`, each `(file, value)` reads back from the container's cgroup2
/// directory; else the error names it.
fn limit_or_error(
    fx: &mut Fixture,
    resources: &str,
    controller: &str,
    field: &str,
    want: &[(&str, &str)],
) {
    fx.spec
        .extra_linux
        .push(("resources".into(), resources.into()));
    fx.spec.probe(&["wait-signal"]);
    fx.prepare();
    if let Some(msg) = missing_controller(controller, field) {
        return fx.run_cmd(fx.pure_v2_run_command()).assert_error(&[&msg]);
    }
    let mut run = spawn(fx.pure_v2_run_command());
    run.wait_line(|l| l == "ready");
    let d = fx.v2_dir();
    for (f, v) in want {
        assert_eq!(read(&d.join(f)), *v, "{}", d.join(f).display());
    }
    run.signal(sys::SIGTERM);
    fx.finish(run);
}

macro_rules! need_cgroup2 {
    () => {
        if let Some(why) = pure_v2_unavailable() {
            skip!("{why}");
        }
    };
}

#[test]
fn v2_memory_max_and_low_read_back() {
    let mut fx = fixture!("v2mem");
    need_cgroup2!();
    let res = r#"{"memory":{"limit":67108864,"reservation":33554432}}"#;
    let want = [("memory.max", "67108864"), ("memory.low", "33554432")];
    limit_or_error(&mut fx, res, "memory", "memory", &want);
}

#[test]
fn v2_cpu_max_and_weight_read_back() {
    let mut fx = fixture!("v2cpu");
    need_cgroup2!();
    // shares 512 is weight 1 + (510 * 9999) / 262142 = 20 (runc's translation).
    let res = r#"{"cpu":{"shares":512,"quota":20000,"period":100000}}"#;
    let want = [("cpu.weight", "20"), ("cpu.max", "20000 100000")];
    limit_or_error(&mut fx, res, "cpu", "cpu", &want);
}

#[test]
fn v2_pids_max_reads_back() {
    let mut fx = fixture!("v2pids");
    need_cgroup2!();
    limit_or_error(
        &mut fx,
        r#"{"pids":{"limit":50}}"#,
        "pids",
        "pids",
        &[("pids.max", "50")],
    );
}

#[test]
fn v2_io_weight_reads_back_where_the_host_has_one() {
    let mut fx = fixture!("v2io");
    need_cgroup2!();
    let res = r#"{"blockIO":{"weight":300}}"#;
    if v2_controller("io") != V2Controller::Enabled {
        return limit_or_error(&mut fx, res, "io", "blockIO", &[]);
    }
    // BFQ's io.bfq.weight takes the v1 value; else iocost's io.weight, translated.
    let m = cgroup2_mount().unwrap();
    match child_cgroup_has(&m, &["io.bfq.weight", "io.weight"]).as_slice() {
        [true, _] => limit_or_error(
            &mut fx,
            res,
            "io",
            "blockIO",
            &[("io.bfq.weight", "default 300")],
        ),
        [false, true] => limit_or_error(
            &mut fx,
            res,
            "io",
            "blockIO",
            &[("io.weight", "default 2930")],
        ),
        _ => {
            let path = fx.v2_dir().join("io.bfq.weight");
            fx.spec.extra_linux.push(("resources".into(), res.into()));
            let msg = format!(
                "linux.resources.blockIO.weight: {} does not exist",
                path.display()
            );
            let msg = msg.replace(&m.display().to_string(), "/sys/fs/cgroup");
            fx.run_cmd(fx.pure_v2_run_command()).assert_error(&[&msg]);
        }
    }
}

#[test]
fn v2_pause_and_resume_write_cgroup_freeze() {
    let mut fx = fixture!("v2freeze");
    need_cgroup2!();
    fx.spec.probe(&["wait-signal"]);
    fx.prepare();
    let mut run = spawn(fx.pure_v2_run_command());
    run.wait_line(|l| l == "ready");
    let d = fx.v2_dir();
    ok(&fx, &["pause", &fx.id]);
    assert_eq!(read(&d.join("cgroup.freeze")), "1");
    assert!(read(&d.join("cgroup.events")).contains("frozen 1"));
    let state = ok(&fx, &["state", &fx.id]).replace([' ', '\n'], "");
    assert!(state.contains(r#""status":"paused""#), "{state}");
    ok(&fx, &["resume", &fx.id]);
    assert_eq!(read(&d.join("cgroup.freeze")), "0");
    assert!(read(&d.join("cgroup.events")).contains("frozen 0"));
    run.signal(sys::SIGTERM);
    fx.finish(run);
}

#[test]
fn v2_orphans_of_a_host_pid_namespace_container_die_through_cgroup_kill() {
    let mut fx = fixture!("v2kill");
    need_cgroup2!();
    fx.spec.remove_namespace("pid");
    fx.spec.probe(&["spawn-orphan", "300"]);
    // finish() fails if a process with the container's root survives.
    let out = fx.run_cmd(fx.pure_v2_run_command());
    out.assert_exit(0);
    assert!(out.stdout.contains("orphan="), "{}", out.context());
    assert!(
        !fx.v2_dir().exists(),
        "{} left behind",
        fx.v2_dir().display()
    );
}

#[test]
fn v2_update_changes_pids_max_live_or_names_the_controller() {
    let mut fx = fixture!("v2update");
    need_cgroup2!();
    fx.spec.probe(&["wait-signal"]);
    fx.prepare();
    let mut run = spawn(fx.pure_v2_run_command());
    run.wait_line(|l| l == "ready");
    let args = ["update", "--pids-limit", "20", &fx.id];
    match missing_controller("pids", "pids") {
        Some(msg) => fails(&fx, &args, &msg),
        None => {
            ok(&fx, &args);
            assert_eq!(read(&fx.v2_dir().join("pids.max")), "20");
        }
    }
    run.signal(sys::SIGTERM);
    fx.finish(run);
}

#[test]
fn v2_events_stats_reads_cgroup2_files() {
    let mut fx = fixture!("v2stats");
    need_cgroup2!();
    fx.spec.probe(&["wait-signal"]);
    fx.prepare();
    let mut run = spawn(fx.pure_v2_run_command());
    run.wait_line(|l| l == "ready");
    let stats = ok(&fx, &["events", "--stats", &fx.id]);
    let want = format!(r#"{{"type":"stats","id":"{}","data":{{"#, fx.id);
    assert!(stats.starts_with(&want), "{stats}");
    // cpu.stat is in every cgroup2 directory: the usage of the probe's start.
    let usage = read(&fx.v2_dir().join("cpu.stat"));
    assert!(usage.starts_with("usage_usec "), "{usage}");
    let total = stats.split_once(r#""total":"#).map(|(_, t)| t);
    let total = total.and_then(|t| t.split([',', '}']).next()?.parse::<u64>().ok());
    assert!(total.is_some_and(|t| t > 0), "{stats}");
    if v2_controller("pids") == V2Controller::Enabled {
        assert!(stats.contains(r#""pids":{"current":1"#), "{stats}");
    }
    run.signal(sys::SIGTERM);
    fx.finish(run);
}
