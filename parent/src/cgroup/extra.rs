//! The less common controllers' files: real-time group scheduling and `cpu.idle`,
//! v1 `net_cls` / `net_prio` (`linux.resources.network`; cgroup2 has neither), and
//! `rdma.max`.

use super::Write;
use crate::bail;
use crate::config::resources::{Cpu, Resources};
use crate::error::Result;

/// v1 `cpu`: the period before the runtime (the kernel checks runtime ≤ period).
pub(super) fn v1_cpu(c: &Cpu, w: &mut Vec<Write>) {
    if let Some(p) = c.realtime_period {
        w.push(Write::new(
            "cpu.realtimePeriod",
            "cpu.rt_period_us",
            p.to_string(),
        ));
    }
    if let Some(r) = c.realtime_runtime {
        w.push(Write::new(
            "cpu.realtimeRuntime",
            "cpu.rt_runtime_us",
            r.to_string(),
        ));
    }
    if let Some(i) = c.idle {
        w.push(Write::new("cpu.idle", "cpu.idle", i.to_string()));
    }
}

/// cgroup2 `cpu`: `cpu.idle`; no real-time group scheduling there.
pub(super) fn v2_cpu(c: &Cpu, w: &mut Vec<Write>) -> Result<()> {
    if c.realtime_period.is_some() || c.realtime_runtime.is_some() {
        bail!("linux.resources.cpu.realtimeRuntime/realtimePeriod: cgroup v2 has no real-time group scheduling");
    }
    if let Some(i) = c.idle {
        w.push(Write::new("cpu.idle", "cpu.idle", i.to_string()));
    }
    Ok(())
}

pub(super) fn v1_writes(r: &Resources, controller: &str, w: &mut Vec<Write>) {
    match controller {
        "net_cls" => {
            if let Some(id) = r.network.class_id {
                w.push(Write::new(
                    "network.classID",
                    "net_cls.classid",
                    id.to_string(),
                ));
            }
        }
        "net_prio" => {
            for (name, prio) in &r.network.priorities {
                let line = format!("{name} {prio}");
                w.push(Write::new("network.priorities", "net_prio.ifpriomap", line));
            }
        }
        _ => rdma(r, w),
    }
}

pub(super) fn v2_writes(r: &Resources, controller: &str, w: &mut Vec<Write>) -> Result<()> {
    match controller {
        "net_cls" | "net_prio" => bail!(
            "linux.resources.network: the {controller} controller is not mounted on this host (cgroup v2 has none)"
        ),
        _ => rdma(r, w),
    }
    Ok(())
}

fn rdma(r: &Resources, w: &mut Vec<Write>) {
    for d in &r.rdma {
        w.push(Write::new("rdma", "rdma.max", d.line()));
    }
}

impl super::CgroupManager {
    /// A v1 child gets real-time runtime only out of its parent's: runlet raises the
    /// parents it made (and its own `/runlet`) to the container's runtime. A parent
    /// someone else made is left to its owner; the kernel then refuses (EINVAL).
    pub(super) fn raise_rt_parents(&self, r: &Resources) -> Result<()> {
        let Some(rt) = r.cpu.realtime_runtime.filter(|&x| x > 0) else {
            return Ok(());
        };
        // The kernel compares bandwidths (runtime per period), periods may differ.
        let period = r.cpu.realtime_period.unwrap_or(1_000_000).max(1) as i64;
        let Some((h, dir)) = self.dirs.iter().find(|(h, _)| !h.v2 && h.has("cpu")) else {
            return Ok(());
        };
        let mount = h.mountpoint.as_path();
        let own = mount.join(super::path::DEFAULT_PARENT);
        let mut ours: Vec<&std::path::Path> = dir
            .ancestors()
            .skip(1)
            .take_while(|a| *a != mount)
            .filter(|a| *a == own || self.created.iter().any(|c| c == a))
            .collect();
        ours.reverse();
        for a in ours {
            let f = a.join("cpu.rt_runtime_us");
            let now: i64 = super::read_file(&f)?.trim().parse().unwrap_or(0);
            let own_period: i64 = super::read_file(&a.join("cpu.rt_period_us"))?
                .trim()
                .parse()
                .unwrap_or(1_000_000);
            let need = (rt * own_period + period - 1) / period;
            if now != -1 && now < need {
                super::write_file(&f, &need.to_string())
                    .map_err(|e| e.context("linux.resources.cpu.realtimeRuntime"))?;
            }
        }
        Ok(())
    }
}
