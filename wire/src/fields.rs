//! Walking the `u16 tag | u32 len | bytes` fields of a body, and typed reads of one field.

use core::ffi::CStr;

use crate::error::WireError;

const FIELD_HEADER: usize = 6;

#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    pub tag: u16,
    pub bytes: &'a [u8],
}

/// Iterator over a body's fields; yields an error (once) for a field cut short.
#[derive(Clone)]
pub struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    pub fn new(body: &'a [u8]) -> Self {
        Fields { rest: body }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let r = self.rest;
        if r.len() < FIELD_HEADER {
            self.rest = &[];
            return Some(Err(WireError::Truncated {
                what: "field header",
                need: FIELD_HEADER,
                have: r.len(),
            }));
        }
        let tag = u16::from_le_bytes([r[0], r[1]]);
        let len = u32::from_le_bytes([r[2], r[3], r[4], r[5]]) as usize;
        let body = &r[FIELD_HEADER..];
        if body.len() < len {
            self.rest = &[];
            return Some(Err(WireError::Truncated {
                what: "field",
                need: len,
                have: body.len(),
            }));
        }
        self.rest = &body[len..];
        Some(Ok(Field {
            tag,
            bytes: &body[..len],
        }))
    }
}

impl<'a> Field<'a> {
    /// A NUL-terminated string with no NUL inside.
    pub fn cstr(&self) -> Result<&'a CStr, WireError> {
        match self.bytes.iter().position(|&b| b == 0) {
            Some(i) if i + 1 == self.bytes.len() => CStr::from_bytes_with_nul(self.bytes)
                .map_err(|_| WireError::BadString { tag: self.tag }),
            _ => Err(WireError::BadString { tag: self.tag }),
        }
    }

    /// A NUL-terminated string that must be UTF-8 text (returned without the NUL).
    pub fn text(&self) -> Result<&'a str, WireError> {
        let c = self.cstr()?;
        core::str::from_utf8(c.to_bytes()).map_err(|_| WireError::BadUtf8 { tag: self.tag })
    }

    fn fixed<const N: usize>(&self) -> Result<[u8; N], WireError> {
        self.bytes
            .try_into()
            .map_err(|_| WireError::BadFieldLength {
                tag: self.tag,
                len: self.bytes.len(),
                expected: N,
            })
    }

    pub fn u8(&self) -> Result<u8, WireError> {
        Ok(self.fixed::<1>()?[0])
    }

    /// A 0/1 flag.
    pub fn flag(&self) -> Result<bool, WireError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(WireError::BadValue { tag: self.tag }),
        }
    }

    pub fn u32(&self) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.fixed::<4>()?))
    }

    pub fn u64(&self) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.fixed::<8>()?))
    }

    /// `N` little-endian u64 values in a row.
    pub fn u64s<const N: usize>(&self) -> Result<[u64; N], WireError> {
        if self.bytes.len() != N * 8 {
            return Err(WireError::BadFieldLength {
                tag: self.tag,
                len: self.bytes.len(),
                expected: N * 8,
            });
        }
        let mut out = [0u64; N];
        for (i, v) in out.iter_mut().enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(&self.bytes[i * 8..i * 8 + 8]);
            *v = u64::from_le_bytes(b);
        }
        Ok(out)
    }
}

/// Records which single-occurrence fields were seen, to refuse duplicates and report
/// missing required ones. Tags are below 256.
#[derive(Default)]
pub(crate) struct Seen([u128; 2]);

impl Seen {
    fn slot(tag: u16) -> (usize, u128) {
        (usize::from(tag >> 7 & 1), 1u128 << (tag & 127))
    }

    pub(crate) fn once(&mut self, kind: &'static str, tag: u16) -> Result<(), WireError> {
        let (i, bit) = Self::slot(tag);
        if self.0[i] & bit != 0 {
            return Err(WireError::DuplicateField { kind, tag });
        }
        self.0[i] |= bit;
        Ok(())
    }

    pub(crate) fn require(&self, kind: &'static str, tag: u16) -> Result<(), WireError> {
        let (i, bit) = Self::slot(tag);
        if self.0[i] & bit == 0 {
            return Err(WireError::MissingField { kind, tag });
        }
        Ok(())
    }
}

/// Counts a repeated field against a capacity.
pub(crate) fn count(n: &mut usize, tag: u16, limit: usize) -> Result<(), WireError> {
    *n += 1;
    if *n > limit {
        return Err(WireError::OverCapacity { tag, limit });
    }
    Ok(())
}
