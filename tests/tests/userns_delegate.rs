//! cgroup2 delegation to a user namespace container's root (docs/userns.md), as runc:
//! with a new user namespace, a new cgroup namespace and a writable `cgroup` mount,
//! the container's cgroup2 directory is its root's; with a read-only mount it is not.
//! A cgroup the container makes below its own goes with it.

use std::path::Path;

use runlet_tests::harness::Fixture;
use runlet_tests::{fixture, skip};

const HOST_ROOT: u32 = 330_000;

fn userns(fx: &mut Fixture) {
    runlet_tests::userns::add_userns(fx, &[(0, HOST_ROOT, 65536)]);
}

/// Where the container sees its cgroup2 hierarchy under its cgroup mount: the mount
/// itself on a pure v2 host, `unified` below it on a hybrid one. None: no cgroup2.
fn v2_inside() -> Option<String> {
    let mount = runlet_tests::harness::cgroup2_mount()?;
    Some(match mount == Path::new("/sys/fs/cgroup") {
        true => "/sys/fs/cgroup".into(),
        false => format!("/sys/fs/cgroup/{}", mount.file_name()?.to_string_lossy()),
    })
}

fn cgroup_mount_rw(fx: &mut Fixture, rw: bool) {
    let m = fx
        .spec
        .mounts
        .iter_mut()
        .find(|m| m.destination == "/sys/fs/cgroup")
        .expect("runc's default has a cgroup mount");
    m.options.retain(|o| o != "ro" && o != "rw");
    m.options.push(if rw { "rw" } else { "ro" }.into());
}

#[test]
fn writable_cgroup_mount_delegates_the_cgroup2_directory() {
    let mut fx = fixture!("userns-deleg");
    let Some(inside) = v2_inside() else {
        skip!("no cgroup2 hierarchy on this host");
    };
    userns(&mut fx);
    cgroup_mount_rw(&mut fx, true);
    fx.spec.probe(&[
        "report",
        "--stat",
        &inside,
        "--stat",
        &format!("{inside}/cgroup.procs"),
    ]);
    let r = fx.run().report();
    assert!(
        r.answer("stat", &inside).starts_with("dir 0755 0 0 "),
        "{}",
        r.dump()
    );
    let procs = r.answer("stat", &format!("{inside}/cgroup.procs"));
    assert!(procs.contains(" 0 0 "), "{procs}");
    // Its root may make a cgroup below its own; it goes with the container.
    fx.spec.probe(&["mkdir", &format!("{inside}/sub")]);
    let out = fx.run();
    out.assert_exit(0);
    assert!(out.stdout.contains("mkdir=ok 0"), "{}", out.stdout);
}

#[test]
fn read_only_cgroup_mount_delegates_nothing() {
    let mut fx = fixture!("userns-nodeleg");
    let Some(inside) = v2_inside() else {
        skip!("no cgroup2 hierarchy on this host");
    };
    userns(&mut fx);
    cgroup_mount_rw(&mut fx, false);
    fx.spec.probe(&["report", "--stat", &inside]);
    let r = fx.run().report();
    assert!(
        r.answer("stat", &inside)
            .starts_with("dir 0755 65534 65534 "),
        "{}",
        r.dump()
    );
}
