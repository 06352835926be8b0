//! `runlet update`: a running container's limits changed, through the cgroup
//! directories its state records (the options: cli/update.rs).

use std::path::Path;

use crate::cmd::{cgroups, find};
use crate::config::resources::Resources;
use crate::error::Result;

pub fn update(root: &Path, id: &str, r: &Resources) -> Result<i32> {
    cgroups(&find(root, id)?.saved)?.update(r)?;
    Ok(0)
}
