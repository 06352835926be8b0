//! cgroup v1 files for `linux.resources`: the spec's values are v1's, written as they are.

use std::path::Path;

use super::write_file;
use super::Write;
use crate::config::resources::{DeviceRule, Resources};
use crate::error::Result;

/// What `r` writes into the v1 hierarchy of `controller` ("memory", "cpu", "cpuset",
/// "pids", "blkio", "hugetlb"), in order.
pub(super) fn writes(r: &Resources, controller: &str) -> Vec<Write> {
    let mut w = Vec::new();
    let num = |n: i64| n.to_string();
    match controller {
        "memory" => {
            let m = &r.memory;
            if let Some(l) = m.limit.filter(|&l| l != 0) {
                w.push(Write::new("memory.limit", "memory.limit_in_bytes", num(l)));
            }
            // runc: an unlimited memory with no swap given makes swap unlimited too.
            let swap = match (m.swap, m.limit) {
                (None | Some(0), Some(-1)) => Some(-1),
                (s, _) => s.filter(|&s| s != 0),
            };
            if let Some(s) = swap {
                w.push(Write::new(
                    "memory.swap",
                    "memory.memsw.limit_in_bytes",
                    num(s),
                ));
            }
            if let Some(v) = m.reservation.filter(|&v| v != 0) {
                w.push(Write::new(
                    "memory.reservation",
                    "memory.soft_limit_in_bytes",
                    num(v),
                ));
            }
            if let Some(v) = m.swappiness {
                w.push(Write::new(
                    "memory.swappiness",
                    "memory.swappiness",
                    v.to_string(),
                ));
            }
            if m.disable_oom_killer == Some(true) {
                w.push(Write::new(
                    "memory.disableOOMKiller",
                    "memory.oom_control",
                    "1".into(),
                ));
            }
        }
        "cpu" => {
            let c = &r.cpu;
            if let Some(s) = c.shares.filter(|&s| s != 0) {
                w.push(Write::new("cpu.shares", "cpu.shares", s.to_string()));
            }
            if let Some(p) = c.period.filter(|&p| p != 0) {
                w.push(Write::new("cpu.period", "cpu.cfs_period_us", p.to_string()));
            }
            if let Some(q) = c.quota.filter(|&q| q != 0) {
                w.push(Write::new("cpu.quota", "cpu.cfs_quota_us", num(q)));
            }
            super::extra::v1_cpu(c, &mut w);
        }
        "cpuset" => {
            if let Some(v) = &r.cpu.cpus {
                w.push(Write::new("cpu.cpus", "cpuset.cpus", v.clone()));
            }
            if let Some(v) = &r.cpu.mems {
                w.push(Write::new("cpu.mems", "cpuset.mems", v.clone()));
            }
        }
        "pids" => {
            if let Some(l) = r.pids_limit.filter(|&l| l != 0) {
                let v = if l < 0 { "max".into() } else { num(l) };
                w.push(Write::new("pids.limit", "pids.max", v));
            }
        }
        "blkio" => {
            if let Some(b) = r.blkio_weight {
                let mut x = Write::new("blockIO.weight", "blkio.weight", b.to_string());
                // Kernels without CFQ have only BFQ's file.
                x.fallback = Some(("blkio.bfq.weight".into(), b.to_string()));
                w.push(x);
            }
            super::blkio::v1_writes(&r.blkio, &mut w);
        }
        "hugetlb" => {
            for (size, limit) in &r.hugepages {
                let file = format!("hugetlb.{size}.limit_in_bytes");
                w.push(Write::new("hugepageLimits", &file, limit.to_string()));
            }
        }
        "net_cls" | "net_prio" | "rdma" => super::extra::v1_writes(r, controller, &mut w),
        _ => {}
    }
    w
}

/// The device rules through the v1 devices controller: everything denied first (as
/// runc, whatever the rules say), then each rule in order, as the kernel applies a
/// write to `devices.allow` / `devices.deny`.
pub(super) fn devices(dir: &Path, rules: &[DeviceRule]) -> Result<()> {
    write_file(&dir.join("devices.deny"), "a")?;
    for r in rules {
        let file = dir.join(if r.allow {
            "devices.allow"
        } else {
            "devices.deny"
        });
        let all = r.major.is_none() && r.minor.is_none() && r.access == "rwm";
        if r.kind == 'a' && all {
            write_file(&file, "a")?;
            continue;
        }
        let n = |x: Option<u32>| x.map_or("*".to_string(), |v| v.to_string());
        let kinds: &[char] = if r.kind == 'a' {
            &['c', 'b']
        } else {
            &[r.kind]
        };
        for k in kinds {
            let line = format!("{k} {}:{} {}", n(r.major), n(r.minor), r.access);
            write_file(&file, &line)?;
        }
    }
    Ok(())
}
