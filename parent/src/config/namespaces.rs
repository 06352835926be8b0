//! `linux.namespaces`.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{spec, Namespace, NsKind};
use crate::bail;
use crate::error::{Error, Result};

impl NsKind {
    /// The OCI `type` name.
    pub(crate) fn oci_name(self) -> &'static str {
        match self {
            NsKind::Pid => "pid",
            NsKind::Mount => "mount",
            NsKind::Ipc => "ipc",
            NsKind::Uts => "uts",
            NsKind::Network => "network",
            NsKind::Cgroup => "cgroup",
            NsKind::User => "user",
        }
    }

    fn from_oci(s: &str) -> Option<NsKind> {
        [
            NsKind::Pid,
            NsKind::Mount,
            NsKind::Ipc,
            NsKind::Uts,
            NsKind::Network,
            NsKind::Cgroup,
            NsKind::User,
        ]
        .into_iter()
        .find(|k| k.oci_name() == s)
    }
}

pub(crate) fn parse(list: &[spec::Namespace]) -> Result<Vec<Namespace>> {
    let mut out: Vec<Namespace> = Vec::with_capacity(list.len());
    for (i, n) in list.iter().enumerate() {
        let at = format!("linux.namespaces[{i}]");
        let Some(t) = &n.r#type else {
            bail!("{at}.type is required");
        };
        let kind = match t.as_str() {
            "time" => bail!("{at}.type: time namespaces are not supported yet"),
            t => match NsKind::from_oci(t) {
                Some(k) => k,
                None => bail!(
                    "{at}.type {t:?} is not a namespace type (pid, network, mount, ipc, uts, cgroup, user)"
                ),
            },
        };
        if out.iter().any(|o| o.kind == kind) {
            bail!("{at}.type {t} is listed twice");
        }
        // runc treats an empty path as none.
        let path = match n.path.as_deref() {
            None | Some("") => None,
            Some(p) => {
                let field = format!("{at}.path");
                if !p.starts_with('/') {
                    bail!("{field} {p:?} must be an absolute path");
                }
                super::paths::no_nul(&field, p)?;
                std::fs::metadata(p).map_err(|e| Error::io(&field, p, e))?;
                Some(PathBuf::from(p))
            }
        };
        out.push(Namespace { kind, path });
    }
    Ok(out)
}

/// Whether the container has a namespace of this kind that is not the host's (runlet's
/// own): a new one, or a joined one at another path. As runc checks for sysctls.
pub(crate) fn private(list: &[Namespace], kind: NsKind) -> bool {
    match list.iter().find(|n| n.kind == kind) {
        None => false,
        Some(Namespace { path: None, .. }) => true,
        Some(Namespace { path: Some(p), .. }) => !same_file(p, &own(kind)),
    }
}

fn own(kind: NsKind) -> PathBuf {
    PathBuf::from(format!("/proc/self/ns/{}", kind.proc_name()))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(t: &str, path: Option<&str>) -> spec::Namespace {
        spec::Namespace {
            r#type: Some(t.to_string()),
            path: path.map(str::to_string),
        }
    }

    #[test]
    fn good_namespaces() {
        let v = parse(&[
            ns("pid", None),
            ns("mount", Some("")),
            ns("network", Some("/proc/self/ns/net")),
            ns("cgroup", None),
        ])
        .unwrap();
        assert_eq!(v.len(), 4);
        assert_eq!(v[1].kind, NsKind::Mount);
        assert!(v[1].path.is_none());
        assert_eq!(v[2].path.as_deref(), Some(Path::new("/proc/self/ns/net")));
        assert!(private(&v, NsKind::Pid));
        assert!(
            !private(&v, NsKind::Network),
            "runlet's own netns is the host's"
        );
        assert!(!private(&v, NsKind::Ipc));
    }

    #[test]
    fn bad_namespaces_are_named() {
        let e = |l: &[spec::Namespace]| parse(l).unwrap_err().to_string();
        let m = || ns("mount", None);
        assert!(parse(&[m(), ns("user", None)]).is_ok());
        assert_eq!(
            e(&[ns("time", None)]),
            "linux.namespaces[0].type: time namespaces are not supported yet"
        );
        assert_eq!(
            e(&[ns("net", None)]),
            "linux.namespaces[0].type \"net\" is not a namespace type (pid, network, mount, ipc, uts, cgroup, user)"
        );
        assert_eq!(
            e(&[m(), ns("pid", None), ns("pid", None)]),
            "linux.namespaces[2].type pid is listed twice"
        );
        let no_type = spec::Namespace {
            r#type: None,
            path: None,
        };
        assert_eq!(e(&[no_type]), "linux.namespaces[0].type is required");
        assert_eq!(
            e(&[m(), ns("network", Some("run/netns/x"))]),
            "linux.namespaces[1].path \"run/netns/x\" must be an absolute path"
        );
        assert_eq!(
            e(&[m(), ns("network", Some("/run/netns/nope-runlet"))]),
            "linux.namespaces[1].path /run/netns/nope-runlet: No such file or directory"
        );
        // Sharing runlet's mount namespace and joining one by path are accepted.
        assert!(parse(&[ns("mount", Some("/proc/self/ns/mnt"))]).is_ok());
        assert!(parse(&[ns("pid", None)]).is_ok());
    }
}
