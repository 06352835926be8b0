//! `pause` / `resume`: the container's cgroups frozen and thawed (the v1 freezer on
//! this project's hybrid hosts, cgroup2's `cgroup.freeze` elsewhere), `state` says
//! `paused`, a counter inside stops and goes on; `kill` and `delete --force` of a
//! paused container.

use std::fs;
use std::time::{Duration, Instant};

use runlet_tests::fixture;
use runlet_tests::harness::Fixture;
use runlet_tests::harness::{assert_gone, subreaper};

#[path = "support/json.rs"]
mod support_json;
use support_json::{parse, text};

fn status(fx: &Fixture) -> String {
    let out = fx.runlet(&["state", &fx.id]);
    out.assert_exit(0);
    text(&parse(&out.stdout), "status").to_string()
}

/// What the kernel says of the container's freezer: `Some(true)` frozen.
fn kernel_frozen(fx: &Fixture) -> Option<bool> {
    for d in fx.cgroup_dirs() {
        if let Ok(s) = fs::read_to_string(d.join("freezer.state")) {
            return Some(s.trim() == "FROZEN");
        }
    }
    for d in fx.cgroup_dirs() {
        if let Ok(s) = fs::read_to_string(d.join("cgroup.events")) {
            return Some(s.lines().any(|l| l == "frozen 1"));
        }
    }
    None
}

/// A container running `tick` (a line every 10 ms), started; returns its init pid.
fn ticking(fx: &mut Fixture) -> u32 {
    fx.spec.probe(&["tick"]);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    let pid = fx.read_pid_file(&pid_file);
    fx.runlet(&["start", &fx.id]).assert_exit(0);
    fx.wait_output("tick=");
    pid
}

fn out_len(fx: &Fixture) -> u64 {
    fs::metadata(fx.out_path()).map_or(0, |m| m.len())
}

#[test]
fn pause_freezes_every_process_and_resume_thaws_them() {
    let mut fx = fixture!("pz-tick");
    let _serial = subreaper();
    let pid = ticking(&mut fx);
    fx.runlet(&["resume", &fx.id])
        .assert_error(&["container not paused"]);
    fx.runlet(&["pause", &fx.id]).assert_exit(0);
    assert_eq!(status(&fx), "paused");
    assert_eq!(kernel_frozen(&fx), Some(true), "the cgroup is frozen");
    let pids = fx.container_pids();
    assert!(pids.contains(&pid), "{pids:?}");
    // A frozen task is not runnable: never R in /proc.
    for p in &pids {
        let stat = fs::read_to_string(format!("/proc/{p}/stat")).unwrap();
        let state = stat.rsplit_once(") ").unwrap().1.chars().next().unwrap();
        assert_ne!(state, 'R', "process {p} is running while paused: {stat}");
    }
    let before = out_len(&fx);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(out_len(&fx), before, "the counter went on while paused");
    fx.runlet(&["pause", &fx.id])
        .assert_error(&["already paused"]);
    // `list` says so too.
    let list = fx.runlet(&["list", "--format", "json"]);
    assert!(list.stdout.contains("\"paused\""), "{}", list.stdout);

    fx.runlet(&["resume", &fx.id]).assert_exit(0);
    assert_eq!(status(&fx), "running");
    assert_eq!(kernel_frozen(&fx), Some(false));
    let end = Instant::now() + Duration::from_secs(10);
    while out_len(&fx) == before {
        assert!(
            Instant::now() < end,
            "the counter did not go on after resume"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    fx.runlet(&["kill", &fx.id, "KILL"]).assert_exit(0);
    fx.reap(pid);
    fx.runlet(&["pause", &fx.id])
        .assert_error(&["container not running"]);
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    assert_gone(&fx);
}

#[test]
fn kill_of_a_paused_container() {
    let mut fx = fixture!("pz-kill");
    let _serial = subreaper();
    let pid = ticking(&mut fx);
    fx.runlet(&["pause", &fx.id]).assert_exit(0);
    // Any other signal waits for resume; SIGKILL ends it now.
    fx.runlet(&["kill", &fx.id, "TERM"]).assert_exit(0);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(status(&fx), "paused", "TERM waits for resume");
    fx.runlet(&["kill", &fx.id, "9"]).assert_exit(0);
    let st = fx.reap(pid).expect("the init is the test's child");
    assert_eq!(st & 0x7f, 9, "killed by SIGKILL (wait status {st:#x})");
    assert_eq!(status(&fx), "stopped");
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    assert_gone(&fx);
}

#[test]
fn kill_all_and_delete_force_of_a_paused_container() {
    let mut fx = fixture!("pz-del");
    let _serial = subreaper();
    let pid = ticking(&mut fx);
    fx.runlet(&["pause", &fx.id]).assert_exit(0);
    fx.runlet(&["delete", &fx.id])
        .assert_error(&["not stopped: paused"]);
    fx.runlet(&["delete", "--force", &fx.id]).assert_exit(0);
    fx.reap(pid);
    assert_gone(&fx);

    // A created container (its init waiting for start) paused, then deleted.
    let pid_file = fx.dir.join("created.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    let created = fx.read_pid_file(&pid_file);
    fx.runlet(&["pause", &fx.id]).assert_exit(0);
    assert_eq!(kernel_frozen(&fx), Some(true));
    fx.runlet(&["delete", "--force", &fx.id]).assert_exit(0);
    fx.reap(created);
    assert_gone(&fx);

    let pid = ticking(&mut fx);
    fx.runlet(&["pause", &fx.id]).assert_exit(0);
    fx.runlet(&["kill", "--all", &fx.id, "KILL"]).assert_exit(0);
    let st = fx.reap(pid).expect("the init is the test's child");
    assert_eq!(st & 0x7f, 9, "killed by SIGKILL (wait status {st:#x})");
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    assert_gone(&fx);
}
