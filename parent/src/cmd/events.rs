//! `runlet events --stats`: one sample of a container's usage, read from the cgroup
//! directories its state records.

use std::path::Path;

use miniserde::json::{self, Value};

use crate::cgroup::CgroupManager;
use crate::cmd::{cgroups, find};
use crate::error::Result;

pub fn events(root: &Path, id: &str) -> Result<i32> {
    let m = cgroups(&find(root, id)?.saved)?;
    m.check_present()?;
    println!("{}", stats_line(id, &m));
    Ok(0)
}

/// One `events --stats` line, in runc's order of members (a JSON object here would
/// sort them).
pub fn stats_line(id: &str, m: &CgroupManager) -> String {
    format!(
        r#"{{"type":"stats","id":{},"data":{}}}"#,
        json::to_string(&Value::String(id.to_string())),
        json::to_string(&m.stats())
    )
}
