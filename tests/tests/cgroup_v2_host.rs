//! A pure cgroup v2 host, as runlet sees it: the test runs runlet in a private mount
//! namespace where the v1 hierarchies are unmounted and cgroup2 is mounted at
//! /sys/fs/cgroup (`Fixture::pure_v2`; on a pure v2 host, the host as it is). The
//! cgroup2 hierarchy is the host's own, so the leak checks still see it.

use runlet_tests::harness::{pure_v2_unavailable, Fixture};
use runlet_tests::{fixture, skip};

/// The probe's cgroup2 line ("0::/path").
fn unified_line(r: &runlet_tests::report::Report) -> String {
    let all = r.all("cgroup");
    all.iter()
        .find(|l| l.starts_with("0::"))
        .map(|l| l.to_string())
        .unwrap_or_default()
}

fn unified_dir(fx: &Fixture) -> std::path::PathBuf {
    fx.v2_dir()
}

#[test]
fn placed_at_birth_and_cgroup2_mounted_with_a_cgroup_namespace() {
    let fx = fixture!("v2ns");
    if let Some(why) = pure_v2_unavailable() {
        skip!("{why}");
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
    if let Some(why) = pure_v2_unavailable() {
        skip!("{why}");
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
