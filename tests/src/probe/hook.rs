//! Probe modes that act as OCI hooks (tests/tests/hooks.rs).
//!
//! - `hook NAME FILE [ARGS...]`: read the state JSON on stdin and append one line to
//!   FILE: `NAME status=S pid=P mnt=M uts=U argv0=A args=X,Y env=K=V,...`, with the
//!   namespaces of its own process (`/proc/self/ns`), its argv[0], the rest of its
//!   arguments and its whole environment.
//! - `hook-fail CODE TEXT`: print TEXT on stderr, exit CODE.

use std::io::{Read, Write};

/// The string value of `"key":"..."` in flat JSON (enough for the OCI state).
fn json_str(text: &str, key: &str) -> String {
    let pat = format!("\"{key}\":");
    let Some(i) = text.find(&pat) else {
        return "-".into();
    };
    let rest = text[i + pat.len()..].trim_start();
    match rest.strip_prefix('"') {
        Some(r) => r.split('"').next().unwrap_or("-").to_string(),
        None => rest
            .split([',', '}'])
            .next()
            .unwrap_or("-")
            .trim()
            .to_string(),
    }
}

fn ns(kind: &str) -> String {
    std::fs::read_link(format!("/proc/self/ns/{kind}"))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|e| format!("?{e}"))
}

pub fn hook(rest: &[String]) -> i32 {
    let (Some(name), Some(file)) = (rest.first(), rest.get(1)) else {
        eprintln!("probe hook: NAME FILE needed");
        return 2;
    };
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("probe hook: read stdin: {e}");
        return 1;
    }
    let argv0 = std::env::args().next().unwrap_or_default();
    let env: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    let line = format!(
        "{name} status={} pid={} id={} mnt={} uts={} argv0={argv0} args={} env={}\n",
        json_str(&input, "status"),
        json_str(&input, "pid"),
        json_str(&input, "id"),
        ns("mnt"),
        ns("uts"),
        rest[2..].join(","),
        env.join(","),
    );
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    match written {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("probe hook: append to {file}: {e}");
            1
        }
    }
}

pub fn hook_fail(rest: &[String]) -> i32 {
    eprintln!("{}", rest[1.min(rest.len())..].join(" "));
    rest.first().and_then(|s| s.parse().ok()).unwrap_or(1)
}
