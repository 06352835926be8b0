//! `linux.resources`: parsed from its JSON (the config's, or `runlet update
//! --resources FILE`), every value checked, each error naming its JSON path.
//! The cgroup module decides where and how each value is written (docs/cgroups.md).

use miniserde::json::Value;

use super::obj::Obj;
use crate::bail;
use crate::error::Result;

/// One rule of `linux.resources.devices` (or one runlet adds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRule {
    pub allow: bool,
    /// 'a' (all), 'c' or 'b'.
    pub kind: char,
    /// None: any (`*`).
    pub major: Option<u32>,
    pub minor: Option<u32>,
    /// A non-empty subset of "rwm", in that order.
    pub access: String,
}

impl DeviceRule {
    pub fn allow(kind: char, major: Option<u32>, minor: Option<u32>, access: &str) -> DeviceRule {
        DeviceRule {
            allow: true,
            kind,
            major,
            minor,
            access: access.to_string(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    /// Bytes; -1 unlimited.
    pub limit: Option<i64>,
    pub reservation: Option<i64>,
    /// Memory plus swap, in bytes (v1 semantics, as the spec says); -1 unlimited.
    pub swap: Option<i64>,
    pub swappiness: Option<u64>,
    pub disable_oom_killer: Option<bool>,
    /// Deprecated kernel memory limits (bytes; -1 unlimited): applied where the host
    /// still honours them, else noted under `--debug` (docs/cgroups.md).
    pub kernel: Option<i64>,
    pub kernel_tcp: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cpu {
    pub shares: Option<u64>,
    /// Microseconds per period; -1 unlimited.
    pub quota: Option<i64>,
    pub period: Option<u64>,
    pub cpus: Option<String>,
    pub mems: Option<String>,
    /// Real-time group scheduling, microseconds (v1 `cpu.rt_*`).
    pub realtime_runtime: Option<i64>,
    pub realtime_period: Option<u64>,
    /// `cpu.idle` (0 or 1).
    pub idle: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// `linux.resources.devices` in order (runlet adds its defaults when applying).
    pub devices: Vec<DeviceRule>,
    pub memory: Memory,
    pub cpu: Cpu,
    /// 0: unset; negative: unlimited.
    pub pids_limit: Option<i64>,
    /// 10–1000.
    pub blkio_weight: Option<u64>,
    /// `blockIO` beyond `weight`: leaf weight, per-device weights and throttles.
    pub blkio: super::blkio::BlockIo,
    /// v1 net_cls / net_prio.
    pub network: super::resources_extra::Network,
    pub rdma: Vec<super::resources_extra::Rdma>,
    /// (page size as in the file names, "2MB"; limit in bytes).
    pub hugepages: Vec<(String, u64)>,
    /// cgroup v2 file → value.
    pub unified: Vec<(String, String)>,
}

/// The devices runc allows in every container, after the config's own rules: mknod of
/// any node, and read/write/mknod of the basic character devices, consoles, ptys
/// and tun.
const DEFAULT_ALLOWED: [(char, Option<u32>, Option<u32>, &str); 12] = [
    ('c', None, None, "m"),
    ('b', None, None, "m"),
    ('c', Some(1), Some(3), "rwm"),    // null
    ('c', Some(1), Some(5), "rwm"),    // zero
    ('c', Some(1), Some(7), "rwm"),    // full
    ('c', Some(1), Some(8), "rwm"),    // random
    ('c', Some(1), Some(9), "rwm"),    // urandom
    ('c', Some(5), Some(0), "rwm"),    // tty
    ('c', Some(5), Some(1), "rwm"),    // console
    ('c', Some(5), Some(2), "rwm"),    // ptmx
    ('c', Some(136), None, "rwm"),     // pts
    ('c', Some(10), Some(200), "rwm"), // net/tun
];

impl super::Config {
    /// Every device rule, in the order they apply (a later rule wins): the config's
    /// `linux.resources.devices`, runc's default allowed devices, then each device
    /// node `linux.devices` makes (allowed rwm, as runc does).
    pub fn device_rules(&self) -> Vec<DeviceRule> {
        device_rules(&self.resources, &self.boot.devices)
    }
}

fn device_rules(r: &Resources, nodes: &[super::devices::Dev]) -> Vec<DeviceRule> {
    let mut out = r.devices.clone();
    out.extend(
        DEFAULT_ALLOWED
            .iter()
            .map(|&(k, maj, min, acc)| DeviceRule::allow(k, maj, min, acc)),
    );
    for d in nodes.iter().filter(|d| d.kind != b'p') {
        let kind = if d.kind == b'b' { 'b' } else { 'c' };
        let rule = DeviceRule::allow(kind, Some(d.major), Some(d.minor), "rwm");
        if !out.contains(&rule) {
            out.push(rule);
        }
    }
    out
}

/// Parses `linux.resources` (`path` names it in errors: "linux.resources").
pub fn parse(path: &str, v: Option<&Value>) -> Result<Resources> {
    let mut r = Resources::default();
    let Some(o) = v.map(|v| Obj::new(path, v)).transpose()?.flatten() else {
        return Ok(r);
    };
    for (i, d) in o.array("devices")?.iter().enumerate() {
        let p = format!("{path}.devices[{i}]");
        let Some(d) = Obj::new(&p, d)? else {
            bail!("{p} must be an object")
        };
        r.devices.push(device(&d)?);
    }
    if let Some(m) = o.obj("memory")? {
        r.memory = memory(&m)?;
    }
    if let Some(c) = o.obj("cpu")? {
        r.cpu = cpu(&c)?;
    }
    if let Some(p) = o.obj("pids")? {
        r.pids_limit = p.int("limit")?;
    }
    if let Some(b) = o.obj("blockIO")? {
        if let Some(w) = b.uint("weight")?.filter(|&w| w != 0) {
            if !(10..=1000).contains(&w) {
                bail!("{} {w} is out of range (10-1000)", b.at("weight"));
            }
            r.blkio_weight = Some(w);
        }
        r.blkio = super::blkio::parse(&b)?;
    }
    for (i, h) in o.array("hugepageLimits")?.iter().enumerate() {
        let p = format!("{path}.hugepageLimits[{i}]");
        let Some(h) = Obj::new(&p, h)? else {
            bail!("{p} must be an object")
        };
        let Some(size) = h.string("pageSize")? else {
            bail!("{} is required", h.at("pageSize"))
        };
        let ok = size.len() > 2
            && (size.ends_with("KB") || size.ends_with("MB") || size.ends_with("GB"))
            && size[..size.len() - 2].bytes().all(|b| b.is_ascii_digit());
        if !ok {
            bail!(
                "{} {size:?} must be a size like \"2MB\" or \"1GB\"",
                h.at("pageSize")
            );
        }
        let Some(limit) = h.uint("limit")? else {
            bail!("{} is required", h.at("limit"))
        };
        r.hugepages.push((size, limit));
    }
    if let Some(u) = o.get("unified") {
        let Value::Object(map) = u else {
            bail!("{path}.unified must be an object of strings")
        };
        for (k, v) in map {
            let Value::String(v) = v else {
                bail!("{path}.unified[{k:?}] must be a string")
            };
            let ok = k.contains('.')
                && !k.starts_with('.')
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if !ok {
                bail!("{path}.unified key {k:?} is not a cgroup file name");
            }
            if v.contains('\0') {
                bail!("{path}.unified[{k:?}] contains a NUL byte");
            }
            r.unified.push((k.clone(), v.clone()));
        }
    }
    if let Some(n) = o.obj("network")? {
        r.network = super::resources_extra::network(&n)?;
    }
    r.rdma = super::resources_extra::rdma(&o.at("rdma"), o.get("rdma"))?;
    Ok(r)
}

fn device(d: &Obj<'_>) -> Result<DeviceRule> {
    let Some(allow) = d.boolean("allow")? else {
        bail!("{} is required", d.at("allow"))
    };
    let kind = match d.string("type")?.as_deref() {
        None | Some("a") => 'a',
        Some("c") => 'c',
        Some("b") => 'b',
        Some(t) => bail!("{} {t:?} must be \"a\", \"c\" or \"b\"", d.at("type")),
    };
    let num = |key: &str| -> Result<Option<u32>> {
        match d.int(key)? {
            None | Some(-1) => Ok(None),
            Some(n) if (0..=u32::MAX as i64).contains(&n) => Ok(Some(n as u32)),
            Some(n) => bail!("{} {n} is not a device number", d.at(key)),
        }
    };
    let (major, minor) = (num("major")?, num("minor")?);
    let given = d.string("access")?.unwrap_or_else(|| "rwm".into());
    if given.is_empty() || !given.chars().all(|c| "rwm".contains(c)) {
        bail!("{} {given:?} must be made of r, w and m", d.at("access"));
    }
    let access: String = "rwm".chars().filter(|c| given.contains(*c)).collect();
    Ok(DeviceRule {
        allow,
        kind,
        major,
        minor,
        access,
    })
}

fn memory(m: &Obj<'_>) -> Result<Memory> {
    let bytes = |key: &str| -> Result<Option<i64>> {
        match m.int(key)? {
            Some(n) if n < -1 => bail!(
                "{} {n} must be -1 (unlimited) or a size in bytes",
                m.at(key)
            ),
            v => Ok(v),
        }
    };
    let swappiness = m.uint("swappiness")?;
    if let Some(s) = swappiness.filter(|&s| s > 100) {
        bail!("{} {s} is out of range (0-100)", m.at("swappiness"));
    }
    let out = Memory {
        limit: bytes("limit")?,
        reservation: bytes("reservation")?,
        swap: bytes("swap")?,
        swappiness,
        disable_oom_killer: m.boolean("disableOOMKiller")?,
        kernel: bytes("kernel")?.filter(|&n| n != 0),
        kernel_tcp: bytes("kernelTCP")?.filter(|&n| n != 0),
    };
    if let (Some(l), Some(s)) = (out.limit, out.swap) {
        if l > 0 && s > 0 && s < l {
            bail!(
                "{} {s} is below memory.limit {l} (swap counts memory plus swap)",
                m.at("swap")
            );
        }
    }
    Ok(out)
}

fn cpu(c: &Obj<'_>) -> Result<Cpu> {
    let out = Cpu {
        shares: c.uint("shares")?,
        quota: c.int("quota")?,
        period: c.uint("period")?,
        cpus: c.string("cpus")?.filter(|s| !s.is_empty()),
        mems: c.string("mems")?.filter(|s| !s.is_empty()),
        realtime_runtime: c.int("realtimeRuntime")?.filter(|&n| n != 0),
        realtime_period: c.uint("realtimePeriod")?.filter(|&n| n != 0),
        idle: c.int("idle")?,
    };
    if let Some(i) = out.idle.filter(|i| !(0..=1).contains(i)) {
        bail!("{} {i} must be 0 or 1", c.at("idle"));
    }
    if let Some(r) = out.realtime_runtime.filter(|&r| r < -1) {
        bail!(
            "{} {r} must be -1 (unlimited) or microseconds",
            c.at("realtimeRuntime")
        );
    }
    if let Some(q) = out.quota.filter(|&q| q < -1 || (0 < q && q < 1000)) {
        bail!(
            "{} {q} must be -1 (unlimited) or at least 1000 microseconds",
            c.at("quota")
        );
    }
    if let Some(p) = out
        .period
        .filter(|&p| p != 0 && !(1000..=1_000_000).contains(&p))
    {
        bail!(
            "{} {p} is out of range (1000-1000000 microseconds)",
            c.at("period")
        );
    }
    for k in ["cpus", "mems"] {
        let v = if k == "cpus" { &out.cpus } else { &out.mems };
        if let Some(v) = v {
            if !v
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b',' || b == b'-')
            {
                bail!("{} {v:?} must be a list like \"0-3,7\"", c.at(k));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(json: &str) -> Result<Resources> {
        let v: Value = miniserde::json::from_str(json).unwrap();
        parse("linux.resources", Some(&v))
    }

    #[test]
    fn a_runc_default_parses() {
        let r = p(r#"{"devices":[{"allow":false,"access":"rwm"}],
            "memory":{"limit":1048576,"swap":-1,"disableOOMKiller":false},
            "cpu":{"shares":512,"quota":50000,"period":100000,"cpus":"0"},
            "pids":{"limit":10},"blockIO":{"weight":500},
            "hugepageLimits":[{"pageSize":"2MB","limit":0}],
            "unified":{"memory.high":"max"}}"#)
        .unwrap();
        assert_eq!(
            r.devices,
            [DeviceRule {
                allow: false,
                kind: 'a',
                major: None,
                minor: None,
                access: "rwm".into()
            }]
        );
        assert_eq!(r.memory.limit, Some(1048576));
        assert_eq!(r.cpu.quota, Some(50000));
        assert_eq!(r.pids_limit, Some(10));
        assert_eq!(r.hugepages, [("2MB".to_string(), 0)]);
        assert_eq!(r.unified, [("memory.high".into(), "max".into())]);
    }

    #[test]
    fn errors_name_the_json_path() {
        for (json, want) in [
            (
                r#"{"memory":{"limit":"1g"}}"#,
                "linux.resources.memory.limit must be an integer",
            ),
            (
                r#"{"devices":[{"allow":true,"access":"rwx"}]}"#,
                "linux.resources.devices[0].access",
            ),
            (
                r#"{"devices":[{"access":"r"}]}"#,
                "linux.resources.devices[0].allow is required",
            ),
            (r#"{"cpu":{"quota":5}}"#, "linux.resources.cpu.quota 5"),
            (
                r#"{"blockIO":{"throttleReadBpsDevice":[{"major":8,"rate":1}]}}"#,
                "linux.resources.blockIO.throttleReadBpsDevice[0].minor is required",
            ),
            (
                r#"{"hugepageLimits":[{"pageSize":"2M","limit":1}]}"#,
                "hugepageLimits[0].pageSize \"2M\"",
            ),
            (r#"{"unified":{"../x":"1"}}"#, "unified key \"../x\""),
            (
                r#"{"memory":{"limit":1000,"swap":10}}"#,
                "memory.swap 10 is below",
            ),
        ] {
            let e = p(json).err().unwrap().to_string();
            assert!(e.contains(want), "{json}: {e}");
        }
        assert_eq!(
            p(r#"{"cpu":{"realtimeRuntime":0},"rdma":{},"network":{}}"#).unwrap(),
            Resources::default()
        );
    }
}
