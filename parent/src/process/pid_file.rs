//! `--pid-file`: the pid of the container's process (`create`, `run`) or of an exec'd
//! one (`exec`), as a caller such as containerd's shim reads it.

use std::path::Path;

use crate::error::{Error, Result};

/// Writes `pid` to `p` atomically (a temporary file renamed over it): a reader never
/// sees a partial number.
pub fn write(p: &Path, pid: i32) -> Result<()> {
    let tmp = p.with_extension("runlet-tmp");
    std::fs::write(&tmp, pid.to_string())
        .and_then(|_| std::fs::rename(&tmp, p))
        .map_err(|e| Error::io("write pid file", p, e))
}
