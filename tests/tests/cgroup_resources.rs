//! linux.resources on a host with v1 hierarchies: limits read back from the host side,
//! a pids limit stops the next fork, a memory limit kills, `update` changes a limit
//! live, `events --stats` reports, and nothing of the cgroups stays behind. A host
//! without the v1 hierarchy a test needs counts it as skipped; the same limits on
//! cgroup2 are checked in cgroup_v2_limits.rs, on every host. Resources a kernel may
//! lack (swap accounting, a blkio weight, hugetlb) are in cgroup_optional.rs.

use std::fs;
use std::path::PathBuf;

use runlet_tests::harness::{cgroup2_mount, cgroup_mounts, v1_mount, Fixture};
use runlet_tests::{fixture, skip, sys};

/// The container's dir in the v1 hierarchy carrying `controller`.
fn dir(fx: &Fixture, controller: &str) -> PathBuf {
    let m = v1_mount(controller).unwrap_or_else(|| panic!("no v1 {controller} hierarchy"));
    fx.cgroup_dirs()
        .into_iter()
        .find(|d| d.starts_with(&m))
        .unwrap_or_else(|| panic!("no dir in {}", m.display()))
}

fn read(p: PathBuf) -> String {
    fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
        .trim()
        .to_string()
}

/// Why the test cannot run here: a v1 controller it needs is not mounted.
fn v1_lacks(controllers: &[&str]) -> Option<String> {
    let missing: Vec<&str> = controllers
        .iter()
        .copied()
        .filter(|c| v1_mount(c).is_none())
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "no v1 hierarchy for {} (cgroup v2: cgroup_v2_limits.rs checks the same limits)",
            missing.join(", ")
        )
    })
}

fn no_dirs_left(fx: &Fixture) {
    for d in fx.cgroup_dirs() {
        assert!(!d.exists(), "{} left behind", d.display());
    }
}

#[test]
fn limits_read_back_and_the_init_is_in_every_hierarchy() {
    let mut fx = fixture!("cglimits");
    if let Some(why) = v1_lacks(&["memory", "cpu", "pids"]) {
        skip!("{why}");
    }
    fx.spec.extra_linux.push((
        "resources".into(),
        r#"{"devices":[{"allow":false,"access":"rwm"}],
            "memory":{"limit":67108864,"reservation":33554432},
            "cpu":{"shares":512,"quota":20000,"period":100000},
            "pids":{"limit":50}}"#
            .into(),
    ));
    fx.spec.probe(&["wait-signal"]);
    let mut run = fx.spawn();
    run.wait_line(|l| l == "ready");
    assert_eq!(
        read(dir(&fx, "memory").join("memory.limit_in_bytes")),
        "67108864"
    );
    assert_eq!(
        read(dir(&fx, "memory").join("memory.soft_limit_in_bytes")),
        "33554432"
    );
    assert_eq!(read(dir(&fx, "cpu").join("cpu.cfs_quota_us")), "20000");
    assert_eq!(read(dir(&fx, "cpu").join("cpu.cfs_period_us")), "100000");
    assert_eq!(read(dir(&fx, "cpu").join("cpu.shares")), "512");
    assert_eq!(read(dir(&fx, "pids").join("pids.max")), "50");
    // The host side: the container's init is in its cgroup in every hierarchy.
    let pids = fx.container_pids();
    assert_eq!(pids.len(), 1, "{pids:?}");
    for d in fx.cgroup_dirs() {
        let procs = read(d.join("cgroup.procs"));
        assert_eq!(procs, pids[0].to_string(), "{}", d.display());
    }
    run.signal(sys::SIGTERM);
    fx.finish(run);
    no_dirs_left(&fx);
}

#[test]
fn the_probe_sees_its_cgroup_in_every_hierarchy() {
    let mut fx = fixture!("cgself");
    // Without a cgroup namespace /proc/self/cgroup shows the host's paths.
    fx.spec.remove_namespace("cgroup");
    fx.spec.cgroups_path = Some(format!("/runlet-test-{}", fx.id));
    fx.spec
        .extra_linux
        .push(("resources".into(), r#"{"pids":{"limit":20}}"#.into()));
    let r = fx.run().report();
    let lines = r.all("cgroup");
    let want = format!("/runlet-test-{}", fx.id);
    assert_eq!(lines.len(), cgroup_mounts().len(), "{lines:#?}");
    for l in &lines {
        assert!(l.ends_with(&format!(":{want}")), "{l} (want {want})");
    }
    no_dirs_left(&fx);
}

#[test]
fn a_pids_limit_of_n_stops_the_nth_process() {
    let mut fx = fixture!("cgpids");
    if let Some(why) = v1_lacks(&["pids"]) {
        skip!("{why}");
    }
    fx.spec
        .extra_linux
        .push(("resources".into(), r#"{"pids":{"limit":4}}"#.into()));
    // The init and 3 children make 4; the 4th fork is the 5th process.
    fx.spec.probe(&["fork-n", "4"]);
    let out = fx.run();
    out.assert_exit(0);
    assert!(out.stdout.contains("forked=3\n"), "{}", out.context());
    assert!(out.stdout.contains("fork_err=EAGAIN"), "{}", out.context());

    // The same without the limit: all four forks work (the test can fail).
    let mut fx = fixture!("cgpidsfree");
    fx.spec.probe(&["fork-n", "4"]);
    let out = fx.run();
    assert!(out.stdout.contains("forked=4\n"), "{}", out.context());
}

/// Whether the kernel accounts swap in v1 (`memory.memsw.*`, swap accounting on).
fn v1_swap_accounting() -> bool {
    v1_mount("memory").is_some_and(|m| m.join("memory.memsw.limit_in_bytes").exists())
}

/// Whether swap is on (a limit without swap accounting lets a process swap instead).
fn swap_on() -> bool {
    fs::read_to_string("/proc/swaps").is_ok_and(|s| s.lines().count() > 1)
}

#[test]
fn a_memory_limit_kills_a_probe_that_allocates_past_it() {
    let mut fx = fixture!("cgoom");
    if let Some(why) = v1_lacks(&["memory"]) {
        skip!("{why}");
    }
    // swap = limit: no swap to escape into (swap accounting: cgroup_optional.rs).
    let res = if v1_swap_accounting() {
        r#"{"memory":{"limit":33554432,"swap":33554432}}"#
    } else if swap_on() {
        skip!("swap is on and not accounted (no memory.memsw.*): a limit cannot force an OOM kill");
    } else {
        r#"{"memory":{"limit":33554432}}"#
    };
    fx.spec.extra_linux.push(("resources".into(), res.into()));
    fx.spec.probe(&["alloc", "256"]);
    let out = fx.run();
    out.assert_exit(128 + sys::SIGKILL);
    assert!(!out.stdout.contains("allocated="), "{}", out.context());

    let mut fx = fixture!("cgoomfree");
    fx.spec.extra_linux.push((
        "resources".into(),
        r#"{"memory":{"limit":536870912}}"#.into(),
    ));
    fx.spec.probe(&["alloc", "64"]);
    let out = fx.run();
    out.assert_exit(0);
    assert!(out.stdout.contains("allocated=64"), "{}", out.context());
}

#[test]
fn update_changes_limits_live_and_events_reports_them() {
    let mut fx = fixture!("cgupdate");
    if let Some(why) = v1_lacks(&["pids", "memory", "cpu"]) {
        skip!("{why}");
    }
    fx.spec.extra_linux.push((
        "resources".into(),
        r#"{"pids":{"limit":10},"memory":{"limit":67108864}}"#.into(),
    ));
    fx.spec.probe(&["wait-signal"]);
    let mut run = fx.spawn();
    run.wait_line(|l| l == "ready");

    let ok = |args: &[&str]| {
        let o = fx.command(args).output().expect("run runlet");
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(o.status.success(), "runlet {args:?}: {err}");
        text
    };
    ok(&["update", "--pids-limit", "20", "--memory", "128m", &fx.id]);
    assert_eq!(read(dir(&fx, "pids").join("pids.max")), "20");
    assert_eq!(
        read(dir(&fx, "memory").join("memory.limit_in_bytes")),
        "134217728"
    );

    let file = fx.dir.join("res.json");
    fs::write(
        &file,
        r#"{"cpu":{"quota":30000,"period":100000},"pids":{"limit":30}}"#,
    )
    .unwrap();
    ok(&["update", "--resources", file.to_str().unwrap(), &fx.id]);
    assert_eq!(read(dir(&fx, "cpu").join("cpu.cfs_quota_us")), "30000");
    assert_eq!(read(dir(&fx, "pids").join("pids.max")), "30");

    let stats = ok(&["events", "--stats", &fx.id]);
    let want = format!(r#"{{"type":"stats","id":"{}","data":{{"#, fx.id);
    assert!(stats.starts_with(&want), "{stats}");
    assert!(
        stats.contains(r#""pids":{"current":1,"limit":30}"#),
        "{stats}"
    );
    assert!(stats.contains(r#""limit":134217728"#), "{stats}");

    // A bad value: one line naming it, and the limit unchanged.
    let o = fx
        .command(&["update", "--cpu-quota", "5", &fx.id])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("cpu.quota 5"), "{err}");
    assert_eq!(read(dir(&fx, "cpu").join("cpu.cfs_quota_us")), "30000");

    run.signal(sys::SIGTERM);
    fx.finish(run);
    no_dirs_left(&fx);
}

#[test]
fn a_relative_cgroups_path_goes_below_runlets_own_cgroup() {
    let mut fx = fixture!("cgrel");
    if let Some(why) = v1_lacks(&["pids", "memory"]) {
        skip!("{why}");
    }
    let rel = format!("runlet-rel-{}", fx.id);
    fx.spec.cgroups_path = Some(rel.clone());
    fx.spec.probe(&["wait-signal"]);
    let mut run = fx.spawn();
    run.wait_line(|l| l == "ready");
    // runlet (the child of this test) shares the test's v1 cgroups.
    let own = fs::read_to_string("/proc/self/cgroup").unwrap();
    let mem = own
        .lines()
        .find_map(|l| l.split_once(":memory:").map(|(_, p)| p))
        .expect("a v1 memory line")
        .trim_start_matches('/')
        .to_string();
    let d = v1_mount("memory").unwrap().join(&mem).join(&rel);
    let pids = fx.container_pids();
    assert_eq!(
        read(d.join("cgroup.procs")),
        pids[0].to_string(),
        "{}",
        d.display()
    );
    run.signal(sys::SIGTERM);
    fx.finish(run);
    assert!(!d.exists(), "{} left behind", d.display());
}

#[test]
fn a_resource_the_config_gets_wrong_is_one_line() {
    let mut fx = fixture!("cgbad");
    fx.spec
        .extra_linux
        .push(("resources".into(), r#"{"memory":{"limit":"lots"}}"#.into()));
    fx.run()
        .assert_error(&["linux.resources.memory.limit must be an integer"]);
    no_dirs_left(&fx);
}

#[test]
fn every_v1_resource_reads_back() {
    let mut fx = fixture!("cgall");
    if let Some(why) = v1_lacks(&["memory", "cpuset", "devices"]) {
        skip!("{why}");
    }
    fx.spec.extra_linux.push((
        "resources".into(),
        r#"{"devices":[{"allow":false,"access":"rwm"}],
            "memory":{"limit":67108864,"reservation":1048576,
                      "swappiness":10,"disableOOMKiller":true},
            "cpu":{"shares":256,"cpus":"0","mems":"0"}}"#
            .into(),
    ));
    fx.spec.probe(&["wait-signal"]);
    let mut run = fx.spawn();
    run.wait_line(|l| l == "ready");
    let mem = dir(&fx, "memory");
    assert_eq!(read(mem.join("memory.soft_limit_in_bytes")), "1048576");
    assert_eq!(read(mem.join("memory.swappiness")), "10");
    assert!(read(mem.join("memory.oom_control")).starts_with("oom_kill_disable 1"));
    assert_eq!(read(dir(&fx, "cpuset").join("cpuset.cpus")), "0");
    assert_eq!(read(dir(&fx, "cpuset").join("cpuset.mems")), "0");
    let list = read(dir(&fx, "devices").join("devices.list"));
    assert!(list.starts_with("c *:* m\nb *:* m\nc 1:3 rwm"), "{list}");
    assert!(!list.contains("a *:* rwm"), "{list}");
    run.signal(sys::SIGTERM);
    fx.finish(run);
}

#[test]
fn v1_only_host_kills_orphans_of_a_host_pid_namespace_container_through_the_freezer() {
    // With cgroup2 hidden (a private mount namespace), runlet sees a plain v1 host and
    // has no cgroup.kill: the orphans die through the v1 freezer.
    let mut fx = fixture!("cgfreeze");
    if let Some(why) = v1_lacks(&["freezer"]) {
        skip!("{why}");
    }
    fx.spec.remove_namespace("pid");
    fx.spec.probe(&["spawn-orphan", "300"]);
    let hide = match cgroup2_mount() {
        Some(m) => format!("umount {} && ", m.display()),
        None => String::new(),
    };
    let mut c = std::process::Command::new("unshare");
    c.args(["--mount", "--propagation", "private", "sh", "-c"]);
    c.arg(format!(r#"{hide}exec "$@""#)).arg("sh");
    c.arg(runlet_tests::harness::runlet_bin())
        .arg("--root")
        .arg(&fx.root);
    c.args(["run", "-b"]).arg(&fx.bundle).arg(&fx.id);
    // finish() fails if a process with the container's root survives.
    let out = fx.run_cmd(c);
    out.assert_exit(0);
    assert!(out.stdout.contains("orphan="), "{}", out.context());
    no_dirs_left(&fx);
}

#[test]
fn update_and_events_of_a_missing_container_are_one_line() {
    let fx = fixture!("cgmissing");
    for args in [
        vec!["update", "--pids-limit", "5", fx.id.as_str()],
        vec!["events", "--stats", fx.id.as_str()],
    ] {
        let o = fx.command(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?}");
        assert_eq!(
            err.trim(),
            format!("runlet: container {} does not exist", fx.id),
            "{args:?}"
        );
    }
}
