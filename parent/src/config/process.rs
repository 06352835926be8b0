//! `process`: what runlet-init applies before it execs the container's process.

use wire::limits::{MAX_ARGS, MAX_ENV, MAX_GROUPS};

use super::paths::{container_path, no_nul};
use super::{caps, rlimits, spec};
use crate::bail;
use crate::error::Result;

#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Proc {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    pub rlimits: Vec<wire::Rlimit>,
    pub no_new_privs: bool,
    /// Only when `process.capabilities` is present (absent: the init leaves them).
    pub caps: Option<wire::Caps>,
    pub oom_score_adj: Option<i32>,
    /// `process.terminal`: the process gets a pty (docs/terminal.md).
    pub terminal: bool,
    /// `process.consoleSize` (rows, columns), when both are set and non-zero.
    pub console_size: Option<(u32, u32)>,
    /// The security labels the host's LSMs enforce (config/lsm.rs).
    pub labels: super::lsm::Labels,
}

/// "`field` has `n` entries; runlet-init holds at most `max`".
pub(crate) fn capacity(field: &str, n: usize, max: usize) -> Result<()> {
    if n > max {
        bail!("{field} has {n} entries; runlet-init holds at most {max}");
    }
    Ok(())
}

/// Checks `process`; unknown capability names go to `warnings`.
pub(crate) fn parse(p: Option<&spec::Process>, warnings: &mut Vec<String>) -> Result<Proc> {
    let Some(p) = p else {
        bail!("process is required");
    };
    let labels = super::lsm::process_labels(
        super::lsm::Host::detect(),
        p.apparmor_profile.as_deref(),
        p.selinux_label.as_deref(),
    )?;

    let args = p.args.clone().unwrap_or_default();
    if args.is_empty() {
        bail!("process.args must name the program to run (it is missing or empty)");
    }
    capacity("process.args", args.len(), MAX_ARGS)?;
    if args[0].is_empty() {
        bail!("process.args[0] is empty");
    }
    for (i, a) in args.iter().enumerate() {
        no_nul(&format!("process.args[{i}]"), a)?;
    }

    let env = p.env.clone().unwrap_or_default();
    capacity("process.env", env.len(), MAX_ENV)?;
    for (i, e) in env.iter().enumerate() {
        let at = format!("process.env[{i}]");
        no_nul(&at, e)?;
        match e.split_once('=') {
            Some((name, _)) if !name.is_empty() => {}
            _ => bail!("{at} {e:?} must have the form NAME=value"),
        }
    }

    let Some(cwd) = &p.cwd else {
        bail!("process.cwd is required");
    };
    let cwd = container_path("process.cwd", cwd)?;

    let user = p.user.as_ref();
    let groups = user
        .and_then(|u| u.additional_gids.clone())
        .unwrap_or_default();
    capacity("process.user.additionalGids", groups.len(), MAX_GROUPS)?;

    let caps = p.capabilities.as_ref().map(|c| {
        let (caps, unknown) = caps::parse(c);
        for name in unknown {
            warnings.push(format!("unknown capability {name} ignored"));
        }
        caps
    });

    let oom_score_adj = match p.oom_score_adj {
        None => None,
        Some(n) if (-1000..=1000).contains(&n) => Some(n as i32),
        Some(n) => bail!("process.oomScoreAdj {n} is out of range (-1000 to 1000)"),
    };

    Ok(Proc {
        args,
        env,
        cwd,
        uid: user.and_then(|u| u.uid).unwrap_or(0),
        gid: user.and_then(|u| u.gid).unwrap_or(0),
        groups,
        rlimits: rlimits::parse(p.rlimits.as_deref().unwrap_or(&[]))?,
        no_new_privs: p.no_new_privileges.unwrap_or(false),
        caps,
        oom_score_adj,
        terminal: p.terminal.unwrap_or(false),
        // runc sets the size only when both are non-zero.
        console_size: p
            .console_size
            .as_ref()
            .and_then(|c| match (c.height, c.width) {
                (Some(h), Some(w)) if h > 0 && w > 0 => Some((h, w)),
                _ => None,
            }),
        labels,
    })
}

/// The process a `runlet exec` starts from: the `process` of the container's saved
/// config.json (`from_config`), or an OCI `process` object of its own (`--process`,
/// `from_object`). Checked as the container's own, with runlet-exec's capacities.
pub(crate) fn for_exec(json: &str, object: bool, warnings: &mut Vec<String>) -> Result<Proc> {
    let parsed: Option<spec::Process> = if object {
        miniserde::json::from_str(json).ok()
    } else {
        miniserde::json::from_str::<spec::Spec>(json)
            .ok()
            .map(|s| s.process.unwrap_or_default())
    };
    let Some(p) = parsed else {
        // Explained as a config.json holding it, so the message names the field.
        let text = if object {
            format!("{{\"process\":{json}}}")
        } else {
            json.to_string()
        };
        bail!("{}", super::diagnose::explain(&text));
    };
    let exec_capacity = |field: &str, n: usize, max: usize| -> Result<()> {
        if n > max {
            bail!("{field} has {n} entries; runlet-exec holds at most {max}");
        }
        Ok(())
    };
    exec_capacity(
        "process.args",
        p.args.as_ref().map_or(0, Vec::len),
        MAX_ARGS,
    )?;
    exec_capacity("process.env", p.env.as_ref().map_or(0, Vec::len), MAX_ENV)?;
    let groups = p.user.as_ref().and_then(|u| u.additional_gids.as_ref());
    exec_capacity(
        "process.user.additionalGids",
        groups.map_or(0, Vec::len),
        MAX_GROUPS,
    )?;
    parse(Some(&p), warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> spec::Process {
        spec::Process {
            args: Some(vec!["sh".into()]),
            cwd: Some("/".into()),
            ..Default::default()
        }
    }

    fn e(p: spec::Process) -> String {
        parse(Some(&p), &mut Vec::new()).unwrap_err().to_string()
    }

    #[test]
    fn a_minimal_process() {
        let mut w = Vec::new();
        let p = parse(Some(&base()), &mut w).unwrap();
        assert_eq!(p.args, ["sh"]);
        assert_eq!((p.uid, p.gid, p.cwd.as_str()), (0, 0, "/"));
        assert_eq!(p.caps, None);
        assert!(!p.no_new_privs);
        assert!(w.is_empty());
    }

    #[test]
    fn unknown_capabilities_warn() {
        let mut p = base();
        p.capabilities = Some(spec::Capabilities {
            bounding: Some(vec!["CAP_KILL".into(), "CAP_NOPE".into()]),
            ..Default::default()
        });
        let mut w = Vec::new();
        let got = parse(Some(&p), &mut w).unwrap();
        assert_eq!(got.caps.unwrap().bounding, 1 << 5);
        assert_eq!(w, ["unknown capability CAP_NOPE ignored"]);
    }

    #[test]
    fn bad_processes_are_named() {
        assert_eq!(
            parse(None, &mut Vec::new()).unwrap_err().to_string(),
            "process is required"
        );
        let mut p = base();
        p.apparmor_profile = Some("docker-default".into());
        // Kept or dropped by the host's LSMs (config/lsm.rs), never refused.
        let got = parse(Some(&p), &mut Vec::new()).unwrap().labels;
        let host = super::super::lsm::Host::detect();
        assert_eq!(got.apparmor.is_some(), host.apparmor);
        let mut p = base();
        p.selinux_label = Some("system_u:system_r:container_t:s0".into());
        let got = parse(Some(&p), &mut Vec::new()).unwrap().labels;
        assert_eq!(got.selinux.is_some(), host.selinux);
        let mut p = base();
        p.args = Some(vec![]);
        assert_eq!(
            e(p),
            "process.args must name the program to run (it is missing or empty)"
        );
        let mut p = base();
        p.args = None;
        assert!(e(p).starts_with("process.args must name"));
        let mut p = base();
        p.args = Some(vec!["".into()]);
        assert_eq!(e(p), "process.args[0] is empty");
        let mut p = base();
        p.args = Some(vec!["sh".into(), "a\0".into()]);
        assert_eq!(e(p), "process.args[1] contains a NUL byte");
        let mut p = base();
        p.args = Some(vec!["x".into(); MAX_ARGS + 1]);
        assert_eq!(
            e(p),
            "process.args has 4097 entries; runlet-init holds at most 4096"
        );
        let mut p = base();
        p.env = Some(vec!["A=1".into(); 5000]);
        assert_eq!(
            e(p),
            "process.env has 5000 entries; runlet-init holds at most 4096"
        );
        let mut p = base();
        p.env = Some(vec!["A=1".into(), "FOO".into()]);
        assert_eq!(e(p), "process.env[1] \"FOO\" must have the form NAME=value");
        let mut p = base();
        p.env = Some(vec!["=x".into()]);
        assert_eq!(e(p), "process.env[0] \"=x\" must have the form NAME=value");
        let mut p = base();
        p.cwd = None;
        assert_eq!(e(p), "process.cwd is required");
        let mut p = base();
        p.cwd = Some("work".into());
        assert_eq!(e(p), "process.cwd \"work\" must be an absolute path");
        let mut p = base();
        p.user = Some(spec::User {
            additional_gids: Some(vec![1; MAX_GROUPS + 1]),
            ..Default::default()
        });
        assert_eq!(
            e(p),
            "process.user.additionalGids has 257 entries; runlet-init holds at most 256"
        );
        let mut p = base();
        p.oom_score_adj = Some(1001);
        assert_eq!(
            e(p),
            "process.oomScoreAdj 1001 is out of range (-1000 to 1000)"
        );
        let mut p = base();
        p.rlimits = Some(vec![spec::Rlimit {
            r#type: Some("RLIMIT_NOFILE".into()),
            hard: Some(1),
            soft: Some(2),
        }]);
        assert!(e(p).starts_with("process.rlimits[0]: soft limit 2 is above hard limit 1"));
    }
}
