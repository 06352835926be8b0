//! Device rules: a container whose config denies all devices cannot open a block
//! device, even with CAP_MKNOD and a node it made itself; the default devices work.
//! On a host with a v1 devices controller that enforces them; the pure-v2 path
//! (runlet's BPF program on the cgroup2 directory) runs in a simulated v2 host (a
//! private mount namespace showing only cgroup2, `Fixture::pure_v2`).
//!
//! The block device is the host's first one (/sys/block), else a number no driver
//! has (a host with no block device): opening it fails ENXIO where the rules allow
//! it, EPERM where they deny it.

use std::process::Command;

use runlet_tests::fixture;
use runlet_tests::harness::{pure_v2_unavailable, Fixture};
use runlet_tests::{Capabilities, Outcome};

const DENY_ALL: &str = r#"{"allow":false,"access":"rwm"}"#;

/// A block major set aside for local/experimental use (devices.txt): no driver.
const UNUSED_MAJOR: &str = "60";

/// Major and minor of the host's first block device (/sys/block/*/dev), else an
/// unused number.
fn host_block_device() -> (String, String) {
    let mut devs: Vec<String> = std::fs::read_dir("/sys/block")
        .into_iter()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("dev")).ok())
        .collect();
    devs.sort();
    match devs.first().and_then(|d| d.trim().split_once(':')) {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (UNUSED_MAJOR.to_string(), "0".to_string()),
    }
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
    // ENXIO: allowed, but no driver has the number (a host without block devices).
    let opened = host_block_device().0 != UNUSED_MAJOR
        && out.stdout.contains("open=/dev/hostblk ok")
        || host_block_device().0 == UNUSED_MAJOR
            && out.stdout.contains("open=/dev/hostblk err ENXIO");
    assert!(
        out.stdout.contains("mknod=/dev/hostblk ok") && opened,
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

/// `runlet --root R run -b B ID` inside a mount namespace that shows only cgroup2;
/// None (a counted skip) on a host with no cgroup2 mount.
fn v2_only(fx: &Fixture) -> Option<Command> {
    if let Some(why) = pure_v2_unavailable() {
        runlet_tests::harness::skip::host_lacks(&why);
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
