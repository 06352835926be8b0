//! `runlet delete [--force] ID`: a stopped or created container removed; with
//! `--force` a running one killed first.

use std::path::Path;
use std::time::Duration;

use crate::cgroup::{cgroup_path, CgroupManager, Layout};
use crate::cli::Global;
use crate::cmd::{cgroups, find};
use crate::config::{HookKind, Hooks};
use crate::debug;
use crate::error::{Error, Kind, Result};
use crate::hooks;
use crate::net;
use crate::process::handle::InitHandle;
use crate::process::signals::SIGKILL;
use crate::state::{self, StateDir, Status};

/// How long `delete` waits for a killed init to exit.
const KILL_TIMEOUT: Duration = Duration::from_secs(10);

/// `runlet delete`: removes a stopped or created container; `--force` kills a
/// running one first. With `--force`, an ID that is already gone is not an error.
pub fn delete(g: &Global, id: &str, force: bool) -> Result<i32> {
    let mut f = match find(&g.root, id) {
        Ok(f) => f,
        Err(e) if force && e.kind() == Kind::NotFound => return Ok(0),
        Err(e) if e.kind() == Kind::Incomplete => return delete_broken(&g.root, id),
        Err(e) if e.kind() == Kind::Corrupt && !force => {
            return Err(Error::of(
                Kind::Corrupt,
                format!("{e} (delete --force removes the container all the same)"),
            ))
        }
        Err(e) if e.kind() == Kind::Corrupt => return delete_broken(&g.root, id),
        Err(e) => return Err(e),
    };
    if matches!(f.live.status, Status::Running | Status::Paused) && !force {
        return Err(Error::msg(format!(
            "cannot delete container {id} that is not stopped: {}",
            f.live.status.as_str()
        )));
    }
    if f.live.status != Status::Stopped {
        if let Some(init) = InitHandle::open(f.saved.pid, f.saved.start_time)? {
            init.signal(SIGKILL)?;
            // A frozen init dies only once thawed (a created container may have
            // been paused too).
            let cg = cgroups(&f.saved)?;
            if crate::cgroup::freezer::is_paused(&cg.paths()) {
                cg.set_frozen(false)?;
            }
            init.wait_exit(KILL_TIMEOUT)?;
            debug!("init {} killed", f.saved.pid);
        }
    }
    // Whatever is left in the cgroups (orphans of a container in the host's PID
    // namespace) is killed before they go.
    cgroups(&f.saved)?.destroy()?;
    debug!("cgroups of {id} removed");
    remove_made(&f.saved)?;
    net::remove_host_ends(&f.saved.host_veths)?;
    debug!("{} host veth ends removed", f.saved.host_veths.len());
    // After the container is gone, before its state is: the directory's lock keeps
    // the id from being reused while they run.
    match Hooks::from_config_text(&f.saved.config) {
        Ok(hks) => {
            let state = hooks::State::from_saved(&f.saved);
            hooks::run_warn(HookKind::Poststop, &hks, &state.json("stopped", 0));
        }
        Err(e) => eprintln!("runlet: warning: poststop hooks not run: {e}"),
    }
    f.dir.remove()?;
    Ok(0)
}

/// What runlet made outside cgroups: resctrl groups (`linux.intelRdt`) and the rootfs
/// bind of a container without a mount namespace of its own.
pub(super) fn remove_made(s: &crate::state::Saved) -> Result<()> {
    let made: Vec<std::path::PathBuf> = s.rdt_made.iter().flatten().map(Into::into).collect();
    crate::rdt::remove(&made)?;
    match s.shared_root_mount {
        Some(id) => crate::container::shared_root::remove(Path::new(&s.rootfs), id),
        None => Ok(()),
    }
}

/// A state directory whose state.json cannot be read. Missing (`Kind::Incomplete`):
/// a `create` killed before it wrote one (or a fault since); truncated or garbage
/// (`Kind::Corrupt`): only `--force` comes here, as the one line of plain `delete`
/// says. What can still be trusted is used (docs/cli.md): the redundant record
/// `init.rec` (state/record.rs) gives the init's pid and start time, checked against
/// the kernel before the init is killed, its cgroup directories and veth host ends;
/// the cgroups at the default path (`/runlet/<id>`, used by this ID only) go as well.
/// Whatever is in those cgroups is killed; poststop hooks cannot run without the
/// config.
fn delete_broken(root: &Path, id: &str) -> Result<i32> {
    let mut d = StateDir::open(root, id)?;
    let rec = state::Record::read(&d.dir);
    if let (Some(pid), Some(start)) = (rec.pid, rec.start_time) {
        if let Some(init) = InitHandle::open(pid, start)? {
            debug!("init {pid} of {id} found from its record");
            init.signal(SIGKILL)?;
            let layout = Layout::detect()?;
            let cg = CgroupManager::existing(&layout, &below_mounts(&layout, &rec));
            // A frozen init dies only once thawed.
            if crate::cgroup::freezer::is_paused(&cg.paths()) {
                cg.set_frozen(false)?;
            }
            init.wait_exit(KILL_TIMEOUT)?;
        }
    }
    let layout = Layout::detect()?;
    CgroupManager::existing(&layout, &below_mounts(&layout, &rec)).destroy()?;
    CgroupManager::plan(&layout, &cgroup_path(None, id)?).destroy()?;
    net::remove_host_ends(&rec.host_veths)?;
    d.remove()?;
    Ok(0)
}

/// The record's cgroup directories that lie strictly below a mounted hierarchy
/// (never a hierarchy's root, never anything else).
fn below_mounts(layout: &Layout, rec: &state::Record) -> Vec<std::path::PathBuf> {
    rec.cgroup_dirs
        .iter()
        .filter(|d| {
            layout
                .hierarchies
                .iter()
                .any(|h| d.starts_with(&h.mountpoint) && **d != h.mountpoint)
        })
        .cloned()
        .collect()
}
