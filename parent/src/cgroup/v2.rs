//! cgroup v2 files for `linux.resources`, translated from the spec's v1 values the way
//! runc and crun do (docs/cgroups.md has the table).

use super::Write;
use crate::bail;
use crate::config::resources::Resources;
use crate::error::Result;

/// cpu.shares (2–262144, default 1024) to cpu.weight (1–10000, default 100).
pub(super) fn shares_to_weight(shares: u64) -> u64 {
    let s = shares.clamp(2, 262_144);
    1 + ((s - 2) * 9999) / 262_142
}

/// blkio.weight (10–1000) to io.weight (1–10000).
pub(super) fn blkio_to_io_weight(w: u64) -> u64 {
    let w = w.clamp(10, 1000);
    1 + ((w - 10) * 9999) / 990
}

/// The spec's memory.swap (memory plus swap, v1's memsw) to memory.swap.max (swap
/// alone). None: leave it alone.
pub(super) fn swap_max(swap: Option<i64>, limit: Option<i64>) -> Result<Option<String>> {
    let (s, l) = (swap.unwrap_or(0), limit.unwrap_or(0));
    if s == -1 || (l == -1 && s == 0) {
        return Ok(Some("max".into()));
    }
    if s == 0 || l == 0 {
        return Ok(None);
    }
    if l == -1 {
        bail!("linux.resources.memory.swap {s} needs a memory.limit (cgroup v2 limits swap apart from memory)");
    }
    if s < l {
        bail!("linux.resources.memory.swap {s} is below memory.limit {l}");
    }
    Ok(Some((s - l).to_string()))
}

fn max_or(n: i64) -> String {
    if n < 0 {
        "max".into()
    } else {
        n.to_string()
    }
}

/// What `r` writes for v2 `controller` ("memory", "cpu", "cpuset", "pids", "io",
/// "hugetlb"), in order.
pub(super) fn writes(r: &Resources, controller: &str) -> Result<Vec<Write>> {
    let mut w = Vec::new();
    match controller {
        "memory" => {
            let m = &r.memory;
            if let Some(l) = m.limit.filter(|&l| l != 0) {
                w.push(Write::new("memory.limit", "memory.max", max_or(l)));
            }
            if let Some(v) = swap_max(m.swap, m.limit)? {
                w.push(Write::new("memory.swap", "memory.swap.max", v));
            }
            if let Some(v) = m.reservation.filter(|&v| v != 0) {
                w.push(Write::new("memory.reservation", "memory.low", max_or(v)));
            }
            if m.swappiness.is_some() {
                bail!("linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness");
            }
            if m.disable_oom_killer == Some(true) {
                bail!("linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable the OOM killer");
            }
        }
        "cpu" => {
            let c = &r.cpu;
            if let Some(s) = c.shares.filter(|&s| s != 0) {
                let v = shares_to_weight(s).to_string();
                w.push(Write::new("cpu.shares", "cpu.weight", v));
            }
            let (q, p) = (c.quota.unwrap_or(0), c.period.unwrap_or(0));
            if q != 0 || p != 0 {
                let mut v = if q > 0 { q.to_string() } else { "max".into() };
                if p != 0 {
                    v = format!("{v} {p}");
                }
                w.push(Write::new("cpu.quota", "cpu.max", v));
            }
            super::extra::v2_cpu(c, &mut w)?;
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
                w.push(Write::new("pids.limit", "pids.max", max_or(l)));
            }
        }
        "io" => {
            if let Some(b) = r.blkio_weight {
                // BFQ's file takes the v1 range as it is; else io.weight, translated.
                let mut x = Write::new("blockIO.weight", "io.bfq.weight", b.to_string());
                x.fallback = Some(("io.weight".into(), blkio_to_io_weight(b).to_string()));
                w.push(x);
            }
            super::blkio::v2_writes(&r.blkio, &mut w)?;
        }
        "hugetlb" => {
            for (size, limit) in &r.hugepages {
                let file = format!("hugetlb.{size}.max");
                w.push(Write::new("hugepageLimits", &file, limit.to_string()));
            }
        }
        "net_cls" | "net_prio" | "rdma" => super::extra::v2_writes(r, controller, &mut w)?,
        _ => {}
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::resources::{Cpu, Memory};

    #[test]
    fn translations_match_runc() {
        assert_eq!(shares_to_weight(1024), 39);
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(262_144), 10_000);
        assert_eq!(blkio_to_io_weight(10), 1);
        assert_eq!(blkio_to_io_weight(500), 4950);
        assert_eq!(blkio_to_io_weight(1000), 10_000);
        assert_eq!(
            swap_max(Some(-1), Some(100)).unwrap().as_deref(),
            Some("max")
        );
        assert_eq!(swap_max(None, Some(-1)).unwrap().as_deref(), Some("max"));
        assert_eq!(
            swap_max(Some(300), Some(100)).unwrap().as_deref(),
            Some("200")
        );
        assert_eq!(swap_max(None, Some(100)).unwrap(), None);
        assert!(swap_max(Some(50), Some(100)).is_err());
        assert!(swap_max(Some(50), Some(-1)).is_err());
    }

    fn files(w: &[Write]) -> Vec<(String, String)> {
        w.iter()
            .map(|w| (w.file.clone(), w.value.clone()))
            .collect()
    }

    #[test]
    fn v1_values_become_v2_files() {
        let r = Resources {
            memory: Memory {
                limit: Some(1 << 20),
                swap: Some(3 << 20),
                reservation: Some(-1),
                ..Memory::default()
            },
            cpu: Cpu {
                shares: Some(512),
                quota: Some(-1),
                period: Some(50_000),
                ..Cpu::default()
            },
            pids_limit: Some(-1),
            hugepages: vec![("2MB".into(), 4 << 20)],
            ..Resources::default()
        };
        let f = |c| files(&writes(&r, c).unwrap());
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            f("memory"),
            [
                s("memory.max", "1048576"),
                s("memory.swap.max", "2097152"),
                s("memory.low", "max")
            ]
        );
        assert_eq!(f("cpu"), [s("cpu.weight", "20"), s("cpu.max", "max 50000")]);
        assert_eq!(f("pids"), [s("pids.max", "max")]);
        assert_eq!(f("hugetlb"), [s("hugetlb.2MB.max", "4194304")]);
        let v1 = files(&super::super::v1::writes(&r, "cpu"));
        assert_eq!(
            v1,
            [
                s("cpu.shares", "512"),
                s("cpu.cfs_period_us", "50000"),
                s("cpu.cfs_quota_us", "-1")
            ]
        );
        let mut sw = r.clone();
        sw.memory.swappiness = Some(10);
        let e = writes(&sw, "memory").err().unwrap().to_string();
        assert!(e.contains("memory.swappiness"), "{e}");
    }
}
