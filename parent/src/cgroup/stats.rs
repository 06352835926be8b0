//! One usage sample of a container's cgroups, in the `data` shape of runc's
//! `events --stats` (the fields runlet reads; sections a host lacks are left out).

use std::fs;
use std::path::Path;

use miniserde::json::{Number, Object, Value};

use super::manager::CgroupManager;

/// USER_HZ: cpuacct.stat counts in these ticks.
const TICK_NS: u64 = 10_000_000;

fn num(dir: &Path, file: &str) -> Option<u64> {
    let t = fs::read_to_string(dir.join(file)).ok()?;
    match t.trim() {
        "max" => Some(0), // runc reports "no limit" as 0
        t => t.parse().ok(),
    }
}

/// `key value` lines (cpu.stat, cpuacct.stat).
fn keyed(dir: &Path, file: &str, key: &str) -> Option<u64> {
    let t = fs::read_to_string(dir.join(file)).ok()?;
    t.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

fn obj(fields: &[(&str, Option<u64>)]) -> Value {
    let mut o = Object::new();
    for (k, v) in fields {
        if let Some(v) = v {
            o.insert((*k).into(), Value::Number(Number::U64(*v)));
        }
    }
    Value::Object(o)
}

impl CgroupManager {
    /// The directory holding `v1` controller's files, else the cgroup2 one.
    fn stats_dir(&self, v1: &str) -> Option<(&Path, bool)> {
        let d = self.dirs.iter().find(|(h, _)| h.has(v1));
        let d = d.or_else(|| self.dirs.iter().find(|(h, _)| h.v2))?;
        Some((d.1.as_path(), d.0.v2))
    }

    /// `{"cpu":{...},"memory":{...},"pids":{...}}`.
    pub fn stats(&self) -> Value {
        let mut data = Object::new();
        if let Some((d, v2)) = self.stats_dir("cpuacct") {
            let usage = if v2 {
                let us = |k| keyed(d, "cpu.stat", k).map(|v| v * 1000);
                obj(&[
                    ("total", us("usage_usec")),
                    ("user", us("user_usec")),
                    ("kernel", us("system_usec")),
                ])
            } else {
                let ticks = |k| keyed(d, "cpuacct.stat", k).map(|v| v * TICK_NS);
                obj(&[
                    ("total", num(d, "cpuacct.usage")),
                    ("user", ticks("user")),
                    ("kernel", ticks("system")),
                ])
            };
            let mut cpu = Object::new();
            cpu.insert("usage".into(), usage);
            data.insert("cpu".into(), Value::Object(cpu));
        }
        if let Some((d, v2)) = self.stats_dir("memory") {
            let usage = if v2 {
                obj(&[
                    ("usage", num(d, "memory.current")),
                    ("limit", num(d, "memory.max")),
                    ("max", num(d, "memory.peak")),
                ])
            } else {
                obj(&[
                    ("usage", num(d, "memory.usage_in_bytes")),
                    ("limit", num(d, "memory.limit_in_bytes")),
                    ("max", num(d, "memory.max_usage_in_bytes")),
                    ("failcnt", num(d, "memory.failcnt")),
                ])
            };
            let mut mem = Object::new();
            mem.insert("usage".into(), usage);
            data.insert("memory".into(), Value::Object(mem));
        }
        if let Some((d, _)) = self.stats_dir("pids") {
            data.insert(
                "pids".into(),
                obj(&[
                    ("current", num(d, "pids.current")),
                    ("limit", num(d, "pids.max")),
                ]),
            );
        }
        Value::Object(data)
    }
}
