//! A scenario run in a booted guest (the initramfs harness, `crate::initramfs`) and
//! its serial console read back: the steps `/init` ran (`@@ $ COMMAND`) with what
//! each printed. Shared by tests/initramfs.rs and tests/cgroup_v2_vm.rs.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use crate::harness::{probe_bin, runlet_bin};
use crate::initramfs::{self, Boot, Parts, MARKER, PACKAGES};
use crate::machine::Machine;
use crate::spec::Spec;

/// Software emulation boots in ~15 s on this project's machines; a loaded CI
/// machine gets ample room.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(240);

/// What is missing of qemu and a kernel to boot (packages .ci/run installs), if any.
pub fn missing_packages() -> Option<String> {
    if initramfs::have_qemu() && initramfs::find_kernel().is_some() {
        return None;
    }
    Some(format!(
        "qemu-system-x86_64 and /boot/vmlinuz-* are needed: apt-get install {} (.ci/run does)",
        PACKAGES.join(" ")
    ))
}

/// Boots an image holding `scenario` and `bundles` (see [`Parts`]) and returns the
/// console; fails the test if the guest did not finish its scenario in time.
/// `init` is the test's `env!("CARGO_BIN_EXE_initramfs-init")`, `probe` its probe.
pub fn run(init: &str, probe: &str, scenario: &str, bundles: &[(&str, Spec)]) -> String {
    run_with(init, probe, scenario, bundles, Vec::new())
}

/// [`run`] with `extra` files in the image: (path, bytes).
pub fn run_with(
    init: &str,
    probe: &str,
    scenario: &str,
    bundles: &[(&str, Spec)],
    extra: Vec<(String, Vec<u8>)>,
) -> String {
    let (runlet, probe) = (runlet_bin(), probe_bin(Some(probe)));
    let kernel = initramfs::find_kernel().unwrap();
    let bins = [runlet, probe, PathBuf::from(init)];
    boot_image("host", &bins, scenario, bundles, extra, &kernel, |image| {
        initramfs::boot(&kernel, image, BOOT_TIMEOUT, false)
    })
}

/// [`run_with`] on a board (`crate::machine`): that target's runlet, probe and /init
/// (`make cross`), its Debian kernel (`make vm-kernels`), software emulation.
pub fn run_on(
    m: &Machine,
    scenario: &str,
    bundles: &[(&str, Spec)],
    extra: Vec<(String, Vec<u8>)>,
) -> String {
    let kernel = m.kernel().expect("a kernel (make vm-kernels)");
    let bins = [m.bin("runlet"), m.bin("probe"), m.bin("initramfs-init")];
    boot_image(m.arch, &bins, scenario, bundles, extra, &kernel, |image| {
        initramfs::boot_on(m, &kernel, image, BOOT_TIMEOUT, false)
    })
}

/// Builds the image from `[runlet, probe, init]` and the rest, boots it with `boot`,
/// and returns the console once the scenario is done.
fn boot_image(
    name: &str,
    [runlet, probe, init]: &[PathBuf; 3],
    scenario: &str,
    bundles: &[(&str, Spec)],
    extra: Vec<(String, Vec<u8>)>,
    kernel: &std::path::Path,
    boot: impl FnOnce(&std::path::Path) -> std::io::Result<Boot>,
) -> String {
    let tmp = std::env::temp_dir();
    let work = tmp.join(format!("runlet-guest-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let parts = Parts {
        runlet,
        probe,
        init,
        scenario,
        bundles,
        extra,
    };
    let image = initramfs::build_image(&work, &parts).unwrap();
    let b = boot(&image).unwrap();
    let _ = std::fs::remove_dir_all(&work);
    let c = b.console;
    eprintln!(
        "booted {} ({}) in {:.1} s",
        kernel.display(),
        if b.kvm { "KVM" } else { "TCG" },
        b.elapsed.as_secs_f64()
    );
    assert!(
        !b.timed_out,
        "the guest did not finish in {BOOT_TIMEOUT:?}:\n{c}"
    );
    assert!(
        c.contains("@@ scenario done"),
        "the guest stopped early:\n{c}"
    );
    c
}

/// The console split at `@@ $ COMMAND` lines: (command, lines up to the next one).
pub fn sections(console: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = vec![(String::new(), vec![])];
    for l in console.lines() {
        match l.strip_prefix("@@ $ ") {
            Some(c) => out.push((c.to_string(), vec![])),
            None => out.last_mut().unwrap().1.push(l.to_string()),
        }
    }
    out
}

/// The lines of the first step whose command ends with `cmd_end`.
pub fn section<'a>(all: &'a [(String, Vec<String>)], cmd_end: &str) -> &'a [String] {
    &all.iter()
        .find(|(c, _)| c.ends_with(cmd_end))
        .unwrap_or_else(|| panic!("no step ending {cmd_end:?}"))
        .1
}

/// What follows `key` on each line that starts with it.
pub fn values<'a>(lines: &'a [String], key: &str) -> Vec<&'a str> {
    lines.iter().filter_map(|l| l.strip_prefix(key)).collect()
}

/// What follows `key` on the one line that starts with it.
pub fn one<'a>(lines: &'a [String], key: &str) -> &'a str {
    match values(lines, key).as_slice() {
        [v] => v,
        v => panic!("{key}: {v:?} in\n{}", lines.join("\n")),
    }
}

/// The initramfs scenario (tests/initramfs.rs, tests/boards_vm.rs): run, no-pivot,
/// create/start/exec/kill/delete, list, the chroot escape.
pub const INITRAMFS_SCENARIO: &str = "\
root
try-pivot
run /runlet --debug run --bundle /bundle auto
run /runlet run --no-pivot --bundle /bundle nopivot
run /runlet create --bundle /bundle-wait --pid-file /run/c1.pid c1
run /runlet start c1
ns /run/c1.pid
run /runlet exec c1 /probe report --stat /initramfs-marker
under /run/c1.pid
run /runlet kill c1 TERM
until-stopped c1
run /runlet delete c1
run /runlet list -q
run /runlet run --bundle /bundle-escape escape
";

/// The checks of [`INITRAMFS_SCENARIO`]'s console.
pub fn check_initramfs(c: &str) {
    let all = sections(c);
    let ctx = |what: &str| format!("{what}\n--- console ---\n{c}");
    let pre = &all[0].1;
    // The guest's root is the initramfs: the namespace's root mount.
    assert!(
        one(pre, "@@ root=").starts_with("rootfs"),
        "{}",
        ctx("root")
    );
    let host_ns: BTreeSet<&str> = values(pre, "@@ host ns=").into_iter().collect();
    assert_eq!(host_ns.len(), 6, "{}", ctx("host namespaces"));
    eprintln!(
        "plain pivot_root in the guest: {}",
        one(pre, "@@ pivot_root=")
    );

    // Chosen by itself, said under --debug, and a container that sees only its rootfs.
    let auto = section(&all, " auto");
    assert!(
        auto.iter()
            .any(|l| l.contains("pivot_root cannot leave it")),
        "{}",
        ctx("no --debug line about the choice")
    );
    for (name, s) in [("auto", auto), ("nopivot", section(&all, " nopivot"))] {
        assert_eq!(one(s, "@@ exit="), "0", "{}", ctx(name));
        assert_eq!(one(s, "pid="), "1", "{}", ctx(name));
        assert_eq!(one(s, "hostname="), "runlet", "{}", ctx(name));
        assert_eq!(
            one(s, "stat=/initramfs-marker "),
            "err ENOENT",
            "{}",
            ctx(name)
        );
        assert!(one(s, "ls=/ ok ").contains("probe"), "{}", ctx(name));
        for ns in values(s, "ns=") {
            let t = ns.split(' ').next().unwrap();
            if ["pid", "net", "ipc", "uts", "mnt", "cgroup"].contains(&t) {
                assert!(
                    !host_ns.contains(ns),
                    "{}",
                    ctx(&format!("{name}: host's {ns}"))
                );
            }
        }
        // The container's mount table: its rootfs and what the config mounts on it.
        let points: Vec<&str> = values(s, "mount=")
            .iter()
            .map(|m| m.split(' ').next().unwrap())
            .collect();
        assert_eq!(points.first(), Some(&"/"), "{}", ctx(name));
        assert!(!points.contains(&"/run"), "{}", ctx(name));
    }

    // create / start / exec / kill / delete.
    for step in [" c1", "start c1"] {
        assert_eq!(one(section(&all, step), "@@ exit="), "0", "{}", ctx(step));
    }
    let init_ns: BTreeSet<&str> = values(section(&all, "start c1"), "@@ init ns=")
        .into_iter()
        .collect();
    assert_eq!(init_ns.len(), 6, "{}", ctx("init namespaces"));
    let exec = section(&all, "/initramfs-marker");
    assert_eq!(one(exec, "@@ exit="), "0", "{}", ctx("exec"));
    let exec_ns: BTreeSet<&str> = values(exec, "ns=")
        .into_iter()
        .filter(|n| !n.starts_with("user") && !n.starts_with("time"))
        .collect();
    assert_eq!(exec_ns, init_ns, "{}", ctx("exec joined other namespaces"));
    assert_ne!(one(exec, "pid="), "1", "{}", ctx("exec"));
    assert_eq!(one(exec, "hostname="), "runlet", "{}", ctx("exec"));
    assert_eq!(
        one(exec, "stat=/initramfs-marker "),
        "err ENOENT",
        "{}",
        ctx("exec")
    );
    // Below the container's root there is the initramfs alone: every other host
    // mount was detached (what CAP_SYS_ADMIN could still reach; docs/initramfs.md).
    let under: BTreeSet<&str> = values(exec, "@@ under=").into_iter().collect();
    assert_eq!(
        under,
        BTreeSet::from(["/ rootfs", "/proc proc"]),
        "{}",
        ctx("mounts below the container's root (/proc is the checker's own)")
    );
    let kill = section(&all, "kill c1 TERM");
    assert_eq!(one(kill, "@@ exit="), "0", "{}", ctx("kill"));
    assert!(kill.iter().any(|l| l == "@@ c1 stopped"), "{}", ctx("kill"));
    assert!(kill.iter().any(|l| l == "signal=15"), "{}", ctx("kill"));
    let list = section(&all, "list -q");
    assert_eq!(
        one(section(&all, "delete c1"), "@@ exit="),
        "0",
        "{}",
        ctx("delete")
    );
    assert_eq!(list.len(), 1, "{}", ctx("list after delete"));

    // The classic chroot escape, with CAP_SYS_CHROOT: `..` stops at the rootfs.
    let esc = section(&all, " escape");
    assert_eq!(one(esc, "escape_chroot="), "ok", "{}", ctx("escape"));
    assert_eq!(
        one(esc, "escape_sees="),
        format!("{MARKER} no"),
        "{}",
        ctx("escape")
    );
    assert!(
        one(esc, "escape_ls=").contains("probe"),
        "{}",
        ctx("escape")
    );
}
