//! Command-line parsing, runc's way: global options, then a command and its own.
//! Long options take `--name value`, `--name=value` and Go's single-dash `-name`.

use std::path::PathBuf;

use crate::config::resources::Resources;
use crate::error::{Error, Result};
use crate::process::signals;

mod exec;
mod update;
pub use exec::ExecArgs;

pub const USAGE: &str = "\
usage: runlet [global options] COMMAND [options] [ID]

commands:
  create [--bundle|-b DIR] [--pid-file FILE] [--no-new-keyring] [--no-pivot]
         [--console-socket S] [--preserve-fds N] ID
                          set a container up; its process waits for `start`
  start ID                start the process of a created container
  run [-b DIR] [--pid-file FILE] [-d|--detach] [--no-new-keyring] [--no-pivot]
      [--console-socket S] [--preserve-fds N] ID
                          create and start; without -d wait, remove, pass on its status
  state ID                the OCI state of a container, as JSON
  kill [--all|-a] ID [SIGNAL]
                          send SIGNAL (name or number, default TERM) to the container
  delete [--force|-f] ID  remove a stopped (with --force: any) container
  pause ID / resume ID    freeze / thaw every process of the container
  list [-q] [--format|-f table|json]
                          the containers under --root
  ps [--format|-f table|json] ID
  exec [-e K=V]... [--env-file F] [--cwd DIR] [-u UID[:GID]] [-g GID]... [--no-new-privs]
       [-d|--detach] [--pid-file FILE] [-t|--tty] [--console-socket S] [--preserve-fds N]
       (--process|-p FILE.json ID | ID COMMAND [ARG...])
                          run a process in a running container; without -d wait
                          for it and pass on its status
                          the processes of a container
  spec [--bundle|-b DIR]  write a default config.json
  features                what runlet supports, as OCI features JSON
  update [--resources FILE|-] [--memory N] [--cpu-quota N] [--cpu-period N]
         [--pids-limit N] [...] ID
                          change a running container's limits (docs/cgroups.md)
  events --stats ID       one JSON sample of its cgroup usage
  --version               print the version

global options:
  --root DIR            state directory (default /run/runlet; $XDG_RUNTIME_DIR/runlet
                        for a user other than root)
  --log FILE            also write errors to FILE
  --log-format text|json
  --debug               each step of a container's life on stderr, timed
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

/// What `create` and `run` share.
#[derive(Debug, PartialEq)]
pub struct CreateArgs {
    pub id: String,
    pub bundle: PathBuf,
    pub pid_file: Option<PathBuf>,
    pub no_new_keyring: bool,
    pub no_pivot: bool,
    /// `--console-socket PATH`: where the pty's master goes (process.terminal).
    pub console_socket: Option<PathBuf>,
    /// `--preserve-fds N`: the caller's fds 3..3+N pass into the container.
    pub preserve_fds: u32,
}

#[derive(Debug, PartialEq)]
pub enum Command {
    Create(CreateArgs),
    Run {
        c: CreateArgs,
        detach: bool,
    },
    Start {
        id: String,
    },
    State {
        id: String,
    },
    Kill {
        id: String,
        signal: i32,
        all: bool,
    },
    Delete {
        id: String,
        force: bool,
    },
    List {
        quiet: bool,
        json: bool,
    },
    Ps {
        id: String,
        json: bool,
    },
    Spec {
        bundle: PathBuf,
        /// `--rootless`: a config an unprivileged user runs as is.
        rootless: bool,
    },
    Features,
    Update {
        id: String,
        /// Boxed: the checked `linux.resources` is far larger than any other command.
        resources: Box<Resources>,
    },
    Events {
        id: String,
    },
    Exec(ExecArgs),
    /// `pause` (freeze: true) / `resume`.
    Freeze {
        id: String,
        freeze: bool,
    },
    Version,
    Help,
}

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

/// `--name=value` → ("--name", Some(value)); Go's `-name` → `--name`.
fn split(arg: &str) -> (String, Option<String>) {
    let (name, value) = match arg.split_once('=') {
        Some((k, v)) if arg.starts_with('-') => (k, Some(v.to_string())),
        _ => (arg, None),
    };
    let long = name.len() > 2 && name.starts_with('-') && !name.starts_with("--");
    let name = if long {
        format!("-{name}")
    } else {
        name.to_string()
    };
    (name, value)
}

pub fn parse(argv: Vec<String>) -> Result<(Global, Command)> {
    let mut a = Args {
        items: argv,
        pos: 1,
    };
    let (g, cmd) = parse_globals(&mut a)?;
    let command = match cmd {
        Ok(cmd) => command(&cmd, &mut a)?,
        Err(early) => early,
    };
    Ok((g, command))
}

/// The global options alone, when the command line as a whole did not parse: an
/// error in a command's options still goes to `--log` (a shim reads it there).
pub fn globals(argv: Vec<String>) -> Option<Global> {
    let mut a = Args {
        items: argv,
        pos: 1,
    };
    parse_globals(&mut a).ok().map(|(g, _)| g)
}

/// The global options, then the command's name (or a command that needs no more:
/// help, version).
fn parse_globals(a: &mut Args) -> Result<(Global, std::result::Result<String, Command>)> {
    let mut g = Global {
        root: crate::container::rootless::default_root(),
        log: None,
        log_format: LogFormat::Text,
        debug: false,
    };
    let cmd = loop {
        let Some(arg) = a.next() else {
            return Ok((g, Err(Command::Help)));
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
            "--debug" => g.debug = flag(&name, inline)?,
            "--systemd-cgroup" => {
                if flag(&name, inline)? {
                    return Err(Error::msg(
                        "--systemd-cgroup is not supported yet (runlet manages cgroupfs itself)",
                    ));
                }
            }
            "--version" | "-v" | "version" => return Ok((g, Err(Command::Version))),
            "--help" | "-h" | "help" => return Ok((g, Err(Command::Help))),
            s if s.starts_with('-') => {
                return Err(Error::msg(format!("unknown global option {s}")))
            }
            _ => break arg,
        }
    };
    Ok((g, Ok(cmd)))
}

/// A boolean option: present is true; Go's `--flag=false` is false.
fn flag(name: &str, inline: Option<String>) -> Result<bool> {
    match inline.as_deref() {
        None | Some("true") | Some("1") => Ok(true),
        Some("false") | Some("0") => Ok(false),
        Some(v) => Err(Error::msg(format!("option {name}: {v:?} is not a boolean"))),
    }
}

/// A command's options, as a table: (long name, short name, takes a value).
type OptSpec = [(&'static str, &'static str, bool)];

/// The options and positional arguments of command `cmd`, checked against `spec`.
struct Parsed {
    opts: Vec<(&'static str, String)>,
    positional: Vec<String>,
}

impl Parsed {
    /// A boolean option, its last occurrence winning (`-d --detach=false` is off).
    fn has(&self, long: &str) -> bool {
        self.get(long).is_some_and(|v| v != "false")
    }

    fn get(&self, long: &str) -> Option<&str> {
        self.opts
            .iter()
            .rev()
            .find(|(k, _)| *k == long)
            .map(|(_, v)| v.as_str())
    }
}

fn parse_opts(cmd: &str, a: &mut Args, spec: &OptSpec) -> Result<Parsed> {
    let mut p = Parsed {
        opts: Vec::new(),
        positional: Vec::new(),
    };
    while let Some(arg) = a.next() {
        if arg == "--" {
            p.positional.extend(std::iter::from_fn(|| a.next()));
            break;
        }
        if !arg.starts_with('-') || arg == "-" {
            p.positional.push(arg);
            continue;
        }
        let (name, inline) = split(&arg);
        let Some(&(long, _, takes)) = spec.iter().find(|(l, s, _)| *l == name || *s == name) else {
            return Err(Error::msg(format!("{cmd}: unknown option {name}")));
        };
        let value = if takes {
            a.value(long, inline)?
        } else {
            flag(long, inline)?.to_string()
        };
        p.opts.push((long, value));
    }
    Ok(p)
}

/// The one ID (and, for `kill`, the signal after it).
fn positional(cmd: &str, p: &Parsed, max: usize) -> Result<String> {
    match p.positional.len() {
        0 => Err(Error::msg(format!("{cmd}: missing container ID"))),
        n if n > max => Err(Error::msg(format!(
            "{cmd}: unexpected argument {:?}",
            p.positional[max]
        ))),
        _ => Ok(p.positional[0].clone()),
    }
}

const CREATE_OPTS: &OptSpec = &[
    ("--bundle", "-b", true),
    ("--pid-file", "", true),
    ("--console-socket", "", true),
    ("--no-pivot", "", false),
    ("--no-new-keyring", "", false),
    ("--preserve-fds", "", true),
    ("--detach", "-d", false),
    ("--keep", "", false),
];

fn create_args(cmd: &str, p: &Parsed) -> Result<CreateArgs> {
    if p.has("--keep") {
        return Err(Error::msg(format!("{cmd} --keep is not supported yet")));
    }
    Ok(CreateArgs {
        id: positional(cmd, p, 1)?,
        bundle: PathBuf::from(p.get("--bundle").unwrap_or(".")),
        pid_file: p.get("--pid-file").map(PathBuf::from),
        no_new_keyring: p.has("--no-new-keyring"),
        no_pivot: p.has("--no-pivot"),
        console_socket: p.get("--console-socket").map(PathBuf::from),
        preserve_fds: preserve_fds(cmd, p.get("--preserve-fds").unwrap_or("0"))?,
    })
}

/// `--preserve-fds N`: a count of fds after stdio (runc's limit is the fd table).
fn preserve_fds(cmd: &str, v: &str) -> Result<u32> {
    match v.parse::<u32>() {
        Ok(n) if n <= crate::process::fds::MAX_EXTRA_FDS => Ok(n),
        _ => Err(Error::msg(format!(
            "{cmd} --preserve-fds {v:?}: expected a number of fds (at most {})",
            crate::process::fds::MAX_EXTRA_FDS
        ))),
    }
}

fn format_json(cmd: &str, p: &Parsed) -> Result<bool> {
    match p.get("--format").unwrap_or("table") {
        "table" => Ok(false),
        "json" => Ok(true),
        f => Err(Error::msg(format!(
            "{cmd} --format {f:?}: expected table or json"
        ))),
    }
}

fn command(cmd: &str, a: &mut Args) -> Result<Command> {
    let id_only: &OptSpec = &[];
    Ok(match cmd {
        "create" => {
            let p = parse_opts(cmd, a, CREATE_OPTS)?;
            if p.has("--detach") {
                return Err(Error::msg("create: unknown option --detach"));
            }
            Command::Create(create_args(cmd, &p)?)
        }
        "run" => {
            let p = parse_opts(cmd, a, CREATE_OPTS)?;
            Command::Run {
                c: create_args(cmd, &p)?,
                detach: p.has("--detach"),
            }
        }
        "start" => Command::Start {
            id: positional(cmd, &parse_opts(cmd, a, id_only)?, 1)?,
        },
        "state" => Command::State {
            id: positional(cmd, &parse_opts(cmd, a, id_only)?, 1)?,
        },
        "kill" => {
            let p = parse_opts(cmd, a, &[("--all", "-a", false)])?;
            let id = positional(cmd, &p, 2)?;
            let signal = match p.positional.get(1) {
                Some(s) => signals::parse(s)?,
                None => signals::SIGTERM,
            };
            Command::Kill {
                id,
                signal,
                all: p.has("--all"),
            }
        }
        "delete" => {
            let p = parse_opts(cmd, a, &[("--force", "-f", false)])?;
            Command::Delete {
                id: positional(cmd, &p, 1)?,
                force: p.has("--force"),
            }
        }
        "list" => {
            let p = parse_opts(
                cmd,
                a,
                &[("--quiet", "-q", false), ("--format", "-f", true)],
            )?;
            if let Some(x) = p.positional.first() {
                return Err(Error::msg(format!("list: unexpected argument {x:?}")));
            }
            Command::List {
                quiet: p.has("--quiet"),
                json: format_json(cmd, &p)?,
            }
        }
        "ps" => {
            let p = parse_opts(cmd, a, &[("--format", "-f", true)])?;
            if p.positional.len() > 1 {
                return Err(Error::msg(
                    "ps: options for ps(1) are not supported (runlet lists the container's pids itself)",
                ));
            }
            Command::Ps {
                id: positional(cmd, &p, 1)?,
                json: format_json(cmd, &p)?,
            }
        }
        "spec" => {
            let p = parse_opts(
                cmd,
                a,
                &[("--bundle", "-b", true), ("--rootless", "", false)],
            )?;
            if let Some(x) = p.positional.first() {
                return Err(Error::msg(format!("spec: unexpected argument {x:?}")));
            }
            Command::Spec {
                bundle: PathBuf::from(p.get("--bundle").unwrap_or(".")),
                rootless: p.has("--rootless"),
            }
        }
        "features" => {
            let p = parse_opts(cmd, a, id_only)?;
            if let Some(x) = p.positional.first() {
                return Err(Error::msg(format!("features: unexpected argument {x:?}")));
            }
            Command::Features
        }
        "update" => {
            let (id, resources) = update::parse_update(&a.items[a.pos..])?;
            Command::Update {
                id,
                resources: Box::new(resources),
            }
        }
        "events" => Command::Events {
            id: update::parse_events(&a.items[a.pos..])?,
        },
        "exec" => Command::Exec(exec::parse(a)?),
        "pause" | "resume" => {
            let id = positional(cmd, &parse_opts(cmd, a, id_only)?, 1)?;
            Command::Freeze {
                id,
                freeze: cmd == "pause",
            }
        }
        "checkpoint" | "restore" => {
            return Err(Error::msg(format!(
                "command {cmd:?} is not implemented yet"
            )))
        }
        c => {
            return Err(Error::msg(format!(
                "unknown command {c:?} (see runlet --help)"
            )))
        }
    })
}

#[cfg(test)]
mod tests;
