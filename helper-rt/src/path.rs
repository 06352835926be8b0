//! Paths built without a heap: a fixed buffer that always ends in a NUL, so it can be
//! handed to the kernel as it is.

use core::ffi::CStr;

use crate::fail::{fail, Failure};
use rustix::fd::{AsFd, AsRawFd};
use wire::limits::MAX_PATH;

/// A NUL-terminated path of at most `MAX_PATH` bytes (with the NUL).
pub struct PathBuf {
    buf: [u8; MAX_PATH],
    len: usize,
}

impl PathBuf {
    pub const fn new() -> Self {
        PathBuf {
            buf: [0; MAX_PATH],
            len: 0,
        }
    }

    pub fn from_parts(parts: &[&[u8]]) -> Result<Self, Failure> {
        let mut p = PathBuf::new();
        for part in parts {
            p.push(part)?;
        }
        Ok(p)
    }

    /// Appends bytes; a NUL inside or a path past `MAX_PATH` is refused.
    pub fn push(&mut self, bytes: &[u8]) -> Result<&mut Self, Failure> {
        if bytes.contains(&0) || self.len + bytes.len() >= MAX_PATH {
            return Err(fail(&[b"path too long: ", self.bytes(), bytes], None));
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
        self.buf[self.len] = 0;
        Ok(self)
    }

    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
            self.buf[len] = 0;
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn as_cstr(&self) -> &CStr {
        // The byte at `len` is always NUL and `push` refuses NULs inside.
        CStr::from_bytes_until_nul(&self.buf[..=self.len]).unwrap_or(c"")
    }
}

impl Default for PathBuf {
    fn default() -> Self {
        Self::new()
    }
}

/// `/proc/self/fd/<n>`: the path through which mount(2) and chmod(2) reach what an
/// `O_PATH` fd refers to, without walking a path a container could change.
pub struct FdPath {
    buf: [u8; 32],
}

impl FdPath {
    pub fn new(fd: impl AsFd) -> Self {
        const PREFIX: &[u8] = b"/proc/self/fd/";
        let mut buf = [0u8; 32];
        buf[..PREFIX.len()].copy_from_slice(PREFIX);
        let mut scratch = [0; 20];
        let digits = crate::fail::decimal(fd.as_fd().as_raw_fd() as u64, &mut scratch);
        buf[PREFIX.len()..PREFIX.len() + digits.len()].copy_from_slice(digits);
        FdPath { buf }
    }

    pub fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"")
    }
}

/// The last component of `path` and the length of what comes before it (without the
/// trailing slashes). `/dev/null` → (4, `null`); `/x` → (1, `x`).
pub fn split_last(path: &[u8]) -> (usize, &[u8]) {
    let mut end = path.len();
    while end > 1 && path[end - 1] == b'/' {
        end -= 1;
    }
    let start = path[..end]
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(0, |i| i + 1);
    let mut dir = start;
    while dir > 1 && path[dir - 1] == b'/' {
        dir -= 1;
    }
    (dir, &path[start..end])
}

#[cfg(test)]
mod tests;
