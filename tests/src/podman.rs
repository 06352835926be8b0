//! The default seccomp profile podman uses (`/usr/share/containers/seccomp.json`, from
//! Debian's golang-github-containers-common), turned into OCI `linux.seccomp` the way
//! podman does for a default container (containers/common `pkg/seccomp`): the archMap
//! entry of x86_64 becomes `architectures`, and each syscalls entry is kept or dropped
//! by its `includes`/`excludes` (capabilities of the default set, arches, minKernel).
//!
//! Shared by the parent's unit tests (a dev-dependency) and tests/tests/seccomp.rs.

use miniserde::json::{self, Array, Object, Value};

pub const PATH: &str = "/usr/share/containers/seccomp.json";

/// containers.conf's `default_capabilities` (podman 4, Debian 12).
pub const DEFAULT_CAPS: [&str; 11] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_NET_BIND_SERVICE",
    "CAP_SETFCAP",
    "CAP_SETGID",
    "CAP_SETPCAP",
    "CAP_SETUID",
    "CAP_SYS_CHROOT",
];

/// The profile file, or a message saying how to get it.
pub fn read() -> Result<String, String> {
    std::fs::read_to_string(PATH).map_err(|e| {
        format!("{PATH}: {e}: install Debian's golang-github-containers-common (.ci/run does)")
    })
}

/// (major, minor) of the running kernel: podman filters by it (`minKernel`).
pub fn running_kernel() -> (u64, u64) {
    let r = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut it = r
        .trim()
        .split(['.', '-'])
        .map(|p| p.parse::<u64>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

fn strs(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn min_kernel(f: &Object) -> Option<(u64, u64)> {
    match f.get("minKernel") {
        Some(Value::String(s)) if !s.is_empty() => {
            let mut it = s.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
            Some((it.next().unwrap_or(0), it.next().unwrap_or(0)))
        }
        _ => None,
    }
}

fn filter<'a>(s: &'a Object, key: &str) -> Option<&'a Object> {
    match s.get(key) {
        Some(Value::Object(o)) => Some(o),
        _ => None,
    }
}

/// podman's names for the architecture the tests were built for: its `archMap`
/// entry and its GOARCH (`includes.arches`).
pub const NATIVE: (&str, &str) = if cfg!(target_arch = "aarch64") {
    ("SCMP_ARCH_AARCH64", "arm64")
} else if cfg!(target_arch = "arm") {
    ("SCMP_ARCH_ARM", "arm")
} else if cfg!(target_arch = "riscv64") {
    ("SCMP_ARCH_RISCV64", "riscv64")
} else {
    ("SCMP_ARCH_X86_64", "amd64")
};

/// The OCI `linux.seccomp` object, as JSON text, for a default podman container
/// (capabilities `caps`) on the architecture the tests were built for, under a
/// kernel of version `kernel` (major, minor).
pub fn oci(profile: &str, caps: &[&str], kernel: (u64, u64)) -> String {
    oci_for(profile, caps, kernel, NATIVE)
}

/// The same for the architecture `(archMap name, GOARCH)`.
pub fn oci_for(
    profile: &str,
    caps: &[&str],
    kernel: (u64, u64),
    (scmp, goarch): (&str, &str),
) -> String {
    let Value::Object(p) = json::from_str::<Value>(profile).expect("podman profile JSON") else {
        panic!("podman profile is not an object")
    };
    let has_cap = |c: &String| caps.contains(&c.as_str());
    let mut out = Object::new();
    for k in ["defaultAction", "defaultErrnoRet", "flags"] {
        if let Some(v) = p.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    let mut arches = Array::new();
    if let Some(Value::Array(map)) = p.get("archMap") {
        for m in map {
            let Value::Object(m) = m else { continue };
            if matches!(m.get("architecture"), Some(Value::String(a)) if a == scmp) {
                arches.push(Value::String(scmp.into()));
                for s in strs(m.get("subArchitectures")) {
                    arches.push(Value::String(s));
                }
            }
        }
    }
    out.insert("architectures".into(), Value::Array(arches));
    let mut calls = Array::new();
    let Some(Value::Array(list)) = p.get("syscalls") else {
        panic!("podman profile has no syscalls")
    };
    'next: for s in list {
        let Value::Object(s) = s else { continue };
        if let Some(ex) = filter(s, "excludes") {
            if strs(ex.get("arches")).iter().any(|a| a == goarch)
                || strs(ex.get("caps")).iter().any(has_cap)
                || min_kernel(ex).is_some_and(|m| kernel >= m)
            {
                continue 'next;
            }
        }
        if let Some(inc) = filter(s, "includes") {
            let arches = strs(inc.get("arches"));
            if (!arches.is_empty() && !arches.iter().any(|a| a == goarch))
                || !strs(inc.get("caps")).iter().all(has_cap)
                || min_kernel(inc).is_some_and(|m| kernel < m)
            {
                continue 'next;
            }
        }
        let mut c = Object::new();
        for k in ["names", "action", "errnoRet", "args"] {
            match s.get(k) {
                None | Some(Value::Null) => {}
                // podman leaves out an empty args list.
                Some(Value::Array(a)) if k == "args" && a.is_empty() => {}
                Some(v) => {
                    c.insert(k.into(), v.clone());
                }
            }
        }
        calls.push(Value::Object(c));
    }
    out.insert("syscalls".into(), Value::Array(calls));
    json::to_string(&Value::Object(out))
}
