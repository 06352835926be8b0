//! An AppArmor profile applied for real (issue 18). This host's kernel enforces no
//! LSM, so a VM does: the Debian kernel (AppArmor enabled by default) boots the
//! initramfs harness (tests/initramfs.rs) with qemu. A profile compiled here with
//! `apparmor_parser` is loaded through securityfs; a container whose config names it
//! runs confined: `/proc/self/attr/current` names it, and a write it denies fails with
//! EACCES while the same write without the profile succeeds. qemu, the kernel and
//! apparmor (for `apparmor_parser`) are installed by .ci/run, never by the test.

use runlet_tests::guest::{self, one, section, sections};
use runlet_tests::harness::require_root;
use runlet_tests::Spec;
use std::process::Command;

/// Everything, files and capabilities, except writes below /denied.
const PROFILE: &str = "\
profile runlet-test flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  deny /denied/** w,
}
";

const SCENARIO: &str = "\
securityfs
cat /sys/module/apparmor/parameters/enabled
load /aa/runlet-test.bin /sys/kernel/security/apparmor/.load
cat /sys/kernel/security/apparmor/profiles
run /runlet --debug run --bundle /bundle-aa confined
run /runlet run --bundle /bundle-free free
";

fn bundle(profile: bool) -> Spec {
    let mut s = Spec::runc_default();
    s.root_readonly = false;
    s.probe(&[
        "report",
        "--cat",
        "/proc/self/attr/current",
        "--write",
        "/denied/file",
        "--write",
        "/tmp/file",
    ]);
    if profile {
        s.extra_process
            .push(("apparmorProfile".into(), "\"runlet-test\"".into()));
    }
    s
}

#[test]
fn an_apparmor_profile_confines_the_container_in_a_vm() {
    if !require_root("an_apparmor_profile_confines_the_container_in_a_vm") {
        return;
    }
    if let Some(why) = guest::missing_packages() {
        runlet_tests::missing!("{why}");
    }
    if Command::new("apparmor_parser")
        .arg("--version")
        .output()
        .is_err()
    {
        runlet_tests::missing!(
            "apparmor_parser is needed: apt-get install apparmor (.ci/run does)"
        );
    }
    let work = std::env::temp_dir().join(format!("runlet-aa-vm-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let src = work.join("runlet-test");
    std::fs::write(&src, PROFILE).unwrap();
    let bin = work.join("runlet-test.bin");
    let out = Command::new("apparmor_parser")
        .arg("-Q")
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .output()
        .unwrap();
    let compiled = std::fs::read(&bin);
    let _ = std::fs::remove_dir_all(&work);
    assert!(out.status.success(), "apparmor_parser: {out:?}");
    let extra = vec![
        ("/aa/runlet-test.bin".into(), compiled.unwrap()),
        ("/bundle/rootfs/denied/.keep".into(), Vec::new()),
    ];
    let bundles = [
        ("/bundle-aa", bundle(true)),
        ("/bundle-free", bundle(false)),
    ];
    let c = guest::run_with(
        env!("CARGO_BIN_EXE_initramfs-init"),
        env!("CARGO_BIN_EXE_probe"),
        SCENARIO,
        &bundles,
        extra,
    );
    let all = sections(&c);
    let pre = &all[0].1;
    // cat and load print no `@@ $` line: their answers come before the first run.
    if one(pre, "@@ cat=/sys/module/apparmor/parameters/enabled ") != "ok Y" {
        runlet_tests::skip!("the guest kernel has AppArmor disabled");
    }
    assert_eq!(one(pre, "@@ load="), "ok", "{c}");

    let confined = section(&all, " confined");
    assert_eq!(one(confined, "@@ exit="), "0", "{c}");
    assert_eq!(
        one(confined, "cat=/proc/self/attr/current "),
        "ok runlet-test (enforce)",
        "{c}"
    );
    assert_eq!(one(confined, "write=/denied/file "), "err EACCES", "{c}");
    assert_eq!(one(confined, "write=/tmp/file "), "ok", "{c}");

    let free = section(&all, " free");
    assert_eq!(one(free, "@@ exit="), "0", "{c}");
    assert_eq!(one(free, "write=/denied/file "), "ok", "{c}");
    assert!(
        one(free, "cat=/proc/self/attr/current ").contains("unconfined"),
        "{c}"
    );
}
