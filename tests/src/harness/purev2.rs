//! A pure cgroup v2 host, simulated on any host that has cgroup2: runlet runs in a
//! private mount namespace where /sys/fs/cgroup holds only the host's cgroup2
//! hierarchy (the v1 hierarchies unmounted there), so the leak checks, which look at
//! the host's own cgroup2 mount, still see what runlet makes.

use super::host::cgroup2_mount;
use super::{runlet_bin, Fixture};
use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;

/// Makes /sys/fs/cgroup a lone cgroup2 mount unless it already is one (a pure v2 host).
const SCRIPT: &str = r#"[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || { umount -R /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup; } && exec "$@""#;

/// Why the simulation cannot run here (the host has no cgroup2 mount to share).
pub fn pure_v2_unavailable() -> Option<String> {
    match cgroup2_mount() {
        Some(_) => None,
        None => Some("no cgroup2 mount on this host to simulate a pure v2 host with".into()),
    }
}

impl Fixture {
    /// `runlet --root R ARGS...` as on a pure cgroup v2 host.
    pub fn pure_v2<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut c = Command::new("unshare");
        c.args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            SCRIPT,
            "sh",
        ]);
        c.arg(runlet_bin()).arg("--root").arg(&self.root).args(args);
        c
    }

    /// `runlet --root R run -b B ID` as on a pure cgroup v2 host.
    pub fn pure_v2_run_command(&self) -> Command {
        let mut c = self.pure_v2(&["run", "-b"]);
        c.arg(&self.bundle).arg(&self.id);
        c
    }

    /// The container's directory in the host's cgroup2 hierarchy (default path).
    pub fn v2_dir(&self) -> PathBuf {
        let m = cgroup2_mount().expect("a cgroup2 mount (check pure_v2_unavailable first)");
        match &self.spec.cgroups_path {
            Some(p) => m.join(p.trim_start_matches('/')),
            None => m.join("runlet").join(&self.id),
        }
    }
}
