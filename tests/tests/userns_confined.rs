//! What the root of a user namespace container cannot do that host root can
//! (docs/userns.md), with every capability in its namespace: swapoff, vhangup, load a
//! module (where the kernel loads them), write a root-owned host file bound in, mount
//! a host block device. Each is checked against the same container without the user
//! namespace, which gets past the check: the test can tell the two apart.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use linux_raw_sys::general as g;
use runlet_tests::harness::Fixture;
use runlet_tests::spec::{Capabilities, Mount};
use runlet_tests::{fixture, skip};

const HOST_ROOT: u32 = 340_000;

/// A syscall number of this architecture, as the probe's `raw` mode takes it.
fn nr(n: u32) -> String {
    n.to_string()
}

fn userns(fx: &mut Fixture, maps: &[(u32, u32, u32)]) {
    runlet_tests::userns::add_userns(fx, maps);
}

#[test]
fn root_inside_cannot_do_what_host_root_can() {
    let mut fx = fixture!("userns-weak");
    userns(&mut fx, &[(0, HOST_ROOT, 65536)]);
    // Every capability, in the namespace.
    fx.spec.capabilities = Some(Capabilities::all_sets(&ALL_CAPS));
    let secret = fx.dir.join("root-owned");
    fs::write(&secret, "host\n").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o644)).unwrap();
    fx.spec.mounts.push(Mount::bind(
        secret.to_str().unwrap(),
        "/root-owned",
        &["bind", "rw"],
    ));
    // Each checks a capability of the host's namespace before anything else:
    // swapoff(3) CAP_SYS_ADMIN, vhangup() CAP_SYS_TTY_CONFIG, and where the kernel
    // loads modules finit_module(3, NULL, 0) CAP_SYS_MODULE.
    let mut calls = vec![nr(g::__NR_swapoff), nr(g::__NR_vhangup)];
    if Path::new("/proc/modules").exists() {
        calls.push(nr(g::__NR_finit_module));
    }
    for nr in &calls {
        fx.spec.args(&["/probe", "raw", nr, "3"]);
        let out = fx.run();
        out.assert_exit(0);
        assert!(
            out.stdout.contains(&format!("raw=errno {EPERM}")),
            "syscall {nr} in a user namespace: {}",
            out.stdout
        );
    }
    fx.spec.probe(&["report", "--overwrite", "/root-owned"]);
    let r = fx.run().report();
    assert_eq!(r.answer("overwrite", "/root-owned"), "err EACCES");
    assert_eq!(fs::read_to_string(&secret).unwrap(), "host\n");

    // The same container without the user namespace gets past the check: the test
    // can tell the two apart (swapoff of a bad pointer is EFAULT; vhangup without a
    // controlling terminal does nothing).
    let mut host = fixture!("userns-host");
    host.spec.capabilities = Some(Capabilities::all_sets(&ALL_CAPS));
    let efault = format!("raw=errno {}", linux_raw_sys::errno::EFAULT);
    for (nr, want) in [
        (nr(g::__NR_swapoff), efault.as_str()),
        (nr(g::__NR_vhangup), "raw=ok 0"),
    ] {
        host.spec.args(&["/probe", "raw", &nr, "3"]);
        let out = host.run();
        out.assert_exit(0);
        assert!(
            out.stdout.contains(want),
            "syscall {nr} as host root: {}",
            out.stdout
        );
    }
}

const EPERM: i32 = 1;

/// The capabilities this host's root holds in its bounding set (no CAP_SYS_RESOURCE
/// on some: a container may not ask for more than runlet has).
static ALL_CAPS: [&str; 13] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_NET_ADMIN",
    "CAP_SYS_CHROOT",
    "CAP_SYS_MODULE",
    "CAP_SYS_TTY_CONFIG",
    "CAP_SYS_ADMIN",
    "CAP_MKNOD",
];

/// The host's block device holding `/` (its node under /dev), if there is one.
fn root_block_device() -> Option<(PathBuf, u64)> {
    let dev = fs::metadata("/").ok()?.dev();
    let found = fs::read_dir("/dev").ok()?.flatten().find(|e| {
        e.metadata()
            .is_ok_and(|m| m.file_type().is_block_device() && m.rdev() == dev)
    })?;
    Some((found.path(), dev))
}

#[test]
fn root_inside_cannot_mount_a_host_block_device() {
    let fx = fixture!("userns-blk");
    let Some((node, dev)) = root_block_device() else {
        skip!("no block device node under /dev for / (an overlay or network root)");
    };
    let Some(fstype) = root_fstype() else {
        skip!("/ not found in /proc/self/mountinfo");
    };
    let (major, minor) = (libc_major(dev), libc_minor(dev));
    let path = node.to_string_lossy().into_owned();
    let device = format!(
        r#"[{{"path":{},"type":"b","major":{major},"minor":{minor},"fileMode":384}}]"#,
        runlet_tests::spec::quote(&path)
    );
    let allow = format!(
        r#"{{"devices":[{{"allow":true,"type":"b","major":{major},"minor":{minor},"access":"rwm"}}]}}"#
    );
    let args = ["mount", path.as_str(), "/mnt", fstype.as_str()];
    for with_userns in [true, false] {
        let mut fx = fixture!("userns-blk");
        if with_userns {
            userns(&mut fx, &[(0, HOST_ROOT, 65536)]);
        }
        fx.spec.capabilities = Some(Capabilities::all_sets(&ALL_CAPS));
        fx.spec.extra_linux.push(("devices".into(), device.clone()));
        fx.spec
            .extra_linux
            .push(("resources".into(), allow.clone()));
        fx.spec.probe(&args);
        let out = fx.run();
        out.assert_exit(0);
        // Without the user namespace the kernel gets past the permission check: the
        // mount is made (read-only, in the container's own mount namespace, gone
        // with it), or the filesystem, mounted read-write at / already, is busy.
        let denied = out.stdout.contains(&format!("mount=errno {EPERM}\n"));
        assert!(out.stdout.contains("mount="), "{}", out.stdout);
        assert_eq!(
            denied, with_userns,
            "mount {path} (user namespace: {with_userns}): {}",
            out.stdout
        );
    }
    drop(fx);
}

/// The filesystem type of the mount at `/` (the last one there wins).
fn root_fstype() -> Option<String> {
    let text = fs::read_to_string("/proc/self/mountinfo").ok()?;
    text.lines()
        .filter(|l| l.split(' ').nth(4) == Some("/"))
        .filter_map(|l| l.split(" - ").nth(1)?.split(' ').next().map(String::from))
        .next_back()
}

fn libc_major(dev: u64) -> u64 {
    ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff)
}

fn libc_minor(dev: u64) -> u64 {
    ((dev >> 12) & 0xffff_ff00) | (dev & 0xff)
}
