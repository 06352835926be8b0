//! From the parsed `spec::Spec` to a `Config`: every check, in the order of the
//! document, each failure one line naming the field and why.

use std::path::{Path, PathBuf};

use wire::limits::{MAX_DEVICES, MAX_MOUNTS, MAX_PATH_LIST, MAX_SYSCTLS};

use super::devices::{self, Dev};
use super::mounts::{self, Entry, PROPAGATION};
use super::paths::{container_path, host_fits, no_nul, resolve};
use super::process::{self, capacity, Proc};
use super::{namespaces, spec, sysctl, Config, Namespace, NsKind};
use crate::bail;
use crate::error::{Error, Result};

/// Everything the `Bootstrap` frame carries besides what `Config` shows publicly.
#[derive(Debug, Default, Clone)]
pub(crate) struct Boot {
    pub process: Proc,
    pub rootfs_readonly: bool,
    pub root_propagation: u64,
    pub hostname: Option<String>,
    /// In config order; cgroup mounts are expanded by `Config::bootstrap`.
    pub mounts: Vec<Entry>,
    pub devices: Vec<Dev>,
    pub masked_paths: Vec<String>,
    pub readonly_paths: Vec<String>,
    /// (path below /proc/sys, value).
    pub sysctls: Vec<(String, String)>,
    /// `linux.seccomp` compiled (src/seccomp/).
    pub seccomp: Option<crate::seccomp::Filter>,
}

const DEFAULT_PROPAGATION: u64 =
    (linux_raw_sys::general::MS_SLAVE | linux_raw_sys::general::MS_REC) as u64;

/// `bundle` is absolute and clean. Returns the config and warnings to print.
pub(crate) fn config(spec: spec::Spec, bundle: PathBuf) -> Result<(Config, Vec<String>)> {
    let mut warnings = Vec::new();
    let oci_version = match spec.oci_version {
        Some(v) if !v.is_empty() => v,
        _ => bail!("ociVersion is required"),
    };
    let linux = spec.linux.unwrap_or_default();
    refuse_unsupported(&linux)?;
    let hooks = super::hooks::parse(spec.hooks.as_ref())?;

    let (rootfs, rootfs_readonly) = root(spec.root.as_ref(), &bundle)?;
    let process = process::parse(spec.process.as_ref(), &mut warnings)?;
    let namespaces = namespaces::parse(linux.namespaces.as_deref().unwrap_or(&[]))?;
    let userns = super::userns::parse(
        &namespaces,
        linux.uid_mappings.as_ref(),
        linux.gid_mappings.as_ref(),
    )?;

    let hostname = name_field("hostname", spec.hostname, &namespaces)?;
    let domainname = name_field("domainname", spec.domainname, &namespaces)?;

    // Without a mount namespace of its own the rootfs bind is left as the caller's
    // namespace makes it, unless the config asks (docs/config.md).
    let own_mount_ns = namespaces
        .iter()
        .any(|n| n.kind == NsKind::Mount && n.path.is_none());
    let root_propagation = match linux.rootfs_propagation.as_deref() {
        None | Some("") if !own_mount_ns => 0,
        None | Some("") => DEFAULT_PROPAGATION,
        Some(p) => match PROPAGATION.iter().find(|(n, _)| *n == p) {
            Some(&(_, f)) => f,
            None => bail!(
                "linux.rootfsPropagation {p:?} must be one of shared, rshared, slave, rslave, private, rprivate, unbindable, runbindable"
            ),
        },
    };

    let mut mounts = mounts::parse(spec.mounts.as_deref().unwrap_or(&[]), &bundle)?;
    let host = super::lsm::Host::detect();
    super::lsm::label_mounts(host, linux.mount_label.as_deref(), &mut mounts)?;
    capacity("mounts", mounts::min_ops(&mounts), MAX_MOUNTS)?;

    let devices = devices::parse(linux.devices.as_deref().unwrap_or(&[]))?;
    if devices.len() > MAX_DEVICES {
        bail!(
            "linux.devices makes {} device nodes with runlet's defaults; runlet-init holds at most {MAX_DEVICES}",
            devices.len()
        );
    }

    let masked_paths = path_list("linux.maskedPaths", linux.masked_paths.as_deref())?;
    let readonly_paths = path_list("linux.readonlyPaths", linux.readonly_paths.as_deref())?;

    let sysctls = sysctl::parse(
        &linux.sysctl.unwrap_or_default(),
        &namespaces,
        hostname.is_some(),
        domainname.as_deref(),
    )?;
    if sysctls.len() > MAX_SYSCTLS {
        bail!(
            "linux.sysctl has {} entries; runlet-init holds at most {MAX_SYSCTLS}",
            sysctls.len()
        );
    }

    let seccomp = crate::seccomp::load(linux.seccomp.as_ref())?;

    if let Some(p) = &linux.cgroups_path {
        no_nul("linux.cgroupsPath", p)?;
    }

    let annotations = spec.annotations.unwrap_or_default();
    let net = crate::net::parse(&annotations, net_ns(&namespaces))?;

    let boot = Boot {
        process,
        rootfs_readonly,
        root_propagation,
        hostname,
        mounts,
        devices,
        masked_paths,
        readonly_paths,
        sysctls,
        seccomp,
    };
    let config = Config {
        oci_version,
        bundle,
        rootfs,
        annotations,
        namespaces,
        idmapped: idmapped(&boot.mounts, userns.as_ref())?,
        userns,
        net,
        cgroups_path: linux.cgroups_path.filter(|p| !p.is_empty()),
        resources: super::resources::parse("linux.resources", linux.resources.as_ref())?,
        intel_rdt: crate::rdt::parse(linux.intel_rdt.as_ref())?,
        new_keyring: true,
        root: Default::default(),
        hooks,
        source: String::new(),
        boot,
    };
    Ok((config, warnings))
}

/// The id-mapped mounts with the maps each gets. They need a new user namespace:
/// in the host's they would map nothing runlet could check.
fn idmapped(
    mounts: &[Entry],
    userns: Option<&super::userns::IdMaps>,
) -> Result<Vec<(super::idmapped::IdMapped, super::userns::IdMaps)>> {
    let mut out = Vec::new();
    for m in mounts {
        let Entry::IdMapped(m) = m else { continue };
        let Some(maps) = userns else {
            bail!(
                "{}: an id-mapped mount needs a new user namespace (linux.namespaces type user, with linux.uidMappings)",
                m.at
            );
        };
        out.push((m.clone(), m.maps(maps)));
    }
    Ok(out)
}

fn net_ns(ns: &[Namespace]) -> crate::net::NetNs {
    match ns.iter().find(|n| n.kind == NsKind::Network) {
        None => crate::net::NetNs::Host,
        Some(Namespace { path: Some(p), .. }) => crate::net::NetNs::Joined(p.clone()),
        Some(_) => crate::net::NetNs::New,
    }
}

/// Features runlet does not have yet: refused, because running without them would
/// silently give the user a container other than the one asked for.
fn refuse_unsupported(linux: &spec::Linux) -> Result<()> {
    if !spec::is_empty(linux.net_devices.as_ref()) {
        bail!("linux.netDevices is not supported yet; the devices would be missing from the container");
    }
    Ok(())
}

/// `root.path` made absolute (against the bundle) and resolved; it must be a directory.
fn root(r: Option<&spec::Root>, bundle: &Path) -> Result<(PathBuf, bool)> {
    let Some(r) = r else {
        bail!("root is required");
    };
    let Some(p) = r.path.as_deref().filter(|p| !p.is_empty()) else {
        bail!("root.path is required");
    };
    no_nul("root.path", p)?;
    let given = resolve(bundle, p);
    let rootfs = std::fs::canonicalize(&given).map_err(|e| Error::io("rootfs", &given, e))?;
    if !rootfs.is_dir() {
        return Err(Error::io(
            "rootfs",
            &given,
            std::io::Error::from_raw_os_error(linux_raw_sys::errno::ENOTDIR as i32),
        ));
    }
    host_fits("root.path", &rootfs)?;
    Ok((rootfs, r.readonly.unwrap_or(false)))
}

/// `hostname` / `domainname`: set only in a UTS namespace of the container's own, at
/// most 64 bytes. Empty is unset (as runc).
fn name_field(field: &str, v: Option<String>, ns: &[Namespace]) -> Result<Option<String>> {
    let Some(v) = v.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    no_nul(field, &v)?;
    if v.len() > 64 {
        bail!(
            "{field} is {} bytes long; the kernel takes at most 64",
            v.len()
        );
    }
    if !ns.iter().any(|n| n.kind == NsKind::Uts) {
        bail!("{field} needs a uts namespace in linux.namespaces (it would change the host's)");
    }
    Ok(Some(v))
}

fn path_list(field: &str, list: Option<&[String]>) -> Result<Vec<String>> {
    let list = list.unwrap_or(&[]);
    capacity(field, list.len(), MAX_PATH_LIST)?;
    list.iter()
        .enumerate()
        .map(|(i, p)| container_path(&format!("{field}[{i}]"), p))
        .collect()
}
