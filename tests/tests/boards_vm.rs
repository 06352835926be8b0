//! runlet on the boards' architectures, in real VMs (docs/building.md): each board's
//! Debian kernel (`make vm-kernels`) boots an initramfs holding that architecture's
//! runlet, probe and /init (`make cross`) under qemu's software emulation. The guest
//! is a pure cgroup v2 machine, as the boards are. Each runs the initramfs scenario
//! (run, no-pivot, create/start/exec/kill/delete, escapes), then seccomp (a deny rule,
//! argument rules, and podman's default profile converted for that architecture),
//! cgroup v2 limits read back from inside, the device program, and a veth pair.

use std::sync::Mutex;

use runlet_tests::guest::{self, check_initramfs, one, section, sections, values};
use runlet_tests::harness::require_root;
use runlet_tests::machine::Machine;
use runlet_tests::podman;
use runlet_tests::{Capabilities, Spec};

/// One VM at a time: each takes a core under emulation, and the machine has two.
static ONE_VM: Mutex<()> = Mutex::new(());

/// What the boards run after the initramfs scenario.
const BOARD_SCENARIO: &str = "\
enable-controllers memory pids
run /runlet run --bundle /bundle-mkdir-free mkdir-free
run /runlet run --bundle /bundle-mkdir mkdir
run /runlet run --bundle /bundle-pers7 pers7
run /runlet run --bundle /bundle-pers8 pers8
run /runlet run --bundle /bundle-default default
run /runlet run --bundle /bundle-deny deny
run /runlet run --bundle /bundle-veth veth
cat /sys/class/net/rl-veth0/operstate
";

/// mkdir(at) denied with EPERM; personality(7) denied with EACCES, others allowed.
const DENY_PROFILE: &str = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
    {"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1},
    {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":13,
     "args":[{"index":0,"value":7,"op":"SCMP_CMP_EQ"}]}]}"#;

fn probe(args: &[&str], seccomp: Option<&str>) -> Spec {
    let mut s = Spec::runc_default();
    s.probe(args);
    if let Some(p) = seccomp {
        s.extra_linux.push(("seccomp".into(), p.into()));
    }
    s
}

/// podman's default profile (the host's /usr/share/containers/seccomp.json)
/// converted for `m` under `kernel`, a pids and memory limit, and device rules that
/// deny all but /dev/null (and the default devices runlet, as runc, always allows).
fn default_bundle(m: &Machine, profile: &str, kernel: (u64, u64)) -> Spec {
    let names = match m.arch {
        "aarch64" => ("SCMP_ARCH_AARCH64", "arm64"),
        "armv7" => ("SCMP_ARCH_ARM", "arm"),
        _ => ("SCMP_ARCH_RISCV64", "riscv64"),
    };
    let oci = podman::oci_for(profile, &podman::DEFAULT_CAPS, kernel, names);
    let mut s = probe(
        &[
            "report",
            "--cat",
            "/sys/fs/cgroup/pids.max",
            "--cat",
            "/sys/fs/cgroup/memory.max",
            "--read",
            "/dev/null",
        ],
        Some(&oci),
    );
    let devices = r#"[{"allow":false,"access":"rwm"},
        {"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}]"#;
    let resources =
        format!(r#"{{"pids":{{"limit":42}},"memory":{{"limit":100663296}},"devices":{devices}}}"#);
    s.extra_linux.push(("resources".into(), resources));
    s
}

/// The device program alone: a block device denied (EPERM), /dev/null allowed.
fn deny_bundle() -> Spec {
    let mut s = probe(
        &[
            "mknod-open",
            "/dev/blk",
            "b",
            "60",
            "0",
            "/dev/null",
            "c",
            "1",
            "3",
        ],
        None,
    );
    let devices = r#"{"devices":[{"allow":false,"access":"rwm"},
        {"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}]}"#;
    s.extra_linux.push(("resources".into(), devices.into()));
    let mut caps = runlet_tests::spec::DEFAULT_CAPS.to_vec();
    caps.push("CAP_MKNOD");
    s.capabilities = Some(Capabilities::all_sets(&caps));
    s
}

fn veth_bundle() -> Spec {
    let mut s = probe(&["net"], None);
    s.extra_top.push((
        "annotations".into(),
        r#"{"run.runlet.net.veth0.host-name":"rl-veth0",
            "run.runlet.net.veth0.address":"10.77.0.2/24",
            "run.runlet.net.veth0.host-address":"10.77.0.1/24"}"#
            .into(),
    ));
    s
}

fn boot(arch: &str) {
    let m = Machine::by_arch(arch);
    if let Some(why) = m.missing() {
        runlet_tests::missing!("{why}");
    }
    let profile = match podman::read() {
        Ok(p) => p,
        Err(e) => runlet_tests::missing!("{e}"),
    };
    let veth = m.module("drivers/net/veth.ko").expect("veth module");
    let veth_in = if veth.extension().is_some_and(|e| e == "xz") {
        "/veth.ko.xz"
    } else {
        "/veth.ko"
    };
    // Debian's kernels: bookworm's 6.1, trixie's 6.12 (podman's minKernel entries).
    let kernel = if m.arch == "riscv64" { (6, 12) } else { (6, 1) };
    let bundles = vec![
        ("/bundle-mkdir-free", probe(&["mkdir", "/dev/shm/x"], None)),
        (
            "/bundle-mkdir",
            probe(&["mkdir", "/dev/shm/x"], Some(DENY_PROFILE)),
        ),
        (
            "/bundle-pers7",
            probe(&["personality", "7"], Some(DENY_PROFILE)),
        ),
        (
            "/bundle-pers8",
            probe(&["personality", "8"], Some(DENY_PROFILE)),
        ),
        ("/bundle-default", default_bundle(&m, &profile, kernel)),
        ("/bundle-deny", deny_bundle()),
        ("/bundle-veth", veth_bundle()),
    ];
    let scenario = format!(
        "uname\ninsmod {veth_in}\n{}{BOARD_SCENARIO}",
        guest::INITRAMFS_SCENARIO
    );
    let extra = vec![(veth_in.to_string(), std::fs::read(&veth).unwrap())];
    let c = {
        let _one = ONE_VM.lock().unwrap_or_else(|e| e.into_inner());
        guest::run_on(&m, &scenario, &bundles, extra)
    };
    check_initramfs(&c);
    check_board(&m, &c);
}

fn check_board(m: &Machine, c: &str) {
    let all = sections(c);
    let ctx = |what: &str| format!("{}: {what}\n--- console ---\n{c}", m.arch);
    let pre = &all[0].1;
    let machine = one(pre, "@@ machine=");
    let want = if m.arch == "armv7" { "arm" } else { m.arch };
    assert_eq!(machine, want, "{}", ctx("the guest's runlet"));
    assert_eq!(one(pre, "@@ insmod="), "ok", "{}", ctx("veth module"));
    let step = |name: &str| section(&all, &format!(" {name}"));
    let exit0 = |name: &str| assert_eq!(one(step(name), "@@ exit="), "0", "{}", ctx(name));

    // seccomp: the same mkdir succeeds without the filter, EPERM with it; the
    // personality argument rule denies 7 only.
    for s in [
        "mkdir-free",
        "mkdir",
        "pers7",
        "pers8",
        "default",
        "deny",
        "veth",
    ] {
        exit0(s);
    }
    assert_eq!(
        one(step("mkdir-free"), "mkdir="),
        "ok 0",
        "{}",
        ctx("mkdir")
    );
    assert_eq!(one(step("mkdir"), "mkdir="), "errno 1", "{}", ctx("mkdir"));
    let p7 = one(step("pers7"), "personality=");
    assert_eq!(p7, "errno 13", "{}", ctx("personality 7"));
    let p8 = one(step("pers8"), "personality=");
    assert!(p8.starts_with("ok "), "{}", ctx("personality 8"));

    // podman's default profile and limits: filtered (Seccomp 2), the pids and memory
    // limits read back from inside (a pure v2 host), /dev/null open under the device
    // program (whose denials the next container shows).
    let d = step("default");
    assert_eq!(one(d, "Seccomp="), "2", "{}", ctx("default profile"));
    let cat = |p: &str| one(d, &format!("cat={p} ")).to_string();
    assert_eq!(cat("/sys/fs/cgroup/pids.max"), "ok 42", "{}", ctx("pids"));
    assert_eq!(
        cat("/sys/fs/cgroup/memory.max"),
        "ok 100663296",
        "{}",
        ctx("mem")
    );
    assert_eq!(one(d, "read=/dev/null "), "ok 0", "{}", ctx("/dev/null"));
    let deny = step("deny");
    for want in ["open=/dev/blk err EPERM", "open=/dev/null ok"] {
        assert!(deny.iter().any(|l| l == want), "{}", ctx(want));
    }

    // The veth pair: the inside end up with its address, gone with the container.
    let v = step("veth");
    assert!(
        values(v, "addr=").contains(&"eth0 10.77.0.2/24"),
        "{}",
        ctx("veth address")
    );
    assert_eq!(one(v, "tcp-self="), "ok", "{}", ctx("veth"));
    let gone = "@@ cat=/sys/class/net/rl-veth0/operstate err NotFound";
    assert!(c.lines().any(|l| l == gone), "{}", ctx("host end left"));
}

/// A benchmark, not a test (`make bench-vm`): runlet's start-up against the floor
/// (`probe unshare-run`: the five namespaces and a fork, as `unshare` in
/// scripts/bench.sh) inside the aarch64 VM, interleaved by benchtime in one run,
/// back to back and spaced (100 ms idle before each). Software emulation: compare
/// the ratio, not the times.
#[test]
#[ignore]
fn aarch64_startup_ratio() {
    if !require_root("aarch64_startup_ratio") {
        return;
    }
    let m = Machine::by_arch("aarch64");
    if let Some(why) = m.missing() {
        runlet_tests::missing!("{why}");
    }
    let rounds = std::env::var("ROUNDS").unwrap_or_else(|_| "30".into());
    // benchtime's commands with commas for spaces: /init splits its lines on spaces.
    let cmds = "runlet=/runlet,run,--bundle,/bundle-noop,b{i} \
        floor=/bundle/rootfs/probe,unshare-run,/bundle/rootfs/probe,noop";
    let scenario = format!(
        "uname\nrun /bin/benchtime {rounds} 0 {cmds}\nrun /bin/benchtime {rounds} 100 {cmds}\n"
    );
    let bundles = vec![("/bundle-noop", probe(&["noop"], None))];
    let extra = vec![(
        "/bin/benchtime".to_string(),
        std::fs::read(m.bin("benchtime")).unwrap(),
    )];
    let c = {
        let _one = ONE_VM.lock().unwrap_or_else(|e| e.into_inner());
        guest::run_on(&m, &scenario, &bundles, extra)
    };
    let all = sections(&c);
    for (i, kind) in ["back-to-back", "spaced"].iter().enumerate() {
        let lines = &all[i + 1].1;
        let median = |name: &str| -> f64 {
            let l = one(lines, &format!("result {name} "));
            let m = l.split(' ').find_map(|f| f.strip_prefix("median_us="));
            m.unwrap_or_else(|| panic!("{l}")).parse().unwrap()
        };
        let (r, f) = (median("runlet"), median("floor"));
        println!(
            "aarch64 VM (TCG) {kind}: runlet median {:.2} ms, floor {:.2} ms, ratio {:.2}",
            r / 1000.0,
            f / 1000.0,
            r / f
        );
        for l in lines.iter().filter(|l| l.starts_with("result ")) {
            println!("  {l}");
        }
    }
}

#[test]
fn aarch64_vm() {
    if require_root("aarch64_vm") {
        boot("aarch64");
    }
}

#[test]
fn armv7_vm() {
    if require_root("armv7_vm") {
        boot("armv7");
    }
}

#[test]
fn riscv64_vm() {
    if require_root("riscv64_vm") {
        boot("riscv64");
    }
}
