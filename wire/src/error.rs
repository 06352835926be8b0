use core::fmt;

use crate::tag;

/// Why a frame or body was refused. Each names what was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// Fewer bytes than a header or field says there are.
    Truncated {
        what: &'static str,
        need: usize,
        have: usize,
    },
    /// A frame length over the kind's maximum (or zero: no kind byte).
    BadFrameLength {
        kind: u8,
        len: usize,
        max: usize,
    },
    UnknownKind(u8),
    /// A frame of a valid kind where another was expected.
    UnexpectedKind {
        expected: u8,
        got: u8,
    },
    UnknownTag {
        kind: &'static str,
        tag: u16,
    },
    MissingField {
        kind: &'static str,
        tag: u16,
    },
    DuplicateField {
        kind: &'static str,
        tag: u16,
    },
    /// A fixed-size field of the wrong size.
    BadFieldLength {
        tag: u16,
        len: usize,
        expected: usize,
    },
    /// A string field without its trailing NUL, or with one inside.
    BadString {
        tag: u16,
    },
    BadUtf8 {
        tag: u16,
    },
    /// A value outside what the field admits.
    BadValue {
        tag: u16,
    },
    /// More entries than a helper holds.
    OverCapacity {
        tag: u16,
        limit: usize,
    },
    /// The encoder's buffer is full.
    NoRoom {
        need: usize,
        have: usize,
    },
}

impl WireError {
    /// The field the error is about, when it is about one.
    pub fn tag(&self) -> Option<u16> {
        match *self {
            WireError::UnknownTag { tag, .. }
            | WireError::MissingField { tag, .. }
            | WireError::DuplicateField { tag, .. }
            | WireError::BadFieldLength { tag, .. }
            | WireError::BadString { tag }
            | WireError::BadUtf8 { tag }
            | WireError::BadValue { tag }
            | WireError::OverCapacity { tag, .. } => Some(tag),
            _ => None,
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WireError::Truncated { what, need, have } => {
                write!(f, "{what} cut short: needs {need} bytes, has {have}")
            }
            WireError::BadFrameLength { kind, len, max } => {
                write!(
                    f,
                    "frame of kind {kind} has length {len} (allowed 1..={max})"
                )
            }
            WireError::UnknownKind(k) => write!(f, "unknown frame kind {k}"),
            WireError::UnexpectedKind { expected, got } => {
                write!(f, "expected frame kind {expected}, got {got}")
            }
            WireError::UnknownTag { kind, tag } => write!(f, "unknown field tag {tag} in {kind}"),
            WireError::MissingField { kind, tag: t } => {
                write!(f, "{kind} lacks required field {}", tag::name(t))
            }
            WireError::DuplicateField { kind, tag: t } => {
                write!(f, "{kind} has field {} twice", tag::name(t))
            }
            WireError::BadFieldLength {
                tag: t,
                len,
                expected,
            } => {
                write!(
                    f,
                    "field {} has {len} bytes, expected {expected}",
                    tag::name(t)
                )
            }
            WireError::BadString { tag: t } => {
                write!(f, "field {} is not one NUL-terminated string", tag::name(t))
            }
            WireError::BadUtf8 { tag: t } => write!(f, "field {} is not UTF-8", tag::name(t)),
            WireError::BadValue { tag: t } => write!(f, "field {} has a bad value", tag::name(t)),
            WireError::OverCapacity { tag: t, limit } => {
                write!(f, "more than {limit} {} fields", tag::name(t))
            }
            WireError::NoRoom { need, have } => {
                write!(f, "encoder needs {need} bytes, has room for {have}")
            }
        }
    }
}
