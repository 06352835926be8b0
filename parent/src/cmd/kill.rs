//! `runlet kill [--all] ID [SIGNAL]`: a signal to the container's init, or with
//! `--all` to every process in its cgroup.

use std::collections::BTreeSet;

use crate::cgroup::CgroupManager;
use crate::cli::Global;
use crate::cmd::{cgroups, find};
use crate::error::{Error, Result};
use crate::os::sys;
use crate::process::handle::InitHandle;
use crate::state::Status;

/// How many times `--all` re-reads the cgroup for processes forked meanwhile.
const ALL_PASSES: usize = 5;

pub fn kill(g: &Global, id: &str, sig: i32, all: bool) -> Result<i32> {
    let f = find(&g.root, id)?;
    if all {
        let cg = cgroups(&f.saved)?;
        if cg.pids().is_empty() && f.live.status == Status::Stopped {
            return Err(not_running());
        }
        // Frozen while signalled, so no fork escapes. A real-time signal goes the
        // plain way: rustix's `Signal` holds one only through the unsafe
        // `from_raw_unchecked` (see os::sys::kill_pid).
        match rustix::process::Signal::from_named_raw(sig) {
            Some(s) => cg.signal_all(s)?,
            None => kill_each(&cg, sig)?,
        }
        return Ok(0);
    }
    if f.live.status == Status::Stopped {
        return Err(not_running());
    }
    match InitHandle::open(f.saved.pid, f.saved.start_time)? {
        Some(init) => init.signal(sig)?,
        None => return Err(not_running()),
    }
    // Other signals wait for `resume`; SIGKILL thaws a paused container, or its
    // frozen init would not die (containerd kills paused containers so).
    if sig == crate::process::signals::SIGKILL {
        let cg = cgroups(&f.saved)?;
        if crate::cgroup::freezer::is_paused(&cg.paths()) {
            cg.set_frozen(false)?;
        }
    }
    Ok(0)
}

/// containerd treats "container not running" as "already finished".
fn not_running() -> Error {
    Error::msg("container not running")
}

/// Signals every process of the container's cgroup, again for any that appear while
/// it does (a process forking as it is signalled).
fn kill_each(cg: &CgroupManager, sig: i32) -> Result<()> {
    let mut sent = BTreeSet::new();
    for _ in 0..ALL_PASSES {
        let fresh: Vec<i32> = cg
            .pids()
            .into_iter()
            .filter(|p| *p > 0 && !sent.contains(p))
            .collect();
        if fresh.is_empty() {
            break;
        }
        for p in fresh {
            match sys::kill_pid(p, sig) {
                Err(e) if e.raw_os_error() != Some(rustix::io::Errno::SRCH.raw_os_error()) => {
                    return Err(Error::sys(&format!("kill {p} (signal {sig})"), e))
                }
                _ => {}
            }
            sent.insert(p);
        }
    }
    Ok(())
}
