//! The namespaces of a new container: the flags for those clone3 creates, the ones
//! the config joins by path (opened before the clone), and who joins each: runlet
//! around the clone, or its child (docs/userns.md for a user namespace).

use std::os::fd::OwnedFd;
use std::path::PathBuf;

use rustix::fs::{open, Mode, OFlags};
use rustix::thread::LinkNameSpaceType;

use crate::bail;
use crate::config::{Config, NsKind};
use crate::error::{Error, Result};
use crate::process::spawn::UserNsStep;

/// How the init is born into its namespaces (crate::process::spawn).
pub struct NsPlan {
    /// CLONE_NEW* for clone3. A new cgroup namespace is made later by the init
    /// itself, once it sits in the container's cgroups, so that it is rooted there.
    pub clone_flags: u64,
    /// CLONE_NEW* the child unshares after joining a user namespace by path, so
    /// that the joined user namespace owns them.
    pub unshare: u64,
    /// Joined by the child, in order (a user namespace first).
    pub join: Vec<(OwnedFd, LinkNameSpaceType, PathBuf)>,
    /// Joined by runlet around clone3.
    pub around: Vec<(OwnedFd, LinkNameSpaceType, PathBuf)>,
    pub userns: UserNsStep,
    /// A new PID namespace in a joined user namespace (crate::container::userns::fork_pid1).
    pub fork_pid1: bool,
}

/// Opens every namespace the config joins by path and decides who joins it. A PID
/// namespace applies to children: runlet joins it around the clone. With a new user
/// namespace runlet joins them all around the clone (its child could join none of
/// the host's). With a joined one the child joins it first, then the others, then
/// unshares the new ones, which the joined user namespace then owns.
pub fn open_namespaces(cfg: &Config) -> Result<NsPlan> {
    let user = cfg.namespaces.iter().find(|n| n.kind == NsKind::User);
    let userns = match user {
        None => UserNsStep::Host,
        Some(n) if n.path.is_none() => UserNsStep::New,
        Some(_) => UserNsStep::Joined,
    };
    let new: u64 = cfg
        .namespaces
        .iter()
        .filter(|n| n.path.is_none() && n.kind != NsKind::Cgroup)
        .fold(0, |f, n| f | n.kind.clone_flag());
    let mut plan = NsPlan {
        clone_flags: new,
        unshare: 0,
        join: Vec::new(),
        around: Vec::new(),
        userns,
        fork_pid1: false,
    };
    if userns == UserNsStep::Joined {
        if new & NsKind::Pid.clone_flag() != 0 {
            plan.fork_pid1 = true;
        }
        plan.clone_flags = 0;
        plan.unshare = new;
    }
    // The user namespace first: it owns the others.
    let mut order: Vec<&crate::config::Namespace> = cfg.namespaces.iter().collect();
    order.sort_by_key(|n| n.kind != NsKind::User);
    for ns in order {
        let Some(path) = &ns.path else { continue };
        let fd = open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).map_err(|e| {
            Error::io(
                &format!("open {} namespace", ns.kind.proc_name()),
                path,
                e.into(),
            )
        })?;
        let t = match ns.kind {
            NsKind::Pid => LinkNameSpaceType::ProcessID,
            NsKind::Mount => LinkNameSpaceType::Mount,
            NsKind::Ipc => LinkNameSpaceType::InterProcessCommunication,
            NsKind::Uts => LinkNameSpaceType::HostNameAndNISDomainName,
            NsKind::Network => LinkNameSpaceType::Network,
            NsKind::Cgroup => LinkNameSpaceType::ControlGroup,
            NsKind::User => LinkNameSpaceType::User,
        };
        let by_runlet = match userns {
            UserNsStep::New if ns.kind == NsKind::Mount => bail!(
                "linux.namespaces: joining a mount namespace by path with a new user namespace is not supported (the container could not mount in it)"
            ),
            UserNsStep::New => true,
            _ => ns.kind == NsKind::Pid,
        };
        match by_runlet {
            true => plan.around.push((fd, t, path.clone())),
            false => plan.join.push((fd, t, path.clone())),
        }
    }
    Ok(plan)
}

/// Paths as C strings for the spawned child, which may not allocate.
pub fn c_paths(paths: &[PathBuf]) -> Vec<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    paths
        .iter()
        .filter_map(|p| std::ffi::CString::new(p.as_os_str().as_bytes()).ok())
        .collect()
}
