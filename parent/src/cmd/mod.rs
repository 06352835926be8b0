//! The commands that act on containers by ID, one file per concern. Each takes
//! the global options and its own, and returns the exit status.

pub mod exec;
mod exec_process;
pub mod features;
pub mod kill;
pub mod lifecycle;
pub mod pause;
pub mod query;
pub mod run;
pub mod spec;
pub mod update;

use std::path::{Path, PathBuf};

use crate::cgroup::{CgroupManager, Layout};
use crate::error::Result;
use crate::state::{self, Live, Saved, StateDir};

/// A container found by ID: its locked directory, what `create` saved, its live status.
pub struct Found {
    pub dir: StateDir,
    pub saved: Saved,
    pub live: Live,
}

pub fn find(root: &Path, id: &str) -> Result<Found> {
    let dir = StateDir::open(root, id)?;
    let saved = dir.load()?;
    let live = Live::of(&saved, &dir.dir);
    Ok(Found { dir, saved, live })
}

/// A container's saved and live state without taking its lock, as `list` reads it
/// (state.json is replaced atomically): `state` and `ps` answer even while another
/// command holds the lock — a hook asking about the container that runs it.
pub fn look(root: &Path, id: &str) -> Result<(Saved, Live)> {
    state::check_id(id)?;
    let dir = root.join(id);
    let saved = state::peek(root, id).map_err(|e| {
        if dir.join("state.json").exists() {
            e
        } else {
            state::not_found(id)
        }
    })?;
    let live = Live::of(&saved, &dir);
    Ok((saved, live))
}

/// The container's cgroups, re-opened from the directories its state records (not
/// re-resolved: a relative cgroupsPath depends on the cgroup of the runlet that made
/// them).
pub fn cgroups(saved: &Saved) -> Result<CgroupManager> {
    let layout = Layout::detect()?;
    let dirs: Vec<PathBuf> = saved.cgroup_paths.iter().map(Into::into).collect();
    Ok(CgroupManager::reopen(
        &layout,
        &dirs,
        saved.cgroup_created.iter().map(Into::into).collect(),
    ))
}
