//! `linux.resources.network` (v1 net_cls / net_prio) and `linux.resources.rdma`.

use miniserde::json::Value;

use super::obj::Obj;
use crate::bail;
use crate::error::Result;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    /// `net_cls.classid`.
    pub class_id: Option<u32>,
    /// `net_prio.ifpriomap` lines: (interface, priority).
    pub priorities: Vec<(String, u32)>,
}

/// One `rdma` entry: a device and its limits (None: `max`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rdma {
    pub device: String,
    pub hca_handles: Option<u32>,
    pub hca_objects: Option<u32>,
}

pub(super) fn network(o: &Obj<'_>) -> Result<Network> {
    let class_id = match o.uint("classID")? {
        Some(n) if n > u32::MAX as u64 => bail!("{} {n} is out of range", o.at("classID")),
        n => n.map(|n| n as u32),
    };
    let mut priorities = Vec::new();
    for (i, v) in o.array("priorities")?.iter().enumerate() {
        let at = format!("{}[{i}]", o.at("priorities"));
        let Some(p) = Obj::new(&at, v)? else {
            bail!("{at} must be an object")
        };
        let Some(name) = p.string("name")?.filter(|n| !n.is_empty()) else {
            bail!("{} is required", p.at("name"))
        };
        if name.len() > 15
            || name
                .bytes()
                .any(|b| b == b'/' || b.is_ascii_whitespace() || b == 0)
        {
            bail!("{} {name:?} is not an interface name", p.at("name"));
        }
        let prio = match p.uint("priority")? {
            Some(n) if n <= u32::MAX as u64 => n as u32,
            Some(n) => bail!("{} {n} is out of range", p.at("priority")),
            None => bail!("{} is required", p.at("priority")),
        };
        priorities.push((name, prio));
    }
    Ok(Network {
        class_id,
        priorities,
    })
}

/// `rdma`: an object of device name → `{hcaHandles, hcaObjects}`.
pub(super) fn rdma(path: &str, v: Option<&Value>) -> Result<Vec<Rdma>> {
    let map = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(m)) => m,
        Some(_) => bail!("{path} must be an object"),
    };
    let mut out = Vec::new();
    for (dev, limits) in map {
        let at = format!("{path}[{dev:?}]");
        if dev.is_empty()
            || dev
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b == 0 || b == b'=')
        {
            bail!("{at}: {dev:?} is not a device name");
        }
        let Some(l) = Obj::new(&at, limits)? else {
            continue;
        };
        let num = |k: &str| -> Result<Option<u32>> {
            match l.uint(k)? {
                Some(n) if n > u32::MAX as u64 => bail!("{} {n} is out of range", l.at(k)),
                n => Ok(n.map(|n| n as u32)),
            }
        };
        let r = Rdma {
            device: dev.clone(),
            hca_handles: num("hcaHandles")?,
            hca_objects: num("hcaObjects")?,
        };
        if r.hca_handles.is_some() || r.hca_objects.is_some() {
            out.push(r);
        }
    }
    Ok(out)
}

impl Rdma {
    /// The `rdma.max` line (v1 and v2 alike).
    pub fn line(&self) -> String {
        let v = |n: Option<u32>| n.map_or("max".to_string(), |n| n.to_string());
        format!(
            "{} hca_handle={} hca_object={}",
            self.device,
            v(self.hca_handles),
            v(self.hca_objects)
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::config::resources::parse;
    use miniserde::json::{from_str, Value};

    fn p(json: &str) -> crate::error::Result<crate::config::resources::Resources> {
        let v: Value = from_str(json).unwrap();
        parse("linux.resources", Some(&v))
    }

    #[test]
    fn network_and_rdma_parse() {
        let r = p(
            r#"{"network":{"classID":1048577,"priorities":[{"name":"eth0","priority":5}]},
            "rdma":{"mlx5_1":{"hcaHandles":3},"mlx4_0":{}}}"#,
        )
        .unwrap();
        assert_eq!(r.network.class_id, Some(1048577));
        assert_eq!(r.network.priorities, [("eth0".to_string(), 5)]);
        assert_eq!(r.rdma.len(), 1);
        assert_eq!(r.rdma[0].line(), "mlx5_1 hca_handle=3 hca_object=max");
        let e = p(r#"{"network":{"priorities":[{"name":"a b","priority":1}]}}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("priorities[0].name \"a b\" is not an interface name"),
            "{e}"
        );
    }
}
