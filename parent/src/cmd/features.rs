//! `runlet features`: the OCI features document (runtime-spec features.md): what
//! this build of runlet accepts in a config.json. It lists only what runlet
//! implements; anything it would refuse is absent or `"enabled": false`.

use miniserde::json::{self, Value};

use crate::cmd::query::print_out;
use crate::config::{supported, HookKind};
use crate::error::Result;
use crate::seccomp;

/// The OCI versions runlet's config parser accepts.
const OCI_MIN: &str = "1.0.0";
const OCI_MAX: &str = "1.2.0";

fn list<'a>(items: impl Iterator<Item = &'a str>) -> Value {
    Value::Array(items.map(|s| Value::String(s.to_string())).collect())
}

fn obj(fields: Vec<(&str, Value)>) -> Value {
    let mut o = json::Object::new();
    for (k, v) in fields {
        o.insert(k.to_string(), v);
    }
    Value::Object(o)
}

fn enabled(on: bool) -> Value {
    obj(vec![("enabled", Value::Bool(on))])
}

pub fn document() -> Value {
    let linux = obj(vec![
        (
            "namespaces",
            list(["cgroup", "ipc", "mount", "network", "pid", "uts", "user"].into_iter()),
        ),
        ("capabilities", list(supported::capabilities())),
        (
            "cgroup",
            obj(vec![
                ("v1", Value::Bool(true)),
                ("v2", Value::Bool(true)),
                ("systemd", Value::Bool(false)),
                ("systemdUser", Value::Bool(false)),
                ("rdma", Value::Bool(false)),
            ]),
        ),
        (
            "seccomp",
            obj(vec![
                ("enabled", Value::Bool(true)),
                ("actions", list(seccomp::ACTIONS.iter().copied())),
                ("operators", list(seccomp::OPERATORS.iter().copied())),
                (
                    "archs",
                    list(seccomp::compiled_arches(seccomp::Arch::NATIVE)),
                ),
                ("knownFlags", list(seccomp::FLAGS.iter().copied())),
                ("supportedFlags", list(seccomp::FLAGS.iter().copied())),
            ]),
        ),
        ("apparmor", enabled(true)),
        ("selinux", enabled(true)),
        ("intelRdt", enabled(true)),
        ("mountExtensions", obj(vec![("idmap", enabled(true))])),
    ]);
    obj(vec![
        ("ociVersionMin", Value::String(OCI_MIN.into())),
        ("ociVersionMax", Value::String(OCI_MAX.into())),
        ("hooks", list(HookKind::ALL.iter().map(|k| k.name()))),
        ("mountOptions", list(supported::mount_options())),
        ("linux", linux),
        (
            "annotations",
            obj(vec![(
                "run.runlet.version",
                Value::String(env!("CARGO_PKG_VERSION").into()),
            )]),
        ),
    ])
}

pub fn features() -> Result<i32> {
    print_out(&format!("{}\n", json::to_string(&document())))
}
