//! The `Process` frame of `runlet exec`: the container's own process settings (from
//! the config saved at create) with the command line and options laid over them,
//! as runc does, or an OCI `process` object given with `--process`.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use wire::limits::{MAX_ARGS, MAX_CGROUP_TASKS, MAX_ENV, MAX_GROUPS};
use wire::{tag, Encoder, FrameKind, WireError};

use crate::bail;
use crate::cli::ExecArgs;
use crate::config::process::{for_exec, Proc};
use crate::error::{Error, Result};
use crate::seccomp::Filter;

/// The encoded frame (header included). `tasks`: the container's v1 `tasks` files,
/// which the helper enters itself; `wait_resume`: the child waits for `Resume`.
pub fn frame(
    p: &Proc,
    filter: Option<&Filter>,
    tasks: &[PathBuf],
    wait_resume: bool,
) -> Result<Vec<u8>> {
    if tasks.len() > MAX_CGROUP_TASKS {
        bail!(
            "the host has {} cgroup v1 hierarchies; runlet-exec enters at most {MAX_CGROUP_TASKS}",
            tasks.len()
        );
    }
    encode(p, filter, tasks, wait_resume)
}

/// The process to start, checked: from `--process`, or the container's own with the
/// command line and options over it.
pub fn process(saved_config: &str, a: &ExecArgs) -> Result<Proc> {
    let mut warnings = Vec::new();
    let p = match &a.process {
        Some(file) => {
            let text = read_text(file)?;
            for_exec(&text, true, &mut warnings).map_err(|e| e.context(file.display()))?
        }
        None => {
            let mut p = for_exec(saved_config, false, &mut warnings)
                .map_err(|e| e.context("the container's saved config"))?;
            apply(&mut p, a)?;
            p
        }
    };
    for w in warnings {
        eprintln!("runlet: warning: {w}");
    }
    Ok(p)
}

/// The command line and options over the container's process.
fn apply(p: &mut Proc, a: &ExecArgs) -> Result<()> {
    if a.args.first().is_none_or(String::is_empty) {
        bail!("exec: the command to run is empty");
    }
    for (i, arg) in a.args.iter().enumerate() {
        if arg.contains('\0') {
            bail!("exec: argument {i} contains a NUL byte");
        }
    }
    p.args = a.args.clone();
    for file in &a.env_files {
        let text = read_text(file)?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            set_env(&mut p.env, line)
                .map_err(|e| e.context(format!("{} line {}", file.display(), n + 1)))?;
        }
    }
    for kv in &a.env {
        set_env(&mut p.env, kv).map_err(|e| e.context("exec --env"))?;
    }
    if let Some(cwd) = &a.cwd {
        if !cwd.starts_with('/') || cwd.contains('\0') {
            bail!("exec --cwd {cwd:?}: must be an absolute path inside the container");
        }
        p.cwd = cwd.clone();
    }
    if let Some((uid, gid)) = a.user {
        p.uid = uid;
        if let Some(g) = gid {
            p.gid = g;
        }
    }
    p.groups.extend(&a.additional_gids);
    p.no_new_privs |= a.no_new_privs;
    for (field, n, max) in [
        ("the command line", p.args.len(), MAX_ARGS),
        ("the environment", p.env.len(), MAX_ENV),
        ("the additional groups", p.groups.len(), MAX_GROUPS),
    ] {
        if n > max {
            bail!("exec: {field} has {n} entries; runlet-exec holds at most {max}");
        }
    }
    Ok(())
}

/// `NAME=value` into `env`, replacing an earlier entry of the same name in place.
fn set_env(env: &mut Vec<String>, kv: &str) -> Result<()> {
    let name = match kv.split_once('=') {
        Some((name, _)) if !name.is_empty() && !kv.contains('\0') => name,
        _ => bail!("{kv:?} must have the form NAME=value"),
    };
    let prefix = format!("{name}=");
    match env.iter_mut().find(|e| e.starts_with(&prefix)) {
        Some(e) => *e = kv.to_string(),
        None => env.push(kv.to_string()),
    }
    Ok(())
}

fn read_text(file: &Path) -> Result<String> {
    let bytes = std::fs::read(file).map_err(|e| Error::io("read", file, e))?;
    String::from_utf8(bytes).map_err(|_| Error::msg(format!("{}: not UTF-8 text", file.display())))
}

fn encode(
    p: &Proc,
    filter: Option<&Filter>,
    tasks: &[PathBuf],
    wait_resume: bool,
) -> Result<Vec<u8>> {
    let frame = (|| -> Result<Vec<u8>, WireError> {
        let mut e = Encoder::new(Vec::new(), FrameKind::Process)?;
        for a in &p.args {
            e.str(tag::ARG, a.as_bytes())?;
        }
        for v in &p.env {
            e.str(tag::ENV, v.as_bytes())?;
        }
        e.str(tag::CWD, p.cwd.as_bytes())?;
        e.u32(tag::UID, p.uid)?;
        e.u32(tag::GID, p.gid)?;
        for g in &p.groups {
            e.u32(tag::ADDITIONAL_GID, *g)?;
        }
        for r in &p.rlimits {
            e.bytes(tag::RLIMIT, &r.to_bytes())?;
        }
        e.flag(tag::NO_NEW_PRIVS, p.no_new_privs)?;
        if let Some(caps) = p.caps {
            e.u64s(tag::CAPS, &caps.to_array())?;
        }
        if let Some(n) = p.oom_score_adj {
            e.str(tag::OOM_SCORE_ADJ, n.to_string().as_bytes())?;
        }
        if let Some(f) = filter {
            e.bytes(tag::SECCOMP, &f.program)?;
            e.u32(tag::SECCOMP_FLAGS, f.flags)?;
        }
        crate::terminal::encode(&mut e, p.terminal, p.console_size)?;
        for t in tasks {
            e.str(tag::EXEC_CGROUP_TASKS, t.as_os_str().as_bytes())?;
        }
        if wait_resume {
            e.flag(tag::EXEC_WAIT_RESUME, true)?;
        }
        e.finish()
    })();
    frame.map_err(|e| match e {
        WireError::BadFrameLength { len, max, .. } => Error::msg(format!(
            "the process (args, env) takes {len} bytes; runlet-exec holds at most {max}"
        )),
        e => Error::from(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(process: &str) -> String {
        format!(r#"{{"ociVersion":"1.2.0","process":{process}}}"#)
    }

    fn args(a: &[&str]) -> ExecArgs {
        ExecArgs {
            id: "c".into(),
            args: a.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn options_lay_over_the_containers_process() {
        let base = config(
            r#"{"args":["sh"],"cwd":"/","env":["PATH=/bin","A=1"],"user":{"uid":5,"gid":6},"noNewPrivileges":false}"#,
        );
        let mut a = args(&["/probe", "report"]);
        a.env = vec!["A=2".into(), "B=3".into()];
        a.cwd = Some("/tmp".into());
        a.user = Some((7, None));
        a.additional_gids = vec![9];
        a.no_new_privs = true;
        let p = process(&base, &a).unwrap();
        assert_eq!(p.args, ["/probe", "report"]);
        assert_eq!(p.env, ["PATH=/bin", "A=2", "B=3"]);
        assert_eq!((p.cwd.as_str(), p.uid, p.gid), ("/tmp", 7, 6));
        assert_eq!(p.groups, [9]);
        assert!(p.no_new_privs);
        let f = frame(
            &process(&base, &a).unwrap(),
            None,
            &[PathBuf::from("/sys/fs/cgroup/cpu/c/tasks")],
            true,
        )
        .unwrap();
        let (kind, len) = wire::parse_header(&f[..wire::HEADER_LEN]).unwrap();
        assert_eq!(kind, FrameKind::Process);
        let body = &f[wire::HEADER_LEN..wire::HEADER_LEN + len];
        let d = wire::ExecProcess::decode(body).unwrap();
        assert_eq!(d.process.args().count(), 2);
        assert_eq!(d.process.uid, 7);
        assert_eq!(d.cgroup_tasks().count(), 1);
        assert!(d.wait_resume);
    }

    #[test]
    fn bad_options_and_capacities_are_named() {
        let base = config(r#"{"args":["sh"],"cwd":"/"}"#);
        let e = |a: ExecArgs| process(&base, &a).unwrap_err().to_string();
        let mut a = args(&["x"]);
        a.env = vec!["NOPE".into()];
        assert_eq!(e(a), "exec --env: \"NOPE\" must have the form NAME=value");
        let mut a = args(&["x"]);
        a.cwd = Some("rel".into());
        assert!(e(a).contains("must be an absolute path"));
        let mut a = args(&["x"]);
        a.env = (0..MAX_ENV + 1).map(|i| format!("V{i}=1")).collect();
        assert_eq!(
            e(a),
            "exec: the environment has 4097 entries; runlet-exec holds at most 4096"
        );
        let big = config(&format!(
            r#"{{"args":["sh"],"cwd":"/","env":[{}]}}"#,
            vec![r#""A=1""#; MAX_ENV + 1].join(",")
        ));
        assert_eq!(
            process(&big, &args(&["x"])).unwrap_err().to_string(),
            "the container's saved config: process.env has 4097 entries; runlet-exec holds at most 4096"
        );
        let huge = "x".repeat(600_000);
        let p = process(&base, &args(&["x", &huge, &huge])).unwrap();
        let e2 = frame(&p, None, &[], false).unwrap_err();
        assert!(e2.to_string().contains("runlet-exec holds at most"), "{e2}");
    }
}
