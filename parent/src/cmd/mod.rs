//! The commands that act on containers by ID, one file per concern. Each takes
//! the global options and its own, and returns the exit status.

pub mod exec;
mod exec_process;
pub mod features;
pub mod kill;
pub mod lifecycle;
pub mod query;
pub mod spec;

use std::path::Path;

use crate::cgroup::{CgroupManager, Layout};
use crate::error::Result;
use crate::state::{Live, Saved, StateDir};

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

/// The container's cgroups, re-opened from the saved path.
pub fn cgroups(saved: &Saved) -> Result<CgroupManager> {
    let layout = Layout::detect()?;
    Ok(CgroupManager::reopen(
        &layout,
        Path::new(&saved.cgroup_path),
        saved.cgroup_created.iter().map(Into::into).collect(),
    ))
}
