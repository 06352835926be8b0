//! `runlet exec`'s command line, runc's way: options, the container ID, then the
//! command and its arguments taken as they are (`exec ID ls -l` passes `-l` on).

use std::path::PathBuf;

use super::{flag, split, Args, OptSpec};
use crate::error::{Error, Result};

#[derive(Debug, Default, PartialEq)]
pub struct ExecArgs {
    pub id: String,
    /// The command line after the ID (empty with `--process`).
    pub args: Vec<String>,
    /// `--process FILE`: an OCI `process` object, used as it is.
    pub process: Option<PathBuf>,
    /// `-e K=V`, in order.
    pub env: Vec<String>,
    /// `--env-file FILE`: K=V lines, applied before `-e`.
    pub env_files: Vec<PathBuf>,
    pub cwd: Option<String>,
    /// `-u UID[:GID]`.
    pub user: Option<(u32, Option<u32>)>,
    pub additional_gids: Vec<u32>,
    pub no_new_privs: bool,
    pub detach: bool,
    pub pid_file: Option<PathBuf>,
    /// `-t/--tty`: given, it sets `terminal` (without `--process`, absent means false).
    pub tty: Option<bool>,
    /// `--console-socket PATH`: where the pty's master goes.
    pub console_socket: Option<PathBuf>,
    /// `--preserve-fds N`: the caller's fds 3..3+N pass into the process.
    pub preserve_fds: u32,
    /// `--ignore-paused`: exec into a paused container (the process starts frozen).
    pub ignore_paused: bool,
}

const EXEC_OPTS: &OptSpec = &[
    ("--process", "-p", true),
    ("--env", "-e", true),
    ("--env-file", "", true),
    ("--cwd", "", true),
    ("--user", "-u", true),
    ("--additional-gids", "-g", true),
    ("--no-new-privs", "", false),
    ("--detach", "-d", false),
    ("--pid-file", "", true),
    ("--tty", "-t", false),
    ("--console-socket", "", true),
    ("--pidfd-socket", "", true),
    ("--preserve-fds", "", true),
    ("--cap", "-c", true),
    ("--apparmor", "", true),
    ("--process-label", "", true),
    ("--cgroup", "", true),
    ("--ignore-paused", "", false),
];

pub(super) fn parse(a: &mut Args) -> Result<ExecArgs> {
    let mut e = ExecArgs::default();
    let mut id = None;
    while let Some(arg) = a.next() {
        if arg == "--" && id.is_none() {
            id = a.next();
            break;
        }
        if !arg.starts_with('-') || arg == "-" {
            id = Some(arg);
            break;
        }
        let (name, inline) = split(&arg);
        let Some(&(long, _, takes)) = EXEC_OPTS.iter().find(|(l, s, _)| *l == name || *s == name)
        else {
            return Err(Error::msg(format!("exec: unknown option {name}")));
        };
        let v = if takes {
            a.value(long, inline)?
        } else {
            flag(long, inline)?.to_string()
        };
        option(&mut e, long, v)?;
    }
    e.id = id.ok_or_else(|| Error::msg("exec: missing container ID"))?;
    e.args = std::iter::from_fn(|| a.next()).collect();
    match (&e.process, e.args.is_empty()) {
        (Some(_), false) => {
            return Err(Error::msg(
                "exec: --process and a command line exclude each other",
            ))
        }
        (None, true) => return Err(Error::msg("exec: missing the command to run")),
        _ => {}
    }
    let tweaks = !e.env.is_empty()
        || !e.env_files.is_empty()
        || e.cwd.is_some()
        || e.user.is_some()
        || !e.additional_gids.is_empty()
        || e.no_new_privs;
    if e.process.is_some() && tweaks {
        return Err(Error::msg(
            "exec: --process is used as it is; put env, cwd, user and groups in its JSON",
        ));
    }
    Ok(e)
}

fn option(e: &mut ExecArgs, long: &str, v: String) -> Result<()> {
    let on = v != "false";
    match long {
        "--process" => e.process = Some(PathBuf::from(v)),
        "--env" => e.env.push(v),
        "--env-file" => e.env_files.push(PathBuf::from(v)),
        "--cwd" => e.cwd = Some(v),
        "--user" => e.user = Some(user(&v)?),
        "--additional-gids" => e.additional_gids.push(number("--additional-gids", &v)?),
        "--no-new-privs" => e.no_new_privs = on,
        "--detach" => e.detach = on,
        "--pid-file" => e.pid_file = Some(PathBuf::from(v)),
        "--ignore-paused" => e.ignore_paused = on,
        "--tty" => e.tty = Some(on),
        "--console-socket" => e.console_socket = Some(PathBuf::from(v)),
        "--preserve-fds" => e.preserve_fds = super::preserve_fds("exec", &v)?,
        "--apparmor" | "--process-label" if !v.is_empty() => {
            return Err(Error::msg(format!(
                "exec {long}: security labels are not supported yet"
            )))
        }
        "--pidfd-socket" | "--cap" | "--cgroup" => {
            return Err(Error::msg(format!("exec {long} is not supported yet")))
        }
        _ => {}
    }
    Ok(())
}

/// `UID` or `UID:GID`, numbers (runc's form; names would need the container's
/// /etc/passwd).
fn user(v: &str) -> Result<(u32, Option<u32>)> {
    let (u, g) = match v.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (v, None),
    };
    Ok((
        number("--user", u)?,
        g.map(|g| number("--user", g)).transpose()?,
    ))
}

fn number(opt: &str, v: &str) -> Result<u32> {
    match v.parse::<u32>() {
        Ok(n) if n != u32::MAX => Ok(n),
        _ => Err(Error::msg(format!(
            "exec {opt} {v:?}: expected a number (user and group names are not looked up)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse as parse_cli, Command};
    use super::*;

    fn p(args: &[&str]) -> Result<ExecArgs> {
        let argv = ["runlet", "exec"].iter().chain(args).map(|s| s.to_string());
        match parse_cli(argv.collect())?.1 {
            Command::Exec(e) => Ok(e),
            c => panic!("not exec: {c:?}"),
        }
    }

    #[test]
    fn options_then_id_then_the_command_as_it_is() {
        let e = p(&[
            "-e",
            "A=1",
            "--env=B=2",
            "--cwd",
            "/w",
            "-u",
            "1:2",
            "-g",
            "3",
            "-d",
            "--pid-file=/p",
            "c1",
            "ls",
            "-l",
            "--cwd",
            "x",
        ])
        .unwrap();
        assert_eq!(e.id, "c1");
        assert_eq!(e.args, ["ls", "-l", "--cwd", "x"]);
        assert_eq!(e.env, ["A=1", "B=2"]);
        assert_eq!(e.cwd.as_deref(), Some("/w"));
        assert_eq!(e.user, Some((1, Some(2))));
        assert_eq!(e.additional_gids, [3]);
        assert!(e.detach);
        assert_eq!(e.pid_file, Some(PathBuf::from("/p")));
        let e = p(&["--process", "/x.json", "-d", "c1"]).unwrap();
        assert_eq!(e.process, Some(PathBuf::from("/x.json")));
        assert!(e.args.is_empty());
        assert_eq!(p(&["--", "c1", "true"]).unwrap().args, ["true"]);
    }

    #[test]
    fn bad_command_lines_are_named() {
        let err = |a: &[&str]| p(a).unwrap_err().to_string();
        assert_eq!(err(&[]), "exec: missing container ID");
        assert_eq!(err(&["c1"]), "exec: missing the command to run");
        assert_eq!(err(&["--bogus", "c1", "x"]), "exec: unknown option --bogus");
        assert!(err(&["-p", "/x", "c1", "ls"]).contains("exclude each other"));
        assert!(err(&["-p", "/x", "-e", "A=1", "c1"]).contains("used as it is"));
        assert!(err(&["-u", "root", "c1", "x"]).contains("expected a number"));
        assert_eq!(p(&["-t", "c1", "x"]).unwrap().tty, Some(true));
        assert_eq!(
            p(&["--preserve-fds", "2", "c1", "x"]).unwrap().preserve_fds,
            2
        );
        assert!(err(&["--preserve-fds", "x", "c1", "x"]).contains("--preserve-fds"));
        assert!(err(&["--cap", "CAP_KILL", "c1", "x"]).contains("not supported yet"));
    }
}
