//! Device nodes: the ones runc always creates, plus `linux.devices[]`.

use super::paths::container_path;
use super::spec;
use crate::bail;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dev {
    pub path: String,
    /// b'c', b'b', b'u' or b'p'.
    pub kind: u8,
    pub major: u32,
    pub minor: u32,
    /// Permission bits only (the node type comes from `kind`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// What every container gets (runc's defaults), unless `linux.devices` lists the path.
const DEFAULTS: [(&str, u32, u32); 6] = [
    ("/dev/null", 1, 3),
    ("/dev/zero", 1, 5),
    ("/dev/full", 1, 7),
    ("/dev/random", 1, 8),
    ("/dev/urandom", 1, 9),
    ("/dev/tty", 5, 0),
];

/// The kernel's dev_t has 12 bits of major and 20 of minor.
const MAX_MAJOR: i64 = (1 << 12) - 1;
const MAX_MINOR: i64 = (1 << 20) - 1;

pub(crate) fn parse(list: &[spec::Device]) -> Result<Vec<Dev>> {
    let mut extra: Vec<Dev> = Vec::with_capacity(list.len());
    for (i, d) in list.iter().enumerate() {
        let at = format!("linux.devices[{i}]");
        let Some(path) = &d.path else {
            bail!("{at}.path is required");
        };
        let path = container_path(&format!("{at}.path"), path)?;
        if path == "/" {
            bail!("{at}.path must name a file, not /");
        }
        if extra.iter().any(|e| e.path == path) {
            bail!("{at}.path {path} is listed twice");
        }
        let kind = match d.r#type.as_deref() {
            None => bail!("{at}.type is required"),
            Some("c") => b'c',
            Some("b") => b'b',
            Some("u") => b'u',
            Some("p") => b'p',
            Some(t) => bail!("{at}.type {t:?} must be one of c, b, u, p"),
        };
        let num = |v: Option<i64>, name: &str, max: i64| -> Result<u32> {
            match v {
                None if kind == b'p' => Ok(0),
                None => bail!("{at}.{name} is required for a {:?} device", kind as char),
                Some(n) if (0..=max).contains(&n) => Ok(n as u32),
                Some(n) => bail!("{at}.{name} {n} is out of range (0 to {max})"),
            }
        };
        let major = num(d.major, "major", MAX_MAJOR)?;
        let minor = num(d.minor, "minor", MAX_MINOR)?;
        extra.push(Dev {
            path,
            kind,
            major,
            minor,
            mode: d.file_mode.unwrap_or(0o666) & 0o7777,
            uid: d.uid.unwrap_or(0),
            gid: d.gid.unwrap_or(0),
        });
    }
    let mut out: Vec<Dev> = DEFAULTS
        .iter()
        .filter(|(p, _, _)| !extra.iter().any(|e| e.path == *p))
        .map(|&(path, major, minor)| Dev {
            path: path.to_string(),
            kind: b'c',
            major,
            minor,
            mode: 0o666,
            uid: 0,
            gid: 0,
        })
        .collect();
    out.extend(extra);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(path: &str, t: &str, major: Option<i64>, minor: Option<i64>) -> spec::Device {
        spec::Device {
            r#type: Some(t.to_string()),
            path: Some(path.to_string()),
            major,
            minor,
            file_mode: None,
            uid: None,
            gid: None,
        }
    }

    #[test]
    fn defaults_are_always_there() {
        let v = parse(&[]).unwrap();
        let paths: Vec<&str> = v.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/dev/null",
                "/dev/zero",
                "/dev/full",
                "/dev/random",
                "/dev/urandom",
                "/dev/tty"
            ]
        );
        assert!(v
            .iter()
            .all(|d| d.kind == b'c' && d.mode == 0o666 && d.uid == 0));
        assert_eq!((v[5].major, v[5].minor), (5, 0));
    }

    #[test]
    fn config_devices_add_and_replace() {
        let mut null = dev("/dev//null", "c", Some(1), Some(3));
        null.file_mode = Some(0o20600);
        null.uid = Some(7);
        null.gid = Some(8);
        let v = parse(&[
            dev("/dev/fuse", "c", Some(10), Some(229)),
            null,
            dev("/dev/fifo", "p", None, None),
        ])
        .unwrap();
        assert_eq!(v.len(), 8);
        assert_eq!(v[0].path, "/dev/zero");
        assert_eq!(v[5].path, "/dev/fuse");
        assert_eq!(v[5].mode, 0o666);
        assert_eq!(
            v[6],
            Dev {
                path: "/dev/null".into(),
                kind: b'c',
                major: 1,
                minor: 3,
                mode: 0o600,
                uid: 7,
                gid: 8
            }
        );
        assert_eq!((v[7].kind, v[7].major), (b'p', 0));
    }

    #[test]
    fn bad_devices_are_named() {
        let e = |d: spec::Device| parse(&[d]).unwrap_err().to_string();
        assert_eq!(
            e(dev("dev/x", "c", Some(1), Some(1))),
            "linux.devices[0].path \"dev/x\" must be an absolute path"
        );
        assert_eq!(
            e(dev("/dev/x", "x", Some(1), Some(1))),
            "linux.devices[0].type \"x\" must be one of c, b, u, p"
        );
        assert_eq!(
            e(dev("/dev/x", "b", None, Some(1))),
            "linux.devices[0].major is required for a 'b' device"
        );
        assert_eq!(
            e(dev("/dev/x", "c", Some(1), Some(-1))),
            "linux.devices[0].minor -1 is out of range (0 to 1048575)"
        );
        assert_eq!(
            e(dev("/dev/x", "c", Some(4096), Some(1))),
            "linux.devices[0].major 4096 is out of range (0 to 4095)"
        );
        assert_eq!(
            e(dev("/..", "c", Some(1), Some(1))),
            "linux.devices[0].path must name a file, not /"
        );
        let mut d = dev("/dev/x", "c", Some(1), Some(1));
        d.r#type = None;
        assert_eq!(e(d), "linux.devices[0].type is required");
        let mut d = dev("/dev/x", "c", Some(1), Some(1));
        d.path = None;
        assert_eq!(e(d), "linux.devices[0].path is required");
        let twice = [
            dev("/dev/x", "c", Some(1), Some(1)),
            dev("/dev/./x", "c", Some(1), Some(2)),
        ];
        assert_eq!(
            parse(&twice).unwrap_err().to_string(),
            "linux.devices[1].path /dev/x is listed twice"
        );
    }
}
