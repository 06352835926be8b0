//! `runlet`: a minimal, runc-compatible OCI container runtime.

mod cgroup;
mod cli;
mod cmd;
mod config;
mod container;
mod error;
mod hooks;
mod net;
mod os;
mod process;
mod rdt;
mod seccomp;
mod state;
mod terminal;

use std::io::Write;

use cli::{Command, Global, LogFormat};
use error::Error;

#[global_allocator]
static ALLOC: os::arena::Arena = os::arena::Arena;

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let (global, command) = match cli::parse(argv.clone()) {
        Ok(x) => x,
        // The globals may have parsed: the error then goes to --log too.
        Err(e) => fail(cli::globals(argv).as_ref(), &e),
    };
    if global.debug {
        os::log::enable_debug();
    }
    let result = match command {
        Command::Help => {
            print!("{}", cli::USAGE);
            Ok(0)
        }
        Command::Version => {
            println!("runlet version {}\nspec: 1.2.0", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        Command::Run { c, detach: false } => cmd::run::run(&global, &c),
        Command::Run { c, detach: true } => cmd::run::run_detached(&global, &c),
        Command::Create(c) => cmd::create::create(&global, &c),
        Command::Start { id } => cmd::start::start(&global, &id),
        Command::Delete { id, force } => cmd::delete::delete(&global, &id, force),
        Command::Kill { id, signal, all } => cmd::kill::kill(&global, &id, signal, all),
        Command::State { id } => cmd::query::state(&global, &id),
        Command::List { quiet, json } => cmd::query::list(&global, quiet, json),
        Command::Ps { id, json } => cmd::query::ps(&global, &id, json),
        Command::Spec { bundle, rootless } => cmd::spec::spec(&bundle, rootless),
        Command::Features => cmd::features::features(),
        Command::Update { id, resources } => cmd::update::update(&global.root, &id, &resources),
        Command::Events { id } => cmd::events::events(&global.root, &id),
        Command::Exec(a) => cmd::exec::exec(&global, &a),
        Command::Freeze { id, freeze } => cmd::pause::pause(&global, &id, freeze),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => fail(Some(&global), &e),
    }
}

/// One line on stderr (and in the log file, as runc writes it), then exit 1.
fn fail(global: Option<&Global>, e: &Error) -> ! {
    // One write: the line never interleaves with another process's output.
    let line = format!("runlet: {e}\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    if let Some(Global {
        log: Some(path),
        log_format,
        ..
    }) = global
    {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let time = os::clock::now();
            let line = match log_format {
                LogFormat::Text => format!("time={time:?} level=error msg={:?}\n", e.as_str()),
                LogFormat::Json => {
                    use miniserde::json::{Object, Value};
                    // logrus's JSON formatter, which runc uses: keys sorted.
                    let mut m = Object::new();
                    m.insert("level".into(), Value::String("error".into()));
                    m.insert("msg".into(), Value::String(e.to_string()));
                    m.insert("time".into(), Value::String(time));
                    format!("{}\n", miniserde::json::to_string(&m))
                }
            };
            let _ = f.write_all(line.as_bytes());
        }
    }
    std::process::exit(1)
}
