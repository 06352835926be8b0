//! The namespaces of a new container: the flags for those clone3 creates, and the
//! ones the config joins by path, opened before the clone.

use std::os::fd::OwnedFd;
use std::path::PathBuf;

use rustix::fs::{open, Mode, OFlags};
use rustix::thread::LinkNameSpaceType;

use crate::config::{Config, NsKind};
use crate::error::{Error, Result};

/// CLONE_NEW* for the namespaces to create at clone time. A new cgroup namespace is
/// made later by the init itself, once it sits in the container's cgroups, so that
/// the namespace is rooted there.
pub fn clone_flags(cfg: &Config) -> u64 {
    cfg.namespaces
        .iter()
        .filter(|n| n.path.is_none() && n.kind != NsKind::Cgroup)
        .fold(0, |f, n| f | n.kind.clone_flag())
}

pub type Joins = (
    Vec<(OwnedFd, LinkNameSpaceType, PathBuf)>,
    Option<(OwnedFd, PathBuf)>,
);

/// Opens every namespace the config joins by path; the PID one separately.
pub fn open_namespaces(cfg: &Config) -> Result<Joins> {
    let mut join = Vec::new();
    let mut pid = None;
    for ns in &cfg.namespaces {
        let Some(path) = &ns.path else { continue };
        let fd = open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).map_err(|e| {
            Error::io(
                &format!("open {} namespace", ns.kind.proc_name()),
                path,
                e.into(),
            )
        })?;
        let t = match ns.kind {
            NsKind::Pid => {
                pid = Some((fd, path.clone()));
                continue;
            }
            NsKind::Mount => LinkNameSpaceType::Mount,
            NsKind::Ipc => LinkNameSpaceType::InterProcessCommunication,
            NsKind::Uts => LinkNameSpaceType::HostNameAndNISDomainName,
            NsKind::Network => LinkNameSpaceType::Network,
            NsKind::Cgroup => LinkNameSpaceType::ControlGroup,
        };
        join.push((fd, t, path.clone()));
    }
    Ok((join, pid))
}
