//! The network inside the container, over rtnetlink, before pivot_root (the init is
//! root with CAP_NET_ADMIN in its netns): `lo` up when the netns is the container's
//! own; for each veth the parent made, the peer (born here under a temporary name)
//! renamed, its MAC and MTU set, its addresses added, brought up, and a default route
//! via each gateway. Requests are built in a fixed buffer on the stack, each one
//! acknowledged (`NLM_F_ACK`); a refusal is an `Error` frame naming the request and
//! the interface ("RTM_NEWADDR eth0 10.0.0.2/24: File exists").

use core::ffi::CStr;
use core::time::Duration;

use helper_rt::{fail, Context, Failure, Msg};
use linux_raw_sys::netlink as nl;
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::net::{recv, send, socket_with, sockopt, AddressFamily, RecvFlags, SendFlags};
use rustix::net::{SocketFlags, SocketType};
use wire::netlink::{replies, NlMsg};
use wire::{ArraySink, Bootstrap, Ip, IpNet, Veth};

/// `lo` is interface 1 in every network namespace (the kernel's LOOPBACK_IFINDEX).
const LOOPBACK_IFINDEX: i32 = 1;
const IFF_UP: u32 = linux_raw_sys::net::net_device_flags::IFF_UP as u32;
/// How long the kernel may take to answer one request.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request built here (a route or an address: under 100 bytes).
const REQ_MAX: usize = 256;

/// Steps of docs/init.md's network setup. Nothing to do without a netns of the
/// container's own and without veths.
pub fn setup(bs: &Bootstrap<'_>) -> Result<(), Failure> {
    if !bs.net_loopback && bs.veths().next().is_none() {
        return Ok(());
    }
    let mut nl = Netlink::open()?;
    if bs.net_loopback {
        let m = req(
            nl::RTM_SETLINK as u16,
            0,
            &ifinfomsg(LOOPBACK_IFINDEX, IFF_UP),
        );
        nl.request(m, &[b"RTM_SETLINK lo up"])?;
    }
    for v in bs.veths() {
        veth(&mut nl, &v)?;
    }
    Ok(())
}

fn veth(nl: &mut Netlink, v: &Veth<'_>) -> Result<(), Failure> {
    let name = v.name.to_bytes();
    let idx = nl.index_of(v.temp_name)?;
    let mut m = req(nl::RTM_SETLINK as u16, 0, &ifinfomsg(idx, 0));
    m.attr(nl::IFLA_IFNAME as u16, v.name.to_bytes_with_nul());
    nl.request(
        m,
        &[
            b"RTM_SETLINK rename ",
            v.temp_name.to_bytes(),
            b" to ",
            name,
        ],
    )?;
    if let Some(mac) = v.mac {
        let mut m = req(nl::RTM_SETLINK as u16, 0, &ifinfomsg(idx, 0));
        m.attr(nl::IFLA_ADDRESS as u16, &mac);
        nl.request(m, &[b"RTM_SETLINK ", name, b" address (MAC)"])?;
    }
    if v.mtu != 0 {
        let mut m = req(nl::RTM_SETLINK as u16, 0, &ifinfomsg(idx, 0));
        m.attr(nl::IFLA_MTU as u16, &v.mtu.to_ne_bytes());
        let mut d = [0u8; 20];
        nl.request(
            m,
            &[
                b"RTM_SETLINK ",
                name,
                b" mtu ",
                helper_rt::decimal(v.mtu.into(), &mut d),
            ],
        )?;
    }
    for a in v.addresses() {
        add_address(nl, idx, &a, name)?;
    }
    let m = req(nl::RTM_SETLINK as u16, 0, &ifinfomsg(idx, IFF_UP));
    nl.request(m, &[b"RTM_SETLINK ", name, b" up"])?;
    for g in v.gateways() {
        default_route(nl, idx, &g, name)?;
    }
    Ok(())
}

/// IPv6 addresses skip duplicate address detection (`IFA_F_NODAD`): usable at once.
fn add_address(nl: &mut Netlink, idx: i32, a: &IpNet, name: &[u8]) -> Result<(), Failure> {
    let (family, nodad) = match a.ip {
        Ip::V4(_) => (AddressFamily::INET, 0),
        Ip::V6(_) => (AddressFamily::INET6, nl::IFA_F_NODAD as u8),
    };
    let mut hdr = [0u8; 8];
    hdr[0] = family.as_raw() as u8;
    hdr[1] = a.prefix;
    hdr[2] = nodad;
    hdr[4..8].copy_from_slice(&(idx as u32).to_ne_bytes());
    let excl = nl::NLM_F_CREATE | nl::NLM_F_EXCL;
    let mut m = req(nl::RTM_NEWADDR as u16, excl, &hdr);
    m.attr(nl::IFA_LOCAL as u16, a.ip.octets());
    m.attr(nl::IFA_ADDRESS as u16, a.ip.octets());
    let mut text = Msg::new();
    push_ip(&mut text, &a.ip);
    text.push(b"/").push_u64(a.prefix.into());
    nl.request(m, &[b"RTM_NEWADDR ", name, b" ", text.as_bytes()])
}

/// A default route in the main table via `gw`, out of interface `idx`.
fn default_route(nl: &mut Netlink, idx: i32, gw: &Ip, name: &[u8]) -> Result<(), Failure> {
    let family = match gw {
        Ip::V4(_) => AddressFamily::INET,
        Ip::V6(_) => AddressFamily::INET6,
    };
    // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
    let mut hdr = [0u8; 12];
    hdr[0] = family.as_raw() as u8;
    hdr[4] = nl::rt_class_t::RT_TABLE_MAIN as u8;
    hdr[5] = nl::RTPROT_BOOT as u8;
    hdr[6] = nl::rt_scope_t::RT_SCOPE_UNIVERSE as u8;
    hdr[7] = nl::RTN_UNICAST as u8;
    let excl = nl::NLM_F_CREATE | nl::NLM_F_EXCL;
    let mut m = req(nl::RTM_NEWROUTE as u16, excl, &hdr);
    m.attr(nl::rtattr_type_t::RTA_GATEWAY as u16, gw.octets());
    m.attr(
        nl::rtattr_type_t::RTA_OIF as u16,
        &(idx as u32).to_ne_bytes(),
    );
    let mut text = Msg::new();
    push_ip(&mut text, gw);
    nl.request(
        m,
        &[
            b"RTM_NEWROUTE default via ",
            text.as_bytes(),
            b" dev ",
            name,
        ],
    )
}

/// Dotted quad, or eight hex groups (not shortened).
fn push_ip(out: &mut Msg, ip: &Ip) {
    match ip {
        Ip::V4(b) => {
            for (i, o) in b.iter().enumerate() {
                if i > 0 {
                    out.push(b".");
                }
                out.push_u64((*o).into());
            }
        }
        Ip::V6(b) => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            for i in 0..8 {
                if i > 0 {
                    out.push(b":");
                }
                let g = u16::from_be_bytes([b[2 * i], b[2 * i + 1]]);
                let mut started = false;
                for shift in [12u16, 8, 4, 0] {
                    let d = ((g >> shift) & 0xf) as usize;
                    if d != 0 || started || shift == 0 {
                        out.push(&HEX[d..d + 1]);
                        started = true;
                    }
                }
            }
        }
    }
}

/// `struct ifinfomsg` for interface `index`, setting (and changing) `flags`.
fn ifinfomsg(index: i32, flags: u32) -> [u8; 16] {
    wire::netlink::ifinfomsg(index, flags, flags)
}

/// One request, built on the stack (wire's encoder).
type Req = NlMsg<ArraySink<REQ_MAX>>;

fn req(ty: u16, extra_flags: u32, family_header: &[u8]) -> Req {
    let flags = (nl::NLM_F_REQUEST | nl::NLM_F_ACK | extra_flags) as u16;
    NlMsg::new(ArraySink::new(), ty, flags, family_header)
}

struct Netlink {
    fd: OwnedFd,
    seq: u32,
}

impl Netlink {
    fn open() -> Result<Netlink, Failure> {
        // Protocol 0 is NETLINK_ROUTE.
        let fd = socket_with(
            AddressFamily::NETLINK,
            SocketType::RAW,
            SocketFlags::CLOEXEC,
            None,
        )
        .ctx(&[b"socket NETLINK_ROUTE"])?;
        sockopt::set_socket_timeout(&fd, sockopt::Timeout::Recv, Some(REPLY_TIMEOUT))
            .ctx(&[b"setsockopt SO_RCVTIMEO on the netlink socket"])?;
        Ok(Netlink { fd, seq: 0 })
    }

    /// Sends `m`; waits for its acknowledgement. The index of an `RTM_NEWLINK` reply
    /// before it is returned (for `RTM_GETLINK`).
    fn exchange(&mut self, m: Req) -> Result<Result<i32, Errno>, Failure> {
        self.seq += 1;
        // Every request here is far below REQ_MAX.
        let m = m
            .finish(self.seq)
            .map_err(|_| fail(&[b"netlink request too large (a bug)"], None))?;
        send(&self.fd, m.as_bytes(), SendFlags::empty()).ctx(&[b"send netlink"])?;
        let mut index = 0;
        // A link's description can be longer than this; only its start (the index)
        // matters, and the kernel sends the acknowledgement as a datagram of its own.
        let mut buf = [0u8; 4096];
        loop {
            let n = match recv(&self.fd, &mut buf[..], RecvFlags::empty()) {
                Ok((_, n)) => n.min(buf.len()),
                Err(Errno::INTR) => continue,
                Err(Errno::AGAIN) => {
                    return Err(fail(&[b"netlink: no answer from the kernel in 10 s"], None))
                }
                Err(e) => return Err(fail(&[b"recv netlink"], Some(e))),
            };
            for r in replies(&buf[..n]) {
                let Ok(r) = r else {
                    return Err(fail(&[b"netlink: malformed reply"], None));
                };
                if r.seq != self.seq {
                    continue;
                }
                match r.error_code() {
                    Some(0) if r.ty == nl::NLMSG_ERROR as u16 => return Ok(Ok(index)),
                    Some(e) if r.ty == nl::NLMSG_ERROR as u16 => {
                        return Ok(Err(Errno::from_raw_os_error(-e)))
                    }
                    _ if r.ty == nl::RTM_NEWLINK as u16 && r.body.len() >= 8 => {
                        let b = r.body;
                        index = i32::from_ne_bytes([b[4], b[5], b[6], b[7]]);
                    }
                    _ => {}
                }
            }
        }
    }

    /// A request that must succeed; `what` names it in the error.
    fn request(&mut self, m: Req, what: &[&[u8]]) -> Result<(), Failure> {
        self.exchange(m)?
            .map(|_| ())
            .map_err(|e| fail(what, Some(e)))
    }

    /// The index of the interface called `name`.
    fn index_of(&mut self, name: &CStr) -> Result<i32, Failure> {
        let mut m = req(nl::RTM_GETLINK as u16, 0, &ifinfomsg(0, 0));
        m.attr(nl::IFLA_IFNAME as u16, name.to_bytes_with_nul());
        match self.exchange(m)? {
            Ok(i) if i > 0 => Ok(i),
            Ok(_) => Err(fail(
                &[b"RTM_GETLINK ", name.to_bytes(), b": no index"],
                None,
            )),
            Err(e) => Err(fail(
                &[
                    b"RTM_GETLINK ",
                    name.to_bytes(),
                    b" (a veth peer runlet made)",
                ],
                Some(e),
            )),
        }
    }
}
