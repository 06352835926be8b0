//! Emptying the container's cgroups at teardown: every process left is killed in
//! one step no fork can race (`cgroup.kill` on cgroup2, else the v1 freezer: freeze,
//! SIGKILL all, thaw), then runlet waits, with a deadline, until the cgroups are empty.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::process::{kill_process, Pid, Signal};

use super::freezer;
use super::layout::Hierarchy;
use super::{paths, pids, read_file, write_file};
use crate::debug;
use crate::error::{Error, Result};

pub(super) fn kill_all(dirs: &[(Hierarchy, PathBuf)], deadline: Instant) -> Result<()> {
    if let Some((_, dir)) = dirs.iter().find(|(h, _)| h.v2) {
        let f = dir.join("cgroup.kill");
        if f.exists() {
            debug!("killing what is left through {}", f.display());
            write_file(&f, "1")?;
            // A task frozen by the v1 freezer (a paused container) dies once thawed.
            if freezer::is_paused(&paths(dirs)) {
                freezer::set_frozen(&paths(dirs), false)?;
            }
            return wait_empty(dirs, deadline);
        }
    }
    if let Some((_, dir)) = dirs.iter().find(|(h, _)| h.has("freezer")) {
        debug!("killing what is left with {} frozen", dir.display());
        freeze_and_kill(dirs, dir, deadline)?;
        return wait_empty(dirs, deadline);
    }
    // Neither: kill what is there until nothing is (a fork may slip through once).
    loop {
        let pids = pids(dirs);
        if pids.is_empty() {
            return Ok(());
        }
        sigkill(&pids);
        if Instant::now() >= deadline {
            return Err(left(dirs, &pids));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Freezes the v1 freezer cgroup `dir` (nothing in it can fork any more), sends
/// SIGKILL to everything in it, and thaws it so the signals are delivered.
fn freeze_and_kill(dirs: &[(Hierarchy, PathBuf)], dir: &Path, deadline: Instant) -> Result<()> {
    let state = dir.join("freezer.state");
    write_file(&state, "FROZEN")?;
    let frozen = loop {
        if read_file(&state)?.trim() == "FROZEN" {
            break true;
        }
        if Instant::now() >= deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    sigkill(&pids(dirs));
    write_file(&state, "THAWED")?;
    if !frozen {
        return Err(Error::msg(format!(
            "{}: still FREEZING after 5 s",
            state.display()
        )));
    }
    Ok(())
}

/// Sends `sig` to every process in the container's cgroups (`kill --all`), with
/// the cgroups frozen meanwhile (v1 freezer, else cgroup2's `cgroup.freeze`) so
/// that no fork escapes it. SIGKILL uses `cgroup.kill` where the kernel has it.
pub(super) fn signal_all(dirs: &[(Hierarchy, PathBuf)], sig: Signal) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let v2 = dirs.iter().find(|(h, _)| h.v2).map(|(_, d)| d);
    // A paused container stays paused (its signals wait for `resume`), except
    // that SIGKILL thaws it: a frozen task dies only once thawed.
    let paused = freezer::is_paused(&paths(dirs));
    if sig == Signal::KILL {
        if let Some(d) = v2.filter(|d| d.join("cgroup.kill").exists()) {
            write_file(&d.join("cgroup.kill"), "1")?;
            return match paused {
                true => freezer::set_frozen(&paths(dirs), false),
                false => Ok(()),
            };
        }
    }
    let send = || {
        for p in pids(dirs).into_iter().filter_map(Pid::from_raw) {
            let _ = kill_process(p, sig);
        }
    };
    let thaw_after = !paused || sig == Signal::KILL;
    if let Some((_, dir)) = dirs.iter().find(|(h, _)| h.has("freezer")) {
        let state = dir.join("freezer.state");
        write_file(&state, "FROZEN")?;
        while read_file(&state)?.trim() != "FROZEN" && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        send();
        return match thaw_after {
            true => write_file(&state, "THAWED"),
            false => Ok(()),
        };
    }
    if let Some(d) = v2.filter(|d| d.join("cgroup.freeze").exists()) {
        if !thaw_after {
            send();
            return Ok(());
        }
        write_file(&d.join("cgroup.freeze"), "1")?;
        let events = d.join("cgroup.events");
        while !read_file(&events)?.lines().any(|l| l == "frozen 1") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        send();
        return write_file(&d.join("cgroup.freeze"), "0");
    }
    send();
    Ok(())
}

fn sigkill(pids: &[i32]) {
    for &p in pids {
        // These are the container's processes, confined to its cgroup; one that
        // exited meanwhile gives ESRCH, which is fine.
        if let Some(pid) = Pid::from_raw(p) {
            let _ = kill_process(pid, Signal::KILL);
        }
    }
}

fn wait_empty(dirs: &[(Hierarchy, PathBuf)], deadline: Instant) -> Result<()> {
    loop {
        let pids = pids(dirs);
        if pids.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(left(dirs, &pids));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn left(dirs: &[(Hierarchy, PathBuf)], pids: &[i32]) -> Error {
    let dir = paths(dirs).into_iter().next().unwrap_or_default();
    Error::msg(format!(
        "cgroup {}: processes {pids:?} still there 5 s after SIGKILL",
        dir.display()
    ))
}
