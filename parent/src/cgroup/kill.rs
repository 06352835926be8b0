//! Emptying the container's cgroups at teardown: every process left is killed in
//! one step no fork can race (`cgroup.kill` on cgroup2, else the v1 freezer: freeze,
//! SIGKILL all, thaw), then runlet waits, with a deadline, until the cgroups are empty.

use std::path::Path;
use std::time::{Duration, Instant};

use rustix::process::{kill_process, Pid, Signal};

use super::manager::CgroupManager;
use super::{read_file, write_file};
use crate::debug;
use crate::error::{Error, Result};

pub(super) fn kill_all(m: &CgroupManager, deadline: Instant) -> Result<()> {
    if let Some((_, dir)) = m.dirs.iter().find(|(h, _)| h.v2) {
        let f = dir.join("cgroup.kill");
        if f.exists() {
            debug!("killing what is left through {}", f.display());
            write_file(&f, "1")?;
            // A task frozen by the v1 freezer (a paused container) dies once thawed.
            if super::freezer::is_paused(&m.paths()) {
                m.set_frozen(false)?;
            }
            return wait_empty(m, deadline);
        }
    }
    if let Some((_, dir)) = m.dirs.iter().find(|(h, _)| h.has("freezer")) {
        debug!("killing what is left with {} frozen", dir.display());
        freeze_and_kill(m, dir, deadline)?;
        return wait_empty(m, deadline);
    }
    // Neither: kill what is there until nothing is (a fork may slip through once).
    loop {
        let pids = m.pids();
        if pids.is_empty() {
            return Ok(());
        }
        sigkill(&pids);
        if Instant::now() >= deadline {
            return Err(left(m, &pids));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Freezes the v1 freezer cgroup `dir` (nothing in it can fork any more), sends
/// SIGKILL to everything in it, and thaws it so the signals are delivered.
fn freeze_and_kill(m: &CgroupManager, dir: &Path, deadline: Instant) -> Result<()> {
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
    sigkill(&m.pids());
    write_file(&state, "THAWED")?;
    if !frozen {
        return Err(Error::msg(format!(
            "{}: still FREEZING after 5 s",
            state.display()
        )));
    }
    Ok(())
}

impl CgroupManager {
    /// Sends `sig` to every process in the container's cgroups (`kill --all`), with
    /// the cgroups frozen meanwhile (v1 freezer, else cgroup2's `cgroup.freeze`) so
    /// that no fork escapes it. SIGKILL uses `cgroup.kill` where the kernel has it.
    pub fn signal_all(&self, sig: Signal) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let v2 = self.dirs.iter().find(|(h, _)| h.v2).map(|(_, d)| d);
        // A paused container stays paused (its signals wait for `resume`), except
        // that SIGKILL thaws it: a frozen task dies only once thawed.
        let paused = super::freezer::is_paused(&self.paths());
        if sig == Signal::KILL {
            if let Some(d) = v2.filter(|d| d.join("cgroup.kill").exists()) {
                write_file(&d.join("cgroup.kill"), "1")?;
                return match paused {
                    true => self.set_frozen(false),
                    false => Ok(()),
                };
            }
        }
        let send = |m: &CgroupManager| {
            for p in m.pids().into_iter().filter_map(Pid::from_raw) {
                let _ = kill_process(p, sig);
            }
        };
        let thaw_after = !paused || sig == Signal::KILL;
        if let Some((_, dir)) = self.dirs.iter().find(|(h, _)| h.has("freezer")) {
            let state = dir.join("freezer.state");
            write_file(&state, "FROZEN")?;
            while read_file(&state)?.trim() != "FROZEN" && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            send(self);
            return match thaw_after {
                true => write_file(&state, "THAWED"),
                false => Ok(()),
            };
        }
        if let Some(d) = v2.filter(|d| d.join("cgroup.freeze").exists()) {
            if !thaw_after {
                send(self);
                return Ok(());
            }
            write_file(&d.join("cgroup.freeze"), "1")?;
            let events = d.join("cgroup.events");
            while !read_file(&events)?.lines().any(|l| l == "frozen 1") && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            send(self);
            return write_file(&d.join("cgroup.freeze"), "0");
        }
        send(self);
        Ok(())
    }
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

fn wait_empty(m: &CgroupManager, deadline: Instant) -> Result<()> {
    loop {
        let pids = m.pids();
        if pids.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(left(m, &pids));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn left(m: &CgroupManager, pids: &[i32]) -> Error {
    let dir = m.paths().into_iter().next().unwrap_or_default();
    Error::msg(format!(
        "cgroup {}: processes {pids:?} still there 5 s after SIGKILL",
        dir.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::Layout;
    use std::os::unix::process::ExitStatusExt;
    use std::process::Command;

    /// Root on a host with a v1 freezer and cgroup2 (this project's hybrid hosts):
    /// `signal_all` reaches a process in the cgroups through the freezer, and SIGKILL
    /// through `cgroup.kill`.
    #[test]
    fn signal_all_reaches_every_process() {
        let layout = Layout::detect().unwrap();
        let keep: Vec<_> = layout
            .hierarchies
            .iter()
            .filter(|h| h.v2 || h.has("freezer"))
            .cloned()
            .collect();
        if !rustix::process::geteuid().is_root() || keep.len() != 2 {
            eprintln!(
                "SKIP signal_all_reaches_every_process: needs root, a v1 freezer and cgroup2"
            );
            return;
        }
        let layout = Layout { hierarchies: keep };
        let path = format!("/runlet-unit-kill-{}", std::process::id());
        let mut m = CgroupManager::plan(&layout, Path::new(&path));
        m.create(true).unwrap();
        m.create(false).unwrap();
        for (sig, want) in [(Signal::TERM, 15), (Signal::KILL, 9)] {
            let mut child = Command::new("sleep").arg("30").spawn().unwrap();
            for d in m.paths() {
                write_file(&d.join("cgroup.procs"), &child.id().to_string()).unwrap();
            }
            m.signal_all(sig).unwrap();
            // `sleep 30` bounds this wait.
            assert_eq!(child.wait().unwrap().signal(), Some(want));
        }
        m.destroy().unwrap();
        assert!(m.paths().iter().all(|d| !d.exists()));
    }
}
