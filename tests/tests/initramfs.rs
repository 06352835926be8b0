//! runlet in an initramfs (docs/initramfs.md): a real kernel boots an initramfs that
//! holds runlet, a probe bundle and the project's `/init`; the checks read the serial
//! console. The guest's `/` is the initramfs itself, where pivot_root cannot be used:
//! runlet must see that alone, and the container must still see nothing outside its
//! rootfs. Needs qemu and a kernel (.ci/run and `make initramfs-demo` install them); a
//! test never installs anything.

use runlet_tests::guest::{self, one, section, sections, values};
use runlet_tests::harness::require_root;
use runlet_tests::initramfs::MARKER;
use std::collections::BTreeSet;

const SCENARIO: &str = "\
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

#[test]
fn runlet_runs_containers_from_an_initramfs() {
    if !require_root("runlet_runs_containers_from_an_initramfs") {
        return;
    }
    if let Some(why) = guest::missing_packages() {
        runlet_tests::missing!("{why}");
    }
    let init = env!("CARGO_BIN_EXE_initramfs-init");
    let c = guest::run(init, env!("CARGO_BIN_EXE_probe"), SCENARIO, &[]);
    check(&c);
}

fn check(c: &str) {
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
