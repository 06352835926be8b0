//! Host resources a test makes for itself under its dir (a network namespace
//! bound to a file, a tmpfs): allowed as host mounts, unmounted on drop.

use super::Fixture;
use std::fmt::Display;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Run `cmd` to its end; a failure (or no start) fails the test with `what`.
/// Through `spawn`, so the child is known to the zombie check while it runs (a
/// parallel test's leak check must not take it for a leaked zombie).
pub fn must_succeed(cmd: Command, what: impl Display) {
    let out = super::spawn(cmd).wait();
    assert!(out.code == Some(0), "{what}:\n{}", out.context());
}

impl Fixture {
    /// A mount on the host under our dir that the test made itself (not a leak).
    pub fn allow_host_mount(&mut self, p: &Path) {
        self.allowed_mounts.push(p.to_path_buf());
    }

    /// A persistent network namespace bound to a file under our dir
    /// (`unshare --net=FILE true`); unmounted when the fixture is dropped.
    pub fn make_netns(&mut self) -> PathBuf {
        let f = self.dir.join("netns");
        fs::write(&f, b"").expect("create netns file");
        let mut cmd = Command::new("unshare");
        cmd.arg(format!("--net={}", f.display())).arg("true");
        must_succeed(cmd, format_args!("unshare --net={} failed", f.display()));
        self.allow_host_mount(&f);
        f
    }

    /// Mount a tmpfs on the host at `p` (under our dir); unmounted on drop.
    pub fn host_tmpfs(&mut self, p: &Path) {
        fs::create_dir_all(p).unwrap();
        let mut cmd = Command::new("mount");
        cmd.args(["-t", "tmpfs", "tmpfs"]).arg(p);
        must_succeed(cmd, format_args!("mount tmpfs on {}", p.display()));
        self.allow_host_mount(p);
    }
}
