//! Built-in container networking (docs/network.md): `lo` up in a new network
//! namespace, and veth pairs asked for with `run.runlet.net.vethN.*` annotations.
//!
//! The parent does the host side over rtnetlink (`veth.rs`): it creates each pair
//! with the peer placed straight into the container's netns (by the init's pid) under
//! a temporary name, then attaches the host end to a bridge or gives it an address
//! and brings it up. The init does the inside (`init-helper/src/netlink.rs`) from the
//! `VETH` groups of the `Bootstrap` frame, which `encode` writes.
//!
//! INTERFACE (container/create.rs):
//! - `Plan` comes with `Config` (`cfg.net`), checked when config.json is loaded;
//! - `check_host(&cfg.net)` before anything is made: no host-name clash, bridges exist;
//! - `create(&cfg.net, init_pid) -> Veths` before `Resume`; `Veths` deletes the host
//!   ends when dropped (a failed start) or on `remove()` (destroy);
//! - `Veths::host_names()` for state.json, `Veths::keep()` when the container outlives
//!   this runlet (`create`), and `remove_host_ends(names)` for `runlet delete`.

mod annotations;
mod netlink;
mod veth;

use std::net::IpAddr;

pub use annotations::{parse, NetNs, PREFIX};
pub use veth::{check_host, create, remove_host_ends, Veths};
use wire::{tag, Encoder, Ip, IpNet, WireError};

/// An address with its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// `addr/prefix` for messages, with the address in its standard text.
    pub fn text(&self) -> String {
        // Hand-rolled: std's IPv6 Display costs 2 KiB of runlet's size budget.
        match self.addr {
            IpAddr::V4(a) => {
                let o = a.octets();
                format!("{}.{}.{}.{}/{}", o[0], o[1], o[2], o[3], self.prefix)
            }
            IpAddr::V6(a) => {
                let g: Vec<String> = a.segments().iter().map(|s| format!("{s:x}")).collect();
                format!("{}/{}", g.join(":"), self.prefix)
            }
        }
    }
}

impl Cidr {
    /// Whether `ip` is in this subnet.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        let (a, b, bits) = match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => (a.to_bits() as u128, b.to_bits() as u128, 32),
            (IpAddr::V6(a), IpAddr::V6(b)) => (a.to_bits(), b.to_bits(), 128),
            _ => return false,
        };
        let host = bits - self.prefix as u32;
        host >= bits || (a >> host) == (b >> host)
    }

    fn wire(&self) -> IpNet {
        IpNet {
            ip: ip_wire(&self.addr),
            prefix: self.prefix,
        }
    }
}

fn ip_wire(a: &IpAddr) -> Ip {
    match a {
        IpAddr::V4(v) => Ip::V4(v.octets()),
        IpAddr::V6(v) => Ip::V6(v.octets()),
    }
}

/// One veth pair as the annotations ask for it.
#[derive(Debug, Clone)]
pub struct VethPlan {
    /// N of `vethN`.
    pub index: u32,
    pub host_name: String,
    /// The name inside (`ethN` by default).
    pub peer_name: String,
    /// The peer's name from its creation until the init renames it.
    pub temp_name: String,
    pub addresses: Vec<Cidr>,
    /// At most one per family.
    pub gateways: Vec<IpAddr>,
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
    pub bridge: Option<String>,
    pub host_address: Option<Cidr>,
}

/// The container's network as runlet builds it.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Bring `lo` up inside (a network namespace of the container's own).
    pub loopback: bool,
    pub veths: Vec<VethPlan>,
    /// The network namespace joined by path, if any: the peers go there by an fd of
    /// it (the init may not have joined it yet when the pairs are made).
    pub join: Option<std::path::PathBuf>,
}

/// The inside settings, as `Bootstrap` fields.
pub fn encode(p: &Plan, e: &mut Encoder<Vec<u8>>) -> Result<(), WireError> {
    if p.loopback {
        e.flag(tag::NET_LOOPBACK, true)?;
    }
    for v in &p.veths {
        e.group(tag::VETH, |e| {
            e.str(tag::V_TEMP_NAME, v.temp_name.as_bytes())?;
            e.str(tag::V_NAME, v.peer_name.as_bytes())?;
            if let Some(m) = v.mtu {
                e.u32(tag::V_MTU, m)?;
            }
            if let Some(m) = v.mac {
                e.bytes(tag::V_MAC, &m)?;
            }
            for a in &v.addresses {
                let mut b = [0u8; 17];
                let n = a.wire().to_bytes(&mut b);
                e.bytes(tag::V_ADDRESS, &b[..n])?;
            }
            for g in &v.gateways {
                e.bytes(tag::V_GATEWAY, ip_wire(g).octets())?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets() {
        let c = Cidr {
            addr: "10.1.2.3".parse().unwrap(),
            prefix: 24,
        };
        assert!(c.contains(&"10.1.2.200".parse().unwrap()));
        assert!(!c.contains(&"10.1.3.1".parse().unwrap()));
        assert!(!c.contains(&"fd00::1".parse().unwrap()));
        let all = Cidr {
            addr: "10.1.2.3".parse().unwrap(),
            prefix: 0,
        };
        assert!(all.contains(&"192.168.0.1".parse().unwrap()));
        let v6 = Cidr {
            addr: "fd00:1::2".parse().unwrap(),
            prefix: 64,
        };
        assert!(v6.contains(&"fd00:1::1".parse().unwrap()));
        assert!(!v6.contains(&"fd00:2::1".parse().unwrap()));
        assert_eq!(v6.text(), "fd00:1:0:0:0:0:0:2/64");
        assert_eq!(c.text(), "10.1.2.3/24");
    }
}
