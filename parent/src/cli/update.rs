//! `update` and `events` options, runc's: for `update`, `--resources|-r FILE|-`,
//! `--memory`, `--memory-reservation`, `--memory-swap` (sizes like 512m),
//! `--cpu-quota`, `--cpu-period`, `--cpu-share`, `--cpuset-cpus`, `--cpuset-mems`,
//! `--pids-limit`, `--blkio-weight` (flags override the file); for `events`, `--stats`.

use miniserde::json::{self, Number, Object, Value};

use crate::config::resources::{self, Resources};
use crate::error::{Error, Result};

/// `update`'s arguments: the container ID and the checked resources to write.
pub fn parse_update(args: &[String]) -> Result<(String, Resources)> {
    let mut r = Resources::default();
    let mut id = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((k, v)) if arg.starts_with("--") => (k, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        if !name.starts_with('-') || name == "-" {
            if id.replace(arg.clone()).is_some() {
                return Err(Error::msg(format!("update: unexpected argument {arg:?}")));
            }
            continue;
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| Error::msg(format!("update: option {name} needs a value")))
        };
        match name {
            "--resources" | "-r" => r = from_file(&value()?)?,
            "--memory" => r.memory.limit = Some(bytes(name, &value()?)?),
            "--memory-reservation" => r.memory.reservation = Some(bytes(name, &value()?)?),
            "--memory-swap" => r.memory.swap = Some(bytes(name, &value()?)?),
            "--cpu-quota" => r.cpu.quota = Some(int(name, &value()?)?),
            "--cpu-period" => r.cpu.period = Some(int(name, &value()?)? as u64),
            "--cpu-share" => r.cpu.shares = Some(int(name, &value()?)? as u64),
            "--cpuset-cpus" => r.cpu.cpus = Some(value()?),
            "--cpuset-mems" => r.cpu.mems = Some(value()?),
            "--pids-limit" => r.pids_limit = Some(int(name, &value()?)?),
            "--blkio-weight" => r.blkio_weight = Some(int(name, &value()?)? as u64),
            _ => return Err(Error::msg(format!("update: unknown option {name}"))),
        }
    }
    let id = id.ok_or_else(|| Error::msg("update: missing container ID"))?;
    // The flags went through no JSON: check them as the config's values are.
    let checked = resources::parse("update", Some(&to_value(&r)))?;
    Ok((id, checked))
}

/// `--resources FILE` (`-`: stdin): a `linux.resources` object.
fn from_file(p: &str) -> Result<Resources> {
    let text = if p == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| Error::sys("read stdin", e))?
    } else {
        std::fs::read_to_string(p).map_err(|e| Error::io("read", p, e))?
    };
    let v: Value =
        json::from_str(&text).map_err(|_| Error::msg(format!("{p}: not a JSON object")))?;
    resources::parse(p, Some(&v))
}

fn int(name: &str, v: &str) -> Result<i64> {
    v.parse()
        .map_err(|_| Error::msg(format!("update: {name} {v:?} is not an integer")))
}

/// A size as docker writes it: "512m", "1g", "1048576", "-1".
fn bytes(name: &str, v: &str) -> Result<i64> {
    let l = v.to_ascii_lowercase();
    let t = l.trim_end_matches('b');
    let (n, mult) = match t.char_indices().last() {
        Some((i, 'k')) => (&t[..i], 1i64 << 10),
        Some((i, 'm')) => (&t[..i], 1 << 20),
        Some((i, 'g')) => (&t[..i], 1 << 30),
        Some((i, 't')) => (&t[..i], 1 << 40),
        _ => (t, 1),
    };
    match n.parse::<i64>() {
        Ok(-1) => Ok(-1),
        Ok(x) if x >= 0 => x
            .checked_mul(mult)
            .ok_or_else(|| Error::msg(format!("update: {name} {v:?} is too large"))),
        _ => Err(Error::msg(format!(
            "update: {name} {v:?} is not a size (like 512m or 1g)"
        ))),
    }
}

/// The flags' values back as a `linux.resources` object, so one parser checks all.
fn to_value(r: &Resources) -> Value {
    let mut top = Object::new();
    let mut put = |sect: &str, key: &str, v: Value| {
        let Value::Object(o) = top
            .entry(sect.to_string())
            .or_insert_with(|| Value::Object(Object::new()))
        else {
            return;
        };
        o.insert(key.to_string(), v);
    };
    let i = |n: i64| Value::Number(Number::I64(n));
    let u = |n: u64| Value::Number(Number::U64(n));
    let m = &r.memory;
    for (k, v) in [
        ("limit", m.limit),
        ("reservation", m.reservation),
        ("swap", m.swap),
    ] {
        if let Some(v) = v {
            put("memory", k, i(v));
        }
    }
    if let Some(v) = m.swappiness {
        put("memory", "swappiness", u(v));
    }
    if let Some(v) = m.disable_oom_killer {
        put("memory", "disableOOMKiller", Value::Bool(v));
    }
    let c = &r.cpu;
    if let Some(v) = c.shares {
        put("cpu", "shares", u(v));
    }
    if let Some(v) = c.quota {
        put("cpu", "quota", i(v));
    }
    if let Some(v) = c.period {
        put("cpu", "period", u(v));
    }
    if let Some(v) = &c.cpus {
        put("cpu", "cpus", Value::String(v.clone()));
    }
    if let Some(v) = &c.mems {
        put("cpu", "mems", Value::String(v.clone()));
    }
    if let Some(v) = r.pids_limit {
        put("pids", "limit", i(v));
    }
    if let Some(v) = r.blkio_weight {
        put("blockIO", "weight", u(v));
    }
    let mut out = top;
    if !r.hugepages.is_empty() {
        let list = r
            .hugepages
            .iter()
            .map(|(s, l)| {
                let mut o = Object::new();
                o.insert("pageSize".into(), Value::String(s.clone()));
                o.insert("limit".into(), u(*l));
                Value::Object(o)
            })
            .collect();
        out.insert("hugepageLimits".into(), Value::Array(list));
    }
    if !r.unified.is_empty() {
        let mut o = Object::new();
        for (k, v) in &r.unified {
            o.insert(k.clone(), Value::String(v.clone()));
        }
        out.insert("unified".into(), Value::Object(o));
    }
    Value::Object(out)
}

/// `events`' arguments: the container ID (only `--stats` is supported).
pub fn parse_events(args: &[String]) -> Result<String> {
    let mut stats = false;
    let mut id = None;
    for a in args {
        match a.as_str() {
            "--stats" => stats = true,
            s if s.starts_with('-') => {
                return Err(Error::msg(format!("events: unknown option {s}")))
            }
            _ if id.is_none() => id = Some(a.clone()),
            _ => return Err(Error::msg(format!("events: unexpected argument {a:?}"))),
        }
    }
    let id = id.ok_or_else(|| Error::msg("events: missing container ID"))?;
    if !stats {
        return Err(Error::msg(
            "events without --stats (a stream of events) is not supported yet",
        ));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_flags_round_trip() {
        assert_eq!(bytes("--memory", "512m").unwrap(), 512 << 20);
        assert_eq!(bytes("--memory", "1G").unwrap(), 1 << 30);
        assert_eq!(bytes("--memory", "100").unwrap(), 100);
        assert_eq!(bytes("--memory", "-1").unwrap(), -1);
        assert!(bytes("--memory", "lots").is_err());
        let mut r = Resources::default();
        r.memory.limit = Some(1 << 20);
        r.cpu.quota = Some(20_000);
        r.pids_limit = Some(5);
        assert_eq!(resources::parse("update", Some(&to_value(&r))).unwrap(), r);
        r.cpu.quota = Some(5);
        let e = resources::parse("update", Some(&to_value(&r)))
            .err()
            .unwrap();
        assert!(e.to_string().contains("update.cpu.quota 5"), "{e}");
    }
}
