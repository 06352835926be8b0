//! Running real containers from tests: a per-test fixture (temp dir, state root,
//! bundle, unique id), `runlet` with a deadline, and the check that nothing leaked.
//!
//! - `run`: spawning runlet with a deadline ([`spawn`], [`Running`]);
//! - `outcome`: what a finished runlet command did ([`Outcome`]);
//! - `fixture`: one test's world ([`Fixture`]);
//! - `host`: what the host looks like (cgroup and mount points, processes);
//! - `leaks`: what a finished container left behind;
//! - `lifecycle`: a container driven through create/start/state/kill/delete;
//! - `purev2`: a pure cgroup v2 host simulated in a private mount namespace;
//! - `netns`: host resources a test makes for itself (a netns, a tmpfs);
//! - `cleanup`: tearing a fixture down on drop;
//! - `skip`: skipped tests, said and counted (`skip!`, `missing!`).

mod cleanup;
mod fixture;
mod host;
mod leaks;
mod lifecycle;
mod netns;
mod outcome;
mod purev2;
mod run;
pub mod skip;

pub use fixture::Fixture;
pub use host::{
    cgroup2_mount, cgroup_mounts, cgroup_v1_mounts, child_cgroup_has, children_of, describe_pid,
    host_mount_points, host_ns, processes_rooted_at, v1_mount, v2_controller, V2Controller,
};
pub use leaks::stray_zombie_children;
pub use lifecycle::{assert_gone, subreaper};
pub use netns::must_succeed;
pub use outcome::Outcome;
pub use purev2::pure_v2_unavailable;
pub use run::{in_flight_pids, spawn, spawn_registered, unregister, Running};

use crate::sys;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The runlet binary: `$RUNLET_BIN`, else the release build of the workspace.
pub fn runlet_bin() -> PathBuf {
    match std::env::var_os("RUNLET_BIN") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target")
            .join(crate::host_triple())
            .join("release/runlet"),
    }
}

/// The debug build of runlet, for the tests that need `RUNLET_HELPER_DIR` (a release
/// runlet ignores it): `$RUNLET_DEBUG_BIN`, else `debug/runlet` beside the release
/// build (`make test` builds it, embedding the release helpers).
pub fn runlet_debug_bin() -> PathBuf {
    match std::env::var_os("RUNLET_DEBUG_BIN") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target")
            .join(crate::host_triple())
            .join("debug/runlet"),
    }
}

/// The probe: `$PROBE_BIN`, else the release probe next to runlet, else `fallback`
/// (the probe cargo built for this test run, if the test passes it).
pub fn probe_bin(fallback: Option<&str>) -> PathBuf {
    if let Some(p) = std::env::var_os("PROBE_BIN") {
        return PathBuf::from(p);
    }
    let next = runlet_bin().with_file_name("probe");
    match fallback {
        Some(f) if !next.exists() => PathBuf::from(f),
        _ => next,
    }
}

/// True when the test may go on. Not root: a counted skip, or a failure when
/// `RUNLET_REQUIRE_ROOT=1` (CI), so CI can never pass by skipping.
pub fn require_root(_test: &str) -> bool {
    if sys::euid() == 0 {
        return true;
    }
    skip::ci_fixable("needs root");
    false
}

/// How long one runlet command may take before the test kills it and fails.
pub fn deadline() -> Duration {
    let secs = std::env::var("RUNLET_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    Duration::from_secs(secs)
}

/// A fixture for one test, or `return` (a counted skip) when not root. Use in #[test] fns:
/// `let mut fx = fixture!("name");`
#[macro_export]
macro_rules! fixture {
    ($name:expr) => {
        match $crate::Fixture::new($name, option_env!("CARGO_BIN_EXE_probe")) {
            Some(f) => f,
            None => return,
        }
    };
}

/// The debug runlet (see [`runlet_debug_bin`]), or `return` when it is missing: a
/// counted skip, a failure under `RUNLET_REQUIRE_ROOT=1` (`make test` builds it).
/// Use in #[test] fns after `fixture!`: `let debug = debug_runlet!();`
#[macro_export]
macro_rules! debug_runlet {
    () => {{
        let p = $crate::harness::runlet_debug_bin();
        if !p.exists() {
            $crate::missing!(
                "no debug runlet at {}: `make test` builds it, or set RUNLET_DEBUG_BIN",
                p.display()
            );
        }
        p
    }};
}
