//! rtnetlink messages, the one encoder both sides use: the parent builds the host
//! side of a veth into a `Vec`, the init the inside into an `ArraySink` on its
//! stack. Also the reading of the kernel's replies (messages in a datagram, the
//! attributes in a message). Netlink is native-endian; the constants (message
//! types, attribute numbers) come from linux-raw-sys at the callers.

use crate::encode::Sink;
use crate::error::WireError;

/// `struct nlmsghdr`: length, type, flags, sequence, port.
pub const NLMSG_HDRLEN: usize = 16;

/// One message being built. A write that does not fit is remembered and reported by
/// `finish`, so building reads as a list of attributes.
pub struct NlMsg<S: Sink> {
    sink: S,
    start: usize,
    err: Option<WireError>,
}

impl<S: Sink> NlMsg<S> {
    /// A header of type `ty` with `flags` (length and sequence filled in by
    /// `finish`), then the family header (`ifinfomsg`, `ifaddrmsg`, `rtmsg`).
    pub fn new(sink: S, ty: u16, flags: u16, family_header: &[u8]) -> Self {
        let start = sink.written();
        let mut m = NlMsg {
            sink,
            start,
            err: None,
        };
        let mut h = [0u8; NLMSG_HDRLEN];
        h[4..6].copy_from_slice(&ty.to_ne_bytes());
        h[6..8].copy_from_slice(&flags.to_ne_bytes());
        m.put(&h);
        m.raw(family_header);
        m
    }

    fn put(&mut self, b: &[u8]) {
        if self.err.is_none() {
            self.err = self.sink.put(b).err();
        }
    }

    /// Pads to the next multiple of 4, where every header and attribute starts.
    fn align(&mut self) {
        let over = (self.sink.written() - self.start) % 4;
        if over != 0 {
            self.put(&[0; 3][..4 - over]);
        }
    }

    pub fn attr(&mut self, ty: u16, data: &[u8]) -> &mut Self {
        self.align();
        self.put(&((4 + data.len()) as u16).to_ne_bytes());
        self.put(&ty.to_ne_bytes());
        self.put(data);
        self
    }

    /// A string attribute, with the NUL the kernel expects added.
    pub fn attr_str(&mut self, ty: u16, s: &[u8]) -> &mut Self {
        self.align();
        self.put(&((5 + s.len()) as u16).to_ne_bytes());
        self.put(&ty.to_ne_bytes());
        self.put(s);
        self.put(&[0]);
        self
    }

    pub fn attr_u32(&mut self, ty: u16, v: u32) -> &mut Self {
        self.attr(ty, &v.to_ne_bytes())
    }

    /// Opens a nested attribute; `end` closes it.
    pub fn begin(&mut self, ty: u16) -> usize {
        self.align();
        let at = self.sink.written();
        self.attr(ty, &[]);
        at
    }

    pub fn end(&mut self, at: usize) {
        self.align();
        if self.err.is_none() {
            let len = (self.sink.written() - at) as u16;
            self.sink.patch(at, &len.to_ne_bytes());
        }
    }

    /// Raw bytes, aligned (the family header; the `ifinfomsg` that opens a veth's peer).
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.align();
        self.put(b);
        self
    }

    /// Fills in the length and sequence number and returns the sink, or the first
    /// write that did not fit.
    pub fn finish(mut self, seq: u32) -> Result<S, WireError> {
        self.align();
        if let Some(e) = self.err {
            return Err(e);
        }
        let len = (self.sink.written() - self.start) as u32;
        self.sink.patch(self.start, &len.to_ne_bytes());
        self.sink.patch(self.start + 8, &seq.to_ne_bytes());
        Ok(self.sink)
    }
}

/// `struct ifinfomsg` for interface `index` (0: by name), with `flags` and `change`.
pub fn ifinfomsg(index: i32, flags: u32, change: u32) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[4..8].copy_from_slice(&index.to_ne_bytes());
    b[8..12].copy_from_slice(&flags.to_ne_bytes());
    b[12..16].copy_from_slice(&change.to_ne_bytes());
    b
}

/// One message of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply<'a> {
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    /// What follows the header, up to the message's length or the end of what was
    /// received, whichever comes first.
    pub body: &'a [u8],
    /// The message is longer than what was received (the datagram was cut by a
    /// small receive buffer).
    pub truncated: bool,
}

impl Reply<'_> {
    /// The error code of an `NLMSG_ERROR` message (0: an acknowledgement; else
    /// minus the errno).
    pub fn error_code(&self) -> Option<i32> {
        let b = self.body.get(0..4)?;
        Some(i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// The messages of one received datagram, in order; an `Err` (and then nothing) for
/// one whose length is below its own header.
pub fn replies(buf: &[u8]) -> impl Iterator<Item = Result<Reply<'_>, WireError>> {
    let mut rest = buf;
    core::iter::from_fn(move || {
        if rest.len() < NLMSG_HDRLEN {
            return None;
        }
        let mlen = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if mlen < NLMSG_HDRLEN {
            rest = &[];
            return Some(Err(WireError::Truncated {
                what: "netlink message",
                need: NLMSG_HDRLEN,
                have: mlen,
            }));
        }
        let r = Reply {
            ty: u16::from_ne_bytes([rest[4], rest[5]]),
            flags: u16::from_ne_bytes([rest[6], rest[7]]),
            seq: u32::from_ne_bytes([rest[8], rest[9], rest[10], rest[11]]),
            body: &rest[NLMSG_HDRLEN..mlen.min(rest.len())],
            truncated: mlen > rest.len(),
        };
        rest = &rest[((mlen + 3) & !3).min(rest.len())..];
        Some(Ok(r))
    })
}

/// The attributes (`nlattr`) in `b`: (type without its flag bits, payload).
pub fn attrs(mut b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    core::iter::from_fn(move || {
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
