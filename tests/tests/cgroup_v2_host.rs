//! A pure cgroup v2 host, as runlet sees it: the test runs runlet in a private mount
//! namespace where the v1 hierarchies are unmounted and cgroup2 is mounted at
//! /sys/fs/cgroup. The cgroup2 hierarchy is the host's own (the one at
//! /sys/fs/cgroup/unified here), so the leak checks still see it.

use runlet_tests::fixture;
use runlet_tests::harness::Fixture;

/// The probe's cgroup2 line ("0::/path").
fn unified_line(r: &runlet_tests::report::Report) -> String {
    let all = r.all("cgroup");
    all.iter()
        .find(|l| l.starts_with("0::"))
        .map(|l| l.to_string())
        .unwrap_or_default()
}

/// The simulation needs the hybrid layout's cgroup2 mount. Elsewhere there is nothing
/// to simulate with: on a pure v2 host the other tests run this path for real.
fn hybrid_host(test: &str) -> bool {
    let ok = std::path::Path::new("/sys/fs/cgroup/unified/cgroup.procs").exists();
    if !ok {
        eprintln!("SKIP {test}: no cgroup2 mount at /sys/fs/cgroup/unified (not a hybrid host)");
    }
    ok
}

fn unified_dir(fx: &Fixture) -> std::path::PathBuf {
    std::path::Path::new("/sys/fs/cgroup/unified/runlet").join(&fx.id)
}

#[test]
fn placed_at_birth_and_cgroup2_mounted_with_a_cgroup_namespace() {
    let fx = fixture!("v2ns");
    if !hybrid_host("placed_at_birth_and_cgroup2_mounted_with_a_cgroup_namespace") {
        return;
    }
    let r = fx.run_cmd(fx.pure_v2_run_command()).report();
    assert_eq!(unified_line(&r), "0::/", "{}", r.all("cgroup").join("\n"));
    let m = r.all("mount");
    let cg: Vec<&&str> = m
        .iter()
        .filter(|l| l.starts_with("/sys/fs/cgroup"))
        .collect();
    assert_eq!(
        cg.len(),
        1,
        "one cgroup2 mount and nothing below it: {m:#?}"
    );
    assert!(cg[0].starts_with("/sys/fs/cgroup cgroup2 ro,"), "{}", cg[0]);
    assert!(
        !unified_dir(&fx).exists(),
        "{} left behind",
        unified_dir(&fx).display()
    );
}

#[test]
fn placed_at_birth_without_a_cgroup_namespace() {
    let mut fx = fixture!("v2plain");
    if !hybrid_host("placed_at_birth_without_a_cgroup_namespace") {
        return;
    }
    fx.spec.remove_namespace("cgroup");
    let r = fx.run_cmd(fx.pure_v2_run_command()).report();
    let want = format!("0::/runlet/{}", fx.id);
    assert_eq!(unified_line(&r), want, "{}", r.all("cgroup").join("\n"));
    assert!(
        !unified_dir(&fx).exists(),
        "{} left behind",
        unified_dir(&fx).display()
    );
}
