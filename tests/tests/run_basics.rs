//! `runlet run` end to end: what the container's first process sees, its
//! namespaces and cgroups, stdio, and the bundle/root arguments.
//! Every run also checks that nothing leaked (see `Fixture::finish`).

use runlet_tests::harness::{cgroup_mounts, host_mount_points, host_ns};
use runlet_tests::{fixture, sys};
use std::fs;
use std::os::unix::fs::MetadataExt;

#[test]
fn default_bundle_reports_pid_one_and_its_own_world() {
    let fx = fixture!("basics");
    let r = fx.run().report();
    assert_eq!(
        r.num("pid"),
        1,
        "the process must be PID 1 of its namespace"
    );
    assert_eq!(r.num("ppid"), 0);
    assert_eq!(r.must("hostname"), "runlet");
    assert_eq!(
        (r.num("uid"), r.num("gid"), r.num("euid"), r.num("egid")),
        (0, 0, 0, 0)
    );
    assert_eq!(
        r.groups(),
        Vec::<u32>::new(),
        "no additionalGids: the host's supplementary groups must be dropped"
    );
    assert_eq!(r.must("cwd"), "/");
    // Only what the container asked for: fds 0, 1, 2, and only a loopback interface.
    assert_eq!(
        r.fds(),
        vec![0, 1, 2],
        "open fds in the container:\n{}",
        r.all("fd").join("\n")
    );
    assert_eq!(
        r.netifs(),
        vec!["lo"],
        "a new network namespace holds only lo"
    );
    // New namespaces of every type asked for; the user namespace is the host's.
    for (oci, ns) in [
        ("pid", "pid"),
        ("network", "net"),
        ("ipc", "ipc"),
        ("uts", "uts"),
        ("mount", "mnt"),
        ("cgroup", "cgroup"),
    ] {
        let inside = r.ns(ns).unwrap_or_else(|| panic!("no ns={ns} line"));
        assert_ne!(inside, host_ns(ns), "{oci} namespace must be new");
    }
    assert_eq!(r.ns("user").unwrap(), host_ns("user"));
    // A cgroup namespace rooted at the container's cgroup: every path is "/".
    let cg = r.all("cgroup");
    assert!(!cg.is_empty());
    for l in cg {
        assert!(
            l.ends_with(":/"),
            "cgroup line {l:?} should show the namespace root"
        );
    }
    // root.readonly is true in the runc default.
    assert!(
        r.must_mount("/").is_ro(),
        "the rootfs must be read-only: {:?}",
        r.must_mount("/")
    );
}

#[test]
fn hostname_from_config() {
    let mut fx = fixture!("hostname");
    fx.spec.hostname = Some("edge-box-7".into());
    assert_eq!(fx.run().report().must("hostname"), "edge-box-7");
}

#[test]
fn env_and_cwd_are_exactly_the_configs() {
    let mut fx = fixture!("envcwd");
    fx.spec.env = vec![
        "PATH=/bin".into(),
        "A=1".into(),
        "B=two words".into(),
        "C=x=y".into(),
        "EMPTY=".into(),
    ];
    fx.spec.cwd = "/tmp".into();
    // A host variable of runlet's must not reach the container.
    let mut cmd = fx.run_command();
    cmd.env("RUNLET_TEST_HOST_ONLY", "leak");
    let r = fx.run_cmd(cmd).report();
    assert_eq!(r.must("cwd"), "/tmp");
    let env = r.env();
    for (k, v) in [
        ("PATH", "/bin"),
        ("A", "1"),
        ("B", "two words"),
        ("C", "x=y"),
        ("EMPTY", ""),
    ] {
        assert_eq!(r.env_var(k).as_deref(), Some(v), "env {k} in {env:?}");
    }
    // runc adds HOME when missing; nothing else may appear.
    let extra: Vec<_> = env
        .iter()
        .filter(|(k, _)| !["PATH", "A", "B", "C", "EMPTY", "HOME"].contains(&k.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "unexpected variables in the container: {extra:?}"
    );
}

#[test]
fn absolute_root_path() {
    let mut fx = fixture!("absroot");
    fx.spec.root_path = fx.bundle.join("rootfs").to_string_lossy().into_owned();
    assert_eq!(fx.run().report().num("pid"), 1);
}

#[test]
fn readonly_rootfs_refuses_writes() {
    let fx = fixture!("rootro");
    // Default spec: root.readonly = true.
    let mut fx = fx;
    fx.spec
        .probe(&["report", "--write", "/newfile", "--write", "/tmp/newfile"]);
    let r = fx.run().report();
    assert!(r.must_mount("/").is_ro());
    assert_eq!(r.answer("write", "/newfile"), "err EROFS");
    assert_eq!(r.answer("write", "/tmp/newfile"), "err EROFS");
    assert!(!fx.rootfs().join("newfile").exists());
}

#[test]
fn writable_rootfs_when_not_readonly() {
    let mut fx = fixture!("rootrw");
    fx.spec.root_readonly = false;
    fx.spec.probe(&["report", "--write", "/newfile"]);
    let r = fx.run().report();
    assert!(!r.must_mount("/").is_ro());
    assert_eq!(r.answer("write", "/newfile"), "ok");
    assert!(
        fx.rootfs().join("newfile").exists(),
        "the write must land in the bundle's rootfs"
    );
}

#[test]
fn bundle_defaults_to_the_current_directory() {
    let fx = fixture!("cwdbundle");
    let mut cmd = fx.command(&["run", fx.id.as_str()]);
    cmd.current_dir(&fx.bundle);
    assert_eq!(fx.run_cmd(cmd).report().num("pid"), 1);
}

#[test]
fn missing_state_root_is_created() {
    let fx = fixture!("newroot");
    fs::remove_dir(&fx.root).unwrap();
    assert_eq!(fx.run().report().num("pid"), 1);
}

#[test]
fn container_stdio_is_runlets() {
    let mut fx = fixture!("stdio");
    fx.spec.probe(&["say-stderr", "hello from the container"]);
    let out = fx.run();
    out.assert_exit(0);
    assert_eq!(
        out.stderr,
        "hello from the container\n",
        "{}",
        out.context()
    );
    assert_eq!(out.stdout, "");
}

#[test]
fn placed_in_its_own_cgroup_in_every_hierarchy() {
    let mut fx = fixture!("cgroup");
    fx.spec.probe(&["wait-signal"]);
    let mut run = fx.spawn();
    run.wait_line(|l| l == "ready");
    let pids = fx.container_pids();
    assert_eq!(
        pids.len(),
        1,
        "exactly one process in the container: {pids:?}"
    );
    let init = pids[0];
    let hierarchies = cgroup_mounts();
    assert!(!hierarchies.is_empty());
    for dir in fx.cgroup_dirs() {
        let procs = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the container must have a cgroup in every hierarchy)",
                dir.display()
            )
        });
        let procs: Vec<u32> = procs
            .split_whitespace()
            .map(|p| p.parse().unwrap())
            .collect();
        assert_eq!(procs, vec![init], "{}/cgroup.procs", dir.display());
    }
    // And the host's view of the process agrees, line by line.
    let want = format!("/runlet/{}", fx.id);
    let cg = fs::read_to_string(format!("/proc/{init}/cgroup")).unwrap();
    for l in cg.lines() {
        assert!(
            l.ends_with(&want),
            "/proc/{init}/cgroup line {l:?} should end with {want}"
        );
    }
    // While it runs: the state dir exists, and none of its mounts show on the host.
    assert!(
        fx.state_dir().is_dir(),
        "no state dir {} while running",
        fx.state_dir().display()
    );
    let on_host: Vec<_> = host_mount_points()
        .into_iter()
        .filter(|m| m.starts_with(&fx.dir))
        .collect();
    assert!(
        on_host.is_empty(),
        "container mounts propagated to the host: {on_host:?}"
    );
    run.signal(sys::SIGTERM);
    let out = fx.finish(run);
    out.assert_exit(0);
}

#[test]
fn joins_a_network_namespace_by_path() {
    let mut fx = fixture!("netns");
    let ns = fx.make_netns();
    let ino = fs::metadata(&ns).unwrap().ino();
    fx.spec.join_namespace("network", &ns.to_string_lossy());
    let r = fx.run().report();
    assert_eq!(
        r.ns("net").unwrap(),
        format!("net:[{ino}]"),
        "the container must be in the namespace at {}",
        ns.display()
    );
    assert_eq!(r.netifs(), vec!["lo"]);
    // Joining must not consume or unmount the namespace the user handed in.
    assert_eq!(fs::metadata(&ns).unwrap().ino(), ino);
}

#[test]
fn runs_the_config_runc_spec_writes() {
    let fx = fixture!("runcspec");
    // `runc spec` (runc 1.1.5) verbatim, with terminal false, linux.resources removed,
    // and the probe as the process: the issue says this must run as it is.
    let text = include_str!("data/runc-spec.json")
        .replace("\"terminal\": true", "\"terminal\": false")
        .replace("\"sh\"", "\"/probe\", \"report\"");
    let start = text.find("\"resources\"").unwrap();
    let end = text[start..].find("\"namespaces\"").unwrap() + start;
    let text = format!("{}{}", &text[..start], &text[end..]);
    let mut fx = fx;
    fx.config_text = Some(text);
    let r = fx.run().report();
    assert_eq!(r.num("pid"), 1);
    assert_eq!(r.must("hostname"), "runc");
}
