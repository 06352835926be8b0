//! Id-mapped bind mounts (`mounts[].uidMappings`/`gidMappings`, options `idmap` and
//! `ridmap`): checked here, made and attached by runlet (crate::idmap).

use std::path::PathBuf;

use linux_raw_sys::general as g;

use super::mounts::Options;
use super::spec;
use super::userns::{ranges, IdMap, IdMaps};
use crate::bail;
use crate::error::Result;

/// One id-mapped bind mount.
#[derive(Debug, Clone, PartialEq)]
pub struct IdMapped {
    /// `mounts[N]`, for errors.
    pub at: String,
    pub source: PathBuf,
    pub dest: String,
    /// `rbind`: the submounts are cloned too.
    pub rbind: bool,
    /// `ridmap`: the submounts are mapped too.
    pub recursive: bool,
    /// MOUNT_ATTR_RDONLY, NOSUID, NODEV, NOEXEC from the options.
    pub attrs: u64,
    /// The mount's own maps; absent: the container's (runc's rule).
    pub uid: Option<Vec<IdMap>>,
    pub gid: Option<Vec<IdMap>>,
}

impl IdMapped {
    /// The maps to give the mount: its own, else the container's user namespace's.
    pub fn maps(&self, container: &IdMaps) -> IdMaps {
        IdMaps {
            uid: self.uid.clone().unwrap_or_else(|| container.uid.clone()),
            gid: self.gid.clone().unwrap_or_else(|| container.gid.clone()),
        }
    }
}

/// The per-mount flags a bind takes as mount attributes; the others make no sense on
/// a bind (a remount would ignore them too).
const ATTRS: [(u32, u64); 4] = [
    (g::MS_RDONLY, g::MOUNT_ATTR_RDONLY as u64),
    (g::MS_NOSUID, g::MOUNT_ATTR_NOSUID as u64),
    (g::MS_NODEV, g::MOUNT_ATTR_NODEV as u64),
    (g::MS_NOEXEC, g::MOUNT_ATTR_NOEXEC as u64),
];

pub(crate) fn parse(
    at: &str,
    m: &spec::Mount,
    source: PathBuf,
    dest: String,
    o: &Options,
) -> Result<IdMapped> {
    let given = |v: &Option<miniserde::json::Value>| !super::spec::is_empty(v.as_ref());
    let uid = match given(&m.uid_mappings) {
        true => Some(ranges(
            &format!("{at}.uidMappings"),
            m.uid_mappings.as_ref(),
        )?),
        false => None,
    };
    let gid = match given(&m.gid_mappings) {
        true => Some(ranges(
            &format!("{at}.gidMappings"),
            m.gid_mappings.as_ref(),
        )?),
        false => None,
    };
    if uid.is_some() != gid.is_some() {
        bail!("{at}: an id-mapped mount needs both uidMappings and gidMappings, or neither (idmap: the container's)");
    }
    if o.propagation != 0 || o.rec != Default::default() {
        bail!("{at}: propagation and recursive attributes are not supported on an id-mapped mount");
    }
    let attrs = ATTRS
        .iter()
        .filter(|(f, _)| o.flags & *f as u64 != 0)
        .fold(0, |a, (_, attr)| a | attr);
    Ok(IdMapped {
        at: at.to_string(),
        source,
        dest,
        rbind: o.flags & g::MS_REC as u64 != 0,
        recursive: o.idmap == Some(true),
        attrs,
        uid,
        gid,
    })
}
