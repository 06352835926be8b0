//! `state.json`: the OCI state of a container as `create` saw it, plus what later
//! commands need to find it again. The `runlet*` fields are runlet's own.

use std::collections::BTreeMap;
use std::path::Path;

use miniserde::{Deserialize, Serialize};

use crate::error::{Error, Kind, Result};

#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct Saved {
    #[serde(rename = "ociVersion")]
    pub oci_version: String,
    pub id: String,
    /// The status when the file was written ("created"); read commands compute it live.
    pub status: String,
    pub pid: i32,
    pub bundle: String,
    pub rootfs: String,
    /// RFC 3339, UTC.
    pub created: String,
    pub annotations: BTreeMap<String, String>,
    /// Field 22 of /proc/<pid>/stat at create: tells the init from a process that
    /// reused its pid.
    #[serde(rename = "runletStartTime")]
    pub start_time: u64,
    /// The container's cgroup path (as in every hierarchy, from its root).
    #[serde(rename = "runletCgroupPath")]
    pub cgroup_path: String,
    /// The container's directory in every hierarchy.
    #[serde(rename = "runletCgroupPaths")]
    pub cgroup_paths: Vec<String>,
    /// Parent directories runlet made for it, removed at delete when empty.
    #[serde(rename = "runletCgroupCreated")]
    pub cgroup_created: Vec<String>,
    /// Where the init's stdin, stdout and stderr pointed (as runc records for
    /// checkpoint/restore).
    #[serde(rename = "runletStdio")]
    pub stdio: Vec<String>,
    /// Host ends of the veth pairs runlet made (removed at delete).
    #[serde(rename = "runletHostVeths")]
    pub host_veths: Vec<String>,
    /// The container's config.json as it was at create (hooks run from this copy).
    #[serde(rename = "runletConfig")]
    pub config: String,
    /// Without a mount namespace of its own: the mount ID of the rootfs bind runlet
    /// made in its namespace, unmounted at delete (container/shared_root.rs).
    #[serde(rename = "runletSharedRootMount")]
    pub shared_root_mount: Option<u64>,
    /// resctrl directories runlet made for `linux.intelRdt`, removed at delete.
    #[serde(rename = "runletRdtMade")]
    pub rdt_made: Option<Vec<String>>,
}

impl Saved {
    pub fn read(path: &Path) -> Result<Saved> {
        let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
        let bad = || {
            Error::of(
                Kind::Corrupt,
                format!("{}: not a runlet state file", path.display()),
            )
        };
        let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
        miniserde::json::from_str(text).map_err(|_| bad())
    }
}
