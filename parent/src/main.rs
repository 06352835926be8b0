//! `runlet`: a minimal, runc-compatible OCI container runtime.

mod arena;
mod cgroup;
mod channel;
mod cli;
mod config;
mod container;
mod error;
mod helpers;
mod log;
mod proc;
mod run;
mod seccomp;
mod spawn;
mod state;
mod sys;

use std::io::Write;

use cli::{Command, Global, LogFormat};
use error::Error;

#[global_allocator]
static ALLOC: arena::Arena = arena::Arena;

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let (global, command) = match cli::parse(argv) {
        Ok(x) => x,
        Err(e) => fail(None, &e),
    };
    if global.debug {
        log::enable_debug();
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
        Command::Run {
            bundle,
            pid_file,
            id,
        } => run::run(&run::RunOptions {
            root: global.root.clone(),
            bundle,
            id,
            pid_file,
        }),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => fail(Some(&global), &e),
    }
}

/// One line on stderr (and in the log file, as runc writes it), then exit 1.
fn fail(global: Option<&Global>, e: &Error) -> ! {
    eprintln!("runlet: {e}");
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
            let line = match log_format {
                LogFormat::Text => format!("level=error msg={:?}\n", e.as_str()),
                LogFormat::Json => {
                    let mut m = miniserde::json::Object::new();
                    m.insert(
                        "level".into(),
                        miniserde::json::Value::String("error".into()),
                    );
                    m.insert("msg".into(), miniserde::json::Value::String(e.to_string()));
                    format!("{}\n", miniserde::json::to_string(&m))
                }
            };
            let _ = f.write_all(line.as_bytes());
        }
    }
    std::process::exit(1)
}
