//! An AppArmor profile applied for real (issue 18). This host's kernel enforces no
//! LSM, so a VM does: the Debian kernel (AppArmor enabled by default) boots the
//! initramfs harness (tests/initramfs.rs) with qemu. A profile compiled here with
//! `apparmor_parser` is loaded through securityfs; a container whose config names it
//! runs confined: `/proc/self/attr/current` names it, and a write it denies fails with
//! EACCES while the same write without the profile succeeds. Installs qemu, the
//! kernel and apparmor (for `apparmor_parser`) when missing.

use runlet_tests::harness::{probe_bin, require_root, runlet_bin};
use runlet_tests::initramfs::{self, Parts, PACKAGES};
use runlet_tests::Spec;
use std::process::Command;
use std::time::Duration;

const BOOT_TIMEOUT: Duration = Duration::from_secs(240);

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

fn ensure_packages() {
    let have = initramfs::have_qemu()
        && initramfs::find_kernel().is_some()
        && Command::new("apparmor_parser")
            .arg("--version")
            .output()
            .is_ok();
    if have {
        return;
    }
    let pkgs = format!("{} apparmor", PACKAGES.join(" "));
    eprintln!("apparmor_vm test: installing {pkgs}");
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends {pkgs}"))
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "needed: apt-get install {pkgs}");
}

/// The console's lines after the `@@ $ ...` line ending in `end`, up to the next.
fn section<'a>(console: &'a str, end: &str) -> Vec<&'a str> {
    let mut lines = console
        .lines()
        .skip_while(|l| !(l.starts_with("@@ $ ") && l.ends_with(end)));
    lines
        .next()
        .unwrap_or_else(|| panic!("no step ending {end:?}:\n{console}"));
    lines.take_while(|l| !l.starts_with("@@ $ ")).collect()
}

fn one<'a>(lines: &[&'a str], key: &str) -> &'a str {
    let v: Vec<&str> = lines.iter().filter_map(|l| l.strip_prefix(key)).collect();
    match v.as_slice() {
        [x] => x,
        _ => panic!("{key}: {v:?} in\n{}", lines.join("\n")),
    }
}

fn bundle(profile: bool) -> Vec<u8> {
    let mut s = Spec::runc_default();
    s.root_path = "/bundle/rootfs".into();
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
    s.to_json().into_bytes()
}

#[test]
fn an_apparmor_profile_confines_the_container_in_a_vm() {
    if !require_root("an_apparmor_profile_confines_the_container_in_a_vm") {
        return;
    }
    ensure_packages();
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
    assert!(out.status.success(), "apparmor_parser: {out:?}");
    let (runlet, probe) = (runlet_bin(), probe_bin(Some(env!("CARGO_BIN_EXE_probe"))));
    let init = std::path::PathBuf::from(env!("CARGO_BIN_EXE_initramfs-init"));
    let parts = Parts {
        runlet: &runlet,
        probe: &probe,
        init: &init,
        scenario: SCENARIO,
        extra: vec![
            ("/aa/runlet-test.bin".into(), std::fs::read(&bin).unwrap()),
            ("/bundle/rootfs/denied/.keep".into(), Vec::new()),
            ("/bundle-aa/config.json".into(), bundle(true)),
            ("/bundle-free/config.json".into(), bundle(false)),
        ],
    };
    let image = initramfs::build_image(&work, &parts).unwrap();
    let kernel = initramfs::find_kernel().unwrap();
    let b = initramfs::boot(&kernel, &image, BOOT_TIMEOUT, false).unwrap();
    let _ = std::fs::remove_dir_all(&work);
    let c = &b.console;
    assert!(
        !b.timed_out,
        "the guest did not finish in {BOOT_TIMEOUT:?}:\n{c}"
    );
    assert!(
        c.contains("@@ scenario done"),
        "the guest stopped early:\n{c}"
    );
    let pre: Vec<&str> = c.lines().collect();
    if one(&pre, "@@ cat /sys/module/apparmor/parameters/enabled=") != "Y" {
        eprintln!("SKIP an_apparmor_profile_confines: the guest kernel has AppArmor disabled");
        return;
    }
    assert!(pre.contains(&"@@ load=ok"), "{c}");

    let confined = section(c, " confined");
    assert_eq!(one(&confined, "@@ exit="), "0", "{c}");
    assert_eq!(
        one(&confined, "cat=/proc/self/attr/current "),
        "ok runlet-test (enforce)",
        "{c}"
    );
    assert_eq!(one(&confined, "write=/denied/file "), "err EACCES", "{c}");
    assert_eq!(one(&confined, "write=/tmp/file "), "ok", "{c}");

    let free = section(c, " free");
    assert_eq!(one(&free, "@@ exit="), "0", "{c}");
    assert_eq!(one(&free, "write=/denied/file "), "ok", "{c}");
    assert!(
        one(&free, "cat=/proc/self/attr/current ").contains("unconfined"),
        "{c}"
    );
}
