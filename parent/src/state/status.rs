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
    /// saved time (else the pid was reused). Created until `start` removed the FIFO.
    pub fn of(saved: &Saved, dir: &Path) -> Live {
        if !init_alive(saved.pid, saved.start_time) {
            return Live {
                status: Status::Stopped,
                pid: 0,
            };
        }
        let status = if dir.join(EXEC_FIFO).exists() {
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

fn paths(saved: &Saved) -> Vec<std::path::PathBuf> {
    saved.cgroup_paths.iter().map(Into::into).collect()
}
