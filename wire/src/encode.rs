//! Writing frames. The parent encodes into a `Vec` (feature `alloc`); helpers and the
//! spawned child encode into a fixed slice (`SliceSink`), allocating nothing.

use crate::error::WireError;
use crate::frame::{FrameKind, HEADER_LEN};

/// Where encoded bytes go.
pub trait Sink {
    fn put(&mut self, bytes: &[u8]) -> Result<(), WireError>;
    fn written(&self) -> usize;
    /// Overwrites bytes already written (to fill in a length).
    fn patch(&mut self, at: usize, bytes: &[u8]);
}

/// A sink over a caller's buffer.
pub struct SliceSink<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> SliceSink<'b> {
    pub fn new(buf: &'b mut [u8]) -> Self {
        SliceSink { buf, len: 0 }
    }
}

impl Sink for SliceSink<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        let room = self.buf.len() - self.len;
        if bytes.len() > room {
            return Err(WireError::NoRoom {
                need: bytes.len(),
                have: room,
            });
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
        Ok(())
    }
    fn written(&self) -> usize {
        self.len
    }
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        self.buf[at..at + bytes.len()].copy_from_slice(bytes);
    }
}

/// A sink that owns a buffer of `N` bytes: a message built on the stack and
/// returned whole (a helper's netlink request).
pub struct ArraySink<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> ArraySink<N> {
    pub fn new() -> Self {
        ArraySink {
            buf: [0; N],
            len: 0,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl<const N: usize> Default for ArraySink<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Sink for ArraySink<N> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        let end = self.len + bytes.len();
        if end > N {
            return Err(WireError::NoRoom {
                need: bytes.len(),
                have: N - self.len,
            });
        }
        self.buf[self.len..end].copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
    fn written(&self) -> usize {
        self.len
    }
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        self.buf[at..at + bytes.len()].copy_from_slice(bytes);
    }
}

#[cfg(any(feature = "alloc", test))]
impl Sink for alloc::vec::Vec<u8> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.extend_from_slice(bytes);
        Ok(())
    }
    fn written(&self) -> usize {
        self.len()
    }
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        self[at..at + bytes.len()].copy_from_slice(bytes);
    }
}

/// Builds one frame: header first, fields appended, length filled in by `finish`.
pub struct Encoder<S: Sink> {
    sink: S,
    start: usize,
    kind: FrameKind,
}

impl<S: Sink> Encoder<S> {
    pub fn new(mut sink: S, kind: FrameKind) -> Result<Self, WireError> {
        let start = sink.written();
        sink.put(&[0, 0, 0, 0, kind as u8])?;
        Ok(Encoder { sink, start, kind })
    }

    pub fn bytes(&mut self, tag: u16, bytes: &[u8]) -> Result<&mut Self, WireError> {
        self.field_header(tag, bytes.len())?;
        self.sink.put(bytes)?;
        Ok(self)
    }

    /// A string field: the bytes and a trailing NUL. A NUL inside is refused.
    pub fn str(&mut self, tag: u16, s: &[u8]) -> Result<&mut Self, WireError> {
        if s.contains(&0) {
            return Err(WireError::BadString { tag });
        }
        self.field_header(tag, s.len() + 1)?;
        self.sink.put(s)?;
        self.sink.put(&[0])?;
        Ok(self)
    }

    /// A string field made of `parts` in a row, cut to at most `max` bytes on a UTF-8
    /// boundary. A NUL inside is refused.
    pub fn field_parts(
        &mut self,
        tag: u16,
        parts: &[&[u8]],
        max: usize,
    ) -> Result<&mut Self, WireError> {
        if parts.iter().any(|p| p.contains(&0)) {
            return Err(WireError::BadString { tag });
        }
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let mut len = total.min(max);
        // Back up over UTF-8 continuation bytes so a cut leaves valid text.
        while len < total && len > 0 && (byte_at(parts, len) & 0xC0) == 0x80 {
            len -= 1;
        }
        self.field_header(tag, len + 1)?;
        let mut left = len;
        for p in parts {
            let n = p.len().min(left);
            self.sink.put(&p[..n])?;
            left -= n;
        }
        self.sink.put(&[0])?;
        Ok(self)
    }

    pub fn u8(&mut self, tag: u16, v: u8) -> Result<&mut Self, WireError> {
        self.bytes(tag, &[v])
    }

    pub fn flag(&mut self, tag: u16, v: bool) -> Result<&mut Self, WireError> {
        self.bytes(tag, &[v as u8])
    }

    pub fn u32(&mut self, tag: u16, v: u32) -> Result<&mut Self, WireError> {
        self.bytes(tag, &v.to_le_bytes())
    }

    pub fn u64(&mut self, tag: u16, v: u64) -> Result<&mut Self, WireError> {
        self.bytes(tag, &v.to_le_bytes())
    }

    pub fn u64s(&mut self, tag: u16, vs: &[u64]) -> Result<&mut Self, WireError> {
        self.field_header(tag, vs.len() * 8)?;
        for v in vs {
            self.sink.put(&v.to_le_bytes())?;
        }
        Ok(self)
    }

    /// A nested field (MOUNT, DEVICE, SYSCTL): `fill` appends the inner fields.
    pub fn group(
        &mut self,
        tag: u16,
        fill: impl FnOnce(&mut Self) -> Result<(), WireError>,
    ) -> Result<&mut Self, WireError> {
        self.sink.put(&tag.to_le_bytes())?;
        let len_at = self.sink.written();
        self.sink.put(&[0; 4])?;
        fill(self)?;
        let len = self.sink.written() - len_at - 4;
        self.sink.patch(len_at, &(len as u32).to_le_bytes());
        Ok(self)
    }

    fn field_header(&mut self, tag: u16, len: usize) -> Result<(), WireError> {
        self.sink.put(&tag.to_le_bytes())?;
        self.sink.put(&(len as u32).to_le_bytes())
    }

    /// Fills in the length and returns the sink. Fails if the frame is over its kind's
    /// maximum, so an oversized frame is caught by the sender too.
    pub fn finish(mut self) -> Result<S, WireError> {
        let len = self.sink.written() - self.start - (HEADER_LEN - 1);
        if len > self.kind.max_len() {
            return Err(WireError::BadFrameLength {
                kind: self.kind as u8,
                len,
                max: self.kind.max_len(),
            });
        }
        self.sink.patch(self.start, &(len as u32).to_le_bytes());
        Ok(self.sink)
    }
}

fn byte_at(parts: &[&[u8]], mut i: usize) -> u8 {
    for p in parts {
        if i < p.len() {
            return p[i];
        }
        i -= p.len();
    }
    0
}

/// A frame that has no body (Prestart, Resume, Ready).
pub fn empty_frame(kind: FrameKind) -> [u8; HEADER_LEN] {
    [1, 0, 0, 0, kind as u8]
}
