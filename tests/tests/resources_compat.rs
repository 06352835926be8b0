//! The `linux.resources` runc and crun run that runlet once refused (issue 18):
//! kernel memory, blockIO device throttles, real-time cpu and `cpu.idle`, net_cls /
//! net_prio, rdma. Each is read back from inside the container (its own cgroups are
//! mounted at /sys/fs/cgroup), a throttle is enforced, and what this host lacks is an
//! error naming it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use runlet_tests::{fixture, Fixture, Outcome, Report};

fn debug_run(fx: &Fixture) -> Outcome {
    let mut c = fx.command(&["--debug", "run", "-b"]);
    c.arg(&fx.bundle).arg(&fx.id);
    fx.run_cmd(c)
}

fn resources(fx: &mut Fixture, json: &str) {
    fx.spec.extra_linux.push(("resources".into(), json.into()));
}

/// The host's v1 hierarchy of `ctl`, if mounted at /sys/fs/cgroup/<ctl>.
fn v1(ctl: &str) -> Option<PathBuf> {
    let p = Path::new("/sys/fs/cgroup").join(ctl);
    p.join("cgroup.procs").exists().then_some(p)
}

#[test]
fn kernel_memory_is_accepted_and_tcp_applied_on_v1() {
    let mut fx = fixture!("kmem");
    resources(
        &mut fx,
        r#"{"memory":{"limit":67108864,"kernel":33554432,"kernelTCP":16777216}}"#,
    );
    let tcp = "/sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes";
    let kmem = "/sys/fs/cgroup/memory/memory.kmem.limit_in_bytes";
    fx.spec.probe(&["report", "--cat", tcp, "--cat", kmem]);
    let out = debug_run(&fx);
    out.assert_exit(0);
    let r = out.report();
    let Some(host) = v1("memory") else {
        // cgroup2 has no kernel memory limits: accepted, noted.
        assert!(out
            .stderr
            .contains("memory.kernelTCP: cgroup v2 has no such limit"));
        return;
    };
    if host.join("memory.kmem.tcp.limit_in_bytes").exists() {
        assert_eq!(r.answer("cat", tcp), "ok 16777216", "{}", out.context());
    } else {
        assert!(
            out.stderr.contains("memory.kernelTCP:"),
            "{}",
            out.context()
        );
    }
    // Linux ≥ 5.16 keeps the kmem limit at max whatever is written: then a note.
    let k = r.answer("cat", kmem);
    let noted = out.stderr.contains("memory.kernel:");
    assert!(k == "ok 33554432" || noted, "{k}\n{}", out.context());
}

/// A loop device over a 16 MiB file of the test's, detached on drop: a block device
/// the test may read (a host's own disks may not be openable), or None without
/// losetup.
struct Loop {
    dev: String,
    number: (u32, u32),
}

impl Loop {
    fn new(fx: &Fixture) -> Option<Loop> {
        let img = fx.dir.join("disk.img");
        fs::write(&img, vec![0x5a; 16 << 20]).ok()?;
        let out = Command::new("losetup")
            .args(["-f", "--show"])
            .arg(&img)
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let dev = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let name = dev.trim_start_matches("/dev/").to_string();
        // Detached by drop if anything below fails.
        let mut lo = Loop {
            dev,
            number: (0, 0),
        };
        let mm = fs::read_to_string(format!("/sys/block/{name}/dev")).ok()?;
        let (a, b) = mm.trim().split_once(':')?;
        lo.number = (a.parse().ok()?, b.parse().ok()?);
        Some(lo)
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.dev).status();
    }
}

/// The disk as /dev/rtdisk inside (read-only node).
fn with_disk(fx: &mut Fixture, (maj, min): (u32, u32)) {
    fx.spec.extra_linux.push((
        "devices".into(),
        format!(
            r#"[{{"path":"/dev/rtdisk","type":"b","major":{maj},"minor":{min},"fileMode":288}}]"#
        ),
    ));
}

fn throttles(maj: u32, min: u32, read_bps: u64) -> String {
    let d = |rate: u64| format!(r#"[{{"major":{maj},"minor":{min},"rate":{rate}}}]"#);
    format!(
        r#"{{"blockIO":{{"throttleReadBpsDevice":{},"throttleWriteBpsDevice":{},"throttleReadIOPSDevice":{},"throttleWriteIOPSDevice":{}}}}}"#,
        d(read_bps),
        d(1 << 20),
        d(1000),
        d(500)
    )
}

/// Milliseconds the probe took to read `mib` MiB of the disk with O_DIRECT.
fn timed_read(name: &str, disk: (u32, u32), limit: Option<u64>, mib: &str) -> u64 {
    let mut fx = Fixture::new(name, option_env!("CARGO_BIN_EXE_probe")).expect("root");
    with_disk(&mut fx, disk);
    if let Some(bps) = limit {
        resources(&mut fx, &throttles(disk.0, disk.1, bps));
    }
    fx.spec.probe(&["read-direct", "/dev/rtdisk", mib]);
    let out = fx.run();
    out.assert_exit(0);
    let r = Report::parse(&out.stdout);
    let want = (mib.parse::<u64>().unwrap() << 20).to_string();
    assert_eq!(r.must("read_bytes"), want, "{}", out.context());
    r.must("ms").parse().unwrap()
}

#[test]
fn blkio_throttles_read_back_and_a_read_limit_holds() {
    let mut fx = fixture!("blkio");
    let Some(host) = v1("blkio") else {
        runlet_tests::skip!("no v1 blkio hierarchy (the v2 case: io_max_on_pure_v2)");
    };
    let Some(lo) = Loop::new(&fx) else {
        runlet_tests::missing!("no loop device (losetup) to read from");
    };
    let disk = lo.number;
    let (maj, min) = disk;
    with_disk(&mut fx, disk);
    resources(&mut fx, &throttles(maj, min, 2 << 20));
    let files = [
        "read_bps_device",
        "write_bps_device",
        "read_iops_device",
        "write_iops_device",
    ];
    let paths: Vec<String> = files
        .iter()
        .map(|f| format!("/sys/fs/cgroup/blkio/blkio.throttle.{f}"))
        .collect();
    let mut args = vec!["report"];
    for p in &paths {
        args.extend(["--cat", p.as_str()]);
    }
    fx.spec.probe(&args);
    let out = fx.run();
    out.assert_exit(0);
    let r = out.report();
    for (p, rate) in paths.iter().zip([2 << 20, 1 << 20, 1000, 500]) {
        assert_eq!(
            r.answer("cat", p),
            format!("ok {maj}:{min} {rate}"),
            "{}",
            out.context()
        );
    }
    assert!(host.join("blkio.throttle.read_bps_device").exists());

    // Enforced: 6 MiB at 2 MiB/s takes about 3 s; without the limit, far less.
    let free = timed_read("blkio-free", disk, None, "6");
    if free >= 1500 {
        runlet_tests::skip!("this disk reads 6 MiB in {free} ms unthrottled");
    }
    let slow = timed_read("blkio-slow", disk, Some(2 << 20), "6");
    assert!(
        slow >= 2000,
        "6 MiB at 2 MiB/s took {slow} ms (unthrottled {free} ms)"
    );
}

#[test]
fn blkio_device_weights_the_host_lacks_are_named() {
    let mut fx = fixture!("blkiow");
    let Some(host) = v1("blkio") else {
        runlet_tests::skip!("no v1 blkio hierarchy");
    };
    if host.join("blkio.weight_device").exists() || host.join("blkio.bfq.weight_device").exists() {
        runlet_tests::skip!("this host has a weight_device file");
    }
    resources(
        &mut fx,
        r#"{"blockIO":{"weightDevice":[{"major":8,"minor":0,"weight":200}]}}"#,
    );
    fx.run().assert_error(&[
        "linux.resources.blockIO.weightDevice:",
        "blkio.weight_device does not exist on this host",
    ]);
}

#[test]
fn io_max_on_pure_v2_needs_the_io_controller() {
    let mut fx = fixture!("blkio-v2");
    if !Path::new("/sys/fs/cgroup/unified/cgroup.controllers").exists() {
        runlet_tests::skip!("no hybrid cgroup2 mount to simulate with");
    }
    let ctls = fs::read_to_string("/sys/fs/cgroup/unified/cgroup.controllers").unwrap();
    if ctls.split_whitespace().any(|c| c == "io") {
        runlet_tests::skip!("the io controller is on cgroup2 here");
    }
    resources(&mut fx, &throttles(254, 0, 1 << 20));
    let out = fx.run_cmd(fx.pure_v2_run_command());
    out.assert_error(&["linux.resources.blockIO: the io controller is not available in"]);
}

#[test]
fn realtime_cpu_and_idle_read_back() {
    let mut fx = fixture!("cpurt");
    let Some(host) = v1("cpu") else {
        runlet_tests::skip!("no v1 cpu hierarchy");
    };
    resources(
        &mut fx,
        r#"{"cpu":{"realtimePeriod":500000,"realtimeRuntime":20000,"idle":1}}"#,
    );
    let files = ["cpu.rt_period_us", "cpu.rt_runtime_us", "cpu.idle"];
    let paths: Vec<String> = files
        .iter()
        .map(|f| format!("/sys/fs/cgroup/cpu/{f}"))
        .collect();
    let mut args = vec!["report"];
    for p in &paths {
        args.extend(["--cat", p.as_str()]);
    }
    fx.spec.probe(&args);
    let out = fx.run();
    if !host.join("cpu.rt_runtime_us").exists() {
        out.assert_error(&["cpu.rt_period_us does not exist on this host"]);
        return;
    }
    out.assert_exit(0);
    let r = out.report();
    for (p, v) in paths.iter().zip(["500000", "20000", "1"]) {
        assert_eq!(r.answer("cat", p), format!("ok {v}"), "{}", out.context());
    }
}

#[test]
fn network_class_and_priorities() {
    let mut fx = fixture!("netcls");
    resources(
        &mut fx,
        r#"{"network":{"classID":1048577,"priorities":[{"name":"lo","priority":5}]}}"#,
    );
    let Some(host) = v1("net_cls,net_prio").or_else(|| v1("net_cls")) else {
        // A v1 hierarchy of its own just for the test would be the kernel's, seen in
        // every process's /proc/self/cgroup on this shared machine: the host's lack
        // is checked by the error it gives.
        fx.run().assert_error(&[
            "linux.resources.network: the net_cls controller is not mounted on this host",
        ]);
        return;
    };
    let name = host.file_name().unwrap().to_str().unwrap().to_string();
    let cls = format!("/sys/fs/cgroup/{name}/net_cls.classid");
    fx.spec.probe(&["report", "--cat", &cls]);
    let out = fx.run();
    let r = out.report();
    assert_eq!(r.answer("cat", &cls), "ok 1048577", "{}", out.context());
}

#[test]
fn intel_rdt_without_resctrl_is_named() {
    let mut fx = fixture!("rdt");
    let mounts = fs::read_to_string("/proc/self/mountinfo").unwrap();
    if mounts.contains(" - resctrl ") {
        runlet_tests::skip!("resctrl is mounted here");
    }
    fx.spec.extra_linux.push((
        "intelRdt".into(),
        r#"{"closID":"runlet-test","l3CacheSchema":"L3:0=f"}"#.into(),
    ));
    fx.run()
        .assert_error(&["linux.intelRdt: resctrl is not mounted on this host"]);
}

#[test]
fn rdma_the_host_lacks_is_named() {
    let mut fx = fixture!("rdma");
    let cgroups = fs::read_to_string("/proc/cgroups").unwrap();
    if cgroups.lines().any(|l| l.starts_with("rdma	")) {
        runlet_tests::skip!("this kernel has the rdma controller");
    }
    resources(
        &mut fx,
        r#"{"rdma":{"mlx5_1":{"hcaHandles":3,"hcaObjects":100}}}"#,
    );
    fx.run()
        .assert_error(&["linux.resources.rdma: the rdma controller is not"]);
}
