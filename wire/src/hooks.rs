//! The hooks the init runs itself (`createContainer`, `startContainer`), carried in
//! the `Bootstrap` frame: one `HOOK` group each, in config order, plus the OCI state
//! JSON each kind gets on stdin (rendered by the parent).

use core::ffi::CStr;

use crate::error::WireError;
use crate::fields::{count, Fields, Seen};
use crate::limits::{MAX_HOOK_ARGS, MAX_HOOK_ENV};
use crate::process::strings;
use crate::tag;

/// When the init runs a hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum HookWhen {
    /// In the container's namespaces, before pivot_root.
    CreateContainer = 0,
    /// Inside the container after `start`, before the container's process is exec'd.
    StartContainer = 1,
}

impl HookWhen {
    pub fn name(self) -> &'static str {
        match self {
            HookWhen::CreateContainer => "createContainer",
            HookWhen::StartContainer => "startContainer",
        }
    }
}

/// One hook: `path`, `args` (args[0] as given), `env`, `timeout` in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Hook<'a> {
    body: &'a [u8],
    pub when: HookWhen,
    /// Absolute.
    pub path: &'a CStr,
    /// Seconds; always set (the parent puts its default in when the config has none).
    pub timeout_s: u32,
}

impl<'a> Hook<'a> {
    pub fn args(&self) -> impl Iterator<Item = &'a CStr> + 'a {
        strings(self.body, tag::H_ARG)
    }

    pub fn env(&self) -> impl Iterator<Item = &'a CStr> + 'a {
        strings(self.body, tag::H_ENV)
    }
}

pub(crate) fn decode_hook(body: &[u8]) -> Result<Hook<'_>, WireError> {
    const K: &str = "HOOK";
    let mut seen = Seen::default();
    let mut h = Hook {
        body,
        when: HookWhen::CreateContainer,
        path: c"/",
        timeout_s: 0,
    };
    let (mut args, mut env) = (0, 0);
    for f in Fields::new(body) {
        let f = f?;
        match f.tag {
            tag::H_WHEN => {
                seen.once(K, f.tag)?;
                h.when = match f.u8()? {
                    0 => HookWhen::CreateContainer,
                    1 => HookWhen::StartContainer,
                    _ => return Err(WireError::BadValue { tag: f.tag }),
                };
            }
            tag::H_PATH => {
                seen.once(K, f.tag)?;
                let p = f.cstr()?;
                if p.to_bytes().first() != Some(&b'/') {
                    return Err(WireError::BadValue { tag: f.tag });
                }
                h.path = p;
            }
            tag::H_ARG => {
                count(&mut args, f.tag, MAX_HOOK_ARGS)?;
                f.cstr()?;
            }
            tag::H_ENV => {
                count(&mut env, f.tag, MAX_HOOK_ENV)?;
                f.cstr()?;
            }
            tag::H_TIMEOUT => {
                seen.once(K, f.tag)?;
                h.timeout_s = f.u32()?;
                if h.timeout_s == 0 {
                    return Err(WireError::BadValue { tag: f.tag });
                }
            }
            t => return Err(WireError::UnknownTag { kind: K, tag: t }),
        }
    }
    for t in [tag::H_WHEN, tag::H_PATH, tag::H_TIMEOUT] {
        seen.require(K, t)?;
    }
    Ok(h)
}
