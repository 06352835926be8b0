//! `run.runlet.net.vethN.*` annotations: parsed and checked when config.json is
//! loaded, so a bad one fails before anything is made. docs/network.md lists them.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use wire::limits::{MAX_VETHS, MAX_VETH_ADDRESSES};

use super::{Cidr, Plan, VethPlan};
use crate::bail;
use crate::error::Result;

pub const PREFIX: &str = "run.runlet.net.";
const KEYS: [&str; 8] = [
    "host-name",
    "peer-name",
    "address",
    "gateway",
    "mtu",
    "mac",
    "bridge",
    "host-address",
];

/// How the container's network namespace comes about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetNs {
    /// None of its own: it shares runlet's.
    Host,
    New,
    /// Joined by path.
    Joined(PathBuf),
}

pub fn parse(annotations: &BTreeMap<String, String>, ns: NetNs) -> Result<Plan> {
    // A fixed table, not nested maps: runlet's size budget is tight.
    let mut given = [Keys([None; KEYS.len()]); MAX_VETHS];
    for (k, v) in annotations {
        let Some(rest) = k.strip_prefix(PREFIX) else {
            continue;
        };
        let Some((n, field)) = split_key(rest) else {
            bail!(
                "annotation {k}: unknown key (runlet knows {PREFIX}vethN.{{{}}})",
                KEYS.join(",")
            );
        };
        if n as usize >= MAX_VETHS {
            bail!(
                "annotation {k}: runlet makes at most {MAX_VETHS} veth pairs (veth0 to veth{})",
                MAX_VETHS - 1
            );
        }
        given[n as usize].0[field] = Some(v.as_str());
    }
    let mut plan = Plan {
        loopback: ns == NetNs::New,
        veths: Vec::new(),
        join: match &ns {
            NetNs::Joined(p) => Some(p.clone()),
            _ => None,
        },
    };
    for (n, fields) in given.iter().enumerate() {
        if fields.0.iter().all(Option::is_none) {
            continue;
        }
        let n = n as u32;
        if ns == NetNs::Host {
            bail!("annotation {PREFIX}veth{n}: a veth needs a network namespace in linux.namespaces (the container shares the host's)");
        }
        plan.veths.push(veth(n, fields)?);
    }
    for (i, a) in plan.veths.iter().enumerate() {
        for b in &plan.veths[..i] {
            if a.host_name == b.host_name {
                bail!(
                    "annotation {PREFIX}veth{}.host-name {}: veth{} has the same host name",
                    a.index,
                    a.host_name,
                    b.index
                );
            }
            if a.peer_name == b.peer_name {
                bail!(
                    "annotation {PREFIX}veth{}.peer-name {}: veth{} has the same name inside",
                    a.index,
                    a.peer_name,
                    b.index
                );
            }
        }
    }
    Ok(plan)
}

/// The values given for one vethN, by position in `KEYS`.
#[derive(Clone, Copy)]
struct Keys<'a>([Option<&'a str>; KEYS.len()]);

impl<'a> Keys<'a> {
    fn get(&self, key: &str) -> Option<&'a str> {
        KEYS.iter().position(|k| *k == key).and_then(|i| self.0[i])
    }
}

/// "veth3.mtu" → (3, index of "mtu" in `KEYS`); None for anything else.
fn split_key(rest: &str) -> Option<(u32, usize)> {
    let (dev, field) = rest.split_once('.')?;
    let n = dev.strip_prefix("veth")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || (n.len() > 1 && n.starts_with('0'))
    {
        return None;
    }
    let field = KEYS.iter().position(|k| *k == field)?;
    Some((n.parse().ok()?, field))
}

fn veth(n: u32, f: &Keys<'_>) -> Result<VethPlan> {
    let key = |field: &str| format!("{PREFIX}veth{n}.{field}");
    let (host_name, peer_name) = names(n, f, &key)?;
    let addresses = addresses(f, &key)?;
    let gateways = gateways(f, &key, &addresses)?;
    let mtu = mtu(f, &key, &addresses)?;
    let mac = f.get("mac").map(|m| mac(&key("mac"), m)).transpose()?;
    let bridge = (f.get("bridge"))
        .map(|b| ifname(&key("bridge"), b))
        .transpose()?;
    let host_address = (f.get("host-address"))
        .map(|a| cidr(&key("host-address"), a.trim()))
        .transpose()?;
    if bridge.is_some() && host_address.is_some() {
        bail!("annotation {}: a host end in a bridge takes no address of its own (give the bridge the address)", key("host-address"));
    }
    Ok(VethPlan {
        index: n,
        // Lives only inside the container's netns, until the init renames it. Derived
        // from the host name, which is unique on the host, so containers sharing a
        // joined netns do not clash either.
        temp_name: format!("rlp{:08x}", fnv1a(host_name.as_bytes())),
        host_name,
        peer_name,
        addresses,
        gateways,
        mtu,
        mac,
        bridge,
        host_address,
    })
}

/// The host end's name (required) and the container end's (`eth<n>` by default).
fn names(n: u32, f: &Keys<'_>, key: &dyn Fn(&str) -> String) -> Result<(String, String)> {
    let Some(host_name) = f.get("host-name") else {
        bail!(
            "annotation {} is required when other veth{n} keys are given",
            key("host-name")
        );
    };
    let host_name = ifname(&key("host-name"), host_name)?;
    let peer_name = match f.get("peer-name") {
        Some(p) => ifname(&key("peer-name"), p)?,
        None => format!("eth{n}"),
    };
    if peer_name == "lo" {
        bail!(
            "annotation {}: lo is the container's loopback",
            key("peer-name")
        );
    }
    Ok((host_name, peer_name))
}

/// `address`: a comma-separated list of CIDRs, none twice, as many as the init holds.
fn addresses(f: &Keys<'_>, key: &dyn Fn(&str) -> String) -> Result<Vec<Cidr>> {
    let mut addresses = Vec::new();
    let Some(list) = f.get("address") else {
        return Ok(addresses);
    };
    for a in list.split(',') {
        let c = cidr(&key("address"), a.trim())?;
        if addresses.contains(&c) {
            bail!(
                "annotation {}: {} is listed twice",
                key("address"),
                a.trim()
            );
        }
        addresses.push(c);
    }
    if addresses.len() > MAX_VETH_ADDRESSES {
        bail!(
            "annotation {}: {} addresses; runlet-init holds at most {MAX_VETH_ADDRESSES}",
            key("address"),
            addresses.len()
        );
    }
    Ok(addresses)
}

/// `gateway`: one default route per address family, each reachable from one of the
/// addresses (or link-local).
fn gateways(f: &Keys<'_>, key: &dyn Fn(&str) -> String, addresses: &[Cidr]) -> Result<Vec<IpAddr>> {
    let mut gateways: Vec<IpAddr> = Vec::new();
    let Some(list) = f.get("gateway") else {
        return Ok(gateways);
    };
    for g in list.split(',').map(str::trim) {
        let Ok(ip) = g.parse::<IpAddr>() else {
            bail!(
                "annotation {}: {g:?} is not an IPv4 or IPv6 address",
                key("gateway")
            );
        };
        if gateways.iter().any(|o| o.is_ipv4() == ip.is_ipv4()) {
            bail!(
                "annotation {}: one default route per address family (two {} gateways)",
                key("gateway"),
                family(&ip)
            );
        }
        let reachable = addresses.iter().any(|a| a.contains(&ip))
            || matches!(ip, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80);
        if !reachable {
            bail!(
                "annotation {}: {g} is in no subnet of {} (the route could not reach it)",
                key("gateway"),
                key("address")
            );
        }
        gateways.push(ip);
    }
    Ok(gateways)
}

/// `mtu`: 68 to 65535, and at least 1280 with an IPv6 address.
fn mtu(f: &Keys<'_>, key: &dyn Fn(&str) -> String, addresses: &[Cidr]) -> Result<Option<u32>> {
    let mtu = match f.get("mtu") {
        None => None,
        Some(m) => match m.trim().parse::<u32>() {
            Ok(v) if (68..=65535).contains(&v) => Some(v),
            _ => bail!(
                "annotation {}: {m:?} is not an MTU from 68 to 65535",
                key("mtu")
            ),
        },
    };
    if let Some(m) = mtu.filter(|&m| m < 1280) {
        if addresses.iter().any(|a| a.addr.is_ipv6()) {
            bail!("annotation {}: {m} is below 1280, the least IPv6 works with, and an IPv6 address is asked for", key("mtu"));
        }
    }
    Ok(mtu)
}

fn family(ip: &IpAddr) -> &'static str {
    if ip.is_ipv4() {
        "IPv4"
    } else {
        "IPv6"
    }
}

fn fnv1a(b: &[u8]) -> u32 {
    b.iter().fold(0x811c_9dc5u32, |h, &c| {
        (h ^ c as u32).wrapping_mul(0x0100_0193)
    })
}

/// An interface name as the kernel takes it (`dev_valid_name`): 1 to 15 bytes, no
/// '/', ':' or whitespace, not `.` or `..`.
fn ifname(key: &str, v: &str) -> Result<String> {
    if v.is_empty() || v.len() > 15 {
        bail!("annotation {key}: {v:?} is not an interface name (1 to 15 bytes)");
    }
    if v == "."
        || v == ".."
        || v.bytes()
            .any(|b| b == b'/' || b == b':' || b == 0 || b.is_ascii_whitespace())
    {
        bail!(
            "annotation {key}: {v:?} is not an interface name (no '/', ':' or spaces; not . or ..)"
        );
    }
    Ok(v.to_string())
}

fn cidr(key: &str, v: &str) -> Result<Cidr> {
    let Some((a, p)) = v.split_once('/') else {
        bail!("annotation {key}: {v:?} is not a CIDR (address/prefix, e.g. 10.0.0.2/24)");
    };
    let (Ok(addr), Ok(prefix)) = (a.parse::<IpAddr>(), p.parse::<u8>()) else {
        bail!("annotation {key}: {v:?} is not a CIDR (address/prefix, e.g. 10.0.0.2/24)");
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if prefix > max || p.starts_with('+') {
        bail!(
            "annotation {key}: {v:?}: the prefix length of an {} address is 0 to {max}",
            family(&addr)
        );
    }
    if addr.is_unspecified() || addr.is_multicast() {
        bail!("annotation {key}: {v:?} cannot be an interface's address");
    }
    Ok(Cidr { addr, prefix })
}

fn mac(key: &str, v: &str) -> Result<[u8; 6]> {
    let parts: Vec<&str> = v.split(':').collect();
    let mut out = [0u8; 6];
    let ok = parts.len() == 6
        && parts
            .iter()
            .zip(out.iter_mut())
            .all(|(p, o)| p.len() == 2 && u8::from_str_radix(p, 16).map(|b| *o = b).is_ok());
    if !ok {
        bail!("annotation {key}: {v:?} is not a MAC address (six hex pairs: 02:42:ac:11:00:02)");
    }
    if out[0] & 1 != 0 || out == [0; 6] {
        bail!("annotation {key}: {v} is not a unicast MAC address (the first byte must be even, not all zero)");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(kv: &[(&str, &str)], ns: NetNs) -> Result<Plan> {
        let m = kv
            .iter()
            .map(|(k, v)| (format!("{PREFIX}{k}"), v.to_string()))
            .collect();
        parse(&m, ns)
    }

    fn err(kv: &[(&str, &str)]) -> String {
        p(kv, NetNs::New).unwrap_err().to_string()
    }

    #[test]
    fn a_full_veth() {
        let plan = p(
            &[
                ("veth0.host-name", "vh0"),
                ("veth0.address", "10.1.0.2/24, fd00::2/64"),
                ("veth0.gateway", "10.1.0.1,fd00::1"),
                ("veth0.mtu", "1400"),
                ("veth0.mac", "02:00:00:00:00:01"),
                ("veth0.bridge", "br0"),
                ("veth1.host-name", "vh1"),
            ],
            NetNs::New,
        )
        .unwrap();
        assert!(plan.loopback);
        assert_eq!(plan.veths.len(), 2);
        let v = &plan.veths[0];
        assert_eq!((v.peer_name.as_str(), v.mtu), ("eth0", Some(1400)));
        assert_eq!(v.addresses.len(), 2);
        assert_eq!(v.gateways.len(), 2);
        assert_eq!(v.mac, Some([2, 0, 0, 0, 0, 1]));
        assert_eq!(plan.veths[1].peer_name, "eth1");
        assert!(plan.veths[0].temp_name.len() <= 15);
        assert_ne!(plan.veths[0].temp_name, plan.veths[1].temp_name);
        let joined = p(&[], NetNs::Joined("/x".into())).unwrap();
        assert!(!joined.loopback && joined.veths.is_empty());
    }

    #[test]
    fn errors_name_the_key() {
        for (kv, want) in [
            (
                vec![("veth0.colour", "x")],
                "run.runlet.net.veth0.colour: unknown key",
            ),
            (vec![("bridge", "x")], "run.runlet.net.bridge: unknown key"),
            (
                vec![("veth01.host-name", "x")],
                "veth01.host-name: unknown key",
            ),
            (vec![("veth8.host-name", "x")], "at most 8 veth pairs"),
            (vec![("veth0.mtu", "9000")], "veth0.host-name is required"),
            (
                vec![("veth0.host-name", "a-name-too-long-x")],
                "not an interface name",
            ),
            (vec![("veth0.host-name", "a/b")], "not an interface name"),
            (
                vec![("veth0.host-name", "h"), ("veth0.address", "10.0.0.300/24")],
                "veth0.address: \"10.0.0.300/24\" is not a CIDR",
            ),
            (
                vec![("veth0.host-name", "h"), ("veth0.address", "10.0.0.3")],
                "is not a CIDR",
            ),
            (
                vec![("veth0.host-name", "h"), ("veth0.address", "10.0.0.3/33")],
                "prefix length of an IPv4 address is 0 to 32",
            ),
            (
                vec![
                    ("veth0.host-name", "h"),
                    ("veth0.address", "10.0.0.3/24"),
                    ("veth0.gateway", "10.0.1.1"),
                ],
                "10.0.1.1 is in no subnet",
            ),
            (
                vec![
                    ("veth0.host-name", "h"),
                    ("veth0.address", "10.0.0.3/24"),
                    ("veth0.gateway", "10.0.0.1,10.0.0.4"),
                ],
                "one default route per address family",
            ),
            (
                vec![("veth0.host-name", "h"), ("veth0.mtu", "65536")],
                "not an MTU",
            ),
            (
                vec![
                    ("veth0.host-name", "h"),
                    ("veth0.mtu", "1000"),
                    ("veth0.address", "fd00::2/64"),
                ],
                "below 1280",
            ),
            (
                vec![("veth0.host-name", "h"), ("veth0.mac", "01:00:00:00:00:01")],
                "not a unicast MAC",
            ),
            (
                vec![("veth0.host-name", "h"), ("veth0.mac", "02:00:00:00:00")],
                "not a MAC address",
            ),
            (
                vec![
                    ("veth0.host-name", "h"),
                    ("veth0.bridge", "b"),
                    ("veth0.host-address", "10.0.0.1/24"),
                ],
                "takes no address of its own",
            ),
            (
                vec![("veth0.host-name", "h"), ("veth1.host-name", "h")],
                "veth1.host-name h: veth0 has the same host name",
            ),
            (
                vec![
                    ("veth0.host-name", "h"),
                    ("veth1.host-name", "i"),
                    ("veth1.peer-name", "eth0"),
                ],
                "same name inside",
            ),
        ] {
            let e = err(&kv);
            assert!(e.contains(want), "{kv:?}: {e}");
        }
        let e = p(&[("veth0.host-name", "h")], NetNs::Host)
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs a network namespace"), "{e}");
    }
}
