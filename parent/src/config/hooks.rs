//! `hooks`: the six OCI hook lists, checked. Who runs which, and when, is in
//! docs/hooks.md; the parent's runner is `crate::hooks`, the init's `init-helper/src/hooks.rs`.

use std::time::Duration;

use miniserde::Deserialize;
use wire::limits::{MAX_HOOKS, MAX_HOOK_ARGS, MAX_HOOK_ENV};

use super::paths::{fits, no_nul};
use super::process::capacity;
use super::spec;
use crate::bail;
use crate::error::{Error, Result};

/// How long a hook without a `timeout` may run: the spec sets no limit, but runlet
/// never waits forever (docs/decisions.md).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The six kinds, in the order of a container's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    Prestart,
    CreateRuntime,
    CreateContainer,
    StartContainer,
    Poststart,
    Poststop,
}

impl HookKind {
    pub const ALL: [HookKind; 6] = [
        HookKind::Prestart,
        HookKind::CreateRuntime,
        HookKind::CreateContainer,
        HookKind::StartContainer,
        HookKind::Poststart,
        HookKind::Poststop,
    ];

    /// The name in config.json.
    pub fn name(self) -> &'static str {
        match self {
            HookKind::Prestart => "prestart",
            HookKind::CreateRuntime => "createRuntime",
            HookKind::CreateContainer => "createContainer",
            HookKind::StartContainer => "startContainer",
            HookKind::Poststart => "poststart",
            HookKind::Poststop => "poststop",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// Absolute.
    pub path: String,
    /// argv as given (args[0] included); empty means just `path`.
    pub args: Vec<String>,
    /// `K=V` entries; the hook's whole environment.
    pub env: Vec<String>,
    pub timeout: Duration,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hooks {
    lists: [Vec<Hook>; 6],
}

impl Hooks {
    pub fn get(&self, kind: HookKind) -> &[Hook] {
        &self.lists[kind as usize]
    }

    /// The longest all hooks of `kinds` may take together.
    pub fn total_timeout(&self, kinds: &[HookKind]) -> Duration {
        kinds
            .iter()
            .flat_map(|k| self.get(*k))
            .map(|h| h.timeout)
            .sum()
    }

    /// The hooks of a config.json text saved at create (for `start` and `delete`).
    pub fn from_config_text(text: &str) -> Result<Hooks> {
        #[derive(Deserialize)]
        struct Only {
            hooks: Option<spec::Hooks>,
        }
        let only: Only = miniserde::json::from_str(text)
            .map_err(|_| Error::msg("the saved config.json has malformed hooks"))?;
        parse(only.hooks.as_ref())
    }
}

/// Checks every hook: `path` absolute, strings without NUL, env entries `K=V`,
/// `timeout` > 0, and what runlet-init holds of the two kinds it runs.
pub(crate) fn parse(h: Option<&spec::Hooks>) -> Result<Hooks> {
    let mut out = Hooks::default();
    let Some(h) = h else { return Ok(out) };
    let given = [
        &h.prestart,
        &h.create_runtime,
        &h.create_container,
        &h.start_container,
        &h.poststart,
        &h.poststop,
    ];
    for (kind, list) in HookKind::ALL.into_iter().zip(given) {
        for (i, hook) in list.iter().flatten().enumerate() {
            let field = format!("hooks.{}[{i}]", kind.name());
            out.lists[kind as usize].push(one(&field, hook)?);
        }
    }
    let in_init =
        out.get(HookKind::CreateContainer).len() + out.get(HookKind::StartContainer).len();
    if in_init > MAX_HOOKS {
        bail!("hooks.createContainer and hooks.startContainer have {in_init} hooks together; runlet-init holds at most {MAX_HOOKS}");
    }
    for kind in [HookKind::CreateContainer, HookKind::StartContainer] {
        for (i, hook) in out.get(kind).iter().enumerate() {
            let field = format!("hooks.{}[{i}]", kind.name());
            capacity(&format!("{field}.args"), hook.args.len(), MAX_HOOK_ARGS)?;
            capacity(&format!("{field}.env"), hook.env.len(), MAX_HOOK_ENV)?;
        }
    }
    Ok(out)
}

fn one(field: &str, h: &spec::Hook) -> Result<Hook> {
    let Some(path) = h.path.as_deref().filter(|p| !p.is_empty()) else {
        bail!("{field}.path is required");
    };
    no_nul(&format!("{field}.path"), path)?;
    if !path.starts_with('/') {
        bail!("{field}.path {path:?} must be an absolute path");
    }
    fits(&format!("{field}.path"), path.len())?;
    let args = h.args.clone().unwrap_or_default();
    for (i, a) in args.iter().enumerate() {
        no_nul(&format!("{field}.args[{i}]"), a)?;
    }
    let env = h.env.clone().unwrap_or_default();
    for (i, e) in env.iter().enumerate() {
        no_nul(&format!("{field}.env[{i}]"), e)?;
        if !e.contains('=') || e.starts_with('=') {
            bail!("{field}.env[{i}] {e:?} must have the form NAME=value");
        }
    }
    let timeout = match h.timeout {
        None => DEFAULT_TIMEOUT,
        Some(t) if t <= 0 => bail!("{field}.timeout {t} must be greater than zero"),
        Some(t) if t > u32::MAX as i64 => bail!("{field}.timeout {t} is too large"),
        Some(t) => Duration::from_secs(t as u64),
    };
    Ok(Hook {
        path: path.to_string(),
        args,
        env,
        timeout,
    })
}

/// The `HOOK` groups of the two kinds runlet-init runs, and how much longer it must
/// wait for `Resume` while the parent runs prestart and createRuntime hooks.
pub(crate) fn encode(
    e: &mut wire::Encoder<Vec<u8>>,
    hooks: &Hooks,
) -> std::result::Result<(), wire::WireError> {
    use wire::{tag, HookWhen};
    for (kind, when) in [
        (HookKind::CreateContainer, HookWhen::CreateContainer),
        (HookKind::StartContainer, HookWhen::StartContainer),
    ] {
        for h in hooks.get(kind) {
            e.group(tag::HOOK, |e| {
                e.u8(tag::H_WHEN, when as u8)?;
                e.str(tag::H_PATH, h.path.as_bytes())?;
                for a in &h.args {
                    e.str(tag::H_ARG, a.as_bytes())?;
                }
                for v in &h.env {
                    e.str(tag::H_ENV, v.as_bytes())?;
                }
                e.u32(tag::H_TIMEOUT, h.timeout.as_secs() as u32)?;
                Ok(())
            })?;
        }
    }
    let wait = hooks.total_timeout(&[HookKind::Prestart, HookKind::CreateRuntime]);
    if !wait.is_zero() {
        e.u32(tag::RESUME_WAIT, wait.as_secs().min(u32::MAX.into()) as u32)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_from_saved_config_text() {
        let text = r#"{"ociVersion": "1.0.2", "process": {"args": ["x"]},
            "hooks": {"poststop": [{"path": "/bin/a", "args": ["a0", "b"], "env": ["K=V"], "timeout": 3}],
                      "startContainer": [{"path": "/s"}]}}"#;
        let h = Hooks::from_config_text(text).unwrap();
        assert_eq!(
            h.get(HookKind::Poststop),
            [Hook {
                path: "/bin/a".into(),
                args: vec!["a0".into(), "b".into()],
                env: vec!["K=V".into()],
                timeout: Duration::from_secs(3),
            }]
        );
        assert_eq!(h.get(HookKind::StartContainer)[0].timeout, DEFAULT_TIMEOUT);
        assert!(h.get(HookKind::Prestart).is_empty());
        assert_eq!(
            h.total_timeout(&[HookKind::Poststop, HookKind::StartContainer]),
            Duration::from_secs(3) + DEFAULT_TIMEOUT
        );
        assert_eq!(Hooks::from_config_text("{}").unwrap(), Hooks::default());
        assert!(Hooks::from_config_text("{\"hooks\": 3}").is_err());
    }

    #[test]
    fn init_hooks_are_encoded_for_the_init() {
        let text = r#"{"hooks": {"createContainer": [{"path": "/c", "args": ["c0"], "timeout": 2}],
            "prestart": [{"path": "/p", "timeout": 4}], "createRuntime": [{"path": "/r", "timeout": 5}],
            "poststart": [{"path": "/not-for-the-init"}]}}"#;
        let h = Hooks::from_config_text(text).unwrap();
        let mut e = wire::Encoder::new(Vec::new(), wire::FrameKind::Bootstrap).unwrap();
        e.str(wire::tag::ARG, b"x").unwrap();
        e.str(wire::tag::CWD, b"/").unwrap();
        e.u32(wire::tag::UID, 0).unwrap();
        e.u32(wire::tag::GID, 0).unwrap();
        e.str(wire::tag::ROOTFS, b"/r").unwrap();
        encode(&mut e, &h).unwrap();
        let f = e.finish().unwrap();
        let bs = wire::Bootstrap::decode(&f[wire::HEADER_LEN..]).unwrap();
        let hooks: Vec<_> = bs.hooks().collect();
        assert_eq!(hooks.len(), 1);
        assert_eq!(hooks[0].when, wire::HookWhen::CreateContainer);
        assert_eq!(hooks[0].path, c"/c");
        assert_eq!(hooks[0].timeout_s, 2);
        assert_eq!(hooks[0].args().collect::<Vec<_>>(), [c"c0"]);
        assert_eq!(bs.resume_wait_s, 9);
    }

    #[test]
    fn capacities_of_the_init() {
        let many = vec![r#"{"path": "/x"}"#; MAX_HOOKS + 1].join(",");
        let text = format!(r#"{{"hooks": {{"startContainer": [{many}]}}}}"#);
        let e = Hooks::from_config_text(&text).unwrap_err().to_string();
        assert_eq!(e, format!("hooks.createContainer and hooks.startContainer have {} hooks together; runlet-init holds at most {MAX_HOOKS}", MAX_HOOKS + 1));
        // Hooks runlet runs itself are not limited by the init.
        let text = format!(r#"{{"hooks": {{"poststop": [{many}]}}}}"#);
        assert!(Hooks::from_config_text(&text).is_ok());
    }
}
