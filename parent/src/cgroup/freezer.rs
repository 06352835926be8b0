//! `pause` / `resume`: the container's cgroups frozen or thawed, through the v1
//! freezer where the host has one (as runc's cgroupfs manager on a hybrid host), else
//! cgroup2's `cgroup.freeze`; runlet waits until the kernel reports the new state.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{read_file, write_file};
use crate::error::{Error, Result};

/// How long the kernel may take to freeze (a task in an uninterruptible sleep holds
/// the v1 freezer in FREEZING) or thaw.
const FREEZE_TIMEOUT: Duration = Duration::from_secs(5);

/// Which freezer a container's cgroups have.
enum Freezer {
    /// The v1 `freezer.state` file.
    V1(PathBuf),
    /// The cgroup2 directory (`cgroup.freeze`, `cgroup.events`).
    V2(PathBuf),
}

/// The freezer among a container's cgroup directories (as saved in its state).
fn find(dirs: &[PathBuf]) -> Option<Freezer> {
    let v1 = dirs
        .iter()
        .map(|d| d.join("freezer.state"))
        .find(|f| f.exists());
    v1.map(Freezer::V1).or_else(|| {
        dirs.iter()
            .find(|d| d.join("cgroup.freeze").exists())
            .map(|d| Freezer::V2(d.clone()))
    })
}

/// True when the container's cgroups are frozen (or freezing), as `state` reports
/// `paused`. Unreadable or absent: not paused.
pub fn is_paused(dirs: &[PathBuf]) -> bool {
    match find(dirs) {
        Some(Freezer::V1(f)) => read_file(&f).is_ok_and(|s| s.trim() != "THAWED"),
        Some(Freezer::V2(d)) => read_file(&d.join("cgroup.freeze")).is_ok_and(|s| s.trim() == "1"),
        None => false,
    }
}

/// Freezes (`on`) or thaws every process of the container and returns once the
/// kernel says it is done, or fails after 5 s naming the file and state. A
/// freeze that does not complete is undone.
pub fn set_frozen(dirs: &[PathBuf], on: bool) -> Result<()> {
    match find(dirs) {
        Some(Freezer::V1(f)) => {
            let want = if on { "FROZEN" } else { "THAWED" };
            write_file(&f, want)?;
            wait_for(&f, on, |s| s.trim() == want).inspect_err(|_| {
                if on {
                    let _ = write_file(&f, "THAWED");
                }
            })
        }
        Some(Freezer::V2(d)) => {
            let freeze = d.join("cgroup.freeze");
            write_file(&freeze, if on { "1" } else { "0" })?;
            let line = if on { "frozen 1" } else { "frozen 0" };
            wait_for(&d.join("cgroup.events"), on, |s| s.lines().any(|l| l == line))
                .inspect_err(|_| {
                    if on {
                        let _ = write_file(&freeze, "0");
                    }
                })
        }
        None => Err(Error::msg(format!(
            "cgroup {}: no freezer (pause needs the v1 freezer controller or cgroup2's cgroup.freeze)",
            dirs.first().map(|d| d.display().to_string()).unwrap_or_default()
        ))),
    }
}

fn wait_for(file: &Path, on: bool, done: impl Fn(&str) -> bool) -> Result<()> {
    let deadline = Instant::now() + FREEZE_TIMEOUT;
    let mut pause = Duration::from_micros(200);
    loop {
        if done(&read_file(file)?) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::msg(format!(
                "{}: the kernel did not report the cgroup {} within {} s",
                file.display(),
                if on { "frozen" } else { "thawed" },
                FREEZE_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}
