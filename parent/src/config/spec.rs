//! The parts of the OCI runtime spec (`config.json`) runlet reads, as miniserde types.
//!
//! Every field is an `Option` (miniserde fails on a missing non-`Option` field and its
//! error names nothing), so required fields are checked by `validate` with a message
//! that names them. Fields runlet ignores are not declared; miniserde skips unknown
//! fields. `Value` holds parts runlet only inspects to refuse. Keep `diagnose::SPEC` in
//! step with these types: it explains a type error in terms of the JSON path.

use std::collections::BTreeMap;

use miniserde::json::Value;
use miniserde::Deserialize;

#[derive(Deserialize, Debug, Default)]
pub struct Spec {
    #[serde(rename = "ociVersion")]
    pub oci_version: Option<String>,
    pub root: Option<Root>,
    pub process: Option<Process>,
    pub hostname: Option<String>,
    pub domainname: Option<String>,
    pub mounts: Option<Vec<Mount>>,
    pub hooks: Option<Hooks>,
    pub annotations: Option<BTreeMap<String, String>>,
    pub linux: Option<Linux>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Root {
    pub path: Option<String>,
    pub readonly: Option<bool>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Process {
    pub terminal: Option<bool>,
    #[serde(rename = "consoleSize")]
    pub console_size: Option<ConsoleSize>,
    pub user: Option<User>,
    pub args: Option<Vec<String>>,
    pub env: Option<Vec<String>>,
    pub cwd: Option<String>,
    pub capabilities: Option<Capabilities>,
    pub rlimits: Option<Vec<Rlimit>>,
    #[serde(rename = "noNewPrivileges")]
    pub no_new_privileges: Option<bool>,
    #[serde(rename = "apparmorProfile")]
    pub apparmor_profile: Option<String>,
    #[serde(rename = "oomScoreAdj")]
    pub oom_score_adj: Option<i64>,
    #[serde(rename = "selinuxLabel")]
    pub selinux_label: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
pub struct ConsoleSize {
    pub height: Option<u32>,
    pub width: Option<u32>,
}

#[derive(Deserialize, Debug, Default)]
pub struct User {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    #[serde(rename = "additionalGids")]
    pub additional_gids: Option<Vec<u32>>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Capabilities {
    pub bounding: Option<Vec<String>>,
    pub effective: Option<Vec<String>>,
    pub permitted: Option<Vec<String>>,
    pub inheritable: Option<Vec<String>>,
    pub ambient: Option<Vec<String>>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Rlimit {
    pub r#type: Option<String>,
    pub hard: Option<u64>,
    pub soft: Option<u64>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Mount {
    pub destination: Option<String>,
    pub source: Option<String>,
    pub options: Option<Vec<String>>,
    pub r#type: Option<String>,
    #[serde(rename = "uidMappings")]
    pub uid_mappings: Option<Value>,
    #[serde(rename = "gidMappings")]
    pub gid_mappings: Option<Value>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Hooks {
    pub prestart: Option<Vec<Hook>>,
    #[serde(rename = "createRuntime")]
    pub create_runtime: Option<Vec<Hook>>,
    #[serde(rename = "createContainer")]
    pub create_container: Option<Vec<Hook>>,
    #[serde(rename = "startContainer")]
    pub start_container: Option<Vec<Hook>>,
    pub poststart: Option<Vec<Hook>>,
    pub poststop: Option<Vec<Hook>>,
}

/// One hook as written; checked by `config::hooks`.
#[derive(Deserialize, Debug, Default)]
pub struct Hook {
    pub path: Option<String>,
    pub args: Option<Vec<String>>,
    pub env: Option<Vec<String>>,
    pub timeout: Option<i64>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Linux {
    pub namespaces: Option<Vec<Namespace>>,
    #[serde(rename = "uidMappings")]
    pub uid_mappings: Option<Value>,
    #[serde(rename = "gidMappings")]
    pub gid_mappings: Option<Value>,
    pub devices: Option<Vec<Device>>,
    #[serde(rename = "cgroupsPath")]
    pub cgroups_path: Option<String>,
    pub resources: Option<Value>,
    #[serde(rename = "rootfsPropagation")]
    pub rootfs_propagation: Option<String>,
    pub seccomp: Option<Value>,
    pub sysctl: Option<BTreeMap<String, String>>,
    #[serde(rename = "maskedPaths")]
    pub masked_paths: Option<Vec<String>>,
    #[serde(rename = "readonlyPaths")]
    pub readonly_paths: Option<Vec<String>>,
    #[serde(rename = "mountLabel")]
    pub mount_label: Option<String>,
    #[serde(rename = "intelRdt")]
    pub intel_rdt: Option<Value>,
    #[serde(rename = "netDevices")]
    pub net_devices: Option<Value>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Namespace {
    pub r#type: Option<String>,
    pub path: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Device {
    pub r#type: Option<String>,
    pub path: Option<String>,
    pub major: Option<i64>,
    pub minor: Option<i64>,
    #[serde(rename = "fileMode")]
    pub file_mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

/// Null, `[]`, `{}`, or an object of such: a section that asks for nothing.
pub(crate) fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.values().all(|v| is_empty(Some(v))),
        Some(_) => false,
    }
}
