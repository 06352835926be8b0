//! A container's status, computed live from the kernel, never from a stale file.

use std::path::Path;

use crate::process::proc::init_alive;
use crate::state::{Saved, EXEC_FIFO};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The init waits on the exec FIFO.
    Created,
    Running,
    /// Running, with its cgroups frozen (`pause`).
    Paused,
    Stopped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        }
    }
}

/// What the kernel says about a saved container now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Live {
    pub status: Status,
    /// The init's pid while it is alive (0 once stopped, as runc reports it).
    pub pid: i32,
}

impl Live {
    /// The init is alive when its pid exists, is not a zombie, and started at the
    /// saved time (else the pid was reused). Created while the init is still
    /// runlet-init (it execs the container's program only once started): told by
    /// the process itself, not by a file a killed `start` may leave behind.
    pub fn of(saved: &Saved, dir: &Path) -> Live {
        if !init_alive(saved.pid, saved.start_time) {
            return Live {
                status: Status::Stopped,
                pid: 0,
            };
        }
        let created = still_the_helper(saved.pid).unwrap_or_else(|| dir.join(EXEC_FIFO).exists());
        let status = if created {
            Status::Created
        } else if crate::cgroup::freezer::is_paused(&paths(saved)) {
            Status::Paused
        } else {
            Status::Running
        };
        Live {
            status,
            pid: saved.pid,
        }
    }
}

/// Whether process `pid` still runs runlet-init's image: its `/proc/<pid>/exe` is
/// the sealed memfd runlet made (`/memfd:runlet-init (deleted)`), which the execve
/// of the container's program replaces. None when /proc does not say (the process
/// just went, or runlet may not read it): the exec FIFO's presence decides then.
fn still_the_helper(pid: i32) -> Option<bool> {
    use std::os::unix::ffi::OsStrExt;
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    let memfd = format!("/memfd:{}", crate::process::helpers::INIT_MEMFD_NAME);
    Some(exe.as_os_str().as_bytes().starts_with(memfd.as_bytes()))
}

fn paths(saved: &Saved) -> Vec<std::path::PathBuf> {
    saved.cgroup_paths.iter().map(Into::into).collect()
}
