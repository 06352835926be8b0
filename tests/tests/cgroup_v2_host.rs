//! A pure cgroup v2 host, as runlet sees it: the test runs runlet in a private mount
//! namespace where the v1 hierarchies are unmounted and cgroup2 is mounted at
//! /sys/fs/cgroup (`Fixture::pure_v2`; on a pure v2 host, the host as it is). The
//! cgroup2 hierarchy is the host's own, so the leak checks still see it.

use runlet_tests::harness::{cgroup2_mount, pure_v2_unavailable, Fixture};
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

/// `runlet run` in a private mount namespace where `setup` (sh) ran first.
fn run_after(fx: &Fixture, setup: &str) -> std::process::Command {
    let mut c = std::process::Command::new("unshare");
    c.args(["--mount", "--propagation", "private", "sh", "-c"]);
    c.arg(format!(r#"{setup} && exec "$@""#)).arg("sh");
    c.arg(runlet_tests::harness::runlet_bin())
        .arg("--root")
        .arg(&fx.root);
    c.args(["run", "-b"]).arg(&fx.bundle).arg(&fx.id);
    c
}

#[test]
fn a_tmpfs_stacked_on_cgroup2_hides_it_and_runlet_uses_what_is_visible() {
    // The topmost mount at a point wins: runlet must not open the tmpfs as cgroup2
    // (clone3 would fail EBADF). It runs the container in what is still visible.
    let mut fx = fixture!("v2stacked");
    let Some(m) = cgroup2_mount() else {
        skip!("no cgroup2 mount on this host to stack a tmpfs on");
    };
    fx.spec.remove_namespace("cgroup");
    let setup = format!("mount -t tmpfs tmpfs {}", m.display());
    let r = fx.run_cmd(run_after(&fx, &setup)).report();
    let lines = r.all("cgroup");
    let mine = format!("/runlet/{}", fx.id);
    // cgroup2 is hidden: the init was not placed there.
    assert!(!unified_line(&r).ends_with(&mine), "{lines:#?}");
    // Every v1 hierarchy still visible holds it (none on a pure v2 host).
    let v1 = lines.iter().filter(|l| !l.starts_with("0::"));
    for l in v1 {
        assert!(l.ends_with(&format!(":{mine}")), "{l} (want {mine})");
    }
    assert!(
        !fx.v2_dir().exists(),
        "{} left behind",
        fx.v2_dir().display()
    );
}

#[test]
fn cgroup2_mounted_again_on_the_stacked_tmpfs_is_the_one_used() {
    let mut fx = fixture!("v2restacked");
    let Some(m) = cgroup2_mount() else {
        skip!("no cgroup2 mount on this host to stack a tmpfs on");
    };
    fx.spec.remove_namespace("cgroup");
    let m = m.display();
    let setup = format!("mount -t tmpfs tmpfs {m} && mount -t cgroup2 none {m}");
    let r = fx.run_cmd(run_after(&fx, &setup)).report();
    let want = format!("0::/runlet/{}", fx.id);
    assert_eq!(unified_line(&r), want, "{}", r.all("cgroup").join("\n"));
    assert!(
        !fx.v2_dir().exists(),
        "{} left behind",
        fx.v2_dir().display()
    );
}

#[test]
fn a_cgroup2_mount_outside_sys_fs_cgroup_listed_first_is_not_used() {
    // As a container's rootfs shows one while it runs (rshared propagation): listed
    // before /sys/fs/cgroup, read-only here so that using it fails (EROFS).
    let mut fx = fixture!("v2elsewhere");
    if let Some(why) = pure_v2_unavailable() {
        skip!("{why}");
    }
    fx.spec.remove_namespace("cgroup");
    let other = fx.dir.join("other-cgroup2");
    std::fs::create_dir_all(&other).unwrap();
    let setup = format!(
        "mount -t cgroup2 -o ro none {} && umount -R /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup",
        other.display()
    );
    let r = fx.run_cmd(run_after(&fx, &setup)).report();
    let want = format!("0::/runlet/{}", fx.id);
    assert_eq!(unified_line(&r), want, "{}", r.all("cgroup").join("\n"));
    assert!(
        !fx.v2_dir().exists(),
        "{} left behind",
        fx.v2_dir().display()
    );
}
