//! `mkbundle DIR [--probe PATH] [--seccomp FILE] [--userns HOSTID] [-- ARGS...]`: write an OCI bundle to DIR:
//! `DIR/rootfs` (standard dirs and `/probe`) and `DIR/config.json` as `runc spec`
//! writes it (terminal false, no linux.resources, hostname "runlet"), with
//! `process.args` = ARGS (default `/probe report`). The probe defaults to the one
//! next to this program. `--seccomp FILE`: FILE's JSON text becomes `linux.seccomp`.
//! `--userns HOSTID`: a user namespace mapping ids 0-65535 to HOSTID and up.

use runlet_tests::{bundle, Spec};
use std::path::PathBuf;
use std::process::exit;

fn usage() -> ! {
    eprintln!("usage: mkbundle DIR [--probe PATH] [--seccomp FILE] [--userns HOSTID] [-- ARGS...]");
    exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut probe = None;
    let mut seccomp = None;
    let mut proc_args = Vec::new();
    let mut userns: Option<u32> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--probe" => probe = Some(PathBuf::from(args.next().unwrap_or_else(|| usage()))),
            "--seccomp" => seccomp = Some(PathBuf::from(args.next().unwrap_or_else(|| usage()))),
            "--userns" => {
                let id = args.next().and_then(|v| v.parse::<u32>().ok());
                userns = Some(id.unwrap_or_else(|| usage()));
            }
            "--" => {
                proc_args.extend(args.by_ref());
            }
            "-h" | "--help" => usage(),
            _ if dir.is_none() && !a.starts_with('-') => dir = Some(PathBuf::from(a)),
            _ => usage(),
        }
    }
    let Some(dir) = dir else { usage() };
    let probe = probe.unwrap_or_else(|| {
        let me = std::env::current_exe().unwrap_or_else(|e| {
            eprintln!("mkbundle: current_exe: {e}");
            exit(1)
        });
        me.with_file_name("probe")
    });
    let mut spec = Spec::runc_default();
    if let Some(f) = seccomp {
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| {
            eprintln!("mkbundle: read {}: {e}", f.display());
            exit(1)
        });
        spec.extra_linux.push(("seccomp".into(), text));
    }
    if !proc_args.is_empty() {
        spec.args = proc_args;
    }
    if let Some(host) = userns {
        spec.namespaces.push(runlet_tests::Namespace {
            typ: "user".into(),
            path: None,
        });
        let map = format!(r#"[{{"containerID":0,"hostID":{host},"size":65536}}]"#);
        spec.extra_linux.push(("uidMappings".into(), map.clone()));
        spec.extra_linux.push(("gidMappings".into(), map));
    }
    if let Err(e) = bundle::write_bundle(&dir, &probe, &spec) {
        eprintln!("mkbundle: {}: {e}", dir.display());
        exit(1);
    }
}
