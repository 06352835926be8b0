//! Limits on a real pure cgroup v2 host, with every controller: a kernel booted with
//! qemu on an initramfs (the harness of tests/initramfs.rs) whose `/init` mounts only
//! cgroup2 and enables cpu, memory, pids and io for children, as systemd does. The
//! simulated pure v2 host (cgroup_v2_limits.rs) shares the host's cgroup2 hierarchy,
//! which on a hybrid host has no controllers; here each limit is written and read
//! back: memory.max/low, cpu.max/weight, pids.max, `update`, `events --stats`,
//! cgroup.freeze, io weight (or runlet's error where the kernel has no weight file),
//! the device program, and orphans killed through cgroup.kill.

use runlet_tests::guest::{self, one, section, sections};
use runlet_tests::harness::require_root;
use runlet_tests::{Capabilities, Spec};

const CG: &str = "/sys/fs/cgroup/runlet";

const SCENARIO: &str = "\
enable-controllers cpu memory pids io
run /runlet run -d --bundle /bundle-limits --pid-file /run/lim.pid lim
cat /sys/fs/cgroup/runlet/lim/memory.max
cat /sys/fs/cgroup/runlet/lim/memory.low
cat /sys/fs/cgroup/runlet/lim/cpu.max
cat /sys/fs/cgroup/runlet/lim/cpu.weight
cat /sys/fs/cgroup/runlet/lim/pids.max
run /runlet update --pids-limit 20 --memory 128m --cpu-quota 30000 lim
cat /sys/fs/cgroup/runlet/lim/pids.max
cat /sys/fs/cgroup/runlet/lim/memory.max
cat /sys/fs/cgroup/runlet/lim/cpu.max
run /runlet events --stats lim
run /runlet pause lim
cat /sys/fs/cgroup/runlet/lim/cgroup.freeze
run /runlet resume lim
cat /sys/fs/cgroup/runlet/lim/cgroup.freeze
run /runlet kill lim KILL
until-stopped lim
run /runlet delete lim
cat /sys/fs/cgroup/runlet/lim/cgroup.procs
run /runlet run -d --bundle /bundle-io --pid-file /run/io.pid io
cat /sys/fs/cgroup/runlet/io/io.bfq.weight
cat /sys/fs/cgroup/runlet/io/io.weight
run /runlet kill io KILL
until-stopped io
run /runlet delete io
run /runlet run --bundle /bundle-deny deny
run /runlet run --bundle /bundle-allow allow
run /runlet run --bundle /bundle-orphans orphans
cat /sys/fs/cgroup/runlet/orphans/cgroup.procs
";

fn with_resources(probe: &[&str], resources: &str) -> Spec {
    let mut s = Spec::runc_default();
    s.probe(probe);
    s.extra_linux.push(("resources".into(), resources.into()));
    s
}

/// A block device number no driver has: ENXIO where allowed, EPERM where denied.
const BLK: [&str; 5] = ["/dev/blk", "b", "60", "0", "/dev/null"];

fn devices(rules: &str) -> Spec {
    let mut args = vec!["mknod-open"];
    args.extend(BLK);
    args.extend(["c", "1", "3"]);
    let mut s = with_resources(&args, &format!(r#"{{"devices":[{rules}]}}"#));
    let mut caps = runlet_tests::spec::DEFAULT_CAPS.to_vec();
    caps.push("CAP_MKNOD");
    s.capabilities = Some(Capabilities::all_sets(&caps));
    s
}

fn bundles() -> Vec<(&'static str, Spec)> {
    let deny = r#"{"allow":false,"access":"rwm"}"#;
    let allow = format!(r#"{deny},{{"allow":true,"type":"b","major":60,"minor":0,"access":"r"}}"#);
    let mut orphans = Spec::runc_default();
    orphans.remove_namespace("pid");
    orphans.probe(&["spawn-orphan", "300"]);
    vec![
        (
            "/bundle-limits",
            with_resources(
                &["wait-signal"],
                r#"{"memory":{"limit":67108864,"reservation":33554432},
                    "cpu":{"shares":512,"quota":20000,"period":100000},
                    "pids":{"limit":50}}"#,
            ),
        ),
        (
            "/bundle-io",
            with_resources(&["wait-signal"], r#"{"blockIO":{"weight":300}}"#),
        ),
        ("/bundle-deny", devices(deny)),
        ("/bundle-allow", devices(&allow)),
        ("/bundle-orphans", orphans),
    ]
}

/// Every `@@ cat=PATH ...` answer for `file` of container `id`, in order.
fn cats<'a>(c: &'a str, id: &str, file: &str) -> Vec<&'a str> {
    let key = format!("@@ cat={CG}/{id}/{file} ");
    c.lines().filter_map(|l| l.strip_prefix(&key)).collect()
}

#[test]
fn pure_v2_guest_writes_and_reads_back_every_limit() {
    if !require_root("pure_v2_guest_writes_and_reads_back_every_limit") {
        return;
    }
    if let Some(why) = guest::missing_packages() {
        runlet_tests::missing!("{why}");
    }
    let init = env!("CARGO_BIN_EXE_initramfs-init");
    let c = guest::run(init, env!("CARGO_BIN_EXE_probe"), SCENARIO, &bundles());
    let ctx = |what: &str| format!("{what}\n--- console ---\n{c}");
    let all = sections(&c);
    let enabled = one(&all[0].1, "@@ subtree_control=");
    assert_eq!(enabled, "cpu io memory pids", "{}", ctx("controllers"));

    let lim = |f: &str| cats(&c, "lim", f);
    assert_eq!(
        one(section(&all, " lim"), "@@ exit="),
        "0",
        "{}",
        ctx("run -d")
    );
    assert_eq!(
        lim("memory.max"),
        ["ok 67108864", "ok 134217728"],
        "{}",
        ctx("memory.max")
    );
    assert_eq!(lim("memory.low"), ["ok 33554432"], "{}", ctx("memory.low"));
    assert_eq!(
        lim("cpu.max"),
        ["ok 20000 100000", "ok 30000 100000"],
        "{}",
        ctx("cpu.max")
    );
    // shares 512 is weight 1 + (510 * 9999) / 262142 = 20 (runc's translation).
    assert_eq!(lim("cpu.weight"), ["ok 20"], "{}", ctx("cpu.weight"));
    assert_eq!(lim("pids.max"), ["ok 50", "ok 20"], "{}", ctx("pids.max"));
    let update = section(&all, "--cpu-quota 30000 lim");
    assert_eq!(one(update, "@@ exit="), "0", "{}", ctx("update"));
    let stats = section(&all, "events --stats lim").join("\n");
    assert!(
        stats.contains(r#""limit":134217728"#),
        "{}",
        ctx("stats memory")
    );
    assert!(
        stats.contains(r#""pids":{"current":1,"limit":20}"#),
        "{}",
        ctx("stats pids")
    );
    assert_eq!(
        lim("cgroup.freeze"),
        ["ok 1", "ok 0"],
        "{}",
        ctx("pause/resume")
    );
    assert_eq!(lim("cgroup.procs"), ["err NotFound"], "{}", ctx("removed"));

    // io weight: BFQ's file takes 300, iocost's io.weight 300 translated (2930);
    // a kernel with neither refuses the container naming the file.
    let io = section(&all, " io");
    let (bfq, iow) = (cats(&c, "io", "io.bfq.weight"), cats(&c, "io", "io.weight"));
    if one(io, "@@ exit=") == "0" {
        let ok = bfq == ["ok default 300"] || iow == ["ok default 2930"];
        assert!(ok, "{}", ctx(&format!("io weight: {bfq:?} {iow:?}")));
    } else {
        let err = io
            .iter()
            .find(|l| l.starts_with("runlet: "))
            .map_or("", |l| l);
        assert!(
            err.starts_with("runlet: linux.resources.blockIO.weight: ")
                && err.ends_with("does not exist on this host"),
            "{}",
            ctx("io error")
        );
    }

    // The device program: a denied block device EPERM, an allowed one reaches the
    // driver (none: ENXIO), /dev/null opens.
    let deny = section(&all, " deny");
    assert!(
        deny.iter().any(|l| l == "open=/dev/blk err EPERM"),
        "{}",
        ctx("deny")
    );
    assert!(
        deny.iter().any(|l| l == "open=/dev/null ok"),
        "{}",
        ctx("deny null")
    );
    let allow = section(&all, " allow");
    assert!(
        allow.iter().any(|l| l == "open=/dev/blk err ENXIO"),
        "{}",
        ctx("allow")
    );

    // Orphans of a host-PID-namespace container: killed through cgroup.kill, so the
    // cgroup could be removed.
    let orph = section(&all, " orphans");
    assert_eq!(one(orph, "@@ exit="), "0", "{}", ctx("orphans"));
    assert!(
        orph.iter().any(|l| l.starts_with("orphan=")),
        "{}",
        ctx("orphans")
    );
    assert_eq!(
        cats(&c, "orphans", "cgroup.procs"),
        ["err NotFound"],
        "{}",
        ctx("orphans")
    );
}
