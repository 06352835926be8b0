//! `runlet create`: everything up to the init's `Ready` (container::create), then
//! runlet exits and the init waits on the exec FIFO for `start` (reparented to the
//! nearest subreaper).

use crate::cli::{CreateArgs, Global};
use crate::cmd::{create_options, supervise};
use crate::container;
use crate::error::Result;

pub fn create(g: &Global, c: &CreateArgs) -> Result<i32> {
    // First: before runlet opens an fd of its own.
    let passed = crate::process::fds::collect(c.preserve_fds, true)?;
    // The container's process starts with runlet's own signal mask.
    let (sigmask, _) = supervise::prepare(false)?;
    container::create(&create_options(g, c, &passed, sigmask, true))?.detach();
    Ok(0)
}
