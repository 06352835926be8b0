//! runlet run by an unprivileged user (rootless, docs/userns.md): its state under
//! `$XDG_RUNTIME_DIR/runlet`, and cgroups only where they are delegated to it.

use std::path::PathBuf;

use rustix::fs::{access, Access};
use rustix::process::geteuid;

use crate::cgroup::CgroupManager;
use crate::config::resources::Resources;
use crate::error::{Error, Result};

/// runlet runs as a user other than root, or as root of a user namespace other
/// than the host's (runlet started by rootless podman, inside its namespace).
pub fn active() -> bool {
    !geteuid().is_root() || in_user_namespace()
}

/// Whether runlet's own user namespace is not the initial one: its uid_map is not
/// the identity over every id (runc's test).
pub fn in_user_namespace() -> bool {
    static IN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *IN.get_or_init(|| {
        let map = std::fs::read_to_string("/proc/self/uid_map").unwrap_or_default();
        let fields: Vec<&str> = map.split_whitespace().collect();
        fields != ["0", "0", "4294967295"]
    })
}

/// The default `--root`: `/run/runlet` for root, `$XDG_RUNTIME_DIR/runlet` for
/// anyone else who has one (runc's rule).
pub fn default_root() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        Some(dir) if active() => PathBuf::from(dir).join("runlet"),
        _ => PathBuf::from(crate::state::DEFAULT_ROOT),
    }
}

/// A rootless container's cgroups: the planned ones when the user may make them
/// (a delegated subtree), else none, with a note on stderr, unless the config asks
/// for limits that would then not hold. Device rules are not limits here: the user
/// namespace already keeps the container from making or opening other devices.
pub fn cgroups(plan: CgroupManager, r: &Resources) -> Result<CgroupManager> {
    let denied = plan
        .nearest_existing()
        .into_iter()
        .find(|(_, near)| access(near, Access::WRITE_OK | Access::EXEC_OK).is_err());
    let Some((dir, near)) = denied else {
        return Ok(plan);
    };
    let limits = Resources {
        devices: Vec::new(),
        ..r.clone()
    };
    let uid = geteuid().as_raw();
    if limits != Resources::default() {
        return Err(Error::msg(format!(
            "linux.resources needs cgroups, and uid {uid} may not make {} ({} is not writable): delegate a cgroup to the user or drop linux.resources",
            dir.display(),
            near.display()
        )));
    }
    eprintln!(
        "runlet: note: cgroups are not delegated to uid {uid} ({} is not writable): the container runs without cgroups",
        near.display()
    );
    Ok(CgroupManager::none())
}
