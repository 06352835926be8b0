//! Encoding the `Bootstrap` frame.

use std::os::unix::ffi::OsStrExt;

use wire::limits::{MAX_CGROUP_TASKS, MAX_MOUNTS};
use wire::{tag, Encoder, FrameKind, WireError};

use super::mounts::{self, Op};
use super::process::Proc;
use super::{CgroupMount, Config, NsKind};
use crate::bail;
use crate::error::{Error, Result};
use crate::seccomp::Filter;

/// The process fields, shared by `Bootstrap` and the `Process` frame of `runlet exec`.
pub(crate) fn encode_process(
    e: &mut Encoder<Vec<u8>>,
    p: &Proc,
    seccomp: Option<&Filter>,
) -> Result<(), WireError> {
    for a in &p.args {
        e.str(tag::ARG, a.as_bytes())?;
    }
    for v in &p.env {
        e.str(tag::ENV, v.as_bytes())?;
    }
    e.str(tag::CWD, p.cwd.as_bytes())?;
    e.u32(tag::UID, p.uid)?;
    e.u32(tag::GID, p.gid)?;
    for g in &p.groups {
        e.u32(tag::ADDITIONAL_GID, *g)?;
    }
    for r in &p.rlimits {
        e.bytes(tag::RLIMIT, &r.to_bytes())?;
    }
    e.flag(tag::NO_NEW_PRIVS, p.no_new_privs)?;
    if let Some(caps) = p.caps {
        e.u64s(tag::CAPS, &caps.to_array())?;
    }
    if let Some(n) = p.oom_score_adj {
        e.str(tag::OOM_SCORE_ADJ, n.to_string().as_bytes())?;
    }
    if let Some(l) = &p.labels.apparmor {
        e.str(tag::APPARMOR_PROFILE, l.as_bytes())?;
    }
    if let Some(l) = &p.labels.selinux {
        e.str(tag::SELINUX_LABEL, l.as_bytes())?;
    }
    if let Some(f) = seccomp {
        e.bytes(tag::SECCOMP, &f.program)?;
        e.u32(tag::SECCOMP_FLAGS, f.flags)?;
    }
    crate::terminal::encode(e, p.terminal, p.console_size)
}

pub(crate) fn encode(c: &Config, cgroup_mounts: &[CgroupMount]) -> Result<Vec<u8>> {
    let b = &c.boot;
    let new_cgroupns = c.new_namespace(NsKind::Cgroup);
    let mut ops = mounts::expand(&b.mounts, cgroup_mounts, new_cgroupns);
    // runlet itself in a user namespace (rootless podman) cannot mknod either.
    let user_ns = c.user_ns();
    let devices = match user_ns || crate::container::rootless::in_user_namespace() {
        true => super::userns::adapt_mounts(&mut ops, &b.devices, c.new_namespace(NsKind::Network)),
        false => b.devices.clone(),
    };
    if cgroup_mounts.len() > MAX_CGROUP_TASKS {
        bail!(
            "the host has {} cgroup hierarchies; runlet-init enters at most {MAX_CGROUP_TASKS}",
            cgroup_mounts.len()
        );
    }
    if ops.len() > MAX_MOUNTS {
        bail!(
            "mounts expand to {} mount operations (a cgroup mount becomes one per hierarchy); runlet-init holds at most {MAX_MOUNTS}",
            ops.len()
        );
    }
    let frame = (|| -> Result<Vec<u8>, WireError> {
        let mut e = Encoder::new(Vec::new(), FrameKind::Bootstrap)?;
        encode_process(&mut e, &b.process, b.seccomp.as_ref())?;

        e.str(tag::ROOTFS, c.rootfs.as_os_str().as_bytes())?;
        e.flag(tag::ROOTFS_READONLY, b.rootfs_readonly)?;
        e.u64(tag::ROOT_PROPAGATION, b.root_propagation)?;
        if let Some(h) = &b.hostname {
            e.str(tag::HOSTNAME, h.as_bytes())?;
        }
        e.flag(tag::NEW_CGROUPNS, new_cgroupns)?;
        e.flag(tag::NEW_KEYRING, c.new_keyring)?;
        if c.mount_ns() != wire::SharedMount::No {
            e.u8(tag::SHARED_MNTNS, c.mount_ns() as u8)?;
        }
        c.root.encode(&mut e)?;
        // The init enters its v1 cgroups itself (see CgroupManager::place_v2); in a
        // user namespace it may not write the host's files, and runlet places it.
        for h in cgroup_mounts
            .iter()
            .filter(|h| h.fstype == "cgroup" && !user_ns)
        {
            e.str(
                tag::CGROUP_TASKS,
                h.host_path.join("tasks").as_os_str().as_bytes(),
            )?;
        }
        for m in &ops {
            e.group(tag::MOUNT, |e| mount(e, m))?;
        }
        for d in &devices {
            e.group(tag::DEVICE, |e| {
                e.str(tag::D_PATH, d.path.as_bytes())?
                    .u8(tag::D_TYPE, d.kind)?
                    .u32(tag::D_MAJOR, d.major)?
                    .u32(tag::D_MINOR, d.minor)?
                    .u32(tag::D_MODE, d.mode)?
                    .u32(tag::D_UID, d.uid)?
                    .u32(tag::D_GID, d.gid)?;
                Ok(())
            })?;
        }
        for m in &b.masked_paths {
            e.str(tag::MASKED_PATH, m.as_bytes())?;
        }
        for r in &b.readonly_paths {
            e.str(tag::READONLY_PATH, r.as_bytes())?;
        }
        for (k, v) in &b.sysctls {
            e.group(tag::SYSCTL, |e| {
                e.str(tag::S_KEY, k.as_bytes())?
                    .str(tag::S_VALUE, v.as_bytes())?;
                Ok(())
            })?;
        }
        crate::net::encode(&c.net, &mut e)?;
        super::hooks::encode(&mut e, &c.hooks)?;
        e.finish()
    })();
    frame.map_err(|e| match e {
        WireError::BadFrameLength { len, max, .. } => Error::msg(format!(
            "the container's setup (process.args, process.env, mounts, paths) takes {len} bytes; runlet-init holds at most {max}"
        )),
        e => Error::from(e),
    })
}

fn mount(e: &mut Encoder<Vec<u8>>, m: &Op) -> Result<(), WireError> {
    e.u8(tag::M_KIND, m.kind as u8)?;
    if let Some(s) = &m.source {
        e.str(tag::M_SOURCE, s.as_os_str().as_bytes())?;
    }
    e.str(tag::M_DEST, m.dest.as_bytes())?;
    if let Some(t) = &m.fstype {
        e.str(tag::M_FSTYPE, t.as_bytes())?;
    }
    if m.flags != 0 {
        e.u64(tag::M_FLAGS, m.flags)?;
    }
    if let Some(d) = &m.data {
        e.str(tag::M_DATA, d.as_bytes())?;
    }
    if m.propagation != 0 {
        e.u64(tag::M_PROPAGATION, m.propagation)?;
    }
    if m.after_placement {
        e.flag(tag::M_AFTER_PLACEMENT, true)?;
    }
    if m.rec.set != 0 {
        e.u64(tag::M_ATTR_SET, m.rec.set)?;
    }
    if m.rec.clr != 0 {
        e.u64(tag::M_ATTR_CLR, m.rec.clr)?;
    }
    Ok(())
}
