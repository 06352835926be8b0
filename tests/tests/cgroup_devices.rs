//! Device rules: a container whose config denies all devices cannot open a host block
//! device, even with CAP_MKNOD and a node it made itself; the default devices work.
//! On this hybrid host the v1 devices controller enforces them; the pure-v2 path
//! (runlet's BPF program on the cgroup2 directory) runs in a simulated v2 host (a
//! private mount namespace showing only cgroup2, as tests/cgroup_v2_host.rs does).

use std::process::Command;

use runlet_tests::fixture;
use runlet_tests::harness::Fixture;
use runlet_tests::{Capabilities, Outcome};

const DENY_ALL: &str = r#"{"allow":false,"access":"rwm"}"#;

/// Major and minor of a block device of the host (/sys/block/*/dev).
fn host_block_device() -> (String, String) {
    let mut devs: Vec<_> = std::fs::read_dir("/sys/block")
        .expect("read /sys/block")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("dev")).ok())
        .collect();
    devs.sort();
    let d = devs
        .first()
        .expect("a block device on the host")
        .trim()
        .to_string();
    let (a, b) = d.split_once(':').expect("major:minor");
    (a.to_string(), b.to_string())
}

/// A container with CAP_MKNOD that makes a node for the host's block device in its
/// /dev (a tmpfs) and opens it, then opens /dev/null and /dev/zero.
fn setup(fx: &mut Fixture, rules: &str) {
    let (maj, min) = host_block_device();
    let mut caps = runlet_tests::spec::DEFAULT_CAPS.to_vec();
    caps.push("CAP_MKNOD");
    fx.spec.capabilities = Some(Capabilities::all_sets(&caps));
    fx.spec
        .extra_linux
        .push(("resources".into(), format!(r#"{{"devices":[{rules}]}}"#)));
    fx.spec.probe(&[
        "mknod-open",
        "/dev/hostblk",
        "b",
        &maj,
        &min,
        "/dev/null",
        "c",
        "1",
        "3",
        "/dev/zero",
        "c",
        "1",
        "5",
    ]);
}

fn check_denied(out: &Outcome) {
    out.assert_exit(0);
    let o = &out.stdout;
    assert!(
        o.contains("open=/dev/hostblk err EPERM"),
        "{}",
        out.context()
    );
    assert!(o.contains("open=/dev/null ok"), "{}", out.context());
    assert!(o.contains("open=/dev/zero ok"), "{}", out.context());
}

fn check_allowed(out: &Outcome) {
    out.assert_exit(0);
    assert!(
        out.stdout.contains("mknod=/dev/hostblk ok") && out.stdout.contains("open=/dev/hostblk ok"),
        "{}",
        out.context()
    );
}

#[test]
fn a_denied_block_device_cannot_be_opened_and_the_defaults_work() {
    let mut fx = fixture!("devdeny");
    setup(&mut fx, DENY_ALL);
    check_denied(&fx.run());
}

#[test]
fn an_allowed_block_device_can_be_made_and_opened() {
    let mut fx = fixture!("devallow");
    let (maj, min) = host_block_device();
    let allow = format!(
        r#"{DENY_ALL},{{"allow":true,"type":"b","major":{maj},"minor":{min},"access":"r"}}"#
    );
    setup(&mut fx, &allow);
    check_allowed(&fx.run());
}

#[test]
fn without_a_devices_section_the_defaults_still_deny() {
    let mut fx = fixture!("devnone");
    setup(&mut fx, "");
    check_denied(&fx.run());
}

/// `runlet --root R run -b B ID` inside a mount namespace that shows only cgroup2.
fn v2_only(fx: &Fixture) -> Option<Command> {
    if !std::path::Path::new("/sys/fs/cgroup/unified/cgroup.procs").exists() {
        eprintln!("SKIP: no cgroup2 mount at /sys/fs/cgroup/unified (not a hybrid host)");
        return None;
    }
    Some(fx.pure_v2_run_command())
}

#[test]
fn v2_bpf_program_denies_a_block_device_and_allows_the_defaults() {
    let mut fx = fixture!("devbpf");
    setup(&mut fx, DENY_ALL);
    let Some(cmd) = v2_only(&fx) else { return };
    check_denied(&fx.run_cmd(cmd));
}

#[test]
fn v2_bpf_program_allows_what_the_rules_allow() {
    let mut fx = fixture!("devbpfallow");
    let (maj, min) = host_block_device();
    let allow = format!(
        r#"{DENY_ALL},{{"allow":true,"type":"b","major":{maj},"minor":{min},"access":"r"}}"#
    );
    setup(&mut fx, &allow);
    let Some(cmd) = v2_only(&fx) else { return };
    check_allowed(&fx.run_cmd(cmd));
}

#[test]
fn v2_a_controller_cgroup2_does_not_offer_is_an_error_naming_it() {
    // This host binds every controller to v1, so its cgroup2 offers none.
    let mut fx = fixture!("devbpfmem");
    fx.spec.extra_linux.push((
        "resources".into(),
        r#"{"memory":{"limit":67108864}}"#.into(),
    ));
    let Some(cmd) = v2_only(&fx) else { return };
    if std::fs::read_to_string("/sys/fs/cgroup/unified/cgroup.controllers")
        .unwrap_or_default()
        .contains("memory")
    {
        eprintln!("SKIP: this host's cgroup2 offers memory");
        return;
    }
    fx.run_cmd(cmd).assert_error(&[
        "linux.resources.memory: the memory controller is not available in /sys/fs/cgroup",
    ]);
}
