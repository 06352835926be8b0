//! The commands, one file each (`query.rs`: `state`, `list`, `ps`; `pause.rs`:
//! `pause`, `resume`; `run.rs`: `run` and `run -d`). Each takes the global options
//! and its own, and returns the exit status. Here: finding a container by ID, and
//! what `create` and `run` hand `container::create`.

pub mod create;
pub mod delete;
pub mod events;
pub mod exec;
mod exec_process;
pub mod features;
pub mod kill;
pub mod pause;
pub mod query;
pub mod run;
pub mod spec;
pub mod start;
pub mod supervise;
pub mod update;

use std::path::{Path, PathBuf};

use crate::cgroup::{CgroupManager, Layout};
use crate::cli::{CreateArgs, Global};
use crate::container::CreateOptions;
use crate::error::Result;
use crate::os::sys::SigSet;
use crate::process::fds::Passed;
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
    let saved = state::peek(root, id).map_err(|e| {
        if e.is_errno(linux_raw_sys::errno::ENOENT) {
            state::not_found(id)
        } else {
            e
        }
    })?;
    let live = Live::of(&saved, &root.join(id));
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

/// What `create` and `run` (with or without `-d`) hand `container::create`.
/// `sigmask`: the mask the container's process starts with; `detach`: the command
/// returns while the container runs.
pub fn create_options<'a>(
    g: &'a Global,
    c: &'a CreateArgs,
    passed: &'a Passed,
    sigmask: SigSet,
    detach: bool,
) -> CreateOptions<'a> {
    CreateOptions {
        root: &g.root,
        bundle: &c.bundle,
        id: &c.id,
        pid_file: c.pid_file.as_deref(),
        new_keyring: !c.no_new_keyring,
        no_pivot: c.no_pivot,
        sigmask,
        passed,
        console_socket: c.console_socket.as_deref(),
        detach,
    }
}
