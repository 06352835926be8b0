//! rtnetlink on the host side: messages built by hand into a `Vec`, one request at a
//! time, each acknowledged (`NLM_F_ACK`) and its `NLMSG_ERROR` read back. A failure is
//! "`what`: strerror (the kernel's extended ack text, when it gave one)".

use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use linux_raw_sys::netlink as nl;
use rustix::net::{recv, send, socket_with, AddressFamily, RecvFlags, SendFlags};
use rustix::net::{sockopt, SocketFlags, SocketType};

pub use wire::netlink::ifinfomsg;
use wire::netlink::{attrs, replies, NlMsg};

use crate::error::{errno_text, Error, Result};
use crate::os::sys;

/// How long the kernel may take to answer one request.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
const SOL_NETLINK: i32 = linux_raw_sys::net::SOL_NETLINK as i32;

pub const RTM_NEWLINK: u16 = nl::RTM_NEWLINK as u16;
pub const RTM_DELLINK: u16 = nl::RTM_DELLINK as u16;
pub const RTM_GETLINK: u16 = nl::RTM_GETLINK as u16;
pub const RTM_SETLINK: u16 = nl::RTM_SETLINK as u16;
pub const RTM_NEWADDR: u16 = nl::RTM_NEWADDR as u16;

/// `NLM_F_REQUEST | NLM_F_ACK`, plus what `extra` adds.
pub fn flags(extra: u32) -> u16 {
    (nl::NLM_F_REQUEST | nl::NLM_F_ACK | extra) as u16
}

/// One netlink message being built (wire's encoder, into a `Vec`).
pub type Msg = NlMsg<Vec<u8>>;

/// A message of type `ty`, then the family header (`ifinfomsg`, `ifaddrmsg`, ...).
pub fn msg(ty: u16, flags: u16, family_header: &[u8]) -> Msg {
    NlMsg::new(Vec::new(), ty, flags, family_header)
}

/// What `RTM_GETLINK` tells about one interface.
#[derive(Debug)]
pub struct Link {
    pub index: i32,
    /// `IFLA_INFO_KIND` ("veth", "bridge"), when it has one.
    pub kind: Option<String>,
}

/// A NETLINK_ROUTE socket in runlet's network namespace.
pub struct Netlink {
    fd: OwnedFd,
    seq: u32,
}

/// A failure only loses the kernel's extra text in errors.
fn set_int_opt(fd: &OwnedFd, name: u32) {
    let _ = sys::set_sockopt_on(fd.as_fd(), SOL_NETLINK, name as i32);
}

impl Netlink {
    pub fn open() -> Result<Netlink> {
        let fd = socket_with(
            AddressFamily::NETLINK,
            SocketType::RAW,
            SocketFlags::CLOEXEC,
            None, // protocol 0: NETLINK_ROUTE
        )
        .map_err(|e| Error::sys("socket NETLINK_ROUTE", e))?;
        sockopt::set_socket_timeout(&fd, sockopt::Timeout::Recv, Some(REPLY_TIMEOUT))
            .map_err(|e| Error::sys("setsockopt SO_RCVTIMEO on the netlink socket", e))?;
        // Errors come back with the kernel's explanation, without our request echoed.
        set_int_opt(&fd, nl::NETLINK_EXT_ACK);
        set_int_opt(&fd, nl::NETLINK_CAP_ACK);
        Ok(Netlink { fd, seq: 0 })
    }

    /// Sends `m` and waits for its acknowledgement. Replies of type `RTM_NEWLINK`
    /// before it are handed to `reply`. A refusal is `Err((errno, text))`.
    fn exchange(
        &mut self,
        m: Msg,
        mut reply: impl FnMut(&[u8]),
    ) -> Result<std::result::Result<(), (i32, String)>> {
        self.seq += 1;
        let seq = self.seq;
        let buf = m.finish(seq)?;
        send(&self.fd, &buf, SendFlags::empty()).map_err(|e| Error::sys("send netlink", e))?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let (_, n) = recv(&self.fd, &mut buf[..], RecvFlags::empty()).map_err(|e| {
                if e == rustix::io::Errno::AGAIN {
                    // (Not `{:?}` of the Duration: its formatter costs 2 KiB.)
                    Error::msg(format!(
                        "netlink: no answer from the kernel within {} s",
                        REPLY_TIMEOUT.as_secs()
                    ))
                } else {
                    Error::sys("recv netlink", e)
                }
            })?;
            for r in replies(&buf[..n.min(buf.len())]) {
                let r = match r {
                    Ok(r) if !r.truncated => r,
                    _ => return Err(Error::msg("netlink: malformed reply from the kernel")),
                };
                if r.seq != seq {
                    continue;
                }
                match r.error_code() {
                    Some(0) if r.ty == nl::NLMSG_ERROR as u16 => return Ok(Ok(())),
                    Some(err) if r.ty == nl::NLMSG_ERROR as u16 => {
                        return Ok(Err((-err, ext_ack_text(r.body, r.flags.into()))))
                    }
                    _ if r.ty == RTM_NEWLINK => reply(r.body),
                    _ => {}
                }
            }
        }
    }

    /// One request that must succeed; `what` names it in the error
    /// ("RTM_NEWLINK veth0: File exists").
    pub fn request(&mut self, m: Msg, what: impl FnOnce() -> String) -> Result<()> {
        match self.exchange(m, |_| {})? {
            Ok(()) => Ok(()),
            Err((errno, ext)) => Err(Error::msg(format!(
                "{}: {}{ext}",
                what(),
                errno_text(errno)
            ))),
        }
    }

    /// Like `request`, but returns the errno instead of failing.
    pub fn try_request(&mut self, m: Msg) -> Result<std::result::Result<(), i32>> {
        Ok(self.exchange(m, |_| {})?.map_err(|(e, _)| e))
    }

    /// The interface called `name` in this network namespace, if there is one.
    pub fn get_link(&mut self, name: &str) -> Result<Option<Link>> {
        let mut m = msg(RTM_GETLINK, flags(0), &ifinfomsg(0, 0, 0));
        m.attr_str(nl::IFLA_IFNAME as u16, name.as_bytes());
        let mut link = None;
        let got = self.exchange(m, |body| link = parse_link(body))?;
        match got {
            Ok(()) => Ok(link),
            Err((e, _)) if e == linux_raw_sys::errno::ENODEV as i32 => Ok(None),
            Err((e, ext)) => Err(Error::msg(format!(
                "RTM_GETLINK {name}: {}{ext}",
                errno_text(e)
            ))),
        }
    }
}

fn parse_link(body: &[u8]) -> Option<Link> {
    if body.len() < 16 {
        return None;
    }
    let index = i32::from_ne_bytes(body[4..8].try_into().ok()?);
    let kind = attrs(&body[16..])
        .find(|(t, _)| *t == nl::IFLA_LINKINFO as u16)
        .and_then(|(_, info)| attrs(info).find(|(t, _)| *t == nl::IFLA_INFO_KIND as u16))
        .map(|(_, k)| {
            String::from_utf8_lossy(k)
                .trim_end_matches('\0')
                .to_string()
        });
    Some(Link { index, kind })
}

/// " (text)" from an extended ack's NLMSGERR_ATTR_MSG, or "".
fn ext_ack_text(body: &[u8], flags: u32) -> String {
    if flags & nl::NLM_F_ACK_TLVS == 0 {
        return String::new();
    }
    // error code, then the request's header (capped: no payload), then the TLVs.
    let start = 4 + wire::netlink::NLMSG_HDRLEN;
    if body.len() < start {
        return String::new();
    }
    attrs(&body[start..])
        .find(|(t, _)| *t == nl::nlmsgerr_attrs::NLMSGERR_ATTR_MSG as u16)
        .map(|(_, m)| {
            String::from_utf8_lossy(m)
                .trim_end_matches('\0')
                .to_string()
        })
        .filter(|m| !m.is_empty())
        .map_or(String::new(), |m| format!(" ({m})"))
}
