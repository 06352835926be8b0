//! A failed step: what was being done, in words, and the errno. Built without a heap.

use rustix::io::Errno;

/// The decimal digits of `v`, written at the end of `out`.
pub fn decimal(mut v: u64, out: &mut [u8; 20]) -> &[u8] {
    let mut i = out.len();
    loop {
        i -= 1;
        out[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return &out[i..];
        }
    }
}

/// A short message in a fixed buffer; text past the end is dropped.
#[derive(Clone)]
pub struct Msg {
    buf: [u8; 512],
    len: usize,
}

impl Msg {
    pub const fn new() -> Self {
        Msg {
            buf: [0; 512],
            len: 0,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) -> &mut Self {
        let mut n = bytes.len().min(self.buf.len() - self.len);
        // A cut lands on a UTF-8 boundary: the parent reads the message as text.
        while n < bytes.len() && n > 0 && bytes[n] & 0xC0 == 0x80 {
            n -= 1;
        }
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
        self
    }

    /// Decimal digits of `v`.
    pub fn push_u64(&mut self, v: u64) -> &mut Self {
        self.push(decimal(v, &mut [0; 20]))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Default for Msg {
    fn default() -> Self {
        Self::new()
    }
}

/// What a helper reports to the parent in an `Error` frame.
#[derive(Clone)]
pub struct Failure {
    pub msg: Msg,
    /// 0 when there is no errno (an input the helper refuses).
    pub errno: u32,
}

/// A failure whose message is `parts` in a row.
pub fn fail(parts: &[&[u8]], errno: Option<Errno>) -> Failure {
    let mut msg = Msg::new();
    for p in parts {
        msg.push(p);
    }
    Failure {
        msg,
        errno: errno.map_or(0, |e| e.raw_os_error() as u32),
    }
}

/// `.ctx(&[b"mount ", dest])` turns an errno into a `Failure` that says what failed.
pub trait Context<T> {
    fn ctx(self, parts: &[&[u8]]) -> Result<T, Failure>;
}

impl<T> Context<T> for Result<T, Errno> {
    fn ctx(self, parts: &[&[u8]]) -> Result<T, Failure> {
        self.map_err(|e| fail(parts, Some(e)))
    }
}

#[cfg(test)]
mod tests;
