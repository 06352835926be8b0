//! One test's world: a temp dir with runlet's state root and a bundle, a unique
//! container id, and the commands that run runlet on them.

use super::host::{cgroup_mounts, processes_rooted_at};
use super::{probe_bin, require_root, runlet_bin, spawn, Outcome, Running};
use crate::bundle;
use crate::spec::Spec;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// One test's world: `dir/` (temp) holding `state/` (runlet's --root) and
/// `bundle/` (config.json + rootfs with the probe); a unique container id.
/// Dropping it kills what the container left, unmounts, removes cgroups and the dir.
pub struct Fixture {
    pub name: String,
    pub id: String,
    pub dir: PathBuf,
    pub root: PathBuf,
    pub bundle: PathBuf,
    pub spec: Spec,
    /// Written as config.json instead of `spec` (for malformed input).
    pub config_text: Option<String>,
    /// Write config.json before running (false: leave the bundle as it is).
    pub write_config: bool,
    probe: PathBuf,
    pub(super) allowed_mounts: Vec<PathBuf>,
}

impl Fixture {
    /// None when the test must be skipped (not root); see [`require_root`].
    pub fn new(name: &str, fallback_probe: Option<&str>) -> Option<Fixture> {
        if !require_root(name) {
            return None;
        }
        let runlet = runlet_bin();
        assert!(
            runlet.exists(),
            "runlet not found at {}: build it (make) or set RUNLET_BIN",
            runlet.display()
        );
        let probe = probe_bin(fallback_probe);
        assert!(
            probe.exists(),
            "probe not found at {}: build it (make) or set PROBE_BIN",
            probe.display()
        );
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let id = format!("{name}-{pid}-{n}");
        let dir = std::env::temp_dir().join(format!("runlet-test-{pid}-{n}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        let root = dir.join("state");
        fs::create_dir_all(&root).expect("create state root");
        let bundle = dir.join("bundle");
        let spec = Spec::runc_default();
        bundle::make_rootfs(&bundle.join("rootfs"), &probe).expect("make rootfs");
        Some(Fixture {
            name: name.into(),
            id,
            dir,
            root,
            bundle,
            spec,
            config_text: None,
            write_config: true,
            probe,
            allowed_mounts: Vec::new(),
        })
    }

    /// The rootfs as configured (`root.path`, relative to the bundle or absolute).
    pub fn rootfs(&self) -> PathBuf {
        self.bundle.join(&self.spec.root_path)
    }

    pub fn probe_path(&self) -> &Path {
        &self.probe
    }

    /// The state dir runlet keeps for this container.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(&self.id)
    }

    /// The container's cgroup dir in every host hierarchy.
    pub fn cgroup_dirs(&self) -> Vec<PathBuf> {
        let rel = match &self.spec.cgroups_path {
            Some(p) => p.trim_start_matches('/').to_string(),
            None => format!("runlet/{}", self.id),
        };
        cgroup_mounts().into_iter().map(|m| m.join(&rel)).collect()
    }

    /// Host pids of the container's processes (those whose root is the rootfs).
    pub fn container_pids(&self) -> Vec<u32> {
        processes_rooted_at(&self.rootfs())
    }

    /// Write config.json (unless told not to).
    pub fn prepare(&self) {
        if !self.write_config {
            return;
        }
        let text = self
            .config_text
            .clone()
            .unwrap_or_else(|| self.spec.to_json());
        fs::write(self.bundle.join("config.json"), text).expect("write config.json");
    }

    /// `runlet --root <root> <args...>`
    pub fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        self.command_with(&runlet_bin(), args)
    }

    /// `<runlet> --root <root> <args...>` with another runlet (the debug build).
    pub fn command_with<S: AsRef<OsStr>>(&self, runlet: &Path, args: &[S]) -> Command {
        let mut c = Command::new(runlet);
        c.arg("--root").arg(&self.root).args(args);
        c
    }

    /// `runlet --root <root> run -b <bundle> <id>`
    pub fn run_command(&self) -> Command {
        self.run_command_with(&runlet_bin())
    }

    /// `<runlet> --root <root> run -b <bundle> <id>` with another runlet.
    pub fn run_command_with(&self, runlet: &Path) -> Command {
        let mut c = self.command_with(runlet, &["run", "-b"]);
        c.arg(&self.bundle).arg(&self.id);
        c
    }

    /// Start `runlet run` without waiting (see [`Running`]).
    pub fn spawn(&self) -> Running {
        self.prepare();
        spawn(self.run_command())
    }

    /// Run the container to its end, then check nothing leaked.
    pub fn run(&self) -> Outcome {
        self.finish(self.spawn())
    }

    /// Run any runlet command to its end, then check nothing leaked.
    pub fn run_cmd(&self, cmd: Command) -> Outcome {
        self.prepare();
        self.finish(spawn(cmd))
    }

    /// Wait for a running runlet, then check nothing leaked.
    pub fn finish(&self, r: Running) -> Outcome {
        let out = r.wait();
        let mut leaks = self.leaks();
        leaks.extend(out.held_open.clone());
        assert!(
            leaks.is_empty(),
            "left behind after runlet exited:\n  {}\n{}",
            leaks.join("\n  "),
            out.context()
        );
        out
    }
}
