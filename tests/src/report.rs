//! Parsing what `probe report` prints: `key=value` lines, repeated keys for lists.

#[derive(Clone, Debug)]
pub struct Report {
    pub lines: Vec<(String, String)>,
}

/// One `mount=` fact: `<mountpoint> <fstype> <mount options> <super options> <propagation>`.
#[derive(Clone, Debug)]
pub struct MountFact {
    pub point: String,
    pub fstype: String,
    pub opts: Vec<String>,
    pub super_opts: Vec<String>,
    /// Optional fields of mountinfo (`shared:N`, `master:N`...), empty when none.
    pub propagation: Vec<String>,
}

impl MountFact {
    pub fn parse(v: &str) -> Option<MountFact> {
        let f: Vec<&str> = v.split(' ').collect();
        if f.len() < 5 {
            return None;
        }
        let list = |s: &str| {
            s.split(',')
                .filter(|x| !x.is_empty() && *x != "-")
                .map(String::from)
                .collect()
        };
        Some(MountFact {
            point: f[0].into(),
            fstype: f[1].into(),
            opts: list(f[2]),
            super_opts: list(f[3]),
            propagation: list(f[4]),
        })
    }

    /// A per-mount option (ro, nosuid, nodev, noexec...).
    pub fn has(&self, opt: &str) -> bool {
        self.opts.iter().any(|o| o == opt)
    }

    pub fn is_ro(&self) -> bool {
        self.has("ro")
    }
}

/// Unescape what the probe escaped (`\\` and `\n`).
pub fn unesc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => o.push('\n'),
                Some(x) => o.push(x),
                None => o.push('\\'),
            }
        } else {
            o.push(c);
        }
    }
    o
}

impl Report {
    pub fn parse(out: &str) -> Report {
        let lines = out
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Report { lines }
    }

    /// Did the probe reach the end of its report?
    pub fn complete(&self) -> bool {
        self.get("end") == Some("ok")
    }

    /// First value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.lines
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `key`, or a panic naming it and showing the report.
    pub fn must(&self, key: &str) -> &str {
        match self.get(key) {
            Some(v) => v,
            None => panic!("probe report has no `{key}=` line:\n{}", self.dump()),
        }
    }

    pub fn all(&self, key: &str) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The environment as `(name, value)` pairs, in order.
    pub fn env(&self) -> Vec<(String, String)> {
        self.all("env")
            .into_iter()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (unesc(k), unesc(v)))
            .collect()
    }

    pub fn env_var(&self, name: &str) -> Option<String> {
        self.env()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub fn groups(&self) -> Vec<u32> {
        self.must("groups")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect()
    }

    pub fn num(&self, key: &str) -> i64 {
        let v = self.must(key);
        v.parse()
            .unwrap_or_else(|_| panic!("`{key}={v}` is not a number"))
    }

    /// A capability set from /proc/self/status (`CapEff`, `CapBnd`...).
    pub fn caps(&self, key: &str) -> u64 {
        let v = self.must(key);
        u64::from_str_radix(v, 16).unwrap_or_else(|_| panic!("`{key}={v}` is not hex"))
    }

    pub fn mounts(&self) -> Vec<MountFact> {
        self.all("mount")
            .into_iter()
            .filter_map(MountFact::parse)
            .collect()
    }

    /// The mount visible at `point` (the last one mounted there).
    pub fn mount(&self, point: &str) -> Option<MountFact> {
        self.mounts().into_iter().rev().find(|m| m.point == point)
    }

    pub fn must_mount(&self, point: &str) -> MountFact {
        self.mount(point).unwrap_or_else(|| {
            panic!(
                "no mount at {point} in the container:\n{}",
                self.all("mount").join("\n")
            )
        })
    }

    /// Open fds of the probe (numbers only).
    pub fn fds(&self) -> Vec<u32> {
        self.all("fd")
            .iter()
            .filter_map(|v| v.split(' ').next()?.parse().ok())
            .collect()
    }

    /// Names of network interfaces.
    pub fn netifs(&self) -> Vec<String> {
        self.all("netif")
            .iter()
            .map(|v| v.split(' ').next().unwrap_or("").to_string())
            .collect()
    }

    /// `(soft, hard)` of `rlimit=<NAME> soft hard`; unlimited is `u64::MAX`.
    pub fn rlimit(&self, name: &str) -> (u64, u64) {
        let p = |s: &str| {
            if s == "unlimited" {
                u64::MAX
            } else {
                s.parse().unwrap()
            }
        };
        for v in self.all("rlimit") {
            let f: Vec<&str> = v.split(' ').collect();
            if f.len() == 3 && f[0] == name {
                return (p(f[1]), p(f[2]));
            }
        }
        panic!("no rlimit {name} in report:\n{}", self.dump())
    }

    /// `ns=<type> <link>`: the link text, e.g. `net:[4026531840]`.
    pub fn ns(&self, typ: &str) -> Option<String> {
        self.all("ns")
            .into_iter()
            .find_map(|v| v.strip_prefix(&format!("{typ} ")).map(String::from))
    }

    /// The answer to a question asked with `--read/--write/--exec/--stat/--cat/--ls PATH`.
    pub fn answer(&self, kind: &str, path: &str) -> String {
        let prefix = format!("{path} ");
        match self
            .all(kind)
            .into_iter()
            .find_map(|v| v.strip_prefix(&prefix))
        {
            Some(a) => a.to_string(),
            None => panic!("no `{kind}={path} ...` answer in report:\n{}", self.dump()),
        }
    }

    pub fn dump(&self) -> String {
        self.lines
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_report() {
        let r = Report::parse(
            "pid=1\ngroups=10,20\nenv=A=b=c\nenv=N=x\\ny\nmount=/ ext4 ro,relatime rw -\n\
             mount=/sys/fs/cgroup tmpfs ro,nosuid rw,mode=755 master:3\nfd=0 /dev/null\nfd=1 pipe:[1]\n\
             rlimit=NOFILE 1024 unlimited\nread=/proc/kcore ok 0\nns=net net:[4026531840]\nend=ok\n",
        );
        assert!(r.complete());
        assert_eq!(r.num("pid"), 1);
        assert_eq!(r.groups(), vec![10, 20]);
        assert_eq!(r.env_var("A").as_deref(), Some("b=c"));
        assert_eq!(r.env_var("N").as_deref(), Some("x\ny"));
        assert!(r.must_mount("/").is_ro());
        let m = r.must_mount("/sys/fs/cgroup");
        assert!(m.has("nosuid") && m.propagation == vec!["master:3"]);
        assert_eq!(r.fds(), vec![0, 1]);
        assert_eq!(r.rlimit("NOFILE"), (1024, u64::MAX));
        assert_eq!(r.answer("read", "/proc/kcore"), "ok 0");
        assert_eq!(r.ns("net").as_deref(), Some("net:[4026531840]"));
    }
}
