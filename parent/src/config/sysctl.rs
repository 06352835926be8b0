//! `linux.sysctl`: keys to paths below /proc/sys, allowed only where the container has
//! a namespace of its own that the setting belongs to (as runc's validator).

use std::collections::BTreeMap;

use super::namespaces::private;
use super::paths::{fits, no_nul};
use super::{Namespace, NsKind};
use crate::bail;
use crate::error::Result;

/// The IPC namespace's sysctls besides `fs.mqueue.*`.
const IPC: [&str; 8] = [
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
];

/// Checks every key and returns `(path below /proc/sys, value)` pairs in key order.
/// `domainname`, when set, becomes `kernel.domainname`; `hostname_set` refuses a
/// `kernel.hostname` that would fight the `hostname` field.
pub(crate) fn parse(
    map: &BTreeMap<String, String>,
    ns: &[Namespace],
    hostname_set: bool,
    domainname: Option<&str>,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::with_capacity(map.len() + 1);
    for (key, value) in map {
        let at = format!("linux.sysctl[{key:?}]");
        if key.is_empty() {
            bail!("linux.sysctl has an empty key");
        }
        no_nul(&at, key)?;
        fits(&at, key.len())?;
        no_nul(&at, value)?;
        if key.contains('/') {
            bail!("{at}: a key uses '.' separators (\"net.ipv4.ip_forward\"); '/' is not allowed");
        }
        if key.split('.').any(|c| c.is_empty()) {
            bail!("{at} is not a sysctl name");
        }
        let needs = if IPC.contains(&key.as_str()) || key.starts_with("fs.mqueue.") {
            Some(NsKind::Ipc)
        } else if key.starts_with("net.") {
            Some(NsKind::Network)
        } else if key == "kernel.hostname" || key == "kernel.domainname" {
            Some(NsKind::Uts)
        } else {
            None
        };
        let Some(kind) = needs else {
            bail!("{at} is not in a namespace the container has of its own; setting it would change the host");
        };
        if !private(ns, kind) {
            bail!(
                "{at} needs the container's own {} namespace in linux.namespaces; setting it would change the host",
                kind.oci_name()
            );
        }
        if key == "kernel.hostname" && hostname_set {
            bail!("{at} conflicts with the hostname field; set hostname only");
        }
        if key == "kernel.domainname" && domainname.is_some() {
            bail!("{at} conflicts with the domainname field; set domainname only");
        }
        out.push((key.replace('.', "/"), value.clone()));
    }
    if let Some(d) = domainname {
        out.push(("kernel/domainname".to_string(), d.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_new() -> Vec<Namespace> {
        [NsKind::Mount, NsKind::Ipc, NsKind::Uts, NsKind::Network]
            .into_iter()
            .map(|kind| Namespace { kind, path: None })
            .collect()
    }

    fn map(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn namespaced_keys_become_paths() {
        let m = map(&[
            ("net.ipv4.ip_forward", "1"),
            ("kernel.shmmax", "100"),
            ("fs.mqueue.msg_max", "10"),
            ("kernel.hostname", "h"),
        ]);
        let v = parse(&m, &all_new(), false, Some("example.org")).unwrap();
        let keys: Vec<&str> = v.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "fs/mqueue/msg_max",
                "kernel/hostname",
                "kernel/shmmax",
                "net/ipv4/ip_forward",
                "kernel/domainname"
            ]
        );
        assert_eq!(v[4].1, "example.org");
    }

    #[test]
    fn keys_that_would_change_the_host_are_refused() {
        let e = |kv: &[(&str, &str)], ns: &[Namespace]| {
            parse(&map(kv), ns, true, None).unwrap_err().to_string()
        };
        let mnt = [Namespace {
            kind: NsKind::Mount,
            path: None,
        }];
        assert_eq!(
            e(&[("net.ipv4.ip_forward", "1")], &mnt),
            "linux.sysctl[\"net.ipv4.ip_forward\"] needs the container's own network namespace in linux.namespaces; setting it would change the host"
        );
        assert_eq!(
            e(&[("kernel.sem", "1")], &mnt),
            "linux.sysctl[\"kernel.sem\"] needs the container's own ipc namespace in linux.namespaces; setting it would change the host"
        );
        assert!(e(&[("kernel.domainname", "x")], &mnt)
            .contains("needs the container's own uts namespace"));
        let host_net = [Namespace {
            kind: NsKind::Network,
            path: Some("/proc/self/ns/net".into()),
        }];
        assert!(e(&[("net.core.somaxconn", "1")], &host_net).contains("own network namespace"));
        assert_eq!(
            e(&[("vm.swappiness", "1")], &all_new()),
            "linux.sysctl[\"vm.swappiness\"] is not in a namespace the container has of its own; setting it would change the host"
        );
        assert_eq!(
            e(&[("kernel.hostname", "x")], &all_new()),
            "linux.sysctl[\"kernel.hostname\"] conflicts with the hostname field; set hostname only"
        );
        assert_eq!(
            e(&[("net/ipv4/ip_forward", "1")], &all_new()),
            "linux.sysctl[\"net/ipv4/ip_forward\"]: a key uses '.' separators (\"net.ipv4.ip_forward\"); '/' is not allowed"
        );
        assert_eq!(
            e(&[("net..x", "1")], &all_new()),
            "linux.sysctl[\"net..x\"] is not a sysctl name"
        );
        assert_eq!(e(&[("", "1")], &all_new()), "linux.sysctl has an empty key");
        assert_eq!(
            e(&[("net.x", "1\0")], &all_new()),
            "linux.sysctl[\"net.x\"] contains a NUL byte"
        );
        let m = map(&[("kernel.domainname", "a")]);
        assert_eq!(
            parse(&m, &all_new(), false, Some("b")).unwrap_err().to_string(),
            "linux.sysctl[\"kernel.domainname\"] conflicts with the domainname field; set domainname only"
        );
    }
}
