//! `linux.uidMappings` / `linux.gidMappings`: the id maps of a new user namespace,
//! checked here so that writing them (crate::userns) meets nothing to judge.

use miniserde::json::{Number, Value};

use std::path::PathBuf;

use linux_raw_sys::general as g;

use super::devices::Dev;
use super::mounts::Op;
use super::spec::is_empty;
use super::{Namespace, NsKind};
use crate::bail;
use crate::error::Result;
use wire::MountKind;

/// The kernel takes at most this many lines in one `uid_map` or `gid_map`.
const MAX_RANGES: usize = 340;

/// One line of `uid_map`/`gid_map`: `size` ids from `container` inside are `host` outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdMap {
    pub container: u32,
    pub host: u32,
    pub size: u32,
}

/// The maps of a new user namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdMaps {
    pub uid: Vec<IdMap>,
    pub gid: Vec<IdMap>,
}

impl IdMaps {
    /// The host id of the container's id 0, if the maps hold it.
    pub fn root_on_host(maps: &[IdMap]) -> Option<u32> {
        maps.iter().find(|m| m.container == 0).map(|m| m.host)
    }

    /// `uid_map`'s text: one `inside outside count` line per range.
    pub fn text(maps: &[IdMap]) -> String {
        maps.iter()
            .map(|m| format!("{} {} {}\n", m.container, m.host, m.size))
            .collect()
    }
}

/// The maps for the config's namespaces: required with a new user namespace, refused
/// without one (runc's rules), and checked range by range.
pub(crate) fn parse(
    ns: &[Namespace],
    uid: Option<&Value>,
    gid: Option<&Value>,
) -> Result<Option<IdMaps>> {
    let user = ns.iter().find(|n| n.kind == NsKind::User);
    let given = !is_empty(uid) || !is_empty(gid);
    match user {
        None if given => {
            bail!("linux.uidMappings/gidMappings need a user namespace (linux.namespaces type user)")
        }
        None => Ok(None),
        Some(Namespace { path: Some(p), .. }) if given => bail!(
            "linux.uidMappings/gidMappings: the user namespace {} is joined, its maps are set already",
            p.display()
        ),
        Some(Namespace { path: Some(_), .. }) => Ok(None),
        Some(Namespace { path: None, .. }) => Ok(Some(IdMaps {
            uid: ranges("linux.uidMappings", uid)?,
            gid: ranges("linux.gidMappings", gid)?,
        })),
    }
}

/// One `uidMappings`-shaped list (also `mounts[].uidMappings`): 1 to 340 ranges, none
/// empty, none past 2^32, none overlapping another inside or outside.
pub(crate) fn ranges(field: &str, v: Option<&Value>) -> Result<Vec<IdMap>> {
    let list = match v {
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            bail!("{field} is required with a new user namespace (at least one range)")
        }
        Some(_) => bail!("{field} must be an array of {{containerID, hostID, size}}"),
    };
    if list.len() > MAX_RANGES {
        bail!(
            "{field} has {} ranges; the kernel takes at most {MAX_RANGES}",
            list.len()
        );
    }
    let mut out: Vec<IdMap> = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let Value::Object(o) = item else {
            bail!("{at} must be an object {{containerID, hostID, size}}");
        };
        let num = |k: &str| -> Result<u32> {
            match o.get(k) {
                Some(Value::Number(Number::U64(n))) if *n <= u32::MAX as u64 => Ok(*n as u32),
                None => bail!("{at}.{k} is required"),
                Some(_) => bail!("{at}.{k} must be an integer from 0 to 4294967295"),
            }
        };
        let m = IdMap {
            container: num("containerID")?,
            host: num("hostID")?,
            size: num("size")?,
        };
        if m.size == 0 {
            bail!("{at}.size must be at least 1");
        }
        let end = |start: u32| start as u64 + m.size as u64;
        if end(m.container) > u32::MAX as u64 || end(m.host) > u32::MAX as u64 {
            bail!("{at} runs past id 4294967294");
        }
        let overlap =
            |a: u32, b: u32, n: u32| (a as u64) < b as u64 + n as u64 && (b as u64) < end(a);
        if let Some(j) = out
            .iter()
            .position(|p| overlap(m.container, p.container, p.size))
        {
            bail!("{at} overlaps {field}[{j}] inside the container");
        }
        if let Some(j) = out.iter().position(|p| overlap(m.host, p.host, p.size)) {
            bail!("{at} overlaps {field}[{j}] on the host");
        }
        out.push(m);
    }
    Ok(out)
}

/// What a user namespace changes in the mounts: `sysfs` can only be mounted in a
/// network namespace the user namespace owns, so without a new one `/sys` is
/// bound from the host (runc's way); and `mknod` of a device is not allowed, so
/// each device node is the host's bound in (FIFOs are still made). Returns the
/// devices still to be made.
pub(crate) fn adapt_mounts(ops: &mut Vec<Op>, devices: &[Dev], new_netns: bool) -> Vec<Dev> {
    if !new_netns {
        for op in ops
            .iter_mut()
            .filter(|o| o.fstype.as_deref() == Some("sysfs"))
        {
            op.kind = MountKind::Bind;
            op.source = Some(PathBuf::from("/sys"));
            op.fstype = None;
            op.flags |= (g::MS_BIND | g::MS_REC) as u64;
            op.data = None;
        }
    }
    let (fifos, nodes): (Vec<&Dev>, Vec<&Dev>) = devices.iter().partition(|d| d.kind == b'p');
    for d in nodes {
        ops.push(Op {
            kind: MountKind::Bind,
            source: Some(PathBuf::from(&d.path)),
            dest: d.path.clone(),
            fstype: None,
            flags: g::MS_BIND as u64,
            data: None,
            propagation: 0,
            after_placement: false,
            rec: Default::default(),
        });
    }
    fifos.into_iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps(text: &str) -> Value {
        miniserde::json::from_str(text).unwrap()
    }

    fn new_user() -> Vec<Namespace> {
        vec![Namespace {
            kind: NsKind::User,
            path: None,
        }]
    }

    #[test]
    fn good_maps() {
        let u = maps(
            r#"[{"containerID":0,"hostID":100000,"size":1000},{"containerID":1000,"hostID":1000,"size":1}]"#,
        );
        let g = maps(r#"[{"containerID":0,"hostID":100000,"size":65536}]"#);
        let m = parse(&new_user(), Some(&u), Some(&g)).unwrap().unwrap();
        assert_eq!(m.uid.len(), 2);
        assert_eq!(IdMaps::text(&m.uid), "0 100000 1000\n1000 1000 1\n");
        assert_eq!(IdMaps::root_on_host(&m.uid), Some(100000));
        assert_eq!(IdMaps::root_on_host(&m.uid[1..]), None);
        assert_eq!(parse(&[], None, None).unwrap(), None);
    }

    #[test]
    fn bad_maps_are_named() {
        let e = |ns: &[Namespace], u: &str, g: &str| {
            parse(ns, Some(&maps(u)), Some(&maps(g)))
                .unwrap_err()
                .to_string()
        };
        let one = r#"[{"containerID":0,"hostID":1000,"size":1}]"#;
        assert_eq!(
            e(&[], one, one),
            "linux.uidMappings/gidMappings need a user namespace (linux.namespaces type user)"
        );
        assert_eq!(
            e(&new_user(), one, "[]"),
            "linux.gidMappings is required with a new user namespace (at least one range)"
        );
        assert_eq!(
            e(
                &new_user(),
                r#"[{"containerID":0,"hostID":1000,"size":0}]"#,
                one
            ),
            "linux.uidMappings[0].size must be at least 1"
        );
        assert_eq!(
            e(&new_user(), r#"[{"containerID":0,"size":1}]"#, one),
            "linux.uidMappings[0].hostID is required"
        );
        assert_eq!(
            e(
                &new_user(),
                r#"[{"containerID":0,"hostID":-1,"size":1}]"#,
                one
            ),
            "linux.uidMappings[0].hostID must be an integer from 0 to 4294967295"
        );
        assert_eq!(
            e(
                &new_user(),
                one,
                r#"[{"containerID":0,"hostID":1000,"size":10},{"containerID":5,"hostID":2000,"size":1}]"#
            ),
            "linux.gidMappings[1] overlaps linux.gidMappings[0] inside the container"
        );
        assert_eq!(
            e(
                &new_user(),
                one,
                r#"[{"containerID":0,"hostID":1000,"size":10},{"containerID":50,"hostID":1009,"size":1}]"#
            ),
            "linux.gidMappings[1] overlaps linux.gidMappings[0] on the host"
        );
        assert_eq!(
            e(
                &new_user(),
                r#"[{"containerID":4294967295,"hostID":0,"size":1}]"#,
                one
            ),
            "linux.uidMappings[0] runs past id 4294967294"
        );
        let joined = [Namespace {
            kind: NsKind::User,
            path: Some(PathBuf::from("/proc/1/ns/user")),
        }];
        assert!(e(&joined, one, one).contains("is joined, its maps are set already"));
    }
}
