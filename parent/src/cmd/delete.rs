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
use crate::state::{StateDir, Status};

/// How long `delete` waits for a killed init to exit.
const KILL_TIMEOUT: Duration = Duration::from_secs(10);

/// `runlet delete`: removes a stopped or created container; `--force` kills a
/// running one first. With `--force`, an ID that is already gone is not an error.
pub fn delete(g: &Global, id: &str, force: bool) -> Result<i32> {
    let mut f = match find(&g.root, id) {
        Ok(f) => f,
        Err(e) if force && e.kind() == Kind::NotFound => return Ok(0),
        Err(e) if e.kind() == Kind::Incomplete => return delete_broken(&g.root, id),
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
        }
    }
    // Whatever is left in the cgroups (orphans of a container in the host's PID
    // namespace) is killed before they go.
    cgroups(&f.saved)?.destroy()?;
    debug!("cgroups of {id} removed");
    net::remove_host_ends(&f.saved.host_veths)?;
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

/// A state directory without a readable state.json: a `create` killed before it
/// wrote one. Nothing in it can be running code of the container (the init waits for
/// `start`, and dies with its creator until `Ready`), so the directory goes, and the
/// cgroups such a `create` may have made at the default path (`/runlet/<id>`, which
/// only this ID's owner uses); a configured cgroupsPath is not known without the state.
fn delete_broken(root: &Path, id: &str) -> Result<i32> {
    let mut d = StateDir::open(root, id)?;
    let layout = Layout::detect()?;
    CgroupManager::plan(&layout, &cgroup_path(None, id)?).destroy()?;
    d.remove()?;
    Ok(0)
}
