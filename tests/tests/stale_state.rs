//! State that a fault leaves wrong, against real containers:
//!
//! - a `start` killed after it released the init but before it cleaned up (the exec
//!   FIFO file left behind): `state` says running (told by the init itself), a
//!   second `start` says it is running, plain `delete` refuses, `--force` removes it;
//! - state.json missing, truncated or garbage: plain `delete` says so in one line
//!   and leaves the container alone; `delete --force` finds the init from the
//!   redundant record, kills it, removes its cgroups (here at a cgroupsPath of its
//!   own, which the default-path fallback would not find) and its state, and the ID
//!   can be used again.
//!
//! The test process is a child subreaper (as containerd's shim is): the inits come
//! to it and each test reaps its own.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use runlet_tests::fixture;
use runlet_tests::harness::{assert_gone, cgroup_mounts, subreaper, Fixture};

#[path = "support/json.rs"]
mod support_json;
use support_json::{parse, text};

fn status(fx: &Fixture) -> String {
    let out = fx.runlet(&["state", &fx.id]);
    out.assert_exit(0);
    text(&parse(&out.stdout), "status").to_string()
}

/// `create` with `init` as the process; returns the init's pid.
fn created(fx: &mut Fixture, init: &[&str]) -> u32 {
    fx.spec.probe(init);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    fx.read_pid_file(&pid_file)
}

/// What `start` does first, and then nothing more (as if killed there): one byte
/// into the exec FIFO. The file stays.
fn release_like_a_killed_start(fx: &Fixture) {
    let fifo = fx.state_dir().join("exec.fifo");
    let mut w = fs::OpenOptions::new()
        .write(true)
        .custom_flags(0o4000) // O_NONBLOCK: the init holds the read end
        .open(&fifo)
        .unwrap_or_else(|e| panic!("open {}: {e}", fifo.display()));
    w.write_all(&[0]).unwrap();
}

#[test]
fn a_killed_start_leaves_a_running_container() {
    let mut fx = fixture!("st-start");
    let _serial = subreaper();
    let init = created(&mut fx, &["wait-signal"]);
    assert_eq!(status(&fx), "created");
    release_like_a_killed_start(&fx);
    // The probe runs: the init has exec'd it.
    fx.wait_output("ready");
    assert!(
        fx.state_dir().join("exec.fifo").exists(),
        "the killed start's FIFO"
    );
    assert_eq!(status(&fx), "running");
    let list = fx.runlet(&["list"]);
    assert!(
        list.stdout
            .lines()
            .any(|l| l.starts_with(&fx.id) && l.contains("running")),
        "{}",
        list.stdout
    );
    fx.runlet(&["start", &fx.id])
        .assert_error(&["cannot start an already running container"]);
    fx.runlet(&["delete", &fx.id])
        .assert_error(&["cannot delete container", "not stopped: running"]);
    assert_eq!(status(&fx), "running");
    fx.runlet(&["delete", "--force", &fx.id]).assert_exit(0);
    assert!(fx.reap(init).is_some(), "init {init} was not ended");
    assert_gone(&fx);
}

/// The container's cgroup directories at its own cgroupsPath, as they exist now.
fn own_cgroups(path: &str) -> Vec<PathBuf> {
    cgroup_mounts()
        .into_iter()
        .map(|m| m.join(path.trim_start_matches('/')))
        .filter(|d| d.exists())
        .collect()
}

fn wait_dead(pid: u32) -> bool {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        match fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            Ok(s)
                if s.rsplit_once(')')
                    .is_some_and(|(_, r)| r.trim_start().starts_with('Z')) =>
            {
                return true
            }
            Ok(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    false
}

/// How state.json is spoilt.
#[derive(Clone, Copy, Debug)]
enum Spoil {
    Missing,
    Truncated,
    Garbage,
}

fn spoil(state: &Path, how: Spoil) {
    match how {
        Spoil::Missing => fs::remove_file(state).unwrap(),
        Spoil::Truncated => {
            let t = fs::read(state).unwrap();
            fs::write(state, &t[..t.len() / 3]).unwrap();
        }
        Spoil::Garbage => fs::write(state, b"\x7fELF\x00\xff garbage {{{\n").unwrap(),
    }
}

fn delete_force_with(name: &str, how: Spoil, start: bool) {
    let mut fx = fixture!(name);
    let _serial = subreaper();
    let path = format!("/{}-own", fx.id);
    fx.spec.cgroups_path = Some(path.clone());
    let init = created(&mut fx, &["wait-signal"]);
    if start {
        fx.runlet(&["start", &fx.id]).assert_exit(0);
        fx.wait_output("ready");
    }
    let cgroups = own_cgroups(&path);
    assert!(!cgroups.is_empty(), "no cgroup made at {path}");
    spoil(&fx.state_dir().join("state.json"), how);

    if !matches!(how, Spoil::Missing) {
        // One clear line, and the container left alone.
        let out = fx.runlet(&["delete", &fx.id]);
        out.assert_error(&["state.json: not a runlet state file", "delete --force"]);
        assert!(!wait_dead_quick(init), "plain delete killed the init");
        assert!(fx.state_dir().exists());
    }
    fx.runlet(&["delete", "--force", &fx.id]).assert_exit(0);
    assert!(wait_dead(init), "{how:?}: init {init} still alive");
    assert!(fx.reap(init).is_some(), "{how:?}: init {init} not reaped");
    assert!(!fx.state_dir().exists(), "{how:?}: state dir left");
    let left = own_cgroups(&path);
    assert!(left.is_empty(), "{how:?}: cgroups left: {left:?}");
    assert_gone(&fx);

    // The ID is free again.
    fx.spec.cgroups_path = None;
    let again = created(&mut fx, &["noop"]);
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    fx.reap(again);
    assert_gone(&fx);
}

/// The init is still alive 100 ms later.
fn wait_dead_quick(pid: u32) -> bool {
    std::thread::sleep(Duration::from_millis(100));
    fs::metadata(format!("/proc/{pid}")).is_err()
}

#[test]
fn delete_force_missing_state() {
    delete_force_with("st-missing", Spoil::Missing, true);
}

#[test]
fn delete_force_truncated_state() {
    delete_force_with("st-trunc", Spoil::Truncated, true);
}

#[test]
fn delete_force_garbage_state_of_a_created_container() {
    delete_force_with("st-garbage", Spoil::Garbage, false);
}

/// A start killed after its byte while the init still runs its startContainer hook
/// (a second of sleep): the container is still `created` then, and a second
/// `start` goes through (its own byte is surplus) and leaves it running.
#[test]
fn a_start_after_a_killed_one_whose_init_is_still_in_its_hook() {
    let mut fx = fixture!("st-hook");
    let _serial = subreaper();
    let hook = runlet_tests::hooks::hook("/probe", &["probe", "sleep", "1"], &[], Some(20));
    runlet_tests::hooks::set_hooks(&mut fx, &[("startContainer", vec![hook])]);
    let init = created(&mut fx, &["wait-signal"]);
    release_like_a_killed_start(&fx);
    assert_eq!(status(&fx), "created", "the init is in its hook");
    fx.runlet(&["start", &fx.id]).assert_exit(0);
    assert_eq!(status(&fx), "running");
    fx.wait_output("ready");
    fx.runlet(&["delete", "--force", &fx.id]).assert_exit(0);
    assert!(fx.reap(init).is_some(), "init {init} was not ended");
    assert_gone(&fx);
}
