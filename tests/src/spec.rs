//! A small OCI `config.json` model, written by hand (std only, no serde).
//!
//! `Spec::runc_default()` is what `runc spec` writes, with `terminal: false`, no
//! `linux.resources`, the hostname "runlet" and `/probe report` as the process.
//! Tests change fields, then `to_json()`. Fields runlet must refuse or ignore
//! go in the `extra_*` lists as raw JSON text.

/// One entry of `mounts`.
#[derive(Clone, Debug)]
pub struct Mount {
    pub destination: String,
    pub typ: String,
    pub source: String,
    pub options: Vec<String>,
}

impl Mount {
    pub fn new(destination: &str, typ: &str, source: &str, options: &[&str]) -> Mount {
        Mount {
            destination: destination.into(),
            typ: typ.into(),
            source: source.into(),
            options: strings(options),
        }
    }

    /// A `bind` mount of a host path with extra options (`bind` or `rbind` is added
    /// unless already given).
    pub fn bind(source: &str, destination: &str, options: &[&str]) -> Mount {
        let mut o = strings(options);
        if !o.iter().any(|x| x == "bind" || x == "rbind") {
            o.insert(0, "bind".into());
        }
        Mount {
            destination: destination.into(),
            typ: "bind".into(),
            source: source.into(),
            options: o,
        }
    }
}

/// One entry of `linux.namespaces`.
#[derive(Clone, Debug)]
pub struct Namespace {
    pub typ: String,
    pub path: Option<String>,
}

/// One entry of `process.rlimits`.
#[derive(Clone, Debug)]
pub struct Rlimit {
    pub typ: String,
    pub soft: u64,
    pub hard: u64,
}

/// `process.capabilities`; a `None` set is left out of the JSON.
#[derive(Clone, Debug, Default)]
pub struct Capabilities {
    pub bounding: Option<Vec<String>>,
    pub effective: Option<Vec<String>>,
    pub permitted: Option<Vec<String>>,
    pub inheritable: Option<Vec<String>>,
    pub ambient: Option<Vec<String>>,
}

impl Capabilities {
    /// The same list in all five sets.
    pub fn all_sets(caps: &[&str]) -> Capabilities {
        let v = Some(strings(caps));
        Capabilities {
            bounding: v.clone(),
            effective: v.clone(),
            permitted: v.clone(),
            inheritable: v.clone(),
            ambient: v,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Spec {
    pub oci_version: String,
    pub terminal: bool,
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Option<Vec<u32>>,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub capabilities: Option<Capabilities>,
    pub rlimits: Vec<Rlimit>,
    pub no_new_privileges: bool,
    pub oom_score_adj: Option<i32>,
    pub root_path: String,
    pub root_readonly: bool,
    pub hostname: Option<String>,
    pub mounts: Vec<Mount>,
    pub namespaces: Vec<Namespace>,
    pub masked_paths: Vec<String>,
    pub readonly_paths: Vec<String>,
    pub sysctl: Vec<(String, String)>,
    pub rootfs_propagation: Option<String>,
    pub cgroups_path: Option<String>,
    /// Raw `"key": value` members added to `process`, `linux`, `root` and the top level.
    pub extra_process: Vec<(String, String)>,
    pub extra_linux: Vec<(String, String)>,
    pub extra_root: Vec<(String, String)>,
    pub extra_top: Vec<(String, String)>,
}

pub const DEFAULT_CAPS: [&str; 3] = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
pub const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// As runc 1.1 writes them.
pub const DEFAULT_MASKED: [&str; 10] = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
];
pub const DEFAULT_READONLY: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

impl Default for Spec {
    fn default() -> Self {
        Spec::runc_default()
    }
}

impl Spec {
    pub fn runc_default() -> Spec {
        let caps = Some(strings(&DEFAULT_CAPS));
        Spec {
            oci_version: "1.0.2-dev".into(),
            terminal: false,
            uid: 0,
            gid: 0,
            additional_gids: None,
            args: strings(&["/probe", "report"]),
            env: strings(&[DEFAULT_PATH, "TERM=xterm"]),
            cwd: "/".into(),
            capabilities: Some(Capabilities {
                bounding: caps.clone(),
                effective: caps.clone(),
                permitted: caps.clone(),
                inheritable: None,
                ambient: caps,
            }),
            rlimits: vec![Rlimit {
                typ: "RLIMIT_NOFILE".into(),
                soft: 1024,
                hard: 1024,
            }],
            no_new_privileges: true,
            oom_score_adj: None,
            root_path: "rootfs".into(),
            root_readonly: true,
            hostname: Some("runlet".into()),
            mounts: vec![
                Mount::new("/proc", "proc", "proc", &[]),
                Mount::new(
                    "/dev",
                    "tmpfs",
                    "tmpfs",
                    &["nosuid", "strictatime", "mode=755", "size=65536k"],
                ),
                Mount::new(
                    "/dev/pts",
                    "devpts",
                    "devpts",
                    &[
                        "nosuid",
                        "noexec",
                        "newinstance",
                        "ptmxmode=0666",
                        "mode=0620",
                        "gid=5",
                    ],
                ),
                Mount::new(
                    "/dev/shm",
                    "tmpfs",
                    "shm",
                    &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
                ),
                Mount::new(
                    "/dev/mqueue",
                    "mqueue",
                    "mqueue",
                    &["nosuid", "noexec", "nodev"],
                ),
                Mount::new(
                    "/sys",
                    "sysfs",
                    "sysfs",
                    &["nosuid", "noexec", "nodev", "ro"],
                ),
                Mount::new(
                    "/sys/fs/cgroup",
                    "cgroup",
                    "cgroup",
                    &["nosuid", "noexec", "nodev", "relatime", "ro"],
                ),
            ],
            namespaces: ["pid", "network", "ipc", "uts", "mount", "cgroup"]
                .iter()
                .map(|t| Namespace {
                    typ: t.to_string(),
                    path: None,
                })
                .collect(),
            masked_paths: strings(&DEFAULT_MASKED),
            readonly_paths: strings(&DEFAULT_READONLY),
            sysctl: Vec::new(),
            rootfs_propagation: None,
            cgroups_path: None,
            extra_process: Vec::new(),
            extra_linux: Vec::new(),
            extra_root: Vec::new(),
            extra_top: Vec::new(),
        }
    }

    /// Set `process.args`.
    pub fn args(&mut self, args: &[&str]) -> &mut Self {
        self.args = strings(args);
        self
    }

    /// The probe with a mode and its arguments: `probe(&["exit", "3"])`.
    pub fn probe(&mut self, args: &[&str]) -> &mut Self {
        self.args = std::iter::once("/probe")
            .chain(args.iter().copied())
            .map(String::from)
            .collect();
        self
    }

    pub fn remove_namespace(&mut self, typ: &str) -> &mut Self {
        self.namespaces.retain(|n| n.typ != typ);
        self
    }

    /// Join the namespace at `path` instead of making a new one.
    pub fn join_namespace(&mut self, typ: &str, path: &str) -> &mut Self {
        self.remove_namespace(typ);
        self.namespaces.push(Namespace {
            typ: typ.into(),
            path: Some(path.into()),
        });
        self
    }

    pub fn to_json(&self) -> String {
        let mut process = Obj::new();
        process.raw("terminal", self.terminal.to_string());
        let mut user = Obj::new();
        user.raw("uid", self.uid.to_string());
        user.raw("gid", self.gid.to_string());
        if let Some(g) = &self.additional_gids {
            user.raw("additionalGids", arr(g.iter().map(|x| x.to_string())));
        }
        process.raw("user", user.finish());
        process.raw("args", str_arr(&self.args));
        process.raw("env", str_arr(&self.env));
        process.raw("cwd", quote(&self.cwd));
        if let Some(c) = &self.capabilities {
            let mut o = Obj::new();
            for (k, v) in [
                ("bounding", &c.bounding),
                ("effective", &c.effective),
                ("inheritable", &c.inheritable),
                ("permitted", &c.permitted),
                ("ambient", &c.ambient),
            ] {
                if let Some(v) = v {
                    o.raw(k, str_arr(v));
                }
            }
            process.raw("capabilities", o.finish());
        }
        if !self.rlimits.is_empty() {
            process.raw(
                "rlimits",
                arr(self.rlimits.iter().map(|r| {
                    let mut o = Obj::new();
                    o.raw("type", quote(&r.typ));
                    o.raw("hard", r.hard.to_string());
                    o.raw("soft", r.soft.to_string());
                    o.finish()
                })),
            );
        }
        process.raw("noNewPrivileges", self.no_new_privileges.to_string());
        if let Some(a) = self.oom_score_adj {
            process.raw("oomScoreAdj", a.to_string());
        }
        for (k, v) in &self.extra_process {
            process.raw(k, v.clone());
        }

        let mut root = Obj::new();
        root.raw("path", quote(&self.root_path));
        root.raw("readonly", self.root_readonly.to_string());
        for (k, v) in &self.extra_root {
            root.raw(k, v.clone());
        }

        let mounts = arr(self.mounts.iter().map(|m| {
            let mut o = Obj::new();
            o.raw("destination", quote(&m.destination));
            o.raw("type", quote(&m.typ));
            o.raw("source", quote(&m.source));
            if !m.options.is_empty() {
                o.raw("options", str_arr(&m.options));
            }
            o.finish()
        }));

        let mut linux = Obj::new();
        linux.raw(
            "namespaces",
            arr(self.namespaces.iter().map(|n| {
                let mut o = Obj::new();
                o.raw("type", quote(&n.typ));
                if let Some(p) = &n.path {
                    o.raw("path", quote(p));
                }
                o.finish()
            })),
        );
        if let Some(p) = &self.cgroups_path {
            linux.raw("cgroupsPath", quote(p));
        }
        if !self.sysctl.is_empty() {
            let mut o = Obj::new();
            for (k, v) in &self.sysctl {
                o.raw(k, quote(v));
            }
            linux.raw("sysctl", o.finish());
        }
        if let Some(p) = &self.rootfs_propagation {
            linux.raw("rootfsPropagation", quote(p));
        }
        linux.raw("maskedPaths", str_arr(&self.masked_paths));
        linux.raw("readonlyPaths", str_arr(&self.readonly_paths));
        for (k, v) in &self.extra_linux {
            linux.raw(k, v.clone());
        }

        let mut top = Obj::new();
        top.raw("ociVersion", quote(&self.oci_version));
        top.raw("process", process.finish());
        top.raw("root", root.finish());
        if let Some(h) = &self.hostname {
            top.raw("hostname", quote(h));
        }
        top.raw("mounts", mounts);
        top.raw("linux", linux.finish());
        for (k, v) in &self.extra_top {
            top.raw(k, v.clone());
        }
        let mut s = top.finish();
        s.push('\n');
        s
    }
}

/// A JSON object under construction; values are raw JSON text.
struct Obj(Vec<(String, String)>);

impl Obj {
    fn new() -> Obj {
        Obj(Vec::new())
    }
    fn raw(&mut self, k: &str, v: String) {
        self.0.push((k.to_string(), v));
    }
    fn finish(self) -> String {
        let members: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| format!("{}: {}", quote(k), v))
            .collect();
        format!("{{{}}}", members.join(", "))
    }
}

fn arr(items: impl Iterator<Item = String>) -> String {
    format!("[{}]", items.collect::<Vec<_>>().join(", "))
}

fn str_arr(v: &[String]) -> String {
    arr(v.iter().map(|s| quote(s)))
}

/// A JSON string literal.
pub fn quote(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_json_has_the_runc_shape() {
        let j = Spec::runc_default().to_json();
        assert!(j.starts_with("{\"ociVersion\": \"1.0.2-dev\", \"process\": {\"terminal\": false"));
        assert!(j.contains("\"args\": [\"/probe\", \"report\"]"));
        assert!(j.contains("{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}"));
        assert!(j.contains("\"hostname\": \"runlet\""));
        assert!(!j.contains("resources"));
        assert!(!j.contains("inheritable"));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }
}
