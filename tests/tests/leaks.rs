//! Host-wide leak checks. One #[test] on purpose: it compares the test process's
//! fds and the host's mounts, interfaces and cgroups before and after a series of
//! containers (successful, failing, signalled, orphan-leaving), which is only
//! meaningful when nothing else in this process runs at the same time.

use runlet_tests::harness::{cgroup_mounts, require_root, spawn, stray_zombie_children};
use runlet_tests::{sys, Fixture};
use std::collections::BTreeSet;
use std::fs;

#[derive(Debug, PartialEq)]
struct Snapshot {
    fds: BTreeSet<String>,
    mounts: BTreeSet<String>,
    netifs: BTreeSet<String>,
    our_cgroups: BTreeSet<String>,
    default_root: BTreeSet<String>,
    zombies: Vec<u32>,
}

fn names(dir: &str) -> BTreeSet<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn snapshot() -> Snapshot {
    let mut fds = BTreeSet::new();
    let listed: Vec<_> = fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    for p in listed {
        // The directory's own fd is gone by now and fails readlink.
        if let Ok(t) = fs::read_link(&p) {
            fds.insert(format!(
                "{} -> {}",
                p.file_name().unwrap().to_string_lossy(),
                t.display()
            ));
        }
    }
    let mounts = fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            format!(
                "{} {} {}",
                f[4],
                f[3],
                l.split_once(" - ").map(|x| x.1).unwrap_or("")
            )
        })
        .collect();
    let tag = format!("-{}-", std::process::id());
    let mut our_cgroups = BTreeSet::new();
    for m in cgroup_mounts() {
        // runlet's default parent must go with the last container that used it.
        if m.join("runlet").exists() {
            our_cgroups.insert(format!("{}/runlet", m.display()));
        }
        for n in names(&m.join("runlet").to_string_lossy()) {
            if n.contains(&tag) {
                our_cgroups.insert(format!("{}/runlet/{n}", m.display()));
            }
        }
    }
    Snapshot {
        fds,
        mounts,
        netifs: names("/sys/class/net"),
        our_cgroups,
        default_root: names("/run/runlet"),
        zombies: stray_zombie_children(),
    }
}

fn fixture(name: &str) -> Fixture {
    Fixture::new(name, option_env!("CARGO_BIN_EXE_probe")).expect("root")
}

fn scenarios() {
    let fx = fixture("lk-report");
    assert_eq!(fx.run().report().num("pid"), 1);

    let mut fx = fixture("lk-exit");
    fx.spec.probe(&["exit", "3"]);
    fx.run().assert_exit(3);

    let mut fx = fixture("lk-crash");
    fx.spec.probe(&["crash"]);
    fx.run().assert_exit(139);

    let mut fx = fixture("lk-nope");
    fx.spec.args(&["/nope"]);
    fx.run().assert_error(&["exec /nope"]);

    let mut fx = fixture("lk-noconfig");
    fx.write_config = false;
    fx.run().assert_error(&["config.json"]);

    let mut fx = fixture("lk-norootfs");
    fx.spec.root_path = "missing".into();
    fx.run().assert_error(&["rootfs"]);

    let mut fx = fixture("lk-seccomp");
    fx.spec.extra_linux.push((
        "seccomp".into(),
        r#"{"defaultAction": "SCMP_ACT_NOTIFY"}"#.into(),
    ));
    fx.run().assert_error(&["linux.seccomp.defaultAction"]);

    let fx = fixture("lk-dup");
    fs::create_dir_all(fx.state_dir()).unwrap();
    fx.prepare();
    spawn(fx.run_command()).wait().assert_error(&[]);
    fs::remove_dir(fx.state_dir()).unwrap();

    let mut fx = fixture("lk-signal");
    fx.spec.probe(&["wait-signal"]);
    let mut run = fx.spawn();
    run.wait_line(|l| l == "ready");
    run.signal(sys::SIGTERM);
    fx.finish(run).assert_exit(0);

    let mut fx = fixture("lk-orphan");
    fx.spec.probe(&["spawn-orphan", "300"]);
    fx.run().assert_exit(0);

    let mut fx = fixture("lk-orphan-hostpid");
    fx.spec.remove_namespace("pid");
    fx.spec.probe(&["spawn-orphan", "300"]);
    fx.run().assert_exit(0);

    // A user namespace: a run, an id-mapped mount, and a failure after the clone
    // (uid 0 unmapped: the child cannot become the namespace's root).
    let mut fx = fixture("lk-userns");
    runlet_tests::userns::add_userns(&mut fx, &[(0, 350_000, 65536)]);
    let vol = fx.dir.join("vol");
    fs::create_dir_all(&vol).unwrap();
    fx.spec.mounts.push(runlet_tests::Mount::bind(
        vol.to_str().unwrap(),
        "/vol",
        &["bind", "idmap"],
    ));
    fx.run().report();
    let mut fx = fixture("lk-userns-bad");
    runlet_tests::userns::add_userns(&mut fx, &[(1, 350_000, 100)]);
    fx.run().assert_error(&["is gid 0 mapped?"]);

    let mut fx = fixture("lk-netns");
    let ns = fx.make_netns();
    fx.spec.join_namespace("network", &ns.to_string_lossy());
    fx.run().report();

    // A veth pair made and removed; one refused after its host end was checked.
    let host_end = format!("rl{}", std::process::id() % 1_000_000);
    for (name, bridge) in [("lk-veth", None), ("lk-vethbad", Some("rl-no-bridge"))] {
        let mut fx = fixture(name);
        let mut a = format!(
            r#"{{"run.runlet.net.veth0.host-name": "{host_end}", "run.runlet.net.veth0.address": "10.199.9.2/24", "run.runlet.net.veth0.host-address": "10.199.9.1/24""#
        );
        if let Some(b) = bridge {
            a = format!(
                r#"{{"run.runlet.net.veth0.host-name": "{host_end}", "run.runlet.net.veth0.bridge": "{b}""#
            );
        }
        fx.spec.extra_top.push(("annotations".into(), a + "}"));
        match bridge {
            None => assert_eq!(fx.run().report().num("pid"), 1),
            Some(_) => fx.run().assert_error(&["rl-no-bridge: no such interface"]),
        }
    }
}

#[test]
fn nothing_leaks_across_many_containers() {
    if !require_root("nothing_leaks_across_many_containers") {
        return;
    }
    let before = snapshot();
    for _ in 0..2 {
        scenarios();
    }
    let after = snapshot();
    let diff = |what: &str, a: &BTreeSet<String>, b: &BTreeSet<String>| {
        let gone: Vec<_> = a.difference(b).collect();
        let new: Vec<_> = b.difference(a).collect();
        if gone.is_empty() && new.is_empty() {
            String::new()
        } else {
            format!("{what}: new {new:?}, gone {gone:?}\n")
        }
    };
    let report = [
        diff("fds of the test process", &before.fds, &after.fds),
        diff("host mounts", &before.mounts, &after.mounts),
        diff("host network interfaces", &before.netifs, &after.netifs),
        diff(
            "cgroups of our containers",
            &before.our_cgroups,
            &after.our_cgroups,
        ),
        diff(
            "/run/runlet (never used by tests)",
            &before.default_root,
            &after.default_root,
        ),
    ]
    .concat();
    assert!(report.is_empty(), "leaked:\n{report}");
    assert!(
        after.zombies.is_empty(),
        "zombie children: {:?}",
        after.zombies
    );
}
