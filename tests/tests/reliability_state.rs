//! The reliability suite, second part: helpers that cut a frame short, broken state
//! files, 30 concurrent runs, concurrent creates of one ID, and a soak at constant
//! per-run cost. After each, nothing is left and the ID works again. One test at a
//! time (the subreaper guard). `make soak`: RUNLET_SOAK_RUNS (default 300).

use runlet_tests::aftermath::{fd_leaks, fd_snapshot, reap_zombies, Reaper};
use runlet_tests::harness::{spawn, subreaper, Running};
use runlet_tests::{debug_runlet, fixture, Fixture};
use std::fs;
use std::time::{Duration, Instant};

/// A directory holding the probe as `runlet-init` and `runlet-exec`: a debug
/// runlet's `RUNLET_HELPER_DIR` then runs it instead of a helper
/// (probe/fakehelper.rs); a release runlet ignores the variable.
fn fake_helpers(fx: &Fixture) -> std::path::PathBuf {
    let d = fx.dir.join("fake-helpers");
    fs::create_dir_all(&d).unwrap();
    for n in ["runlet-init", "runlet-exec"] {
        fs::copy(fx.probe_path(), d.join(n)).expect("copy the probe");
    }
    d
}

#[test]
fn init_cuts_a_frame_short() {
    let _g = subreaper();
    reap_zombies();
    let mut fx = fixture!("cutinit");
    let debug = debug_runlet!();
    let fds = fd_snapshot();
    fx.spec.probe(&["noop"]);
    let mut cmd = fx.run_command_with(&debug);
    cmd.env("RUNLET_HELPER_DIR", fake_helpers(&fx));
    let out = fx.run_cmd(cmd);
    out.assert_error(&[
        "runlet-init: frame cut short (2 of 5 bytes)",
        "exit status 9",
    ]);
    assert_eq!(fd_leaks(&fds), None);
    fx.assert_reusable("after a cut frame from runlet-init");
}

#[test]
fn exec_helper_cuts_a_frame_short() {
    let _g = subreaper();
    reap_zombies();
    let mut fx = fixture!("cutexec");
    let debug = debug_runlet!();
    fx.spec.probe(&["sleep", "30"]);
    let out = fx.create(&[]);
    assert_eq!(out.code, Some(0), "{}", out.context());
    let fds = fd_snapshot();
    let mut cmd = fx.command_with(&debug, &["exec", &fx.id, "/probe", "noop"]);
    cmd.env("RUNLET_HELPER_DIR", fake_helpers(&fx));
    let out = spawn(cmd).wait();
    out.assert_error(&["runlet-exec: frame cut short (3 of 10 bytes)"]);
    assert_eq!(fd_leaks(&fds), None);
    // The container is unharmed: it starts, and an exec with the real helper works.
    assert_eq!(fx.runlet(&["start", &fx.id]).code, Some(0));
    let ok = fx.runlet(&["exec", &fx.id, "/probe", "exit", "7"]);
    assert_eq!(ok.code, Some(7), "{}", ok.context());
    fx.force_delete_clean("after a cut frame from runlet-exec", &[]);
    fx.assert_reusable("after a cut frame from runlet-exec");
}

/// A release runlet ignores `RUNLET_HELPER_DIR` (issue 16): with the fake helpers
/// there, a container still runs and an exec still works, both through the helpers
/// runlet embeds, and `--debug` says the variable was ignored.
#[test]
fn release_ignores_helper_dir() {
    let _g = subreaper();
    reap_zombies();
    let mut fx = fixture!("relhdir");
    let fake = fake_helpers(&fx);
    fx.spec.probe(&["report"]);
    let mut cmd = fx.command(&["--debug", "run", "-b"]);
    cmd.arg(&fx.bundle)
        .arg(&fx.id)
        .env("RUNLET_HELPER_DIR", &fake);
    let out = fx.run_cmd(cmd);
    assert_eq!(out.report().must("pid"), "1");
    assert!(
        out.stderr.contains("RUNLET_HELPER_DIR ignored"),
        "no debug line saying so\n{}",
        out.context()
    );
    fx.spec.probe(&["sleep", "30"]);
    let out = fx.create(&[]);
    assert_eq!(out.code, Some(0), "{}", out.context());
    assert_eq!(fx.runlet(&["start", &fx.id]).code, Some(0));
    let mut cmd = fx.command(&["exec", &fx.id, "/probe", "exit", "7"]);
    cmd.env("RUNLET_HELPER_DIR", &fake);
    let out = spawn(cmd).wait();
    assert_eq!(out.code, Some(7), "{}", out.context());
    fx.force_delete_clean("after execs with RUNLET_HELPER_DIR set", &[]);
    fx.assert_reusable("after RUNLET_HELPER_DIR was ignored");
}

/// A created container whose state.json is then broken by `damage`: `delete
/// --force` still kills the init and removes its cgroups and state directory.
/// (Needs issue 15 item 4: delete --force trusting what it still can.)
fn broken_state(test: &str, damage: fn(&std::path::Path)) {
    let _g = subreaper();
    reap_zombies();
    let mut fx = fixture!(test);
    fx.spec.probe(&["sleep", "30"]);
    let out = fx.create(&[]);
    assert_eq!(out.code, Some(0), "{}", out.context());
    damage(&fx.state_dir().join("state.json"));
    fx.force_delete_clean(&format!("{test}: state.json damaged"), &[]);
    fx.assert_reusable(test);
}

#[test]
fn state_json_missing() {
    broken_state("stmissing", |p| fs::remove_file(p).unwrap());
}

#[test]
fn state_json_truncated() {
    broken_state("sttrunc", |p| {
        let t = fs::read(p).unwrap();
        fs::write(p, &t[..t.len() / 2]).unwrap();
    });
}

#[test]
fn state_json_garbage() {
    broken_state("stgarbage", |p| {
        fs::write(p, b"\x00\xffnot json{{{").unwrap()
    });
}

#[test]
fn state_json_empty() {
    broken_state("stempty", |p| fs::write(p, b"").unwrap());
}

#[test]
fn thirty_concurrent_runs() {
    let _g = subreaper();
    reap_zombies();
    let fds = fd_snapshot();
    let mut fxs: Vec<Fixture> = Vec::new();
    for _ in 0..30 {
        let mut fx = fixture!("conc");
        fx.spec.probe(&["report"]);
        fxs.push(fx);
    }
    let t = Instant::now();
    let runs: Vec<Running> = fxs.iter().map(Fixture::spawn).collect();
    for (fx, r) in fxs.iter().zip(runs) {
        let rep = fx.finish(r).report();
        assert_eq!(rep.must("pid"), "1");
    }
    eprintln!("30 concurrent runs: {:?}", t.elapsed());
    drop(fxs);
    assert_eq!(fd_leaks(&fds), None);
}

#[test]
fn concurrent_creates_of_one_id() {
    let _g = subreaper();
    reap_zombies();
    let fx = fixture!("sameid");
    fx.prepare();
    let fds = fd_snapshot();
    let runs: Vec<Running> = (0..8)
        .map(|_| {
            let mut c = fx.command(&["create", "--bundle"]);
            c.arg(&fx.bundle).arg(&fx.id);
            spawn(c)
        })
        .collect();
    let outs: Vec<_> = runs.into_iter().map(Running::wait).collect();
    let won: Vec<_> = outs.iter().filter(|o| o.code == Some(0)).collect();
    assert_eq!(won.len(), 1, "exactly one create wins: {outs:#?}");
    for o in outs.iter().filter(|o| o.code != Some(0)) {
        o.assert_error(&["already exists"]);
    }
    let st = fx.runlet(&["state", &fx.id]);
    assert!(st.stdout.contains("\"created\""), "{}", st.context());
    fx.force_delete_clean("after concurrent creates", &[]);
    assert_eq!(fd_leaks(&fds), None);
}

fn soak_runs() -> usize {
    std::env::var("RUNLET_SOAK_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300)
}

fn median(v: &[Duration]) -> Duration {
    let mut s = v.to_vec();
    s.sort();
    s[s.len() / 2]
}

/// Hundreds of runs of one container, one after another: the cost of a run stays
/// constant (the median of the last 50 against the first 50, with room for a noisy
/// machine), and nothing accumulates (fds, cgroups, state, mounts, processes).
#[test]
fn soak_constant_cost() {
    let _g = subreaper();
    reap_zombies();
    let mut fx = fixture!("soak");
    fx.spec.probe(&["noop"]);
    fx.prepare();
    let fds = fd_snapshot();
    let n = soak_runs().max(100);
    let mut times = Vec::with_capacity(n);
    let reaper = Reaper::start();
    for i in 0..n {
        let t = Instant::now();
        let out = spawn(fx.run_command()).wait();
        times.push(t.elapsed());
        assert_eq!(out.code, Some(0), "run {i}: {}", out.context());
    }
    drop(reaper);
    let (first, last) = (median(&times[..50]), median(&times[n - 50..]));
    let all = median(&times);
    eprintln!("soak: {n} runs, median {all:?}; first 50 {first:?}, last 50 {last:?}");
    assert!(
        last <= first * 2 + Duration::from_millis(20),
        "a run got dearer: median of the first 50 {first:?}, of the last 50 {last:?}"
    );
    let leaks = fx.leaks();
    assert!(leaks.is_empty(), "after {n} runs: {leaks:?}");
    assert_eq!(fd_leaks(&fds), None);
    let left: Vec<_> = fs::read_dir(&fx.root).unwrap().flatten().collect();
    assert!(left.is_empty(), "state root not empty: {left:?}");
}
