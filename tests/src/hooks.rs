//! Hooks for tests (tests/tests/hooks.rs, hook_failures.rs): hook JSON, scripts,
//! the probe as every kind of hook, and reading what the hooks logged.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};

use crate::harness::{Fixture, Outcome};
use crate::spec::{quote, Mount};
use crate::sys;

/// Makes the test process a subreaper and runs the tests of a file one at a time:
/// an init that exited is a zombie child of the test process until its test reaps
/// it, which another test's leak check must not see.
pub fn subreaper() -> MutexGuard<'static, ()> {
    static ONCE: Once = Once::new();
    static SERIAL: Mutex<()> = Mutex::new(());
    ONCE.call_once(sys::become_subreaper);
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

pub const KINDS: [&str; 6] = [
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
];

/// One hook as JSON.
pub fn hook(path: &str, args: &[&str], env: &[&str], timeout: Option<u32>) -> String {
    let list = |v: &[&str]| {
        let q: Vec<String> = v.iter().map(|s| quote(s)).collect();
        format!("[{}]", q.join(", "))
    };
    let mut s = format!(
        "{{\"path\": {}, \"args\": {}, \"env\": {}",
        quote(path),
        list(args),
        list(env)
    );
    if let Some(t) = timeout {
        s.push_str(&format!(", \"timeout\": {t}"));
    }
    s.push('}');
    s
}

/// Sets `hooks` to the given kinds, each a list of hook JSON texts.
pub fn set_hooks(fx: &mut Fixture, hooks: &[(&str, Vec<String>)]) {
    let members: Vec<String> = hooks
        .iter()
        .map(|(k, list)| format!("{}: [{}]", quote(k), list.join(", ")))
        .collect();
    fx.spec
        .extra_top
        .push(("hooks".into(), format!("{{{}}}", members.join(", "))));
}

/// A shell script hook in the test's directory.
pub fn script(fx: &Fixture, name: &str, body: &str) -> String {
    let p = fx.dir.join(name);
    fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    p.to_str().unwrap().to_string()
}

/// A host directory the container sees at /hooklog; returns the host-side log file.
pub fn hook_log(fx: &mut Fixture) -> PathBuf {
    let dir = fx.dir.join("hooklog");
    fs::create_dir_all(&dir).unwrap();
    fx.spec
        .mounts
        .push(Mount::bind(dir.to_str().unwrap(), "/hooklog", &["rw"]));
    dir.join("log")
}

/// Every kind as a probe hook logging to `log` (host side) or /hooklog/log (inside).
pub fn probe_hooks(fx: &mut Fixture, log: &Path) {
    let probe = fx.probe_path().to_str().unwrap().to_string();
    let host_log = log.to_str().unwrap().to_string();
    let hooks: Vec<(&str, Vec<String>)> = KINDS
        .iter()
        .map(|&k| {
            let (path, file) = if k == "startContainer" {
                ("/probe".to_string(), "/hooklog/log".to_string())
            } else {
                (probe.clone(), host_log.clone())
            };
            let argv0 = format!("argv0-{k}");
            let env = format!("HOOK_VAR=v-{k}");
            let args = [argv0.as_str(), "hook", k, &file, "a1", "a2"];
            (k, vec![hook(&path, &args, &[&env], Some(20))])
        })
        .collect();
    set_hooks(fx, &hooks);
}

/// The log's lines as (name, map of key=value).
pub fn log_lines(log: &Path) -> Vec<(String, Vec<(String, String)>)> {
    let text = fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .map(|l| {
            let mut parts = l.split(' ');
            let name = parts.next().unwrap_or("").to_string();
            let kv = parts
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            (name, kv)
        })
        .collect()
}

pub fn get<'a>(kv: &'a [(String, String)], key: &str) -> &'a str {
    kv.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {kv:?}"))
}

pub fn names(log: &Path) -> Vec<String> {
    log_lines(log).into_iter().map(|(n, _)| n).collect()
}

/// A failure whose last stderr line is runlet's error and contains each fragment
/// (a hook's own stderr comes before it).
pub fn assert_failed(out: &Outcome, fragments: &[&str]) {
    assert_ne!(out.code, Some(0), "expected a failure\n{}", out.context());
    let last = out.stderr.lines().last().unwrap_or("");
    assert!(last.starts_with("runlet: "), "{}", out.context());
    for f in fragments {
        assert!(
            last.contains(f),
            "want {f:?} in {last:?}\n{}",
            out.context()
        );
    }
}

pub fn assert_gone(fx: &Fixture) {
    let leaks = fx.leaks();
    assert!(leaks.is_empty(), "left behind:\n  {}", leaks.join("\n  "));
}

/// A hook that fails with exit status 3 and says why on stderr.
pub fn failing(fx: &Fixture, kind: &str) -> String {
    script(
        fx,
        &format!("fail-{kind}"),
        &format!("cat >/dev/null\necho \"first line\" >&2\necho \"oops from {kind}\" >&2\nexit 3"),
    )
}

/// A poststop hook (the probe) logging to `log`.
pub fn poststop_logger(fx: &Fixture, log: &Path) -> String {
    let probe = fx.probe_path().to_str().unwrap().to_string();
    hook(
        &probe,
        &["probe", "hook", "poststop", log.to_str().unwrap()],
        &[],
        Some(10),
    )
}
