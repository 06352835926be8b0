//! Resources a kernel may lack, on this host's layout: each test finds out whether
//! the host has the feature and checks the right thing either way. Present: the
//! limit is applied and reads back. Absent: runlet's one error line names the
//! missing file or controller, and nothing is left behind (the fixture checks).
//!
//! - swap accounting (`memory.memsw.*`: off without `swapaccount`/CONFIG_MEMCG_SWAP);
//! - a blkio weight (`blkio.weight`/`blkio.bfq.weight`: only with the BFQ scheduler);
//! - hugetlb (a v1 hierarchy, or cgroup2 where the root may not enable it; 2 MB pages).

use std::fs;
use std::path::{Path, PathBuf};

use runlet_tests::harness::{
    cgroup2_mount, child_cgroup_has as child_has, v1_mount, v2_controller, Fixture, V2Controller,
};
use runlet_tests::{fixture, skip, sys};

fn read(p: &Path) -> String {
    fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
        .trim()
        .to_string()
}

/// The container's dir in the hierarchy mounted at `mount`.
fn dir_in(fx: &Fixture, mount: &Path) -> PathBuf {
    fx.cgroup_dirs()
        .into_iter()
        .find(|d| d.starts_with(mount))
        .unwrap_or_else(|| panic!("no dir in {}", mount.display()))
}

/// Runs the container until it is ready, checks `(file, value)` in `dir`, ends it.
fn reads_back(fx: &Fixture, dir: impl Fn(&Fixture) -> PathBuf, want: &[(&str, &str)]) {
    let mut run = fx.spawn();
    run.wait_line(|l| l == "ready");
    let d = dir(fx);
    for (f, v) in want {
        assert_eq!(read(&d.join(f)), *v, "{}", d.join(f).display());
    }
    run.signal(sys::SIGTERM);
    fx.finish(run);
}

#[test]
fn swap_limit_reads_back_or_its_missing_file_is_named() {
    let mut fx = fixture!("optswap");
    let Some(mem) = v1_mount("memory") else {
        skip!("no v1 memory hierarchy (cgroup v2's memory.swap.max: cgroup_v2_limits.rs)");
    };
    fx.spec.extra_linux.push((
        "resources".into(),
        r#"{"memory":{"limit":67108864,"swap":134217728}}"#.into(),
    ));
    fx.spec.probe(&["wait-signal"]);
    let file = "memory.memsw.limit_in_bytes";
    if child_has(&mem, &[file])[0] {
        let d = |fx: &Fixture| dir_in(fx, &mem);
        reads_back(
            &fx,
            d,
            &[(file, "134217728"), ("memory.limit_in_bytes", "67108864")],
        );
    } else {
        let path = dir_in(&fx, &mem).join(file);
        fx.run().assert_error(&[&format!(
            "linux.resources.memory.swap: {} does not exist on this host",
            path.display()
        )]);
    }
}

#[test]
fn blkio_weight_reads_back_or_its_missing_file_is_named() {
    let mut fx = fixture!("optblkio");
    let Some(blkio) = v1_mount("blkio") else {
        skip!("no v1 blkio hierarchy (cgroup v2's io weight: cgroup_v2_limits.rs)");
    };
    fx.spec
        .extra_linux
        .push(("resources".into(), r#"{"blockIO":{"weight":300}}"#.into()));
    fx.spec.probe(&["wait-signal"]);
    // CFQ's blkio.weight (gone since 5.0), else BFQ's file: there only with BFQ.
    let files = ["blkio.weight", "blkio.bfq.weight"];
    match child_has(&blkio, &files).iter().position(|&h| h) {
        Some(i) => reads_back(&fx, |fx| dir_in(fx, &blkio), &[(files[i], "300")]),
        None => {
            let path = dir_in(&fx, &blkio).join(files[0]);
            fx.run().assert_error(&[&format!(
                "linux.resources.blockIO.weight: {} does not exist on this host",
                path.display()
            )]);
        }
    }
}

const HUGE: &str = r#"{"hugepageLimits":[{"pageSize":"2MB","limit":4194304}]}"#;

/// Whether the kernel has 2 MB huge pages (an x86_64 kernel with HUGETLBFS).
fn has_2mb_pages() -> bool {
    Path::new("/sys/kernel/mm/hugepages/hugepages-2048kB").is_dir()
}

#[test]
fn hugetlb_limit_reads_back_or_the_reason_is_named() {
    let mut fx = fixture!("opthuge");
    fx.spec.extra_linux.push(("resources".into(), HUGE.into()));
    fx.spec.probe(&["wait-signal"]);
    let field = "linux.resources.hugepageLimits";
    if let Some(m) = v1_mount("hugetlb") {
        let file = "hugetlb.2MB.limit_in_bytes";
        if child_has(&m, &[file])[0] {
            return reads_back(&fx, |fx| dir_in(fx, &m), &[(file, "4194304")]);
        }
        let path = dir_in(&fx, &m).join(file);
        let msg = format!("{field}: {} does not exist on this host", path.display());
        return fx.run().assert_error(&[&msg]);
    }
    let Some(m) = cgroup2_mount() else {
        let msg = format!("{field}: the hugetlb controller is not mounted on this host");
        return fx.run().assert_error(&[&msg]);
    };
    let msg = match v2_controller("hugetlb") {
        V2Controller::Enabled if has_2mb_pages() => {
            let d = |fx: &Fixture| m.join("runlet").join(&fx.id);
            return reads_back(&fx, d, &[("hugetlb.2MB.max", "4194304")]);
        }
        V2Controller::Enabled => format!(
            "{field}: {}/hugetlb.2MB.max does not exist on this host",
            m.join("runlet").join(&fx.id).display()
        ),
        // The root's subtree_control is the host's policy: runlet leaves it alone.
        V2Controller::NotEnabled => format!(
            "{field}: the hugetlb controller is not enabled in {}/cgroup.subtree_control",
            m.display()
        ),
        V2Controller::Absent => format!(
            "{field}: the hugetlb controller is not available in {}",
            m.display()
        ),
    };
    fx.run().assert_error(&[&msg]);
}
