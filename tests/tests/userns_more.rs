//! A user namespace container with the six hooks, and with a network namespace
//! joined by path (runlet joins it around the clone: its child, born in the new user
//! namespace, could not; docs/userns.md).

use std::fs;
use std::os::unix::fs::MetadataExt;

use runlet_tests::fixture;
use runlet_tests::harness::host_ns;
use runlet_tests::hooks::{get, hook_log, log_lines, names, probe_hooks, subreaper, KINDS};

const HOST_ROOT: u32 = 360_000;

#[test]
fn six_hooks_in_a_user_namespace() {
    let mut fx = fixture!("userns-hooks");
    let _serial = subreaper();
    runlet_tests::userns::add_userns(&mut fx, &[(0, HOST_ROOT, 65536)]);
    let log = hook_log(&mut fx);
    // The container's root appends the inside hooks' lines: the log is its (0644).
    fs::write(&log, "").unwrap();
    std::os::unix::fs::chown(&log, Some(HOST_ROOT), Some(HOST_ROOT)).unwrap();
    probe_hooks(&mut fx, &log);
    fx.spec.probe(&["exit", "0"]);
    fx.run().assert_exit(0);
    assert_eq!(names(&log), KINDS);
    let lines = log_lines(&log);
    // The inside hooks ran in the container's mount namespace; prestart in runlet's.
    assert_eq!(get(&lines[2].1, "mnt"), get(&lines[3].1, "mnt"));
    assert_ne!(get(&lines[2].1, "mnt"), host_ns("mnt"));
    assert_eq!(get(&lines[0].1, "mnt"), host_ns("mnt"));
}

#[test]
fn joined_network_namespace_with_a_new_user_namespace() {
    let mut fx = fixture!("userns-netjoin");
    runlet_tests::userns::add_userns(&mut fx, &[(0, HOST_ROOT, 65536)]);
    let ns = fx.make_netns();
    let want = fs::metadata(&ns).unwrap().ino();
    fx.spec.join_namespace("network", &ns.to_string_lossy());
    fx.spec.probe(&["report", "--ls", "/sys/class/net"]);
    let r = fx.run().report();
    let net = r
        .all("ns")
        .into_iter()
        .find(|l| l.starts_with("net "))
        .unwrap();
    assert_eq!(net, format!("net net:[{want}]"), "{}", r.dump());
    // sysfs is the host's, bound (the network namespace is not the user namespace's,
    // so a fresh sysfs is not allowed): it lists the host's interfaces, where a
    // sysfs of the joined namespace would list only `lo`.
    assert_eq!(r.must_mount("/sys").fstype, "sysfs");
    let host_has_more = fs::read_dir("/sys/class/net")
        .unwrap()
        .flatten()
        .any(|e| e.file_name() != "lo");
    let inside = r.answer("ls", "/sys/class/net");
    assert!(inside.starts_with("ok "), "{inside}");
    let names: Vec<&str> = inside[3..].split(',').collect();
    assert_eq!(names.iter().any(|n| *n != "lo"), host_has_more, "{inside}");
}
