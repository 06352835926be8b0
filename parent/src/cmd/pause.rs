//! `runlet pause ID` / `runlet resume ID`: every process of the container frozen or
//! thawed through its cgroups (crate::cgroup::freezer); `state` then says `paused`
//! or `running`, as runc's do.

use crate::cli::Global;
use crate::cmd::{cgroups, find};
use crate::debug;
use crate::error::{Error, Result};
use crate::state::Status;

pub fn pause(g: &Global, id: &str, freeze: bool) -> Result<i32> {
    let f = find(&g.root, id)?;
    match (freeze, f.live.status) {
        (true, Status::Running | Status::Created) => {}
        (true, Status::Paused) => {
            return Err(Error::msg(format!("container {id} is already paused")))
        }
        (true, Status::Stopped) => return Err(Error::msg("container not running")),
        (false, Status::Paused) => {}
        (false, _) => return Err(Error::msg("container not paused")),
    }
    cgroups(&f.saved)?.set_frozen(freeze)?;
    debug!(
        "container {id} {}",
        if freeze { "frozen" } else { "thawed" }
    );
    Ok(0)
}
