//! Command-line parsing, runc's way: global options, then a command and its own.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::state::DEFAULT_ROOT;

pub const USAGE: &str = "\
usage: runlet [global options] COMMAND [options] ID

commands:
  run [--bundle|-b DIR] [--pid-file FILE] ID   create and start a container, wait for it
  update [--resources FILE|-] [--memory N] [--cpu-quota N] [--cpu-period N]
         [--pids-limit N] [...] ID               change a running container's limits
  events --stats ID                              one JSON sample of its cgroup usage
  --version                                      print the version

global options:
  --root DIR            state directory (default /run/runlet)
  --log FILE            also write errors to FILE
  --log-format text|json
  --debug               more output on stderr
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug)]
pub struct Global {
    pub root: PathBuf,
    pub log: Option<PathBuf>,
    pub log_format: LogFormat,
    pub debug: bool,
}

#[derive(Debug)]
pub enum Command {
    Run {
        bundle: PathBuf,
        pid_file: Option<PathBuf>,
        id: String,
    },
    /// `update` / `events`: parsed by `cmd_update` (name, the arguments after it).
    Cgroup(String, Vec<String>),
    Version,
    Help,
}

/// Splits `--name=value` and takes `--name value`.
struct Args {
    items: Vec<String>,
    pos: usize,
}

impl Args {
    fn next(&mut self) -> Option<String> {
        let a = self.items.get(self.pos).cloned();
        self.pos += 1;
        a
    }

    /// The value of option `name` (given as `--name=v` in `inline`, or the next arg).
    fn value(&mut self, name: &str, inline: Option<String>) -> Result<String> {
        inline
            .or_else(|| self.next())
            .ok_or_else(|| Error::msg(format!("option {name} needs a value")))
    }
}

fn split(arg: &str) -> (String, Option<String>) {
    match arg.split_once('=') {
        Some((k, v)) if arg.starts_with("--") => (k.to_string(), Some(v.to_string())),
        _ => (arg.to_string(), None),
    }
}

pub fn parse(argv: Vec<String>) -> Result<(Global, Command)> {
    let mut a = Args {
        items: argv,
        pos: 1,
    };
    let mut g = Global {
        root: PathBuf::from(DEFAULT_ROOT),
        log: None,
        log_format: LogFormat::Text,
        debug: false,
    };
    let cmd = loop {
        let Some(arg) = a.next() else {
            return Ok((g, Command::Help));
        };
        let (name, inline) = split(&arg);
        match name.as_str() {
            "--root" => g.root = PathBuf::from(a.value("--root", inline)?),
            "--log" => g.log = Some(PathBuf::from(a.value("--log", inline)?)),
            "--log-format" => {
                g.log_format = match a.value("--log-format", inline)?.as_str() {
                    "text" => LogFormat::Text,
                    "json" => LogFormat::Json,
                    f => {
                        return Err(Error::msg(format!(
                            "--log-format {f:?}: expected text or json"
                        )))
                    }
                }
            }
            "--debug" => g.debug = true,
            "--systemd-cgroup" => {
                return Err(Error::msg(
                    "--systemd-cgroup is not supported yet (runlet manages cgroupfs itself)",
                ))
            }
            "--version" | "-v" | "version" => return Ok((g, Command::Version)),
            "--help" | "-h" | "help" => return Ok((g, Command::Help)),
            s if s.starts_with('-') => {
                return Err(Error::msg(format!("unknown global option {s}")))
            }
            _ => break arg,
        }
    };
    let command = match cmd.as_str() {
        "run" => parse_run(&mut a)?,
        "update" | "events" => Command::Cgroup(cmd.clone(), a.items[a.pos..].to_vec()),
        "create" | "start" | "state" | "kill" | "delete" | "list" | "ps" | "spec" | "features"
        | "exec" | "pause" | "resume" | "checkpoint" | "restore" => {
            return Err(Error::msg(format!(
                "command {cmd:?} is not implemented yet"
            )))
        }
        c => {
            return Err(Error::msg(format!(
                "unknown command {c:?} (see runlet --help)"
            )))
        }
    };
    Ok((g, command))
}

fn parse_run(a: &mut Args) -> Result<Command> {
    let mut bundle = PathBuf::from(".");
    let mut pid_file = None;
    let mut id = None;
    while let Some(arg) = a.next() {
        let (name, inline) = split(&arg);
        match name.as_str() {
            "--bundle" | "-b" => bundle = PathBuf::from(a.value("--bundle", inline)?),
            "--pid-file" => pid_file = Some(PathBuf::from(a.value("--pid-file", inline)?)),
            "--no-new-keyring" => {}
            "--detach" | "-d" => return Err(Error::msg("run --detach is not supported yet")),
            "--console-socket" => return Err(Error::msg("--console-socket is not supported yet")),
            "--no-pivot" => return Err(Error::msg("--no-pivot is not supported yet")),
            "--preserve-fds" => return Err(Error::msg("--preserve-fds is not supported yet")),
            s if s.starts_with('-') && s.len() > 1 => {
                return Err(Error::msg(format!("run: unknown option {s}")))
            }
            _ if id.is_none() => id = Some(arg),
            _ => return Err(Error::msg(format!("run: unexpected argument {arg:?}"))),
        }
    }
    let id = id.ok_or_else(|| Error::msg("run: missing container ID"))?;
    Ok(Command::Run {
        bundle,
        pid_file,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<(Global, Command)> {
        parse(
            std::iter::once("runlet")
                .chain(args.iter().copied())
                .map(String::from)
                .collect(),
        )
    }

    #[test]
    fn run_with_globals() {
        let (g, c) = p(&[
            "--root=/tmp/r",
            "--log-format",
            "json",
            "run",
            "-b",
            "/b",
            "--pid-file=/p",
            "x",
        ])
        .unwrap();
        assert_eq!(g.root, PathBuf::from("/tmp/r"));
        assert_eq!(g.log_format, LogFormat::Json);
        match c {
            Command::Run {
                bundle,
                pid_file,
                id,
            } => {
                assert_eq!(
                    (bundle, pid_file, id.as_str()),
                    (PathBuf::from("/b"), Some(PathBuf::from("/p")), "x")
                );
            }
            _ => panic!("not run"),
        }
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(p(&["run"])
            .err()
            .unwrap()
            .to_string()
            .contains("missing container ID"));
        assert!(p(&["--root"])
            .err()
            .unwrap()
            .to_string()
            .contains("--root needs a value"));
        assert!(p(&["frobnicate"])
            .err()
            .unwrap()
            .to_string()
            .contains("unknown command"));
        assert!(p(&["run", "--bogus", "x"])
            .err()
            .unwrap()
            .to_string()
            .contains("unknown option --bogus"));
    }
}
