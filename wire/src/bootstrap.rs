//! The `Bootstrap` frame: everything `runlet-init` needs, decoded in place.

use core::ffi::CStr;

use crate::error::WireError;
use crate::fields::{count, Field, Fields, Seen};
use crate::hooks::{decode_hook, Hook};
use crate::limits::{
    MAX_CGROUP_TASKS, MAX_DEVICES, MAX_HOOKS, MAX_MOUNTS, MAX_PATH_LIST, MAX_ROOT_DETACH,
    MAX_SYSCTLS, MAX_VETHS,
};
use crate::net::{decode_veth, Veth};
use crate::process::{strings, Process, ProcessDecoder};
use crate::tag;

const KIND: &str = "Bootstrap";

/// What the init does with one mount entry. The parent has already turned OCI mount
/// options into flags, and a `cgroup` mount into several entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum MountKind {
    /// mount(source, dest, fstype, flags, data).
    Fs = 0,
    /// Bind `source` (a host path) onto dest, then remount with `flags` if any are set.
    Bind = 1,
    /// Remount an existing mount at dest with `flags` (e.g. make a tmpfs read-only).
    Remount = 2,
}

#[derive(Debug, Clone, Copy)]
pub struct Mount<'a> {
    pub kind: MountKind,
    pub source: Option<&'a CStr>,
    /// Absolute inside the container's root.
    pub dest: &'a CStr,
    pub fstype: Option<&'a CStr>,
    pub flags: u64,
    pub data: Option<&'a CStr>,
    pub propagation: u64,
    /// Wait for `Resume` (cgroup placement) and enter the cgroup namespace first.
    pub after_placement: bool,
    /// `MOUNT_ATTR_*` set and cleared recursively after mounting (0: none).
    pub attr_set: u64,
    pub attr_clr: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct Device<'a> {
    pub path: &'a CStr,
    /// b'c', b'u', b'b' or b'p'.
    pub kind: u8,
    pub major: u32,
    pub minor: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct Sysctl<'a> {
    /// Below /proc/sys, with '/' separators.
    pub key: &'a CStr,
    pub value: &'a CStr,
}

/// Whether the container has a mount namespace of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedMount {
    /// A new one (the usual case): the init sets up `/` and pivots.
    No = 0,
    /// runlet's own: runlet has bound the rootfs onto itself there (and removes that
    /// mount, with everything below it, when the container goes).
    Bound = 1,
    /// One joined by path: the init binds the rootfs onto itself in it.
    Joined = 2,
}

#[derive(Clone)]
pub struct Bootstrap<'a> {
    body: &'a [u8],
    pub process: Process<'a>,
    pub rootfs: &'a CStr,
    pub rootfs_readonly: bool,
    pub root_propagation: u64,
    pub hostname: Option<&'a CStr>,
    pub new_cgroupns: bool,
    pub new_keyring: bool,
    /// Move the rootfs over `/` and chroot instead of pivot_root (`ROOT_MOVE`).
    pub root_move: bool,
    /// No mount namespace of the container's own (`SHARED_MNTNS`).
    pub shared_mount: SharedMount,
    /// Bring `lo` up (a network namespace of the container's own).
    pub net_loopback: bool,
    /// State JSON for createContainer hooks' stdin (absent: none to run).
    pub create_state: Option<&'a CStr>,
    /// State JSON for startContainer hooks' stdin.
    pub start_state: Option<&'a CStr>,
    /// Seconds the init waits for `Resume` beyond its own limit.
    pub resume_wait_s: u32,
}

fn abs_path<'a>(f: &Field<'a>) -> Result<&'a CStr, WireError> {
    let c = f.cstr()?;
    if c.to_bytes().first() != Some(&b'/') {
        return Err(WireError::BadValue { tag: f.tag });
    }
    Ok(c)
}

impl<'a> Bootstrap<'a> {
    /// Checks every field (tags, sizes, strings, capacities, required fields) so the
    /// accessors below cannot fail.
    pub fn decode(body: &'a [u8]) -> Result<Self, WireError> {
        let mut process = ProcessDecoder::default();
        let mut seen = Seen::default();
        let (mut rootfs, mut readonly, mut prop, mut hostname, mut cgns) =
            (None, false, 0, None, false);
        let (mut mounts, mut devices, mut masked, mut ro, mut sysctls) = (0, 0, 0, 0, 0);
        let mut tasks = 0;
        let mut keyring = false;
        let (mut root_move, mut detach) = (false, 0);
        let mut shared = SharedMount::No;
        let (mut lo, mut veths) = (false, 0);
        let (mut hooks, mut create_state, mut start_state, mut resume_wait) = (0, None, None, 0);
        for f in Fields::new(body) {
            let f = f?;
            if process.accept(KIND, &f)? {
                continue;
            }
            match f.tag {
                tag::ROOTFS => {
                    seen.once(KIND, f.tag)?;
                    rootfs = Some(abs_path(&f)?);
                }
                tag::ROOTFS_READONLY => {
                    seen.once(KIND, f.tag)?;
                    readonly = f.flag()?;
                }
                tag::ROOT_PROPAGATION => {
                    seen.once(KIND, f.tag)?;
                    prop = f.u64()?;
                }
                tag::HOSTNAME => {
                    seen.once(KIND, f.tag)?;
                    f.text()?;
                    hostname = Some(f.cstr()?);
                }
                tag::NEW_CGROUPNS => {
                    seen.once(KIND, f.tag)?;
                    cgns = f.flag()?;
                }
                tag::NEW_KEYRING => {
                    seen.once(KIND, f.tag)?;
                    keyring = f.flag()?;
                }
                tag::ROOT_MOVE => {
                    seen.once(KIND, f.tag)?;
                    root_move = f.flag()?;
                }
                tag::SHARED_MNTNS => {
                    seen.once(KIND, f.tag)?;
                    shared = match f.u8()? {
                        0 => SharedMount::No,
                        1 => SharedMount::Bound,
                        2 => SharedMount::Joined,
                        _ => return Err(WireError::BadValue { tag: f.tag }),
                    };
                }
                tag::ROOT_DETACH => {
                    count(&mut detach, f.tag, MAX_ROOT_DETACH)?;
                    abs_path(&f)?;
                }
                tag::MOUNT => {
                    count(&mut mounts, f.tag, MAX_MOUNTS)?;
                    decode_mount(f.bytes)?;
                }
                tag::DEVICE => {
                    count(&mut devices, f.tag, MAX_DEVICES)?;
                    decode_device(f.bytes)?;
                }
                tag::MASKED_PATH => {
                    count(&mut masked, f.tag, MAX_PATH_LIST)?;
                    abs_path(&f)?;
                }
                tag::READONLY_PATH => {
                    count(&mut ro, f.tag, MAX_PATH_LIST)?;
                    abs_path(&f)?;
                }
                tag::SYSCTL => {
                    count(&mut sysctls, f.tag, MAX_SYSCTLS)?;
                    decode_sysctl(f.bytes)?;
                }
                tag::CGROUP_TASKS => {
                    count(&mut tasks, f.tag, MAX_CGROUP_TASKS)?;
                    abs_path(&f)?;
                }
                tag::NET_LOOPBACK => {
                    seen.once(KIND, f.tag)?;
                    lo = f.flag()?;
                }
                tag::VETH => {
                    count(&mut veths, f.tag, MAX_VETHS)?;
                    decode_veth(f.bytes)?;
                }
                tag::HOOK => {
                    count(&mut hooks, f.tag, MAX_HOOKS)?;
                    decode_hook(f.bytes)?;
                }
                tag::CREATE_STATE | tag::START_STATE => {
                    seen.once(KIND, f.tag)?;
                    f.text()?;
                    let v = Some(f.cstr()?);
                    if f.tag == tag::CREATE_STATE {
                        create_state = v;
                    } else {
                        start_state = v;
                    }
                }
                tag::RESUME_WAIT => {
                    seen.once(KIND, f.tag)?;
                    resume_wait = f.u32()?;
                }
                t => return Err(WireError::UnknownTag { kind: KIND, tag: t }),
            }
        }
        seen.require(KIND, tag::ROOTFS)?;
        Ok(Bootstrap {
            body,
            process: process.finish(KIND, body)?,
            rootfs: rootfs.unwrap_or(c"/"),
            rootfs_readonly: readonly,
            root_propagation: prop,
            hostname,
            new_cgroupns: cgns,
            new_keyring: keyring,
            root_move,
            shared_mount: shared,
            net_loopback: lo,
            create_state,
            start_state,
            resume_wait_s: resume_wait,
        })
    }

    fn groups(&self, t: u16) -> impl Iterator<Item = &'a [u8]> + 'a {
        Fields::new(self.body).filter_map(move |f| match f {
            Ok(f) if f.tag == t => Some(f.bytes),
            _ => None,
        })
    }

    pub fn mounts(&self) -> impl Iterator<Item = Mount<'a>> + 'a {
        self.groups(tag::MOUNT).filter_map(|b| decode_mount(b).ok())
    }

    pub fn devices(&self) -> impl Iterator<Item = Device<'a>> + 'a {
        self.groups(tag::DEVICE)
            .filter_map(|b| decode_device(b).ok())
    }

    pub fn sysctls(&self) -> impl Iterator<Item = Sysctl<'a>> + 'a {
        self.groups(tag::SYSCTL)
            .filter_map(|b| decode_sysctl(b).ok())
    }

    pub fn masked_paths(&self) -> impl Iterator<Item = &'a CStr> + 'a {
        strings(self.body, tag::MASKED_PATH)
    }

    /// Host mount points to detach once the rootfs is over `/` (`ROOT_DETACH`).
    pub fn root_detach(&self) -> impl Iterator<Item = &'a CStr> + 'a {
        strings(self.body, tag::ROOT_DETACH)
    }

    pub fn readonly_paths(&self) -> impl Iterator<Item = &'a CStr> + 'a {
        strings(self.body, tag::READONLY_PATH)
    }

    /// The veth peers to configure inside, in order.
    pub fn veths(&self) -> impl Iterator<Item = Veth<'a>> + 'a {
        self.groups(tag::VETH).filter_map(|b| decode_veth(b).ok())
    }

    /// The hooks the init runs, in config order.
    pub fn hooks(&self) -> impl Iterator<Item = Hook<'a>> + 'a {
        self.groups(tag::HOOK).filter_map(|b| decode_hook(b).ok())
    }

    /// The v1 `tasks` files the init enters itself once the parent says `Resume`.
    pub fn cgroup_tasks(&self) -> impl Iterator<Item = &'a CStr> + 'a {
        strings(self.body, tag::CGROUP_TASKS)
    }
}

fn decode_mount(body: &[u8]) -> Result<Mount<'_>, WireError> {
    const K: &str = "MOUNT";
    let mut seen = Seen::default();
    let mut m = Mount {
        kind: MountKind::Fs,
        source: None,
        dest: c"/",
        fstype: None,
        flags: 0,
        data: None,
        propagation: 0,
        after_placement: false,
        attr_set: 0,
        attr_clr: 0,
    };
    for f in Fields::new(body) {
        let f = f?;
        seen.once(K, f.tag)?;
        match f.tag {
            tag::M_KIND => {
                m.kind = match f.u8()? {
                    0 => MountKind::Fs,
                    1 => MountKind::Bind,
                    2 => MountKind::Remount,
                    _ => return Err(WireError::BadValue { tag: f.tag }),
                }
            }
            tag::M_SOURCE => m.source = Some(f.cstr()?),
            tag::M_DEST => m.dest = abs_path(&f)?,
            tag::M_FSTYPE => {
                f.text()?;
                m.fstype = Some(f.cstr()?);
            }
            tag::M_FLAGS => m.flags = f.u64()?,
            tag::M_DATA => m.data = Some(f.cstr()?),
            tag::M_PROPAGATION => m.propagation = f.u64()?,
            tag::M_AFTER_PLACEMENT => m.after_placement = f.flag()?,
            tag::M_ATTR_SET => m.attr_set = f.u64()?,
            tag::M_ATTR_CLR => m.attr_clr = f.u64()?,
            t => return Err(WireError::UnknownTag { kind: K, tag: t }),
        }
    }
    seen.require(K, tag::M_KIND)?;
    seen.require(K, tag::M_DEST)?;
    if m.kind == MountKind::Bind && m.source.is_none() {
        return Err(WireError::MissingField {
            kind: K,
            tag: tag::M_SOURCE,
        });
    }
    Ok(m)
}

fn decode_device(body: &[u8]) -> Result<Device<'_>, WireError> {
    const K: &str = "DEVICE";
    let mut seen = Seen::default();
    let mut d = Device {
        path: c"/",
        kind: 0,
        major: 0,
        minor: 0,
        mode: 0,
        uid: 0,
        gid: 0,
    };
    for f in Fields::new(body) {
        let f = f?;
        seen.once(K, f.tag)?;
        match f.tag {
            tag::D_PATH => d.path = abs_path(&f)?,
            tag::D_TYPE => {
                d.kind = f.u8()?;
                if !matches!(d.kind, b'c' | b'u' | b'b' | b'p') {
                    return Err(WireError::BadValue { tag: f.tag });
                }
            }
            tag::D_MAJOR => d.major = f.u32()?,
            tag::D_MINOR => d.minor = f.u32()?,
            tag::D_MODE => d.mode = f.u32()?,
            tag::D_UID => d.uid = f.u32()?,
            tag::D_GID => d.gid = f.u32()?,
            t => return Err(WireError::UnknownTag { kind: K, tag: t }),
        }
    }
    for t in [tag::D_PATH, tag::D_TYPE] {
        seen.require(K, t)?;
    }
    Ok(d)
}

fn decode_sysctl(body: &[u8]) -> Result<Sysctl<'_>, WireError> {
    const K: &str = "SYSCTL";
    let mut seen = Seen::default();
    let (mut key, mut value) = (c"", c"");
    for f in Fields::new(body) {
        let f = f?;
        seen.once(K, f.tag)?;
        match f.tag {
            tag::S_KEY => {
                let k = f.text()?;
                // A key is a path below /proc/sys: no way out of it.
                if k.is_empty()
                    || k.starts_with('/')
                    || k.split('/').any(|c| c.is_empty() || c == "." || c == "..")
                {
                    return Err(WireError::BadValue { tag: f.tag });
                }
                key = f.cstr()?;
            }
            tag::S_VALUE => value = f.cstr()?,
            t => return Err(WireError::UnknownTag { kind: K, tag: t }),
        }
    }
    seen.require(K, tag::S_KEY)?;
    seen.require(K, tag::S_VALUE)?;
    Ok(Sysctl { key, value })
}
