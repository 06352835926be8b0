//! rtnetlink on the host side: messages built by hand into a `Vec`, one request at a
//! time, each acknowledged (`NLM_F_ACK`) and its `NLMSG_ERROR` read back. A failure is
//! "`what`: strerror (the kernel's extended ack text, when it gave one)".

use std::os::fd::OwnedFd;
use std::time::Duration;

use linux_raw_sys::netlink as nl;
use rustix::net::{recv, send, socket_with, AddressFamily, RecvFlags, SendFlags};
use rustix::net::{sockopt, SocketFlags, SocketType};

use crate::error::{errno_text, Error, Result};

/// How long the kernel may take to answer one request.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
const NLMSG_HDRLEN: usize = 16;
const SOL_NETLINK: i32 = 270;

pub const RTM_NEWLINK: u16 = nl::RTM_NEWLINK as u16;
pub const RTM_DELLINK: u16 = nl::RTM_DELLINK as u16;
pub const RTM_GETLINK: u16 = nl::RTM_GETLINK as u16;
pub const RTM_SETLINK: u16 = nl::RTM_SETLINK as u16;
pub const RTM_NEWADDR: u16 = nl::RTM_NEWADDR as u16;

/// `NLM_F_REQUEST | NLM_F_ACK`, plus what `extra` adds.
pub fn flags(extra: u32) -> u16 {
    (nl::NLM_F_REQUEST | nl::NLM_F_ACK | extra) as u16
}

/// `struct ifinfomsg`.
pub fn ifinfomsg(index: i32, flags: u32, change: u32) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[4..8].copy_from_slice(&index.to_ne_bytes());
    b[8..12].copy_from_slice(&flags.to_ne_bytes());
    b[12..16].copy_from_slice(&change.to_ne_bytes());
    b
}

/// One netlink message being built.
pub struct Msg {
    buf: Vec<u8>,
}

impl Msg {
    /// A header (type, flags; length and sequence filled in on send), then the family
    /// header (`ifinfomsg`, `ifaddrmsg`, ...).
    pub fn new(ty: u16, flags: u16, family_header: &[u8]) -> Msg {
        let mut buf = vec![0u8; NLMSG_HDRLEN];
        buf[4..6].copy_from_slice(&ty.to_ne_bytes());
        buf[6..8].copy_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(family_header);
        Msg { buf }
    }

    fn align(&mut self) {
        while !self.buf.len().is_multiple_of(4) {
            self.buf.push(0);
        }
    }

    pub fn attr(&mut self, ty: u16, data: &[u8]) -> &mut Self {
        self.align();
        self.buf
            .extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(data);
        self
    }

    /// A string attribute with its NUL.
    pub fn attr_str(&mut self, ty: u16, s: &str) -> &mut Self {
        let mut d = s.as_bytes().to_vec();
        d.push(0);
        self.attr(ty, &d)
    }

    pub fn attr_u32(&mut self, ty: u16, v: u32) -> &mut Self {
        self.attr(ty, &v.to_ne_bytes())
    }

    /// Opens a nested attribute; `end` closes it.
    pub fn begin(&mut self, ty: u16) -> usize {
        self.align();
        let at = self.buf.len();
        self.attr(ty, &[]);
        at
    }

    pub fn end(&mut self, at: usize) {
        self.align();
        let len = (self.buf.len() - at) as u16;
        self.buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
    }

    /// Appends raw bytes (the `ifinfomsg` that opens a veth's peer).
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.align();
        self.buf.extend_from_slice(b);
        self
    }
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

// rustix has no NETLINK_EXT_ACK / NETLINK_CAP_ACK socket options; musl's setsockopt
// (the C library std links) sets them.
unsafe extern "C" {
    fn setsockopt(fd: i32, level: i32, name: i32, val: *const core::ffi::c_void, len: u32) -> i32;
}

fn set_int_opt(fd: &OwnedFd, name: u32) {
    use std::os::fd::AsRawFd;
    let one: i32 = 1;
    // SAFETY: `one` is a valid int for the call; a failure only loses the extra text.
    unsafe {
        setsockopt(
            fd.as_raw_fd(),
            SOL_NETLINK,
            name as i32,
            (&one as *const i32).cast(),
            4,
        )
    };
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
        mut m: Msg,
        mut reply: impl FnMut(&[u8]),
    ) -> Result<std::result::Result<(), (i32, String)>> {
        self.seq += 1;
        let seq = self.seq;
        m.align();
        let len = m.buf.len() as u32;
        m.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        m.buf[8..12].copy_from_slice(&seq.to_ne_bytes());
        send(&self.fd, &m.buf, SendFlags::empty()).map_err(|e| Error::sys("send netlink", e))?;
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
            let mut rest = &buf[..n.min(buf.len())];
            while rest.len() >= NLMSG_HDRLEN {
                let mlen = u32::from_ne_bytes(rest[0..4].try_into().unwrap()) as usize;
                if mlen < NLMSG_HDRLEN || mlen > rest.len() {
                    return Err(Error::msg("netlink: malformed reply from the kernel"));
                }
                let ty = u16::from_ne_bytes([rest[4], rest[5]]);
                let mflags = u16::from_ne_bytes([rest[6], rest[7]]) as u32;
                let mseq = u32::from_ne_bytes(rest[8..12].try_into().unwrap());
                let body = &rest[NLMSG_HDRLEN..mlen];
                if mseq == seq {
                    if ty == nl::NLMSG_ERROR as u16 && body.len() >= 4 {
                        let err = i32::from_ne_bytes(body[0..4].try_into().unwrap());
                        if err == 0 {
                            return Ok(Ok(()));
                        }
                        return Ok(Err((-err, ext_ack_text(body, mflags))));
                    }
                    if ty == RTM_NEWLINK {
                        reply(body);
                    }
                }
                rest = &rest[((mlen + 3) & !3).min(rest.len())..];
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
        let mut m = Msg::new(RTM_GETLINK, flags(0), &ifinfomsg(0, 0, 0));
        m.attr_str(nl::IFLA_IFNAME as u16, name);
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

/// Walks `nlattr`s: (type without flag bits, payload).
fn attrs(mut b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if b.len() < 4 {
            return None;
        }
        let len = u16::from_ne_bytes([b[0], b[1]]) as usize;
        let ty = u16::from_ne_bytes([b[2], b[3]]) & 0x3fff;
        if len < 4 || len > b.len() {
            return None;
        }
        let payload = &b[4..len];
        b = &b[((len + 3) & !3).min(b.len())..];
        Some((ty, payload))
    })
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
    let start = 4 + NLMSG_HDRLEN;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_attributes_are_aligned_and_sized() {
        let mut m = Msg::new(RTM_NEWLINK, flags(0), &ifinfomsg(0, 0, 0));
        m.attr_str(3, "ab"); // 4 + 3 bytes, padded to 8
        let n = m.begin(18);
        m.attr_str(1, "veth");
        m.end(n);
        let b = &m.buf[NLMSG_HDRLEN + 16..];
        assert_eq!(&b[0..2], &7u16.to_ne_bytes());
        assert_eq!(&b[8..10], &(4u16 + 12).to_ne_bytes());
        let kinds: Vec<_> = attrs(&b[8 + 4..]).collect();
        assert_eq!(kinds, vec![(1, &b"veth\0"[..])]);
    }
}
