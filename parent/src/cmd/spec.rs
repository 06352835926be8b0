//! `runlet spec`: a default config.json, runc's defaults as far as runlet runs them.
//!
//! One difference from runc's: `process.terminal` is false, so the default config
//! runs with plain stdio under `create` without a console socket (runc's is true).

use std::io;
use std::path::Path;

use crate::error::{Error, Result};

pub const DEFAULT_SPEC: &str = r#"{
  "ociVersion": "1.2.0",
  "process": {
    "terminal": false,
    "user": {
      "uid": 0,
      "gid": 0
    },
    "args": [
      "sh"
    ],
    "env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm"
    ],
    "cwd": "/",
    "capabilities": {
      "bounding": [
        "CAP_AUDIT_WRITE",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE"
      ],
      "effective": [
        "CAP_AUDIT_WRITE",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE"
      ],
      "permitted": [
        "CAP_AUDIT_WRITE",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE"
      ]
    },
    "rlimits": [
      {
        "type": "RLIMIT_NOFILE",
        "hard": 1024,
        "soft": 1024
      }
    ],
    "noNewPrivileges": true
  },
  "root": {
    "path": "rootfs",
    "readonly": true
  },
  "hostname": "runlet",
  "mounts": [
    {
      "destination": "/proc",
      "type": "proc",
      "source": "proc"
    },
    {
      "destination": "/dev",
      "type": "tmpfs",
      "source": "tmpfs",
      "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]
    },
    {
      "destination": "/dev/pts",
      "type": "devpts",
      "source": "devpts",
      "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]
    },
    {
      "destination": "/dev/shm",
      "type": "tmpfs",
      "source": "shm",
      "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]
    },
    {
      "destination": "/dev/mqueue",
      "type": "mqueue",
      "source": "mqueue",
      "options": ["nosuid", "noexec", "nodev"]
    },
    {
      "destination": "/sys",
      "type": "sysfs",
      "source": "sysfs",
      "options": ["nosuid", "noexec", "nodev", "ro"]
    },
    {
      "destination": "/sys/fs/cgroup",
      "type": "cgroup",
      "source": "cgroup",
      "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]
    }
  ],
  "linux": {
    "resources": {
      "devices": [
        {
          "allow": false,
          "access": "rwm"
        }
      ]
    },
    "namespaces": [
      {"type": "pid"},
      {"type": "network"},
      {"type": "ipc"},
      {"type": "uts"},
      {"type": "mount"},
      {"type": "cgroup"}
    ],
    "maskedPaths": [
      "/proc/acpi",
      "/proc/asound",
      "/proc/kcore",
      "/proc/keys",
      "/proc/latency_stats",
      "/proc/timer_list",
      "/proc/timer_stats",
      "/proc/sched_debug",
      "/sys/firmware",
      "/proc/scsi"
    ],
    "readonlyPaths": [
      "/proc/bus",
      "/proc/fs",
      "/proc/irq",
      "/proc/sys",
      "/proc/sysrq-trigger"
    ]
  }
}
"#;

/// The default config made rootless, as runc's `spec --rootless`: a user namespace
/// mapping the caller's uid and gid to 0 (one id each: no newuidmap needed), no
/// network namespace (the host's network, which an unprivileged user cannot wire
/// a veth into), `/sys` bound from the host (sysfs needs a network namespace of
/// the user namespace's own), no `gid=5` on `/dev/pts` (gid 5 is not mapped), and
/// no `linux.resources` (cgroups are rarely delegated; docs/userns.md).
pub fn rootless_spec(uid: u32, gid: u32) -> String {
    let swaps = [
        (r#", "gid=5"]"#, "]".to_string()),
        (
            r#""type": "sysfs",
      "source": "sysfs",
      "options": ["nosuid", "noexec", "nodev", "ro"]"#,
            r#""type": "none",
      "source": "/sys",
      "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]"#
                .to_string(),
        ),
        (
            r#""resources": {
      "devices": [
        {
          "allow": false,
          "access": "rwm"
        }
      ]
    },
    "#,
            String::new(),
        ),
        (
            r#"      {"type": "network"},
"#,
            String::new(),
        ),
        (
            r#"      {"type": "cgroup"}
    ],"#,
            format!(
                r#"      {{"type": "cgroup"}},
      {{"type": "user"}}
    ],
    "uidMappings": [{{"containerID": 0, "hostID": {uid}, "size": 1}}],
    "gidMappings": [{{"containerID": 0, "hostID": {gid}, "size": 1}}],"#
            ),
        ),
    ];
    let mut text = DEFAULT_SPEC.to_string();
    for (from, to) in swaps {
        debug_assert!(text.contains(from), "{from}");
        text = text.replacen(from, &to, 1);
    }
    text
}

/// Writes `<bundle>/config.json`; an existing one is left alone, as runc does.
pub fn spec(bundle: &Path, rootless: bool) -> Result<i32> {
    let path = bundle.join("config.json");
    let text = match rootless {
        true => rootless_spec(
            rustix::process::geteuid().as_raw(),
            rustix::process::getegid().as_raw(),
        ),
        false => DEFAULT_SPEC.to_string(),
    };
    let write = || -> io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        f.write_all(text.as_bytes())
    };
    match write() {
        Ok(()) => Ok(0),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::msg(format!(
            "{} exists; remove it first or pass another --bundle",
            path.display()
        ))),
        Err(e) => Err(Error::io("create", &path, e)),
    }
}
