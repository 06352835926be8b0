//! The network part of `Bootstrap`: bring `lo` up, and the inside of each veth pair
//! (the parent made the pair and put the peer into the container's netns under a
//! temporary name; the init renames it and configures it).

use core::ffi::CStr;

use crate::error::WireError;
use crate::fields::{count, Field, Fields, Seen};
use crate::limits::{MAX_VETH_ADDRESSES, MAX_VETH_GATEWAYS};
use crate::tag;

/// An IPv4 or IPv6 address, network byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ip {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl Ip {
    pub fn octets(&self) -> &[u8] {
        match self {
            Ip::V4(b) => b,
            Ip::V6(b) => b,
        }
    }

    /// 4 or 16 bytes.
    pub fn from_bytes(b: &[u8]) -> Option<Ip> {
        match b.len() {
            4 => b.try_into().ok().map(Ip::V4),
            16 => b.try_into().ok().map(Ip::V6),
            _ => None,
        }
    }
}

/// An address with its prefix length (`10.0.0.2/24`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    pub ip: Ip,
    pub prefix: u8,
}

impl IpNet {
    /// The `V_ADDRESS` encoding: prefix length, then 4 or 16 address bytes.
    pub fn to_bytes(&self, out: &mut [u8; 17]) -> usize {
        out[0] = self.prefix;
        let o = self.ip.octets();
        out[1..1 + o.len()].copy_from_slice(o);
        1 + o.len()
    }

    fn from_field(f: &Field<'_>) -> Result<IpNet, WireError> {
        let (&prefix, rest) = f.bytes.split_first().ok_or(WireError::BadFieldLength {
            tag: f.tag,
            len: 0,
            expected: 5,
        })?;
        let ip = Ip::from_bytes(rest).ok_or(WireError::BadFieldLength {
            tag: f.tag,
            len: f.bytes.len(),
            expected: 5,
        })?;
        let max = if matches!(ip, Ip::V4(_)) { 32 } else { 128 };
        if prefix > max {
            return Err(WireError::BadValue { tag: f.tag });
        }
        Ok(IpNet { ip, prefix })
    }
}

/// The inside end of one veth pair.
#[derive(Debug, Clone, Copy)]
pub struct Veth<'a> {
    body: &'a [u8],
    /// The name the parent created the peer with, inside the container's netns.
    pub temp_name: &'a CStr,
    /// The name it gets (`eth0`).
    pub name: &'a CStr,
    /// 0: leave the kernel's default.
    pub mtu: u32,
    pub mac: Option<[u8; 6]>,
}

impl<'a> Veth<'a> {
    /// Addresses to add, in order.
    pub fn addresses(&self) -> impl Iterator<Item = IpNet> + 'a {
        Fields::new(self.body).filter_map(|f| match f {
            Ok(f) if f.tag == tag::V_ADDRESS => IpNet::from_field(&f).ok(),
            _ => None,
        })
    }

    /// Default routes to add: at most one per family.
    pub fn gateways(&self) -> impl Iterator<Item = Ip> + 'a {
        Fields::new(self.body).filter_map(|f| match f {
            Ok(f) if f.tag == tag::V_GATEWAY => Ip::from_bytes(f.bytes),
            _ => None,
        })
    }
}

/// An interface name: text of 1 to 15 bytes (IFNAMSIZ with its NUL), no '/', no
/// whitespace, not `.` or `..`, as the kernel's `dev_valid_name` wants.
fn ifname<'a>(f: &Field<'a>) -> Result<&'a CStr, WireError> {
    let t = f.text()?;
    let ok = !t.is_empty()
        && t.len() < 16
        && t != "."
        && t != ".."
        && !t
            .bytes()
            .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace());
    if !ok {
        return Err(WireError::BadValue { tag: f.tag });
    }
    f.cstr()
}

pub(crate) fn decode_veth(body: &[u8]) -> Result<Veth<'_>, WireError> {
    const K: &str = "VETH";
    let mut seen = Seen::default();
    let mut v = Veth {
        body,
        temp_name: c"",
        name: c"",
        mtu: 0,
        mac: None,
    };
    let (mut addrs, mut gws) = (0, 0);
    let (mut v4_gw, mut v6_gw) = (false, false);
    for f in Fields::new(body) {
        let f = f?;
        match f.tag {
            tag::V_ADDRESS => {
                count(&mut addrs, f.tag, MAX_VETH_ADDRESSES)?;
                IpNet::from_field(&f)?;
            }
            tag::V_GATEWAY => {
                count(&mut gws, f.tag, MAX_VETH_GATEWAYS)?;
                let seen_family = match Ip::from_bytes(f.bytes) {
                    Some(Ip::V4(_)) => &mut v4_gw,
                    Some(Ip::V6(_)) => &mut v6_gw,
                    None => {
                        return Err(WireError::BadFieldLength {
                            tag: f.tag,
                            len: f.bytes.len(),
                            expected: 4,
                        })
                    }
                };
                if core::mem::replace(seen_family, true) {
                    return Err(WireError::DuplicateField {
                        kind: K,
                        tag: f.tag,
                    });
                }
            }
            t => {
                seen.once(K, t)?;
                match t {
                    tag::V_TEMP_NAME => v.temp_name = ifname(&f)?,
                    tag::V_NAME => v.name = ifname(&f)?,
                    tag::V_MTU => v.mtu = f.u32()?,
                    tag::V_MAC => {
                        v.mac = Some(f.bytes.try_into().map_err(|_| WireError::BadFieldLength {
                            tag: f.tag,
                            len: f.bytes.len(),
                            expected: 6,
                        })?)
                    }
                    t => return Err(WireError::UnknownTag { kind: K, tag: t }),
                }
            }
        }
    }
    seen.require(K, tag::V_TEMP_NAME)?;
    seen.require(K, tag::V_NAME)?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;
    use crate::{Bootstrap, Encoder, FrameKind, HEADER_LEN};

    fn frame(veth: impl Fn(&mut Encoder<Vec<u8>>) -> Result<(), WireError>) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new(), FrameKind::Bootstrap).unwrap();
        e.str(tag::ARG, b"/probe").unwrap();
        e.str(tag::CWD, b"/").unwrap();
        e.u32(tag::UID, 0).unwrap().u32(tag::GID, 0).unwrap();
        e.str(tag::ROOTFS, b"/r").unwrap();
        e.flag(tag::NET_LOOPBACK, true).unwrap();
        e.group(tag::VETH, veth).unwrap();
        e.finish().unwrap()
    }

    fn good(e: &mut Encoder<Vec<u8>>) -> Result<(), WireError> {
        let mut b = [0u8; 17];
        e.str(tag::V_TEMP_NAME, b"rl42v0")?
            .str(tag::V_NAME, b"eth0")?
            .u32(tag::V_MTU, 1400)?
            .bytes(tag::V_MAC, &[2, 0, 0, 0, 0, 1])?;
        let n = IpNet {
            ip: Ip::V4([10, 1, 2, 3]),
            prefix: 24,
        };
        let len = n.to_bytes(&mut b);
        e.bytes(tag::V_ADDRESS, &b[..len])?;
        let n6 = IpNet {
            ip: Ip::V6([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]),
            prefix: 64,
        };
        let len = n6.to_bytes(&mut b);
        e.bytes(tag::V_ADDRESS, &b[..len])?;
        e.bytes(tag::V_GATEWAY, &[10, 1, 2, 1])?;
        Ok(())
    }

    #[test]
    fn round_trip() {
        let f = frame(good);
        let bs = Bootstrap::decode(&f[HEADER_LEN..]).unwrap();
        assert!(bs.net_loopback);
        let v: Vec<Veth<'_>> = bs.veths().collect();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].temp_name, c"rl42v0");
        assert_eq!(v[0].name, c"eth0");
        assert_eq!(v[0].mtu, 1400);
        assert_eq!(v[0].mac, Some([2, 0, 0, 0, 0, 1]));
        let a: Vec<IpNet> = v[0].addresses().collect();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].ip, Ip::V4([10, 1, 2, 3]));
        assert_eq!(a[1].prefix, 64);
        let g: Vec<Ip> = v[0].gateways().collect();
        assert_eq!(g, [Ip::V4([10, 1, 2, 1])]);
    }

    type Fill = fn(&mut Encoder<Vec<u8>>) -> Result<(), WireError>;

    #[test]
    fn malformed() {
        let cases: [(Fill, WireError); 6] = [
            (
                |e| {
                    e.str(tag::V_NAME, b"eth0")?;
                    Ok(())
                },
                WireError::MissingField {
                    kind: "VETH",
                    tag: tag::V_TEMP_NAME,
                },
            ),
            (
                |e| {
                    e.str(tag::V_TEMP_NAME, b"a")?
                        .str(tag::V_NAME, b"this-is-16-bytes")?;
                    Ok(())
                },
                WireError::BadValue { tag: tag::V_NAME },
            ),
            (
                |e| {
                    e.str(tag::V_TEMP_NAME, b"a")?.str(tag::V_NAME, b"a/b")?;
                    Ok(())
                },
                WireError::BadValue { tag: tag::V_NAME },
            ),
            (
                |e| {
                    e.str(tag::V_TEMP_NAME, b"a")?.str(tag::V_NAME, b"b")?;
                    e.bytes(tag::V_ADDRESS, &[33, 10, 0, 0, 1])?;
                    Ok(())
                },
                WireError::BadValue {
                    tag: tag::V_ADDRESS,
                },
            ),
            (
                |e| {
                    e.str(tag::V_TEMP_NAME, b"a")?.str(tag::V_NAME, b"b")?;
                    e.bytes(tag::V_GATEWAY, &[10, 0, 0, 1])?;
                    e.bytes(tag::V_GATEWAY, &[10, 0, 0, 2])?;
                    Ok(())
                },
                WireError::DuplicateField {
                    kind: "VETH",
                    tag: tag::V_GATEWAY,
                },
            ),
            (
                |e| {
                    e.str(tag::V_TEMP_NAME, b"a")?.str(tag::V_NAME, b"b")?;
                    e.bytes(tag::V_MAC, &[1, 2, 3])?;
                    Ok(())
                },
                WireError::BadFieldLength {
                    tag: tag::V_MAC,
                    len: 3,
                    expected: 6,
                },
            ),
        ];
        for (fill, want) in cases {
            let f = frame(fill);
            assert_eq!(Bootstrap::decode(&f[HEADER_LEN..]).err(), Some(want));
        }
    }
}
