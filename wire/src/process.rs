//! The process fields, shared by `Bootstrap` (the container's first process) and
//! `Process` (a process joined by exec).

use core::ffi::CStr;

use crate::error::WireError;
use crate::fields::{count, Field, Fields, Seen};
use crate::limits::{MAX_ARGS, MAX_ENV, MAX_GROUPS, MAX_RLIMITS, MAX_SECCOMP_INSNS};
use crate::tag;

/// Capability sets as bit masks (bit N = capability N).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Caps {
    pub bounding: u64,
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
    pub ambient: u64,
}

impl Caps {
    pub fn to_array(self) -> [u64; 5] {
        [
            self.bounding,
            self.effective,
            self.permitted,
            self.inheritable,
            self.ambient,
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rlimit {
    /// RLIMIT_* number.
    pub resource: u32,
    pub soft: u64,
    pub hard: u64,
}

impl Rlimit {
    pub fn to_bytes(self) -> [u8; 20] {
        let mut b = [0u8; 20];
        b[..4].copy_from_slice(&self.resource.to_le_bytes());
        b[4..12].copy_from_slice(&self.soft.to_le_bytes());
        b[12..].copy_from_slice(&self.hard.to_le_bytes());
        b
    }

    fn from_field(f: &Field<'_>) -> Result<Self, WireError> {
        let b = f.bytes;
        if b.len() != 20 {
            return Err(WireError::BadFieldLength {
                tag: f.tag,
                len: b.len(),
                expected: 20,
            });
        }
        let resource = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let mut s = [0u8; 8];
        s.copy_from_slice(&b[4..12]);
        let mut h = [0u8; 8];
        h.copy_from_slice(&b[12..20]);
        Ok(Rlimit {
            resource,
            soft: u64::from_le_bytes(s),
            hard: u64::from_le_bytes(h),
        })
    }
}

/// A seccomp filter as the frame carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seccomp<'a> {
    /// `struct sock_filter` array: a non-zero multiple of 8 bytes, at most
    /// `MAX_SECCOMP_INSNS` instructions. Not aligned: pass it to the kernel as is.
    pub program: &'a [u8],
    /// `SECCOMP_FILTER_FLAG_*`.
    pub flags: u32,
}

/// A decoded process. Repeated fields are read in place from the body.
#[derive(Clone)]
pub struct Process<'a> {
    body: &'a [u8],
    pub cwd: &'a CStr,
    pub uid: u32,
    pub gid: u32,
    pub no_new_privs: bool,
    pub caps: Option<Caps>,
    pub oom_score_adj: Option<&'a CStr>,
    /// Security labels for the exec (only those the host's LSMs enforce).
    pub apparmor_profile: Option<&'a CStr>,
    pub selinux_label: Option<&'a CStr>,
    /// A seccomp filter to install before exec (`struct sock_filter` bytes) and its
    /// `SECCOMP_FILTER_FLAG_*`.
    pub seccomp: Option<Seccomp<'a>>,
    /// A pty for the process (`process.terminal`).
    pub terminal: bool,
    /// `process.consoleSize` as (rows, columns), set on the pty when present.
    pub console_size: Option<(u32, u32)>,
    pub arg_count: usize,
    pub env_count: usize,
    pub group_count: usize,
}

/// Collects process fields while a frame's decoder walks its body.
#[derive(Default)]
pub(crate) struct ProcessDecoder<'a> {
    seen: Seen,
    cwd: Option<&'a CStr>,
    uid: u32,
    gid: u32,
    no_new_privs: bool,
    caps: Option<Caps>,
    oom: Option<&'a CStr>,
    apparmor: Option<&'a CStr>,
    selinux: Option<&'a CStr>,
    seccomp: Option<&'a [u8]>,
    seccomp_flags: Option<u32>,
    terminal: bool,
    height: Option<u32>,
    width: Option<u32>,
    args: usize,
    env: usize,
    groups: usize,
    rlimits: usize,
}

impl<'a> ProcessDecoder<'a> {
    /// Takes one field; `Ok(false)` when the tag is not a process field.
    pub(crate) fn accept(&mut self, kind: &'static str, f: &Field<'a>) -> Result<bool, WireError> {
        match f.tag {
            tag::ARG => {
                count(&mut self.args, f.tag, MAX_ARGS)?;
                f.cstr()?;
            }
            tag::ENV => {
                count(&mut self.env, f.tag, MAX_ENV)?;
                f.cstr()?;
            }
            tag::ADDITIONAL_GID => {
                count(&mut self.groups, f.tag, MAX_GROUPS)?;
                f.u32()?;
            }
            tag::RLIMIT => {
                count(&mut self.rlimits, f.tag, MAX_RLIMITS)?;
                Rlimit::from_field(f)?;
            }
            tag::CWD => {
                self.seen.once(kind, f.tag)?;
                let c = f.cstr()?;
                if c.to_bytes().first() != Some(&b'/') {
                    return Err(WireError::BadValue { tag: f.tag });
                }
                self.cwd = Some(c);
            }
            tag::UID => {
                self.seen.once(kind, f.tag)?;
                self.uid = f.u32()?;
            }
            tag::GID => {
                self.seen.once(kind, f.tag)?;
                self.gid = f.u32()?;
            }
            tag::NO_NEW_PRIVS => {
                self.seen.once(kind, f.tag)?;
                self.no_new_privs = f.flag()?;
            }
            tag::CAPS => {
                self.seen.once(kind, f.tag)?;
                let [bounding, effective, permitted, inheritable, ambient] = f.u64s::<5>()?;
                self.caps = Some(Caps {
                    bounding,
                    effective,
                    permitted,
                    inheritable,
                    ambient,
                });
            }
            tag::OOM_SCORE_ADJ => {
                self.seen.once(kind, f.tag)?;
                self.oom = Some(f.cstr()?);
            }
            tag::APPARMOR_PROFILE | tag::SELINUX_LABEL => {
                self.seen.once(kind, f.tag)?;
                let c = f.cstr()?;
                if c.is_empty() || c.to_bytes().len() > crate::limits::MAX_LABEL {
                    return Err(WireError::BadValue { tag: f.tag });
                }
                if f.tag == tag::APPARMOR_PROFILE {
                    self.apparmor = Some(c);
                } else {
                    self.selinux = Some(c);
                }
            }
            tag::SECCOMP => {
                self.seen.once(kind, f.tag)?;
                let n = f.bytes.len();
                if n == 0 || n & 7 != 0 || n / 8 > MAX_SECCOMP_INSNS {
                    return Err(WireError::BadValue { tag: f.tag });
                }
                self.seccomp = Some(f.bytes);
            }
            tag::SECCOMP_FLAGS => {
                self.seen.once(kind, f.tag)?;
                self.seccomp_flags = Some(f.u32()?);
            }
            tag::TERMINAL => {
                self.seen.once(kind, f.tag)?;
                self.terminal = f.flag()?;
            }
            tag::CONSOLE_HEIGHT => {
                self.seen.once(kind, f.tag)?;
                self.height = Some(f.u32()?);
            }
            tag::CONSOLE_WIDTH => {
                self.seen.once(kind, f.tag)?;
                self.width = Some(f.u32()?);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    pub(crate) fn finish(
        self,
        kind: &'static str,
        body: &'a [u8],
    ) -> Result<Process<'a>, WireError> {
        if self.args == 0 {
            return Err(WireError::MissingField {
                kind,
                tag: tag::ARG,
            });
        }
        for t in [tag::CWD, tag::UID, tag::GID] {
            self.seen.require(kind, t)?;
        }
        if self.seccomp_flags.is_some() && self.seccomp.is_none() {
            return Err(WireError::MissingField {
                kind,
                tag: tag::SECCOMP,
            });
        }
        let console_size = match (self.height, self.width) {
            (None, None) => None,
            (Some(h), Some(w)) if self.terminal => Some((h, w)),
            (Some(_), _) => {
                return Err(WireError::BadValue {
                    tag: tag::CONSOLE_HEIGHT,
                })
            }
            (None, Some(_)) => {
                return Err(WireError::BadValue {
                    tag: tag::CONSOLE_WIDTH,
                })
            }
        };
        Ok(Process {
            body,
            terminal: self.terminal,
            console_size,
            cwd: self.cwd.unwrap_or(c"/"),
            uid: self.uid,
            gid: self.gid,
            no_new_privs: self.no_new_privs,
            caps: self.caps,
            oom_score_adj: self.oom,
            apparmor_profile: self.apparmor,
            selinux_label: self.selinux,
            seccomp: self.seccomp.map(|program| Seccomp {
                program,
                flags: self.seccomp_flags.unwrap_or(0),
            }),
            arg_count: self.args,
            env_count: self.env,
            group_count: self.groups,
        })
    }
}

/// The strings of one repeated tag, in order. Only built over validated bodies.
pub(crate) fn strings<'a>(body: &'a [u8], t: u16) -> impl Iterator<Item = &'a CStr> + 'a {
    Fields::new(body).filter_map(move |f| match f {
        Ok(f) if f.tag == t => f.cstr().ok(),
        _ => None,
    })
}

impl<'a> Process<'a> {
    /// Decodes the body of a `Process` frame.
    pub fn decode(body: &'a [u8]) -> Result<Self, WireError> {
        const KIND: &str = "Process";
        let mut d = ProcessDecoder::default();
        for f in Fields::new(body) {
            let f = f?;
            if !d.accept(KIND, &f)? {
                return Err(WireError::UnknownTag {
                    kind: KIND,
                    tag: f.tag,
                });
            }
        }
        d.finish(KIND, body)
    }

    pub fn args(&self) -> impl Iterator<Item = &'a CStr> + 'a {
        strings(self.body, tag::ARG)
    }

    pub fn env(&self) -> impl Iterator<Item = &'a CStr> + 'a {
        strings(self.body, tag::ENV)
    }

    pub fn additional_gids(&self) -> impl Iterator<Item = u32> + 'a {
        Fields::new(self.body).filter_map(|f| match f {
            Ok(f) if f.tag == tag::ADDITIONAL_GID => f.u32().ok(),
            _ => None,
        })
    }

    pub fn rlimits(&self) -> impl Iterator<Item = Rlimit> + 'a {
        Fields::new(self.body).filter_map(|f| match f {
            Ok(f) if f.tag == tag::RLIMIT => Rlimit::from_field(&f).ok(),
            _ => None,
        })
    }
}
