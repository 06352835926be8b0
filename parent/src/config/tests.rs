//! `Config::load` and `Config::bootstrap` on real bundles in a temporary directory.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use linux_raw_sys::general as g;
use miniserde::json::{self, Value};
use wire::{Bootstrap, FrameKind, MountKind};

use super::*;

/// What `runc spec` writes, with `terminal` false and `linux.resources` removed.
const RUNC_SPEC: &str = r#"{
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": false,
		"user": {"uid": 0, "gid": 0},
		"args": ["sh"],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
		},
		"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
		"noNewPrivileges": true
	},
	"root": {"path": "rootfs", "readonly": true},
	"hostname": "runc",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{"destination": "/dev/pts", "type": "devpts", "source": "devpts",
		 "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
		{"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
		 "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
		{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
		 "options": ["nosuid", "noexec", "nodev"]},
		{"destination": "/sys", "type": "sysfs", "source": "sysfs",
		 "options": ["nosuid", "noexec", "nodev", "ro"]},
		{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
		 "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
	],
	"linux": {
		"namespaces": [
			{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
			{"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}
		],
		"maskedPaths": [
			"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
			"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
			"/proc/sched_debug", "/sys/firmware", "/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
		]
	}
}"#;

/// A bundle directory with an empty `rootfs/`, removed on drop.
struct Bundle(PathBuf);

impl Bundle {
    fn new(config: &str) -> Bundle {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "runlet-config-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(dir.join("rootfs")).unwrap();
        std::fs::write(dir.join("config.json"), config).unwrap();
        Bundle(dir)
    }
    fn load(&self) -> Result<Config> {
        Config::load_quiet(&self.0).map(|(c, _)| c)
    }
}

impl Drop for Bundle {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `text` with the value at `path` ("mounts[2].options", "linux.sysctl") replaced by
/// the JSON `new`, or removed when `new` is None.
fn edit(text: &str, path: &str, new: Option<&str>) -> String {
    let mut root: Value = json::from_str(text).unwrap();
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        segs.push(Err(key.to_string()));
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            segs.push(Ok(idx.trim_end_matches(']').parse::<usize>().unwrap()));
        }
    }
    let (last, init) = segs.split_last().unwrap();
    let mut cur = &mut root;
    for s in init {
        cur = match (s, cur) {
            (Err(k), Value::Object(o)) => o
                .entry(k.clone())
                .or_insert_with(|| Value::Object(Default::default())),
            (Ok(i), Value::Array(a)) => &mut a[*i],
            _ => panic!("bad path {path}"),
        };
    }
    let new: Option<Value> = new.map(|n| json::from_str(n).unwrap());
    match (last, cur, new) {
        (Err(k), Value::Object(o), Some(n)) => {
            o.insert(k.clone(), n);
        }
        (Err(k), Value::Object(o), None) => {
            o.remove(k);
        }
        (Ok(i), Value::Array(a), Some(n)) if *i == a.len() => a.push(n),
        (Ok(i), Value::Array(a), Some(n)) => a[*i] = n,
        (Ok(i), Value::Array(a), None) => {
            a.remove(*i);
        }
        _ => panic!("bad path {path}"),
    }
    json::to_string(&root)
}

fn decode(frame: &[u8]) -> Bootstrap<'_> {
    let (kind, len) = wire::parse_header(frame).unwrap();
    assert_eq!(kind, FrameKind::Bootstrap);
    assert_eq!(len, frame.len() - wire::HEADER_LEN);
    Bootstrap::decode(&frame[wire::HEADER_LEN..]).unwrap()
}

fn v2_host() -> Vec<CgroupMount> {
    vec![CgroupMount {
        name: String::new(),
        fstype: "cgroup2",
        data: String::new(),
        host_path: "/sys/fs/cgroup/runlet/c1".into(),
    }]
}

fn v1_host() -> Vec<CgroupMount> {
    ["cpu", "memory", "pids"]
        .iter()
        .map(|n| CgroupMount {
            name: n.to_string(),
            fstype: "cgroup",
            data: n.to_string(),
            host_path: format!("/sys/fs/cgroup/{n}/runlet/c1").into(),
        })
        .collect()
}

const MS: fn(u32) -> u64 = |f| f as u64;

mod errors;
mod userns;

#[test]
fn runc_spec_loads() {
    let b = Bundle::new(RUNC_SPEC);
    let c = b.load().unwrap();
    assert_eq!(c.oci_version, "1.0.2-dev");
    assert_eq!(c.bundle, b.0);
    assert_eq!(c.rootfs, std::fs::canonicalize(b.0.join("rootfs")).unwrap());
    assert!(c.annotations.is_empty());
    assert_eq!(c.cgroups_path, None);
    let kinds: Vec<NsKind> = c.namespaces.iter().map(|n| n.kind).collect();
    use NsKind::*;
    assert_eq!(kinds, [Pid, Network, Ipc, Uts, Mount, Cgroup]);
    assert!(c.new_namespace(Cgroup));

    let frame = c.bootstrap(&v2_host()).unwrap();
    let f = decode(&frame);
    let p = &f.process;
    let args: Vec<&[u8]> = p.args().map(|a| a.to_bytes()).collect();
    assert_eq!(args, [b"sh"]);
    assert_eq!(p.env_count, 2);
    assert_eq!(p.env().nth(1).unwrap().to_bytes(), b"TERM=xterm");
    assert_eq!((p.cwd.to_bytes(), p.uid, p.gid), (&b"/"[..], 0, 0));
    assert_eq!(p.group_count, 0);
    assert!(p.no_new_privs);
    let three = (1 << g::CAP_AUDIT_WRITE) | (1 << g::CAP_KILL) | (1 << g::CAP_NET_BIND_SERVICE);
    assert_eq!(
        p.caps,
        Some(wire::Caps {
            bounding: three,
            effective: three,
            permitted: three,
            inheritable: 0,
            ambient: three
        })
    );
    assert_eq!(p.oom_score_adj, None);
    let rl: Vec<wire::Rlimit> = p.rlimits().collect();
    assert_eq!(
        rl,
        [wire::Rlimit {
            resource: g::RLIMIT_NOFILE,
            soft: 1024,
            hard: 1024
        }]
    );
    assert_eq!(f.rootfs.to_bytes(), c.rootfs.as_os_str().as_encoded_bytes());
    assert!(f.rootfs_readonly);
    assert_eq!(f.root_propagation, MS(g::MS_SLAVE | g::MS_REC));
    assert_eq!(f.hostname.unwrap().to_bytes(), b"runc");
    assert!(f.new_cgroupns);

    let mounts: Vec<wire::Mount> = f.mounts().collect();
    let dests: Vec<&[u8]> = mounts.iter().map(|m| m.dest.to_bytes()).collect();
    assert_eq!(
        dests,
        [
            &b"/proc"[..],
            b"/dev",
            b"/dev/pts",
            b"/dev/shm",
            b"/dev/mqueue",
            b"/sys",
            b"/sys/fs/cgroup"
        ]
    );
    let dev = &mounts[1];
    assert_eq!(dev.kind, MountKind::Fs);
    assert_eq!(dev.source.unwrap().to_bytes(), b"tmpfs");
    assert_eq!(dev.fstype.unwrap().to_bytes(), b"tmpfs");
    assert_eq!(dev.flags, MS(g::MS_NOSUID | g::MS_STRICTATIME));
    assert_eq!(dev.data.unwrap().to_bytes(), b"mode=755,size=65536k");
    assert!(!dev.after_placement);
    assert_eq!(mounts[0].flags, 0);
    assert!(mounts[0].data.is_none());
    assert_eq!(mounts[3].source.unwrap().to_bytes(), b"shm");
    assert_eq!(
        mounts[5].flags,
        MS(g::MS_NOSUID | g::MS_NOEXEC | g::MS_NODEV | g::MS_RDONLY)
    );
    let cg = &mounts[6];
    assert_eq!(cg.kind, MountKind::Fs);
    assert_eq!(cg.fstype.unwrap().to_bytes(), b"cgroup2");
    assert_eq!(
        cg.flags,
        MS(g::MS_NOSUID | g::MS_NOEXEC | g::MS_NODEV | g::MS_RELATIME | g::MS_RDONLY)
    );
    assert!(cg.after_placement);

    let devs: Vec<wire::Device> = f.devices().collect();
    assert_eq!(devs.len(), 6);
    assert_eq!(devs[0].path.to_bytes(), b"/dev/null");
    assert_eq!(
        (devs[0].kind, devs[0].major, devs[0].minor, devs[0].mode),
        (b'c', 1, 3, 0o666)
    );
    assert_eq!(f.masked_paths().count(), 10);
    assert_eq!(f.masked_paths().nth(2).unwrap().to_bytes(), b"/proc/kcore");
    assert_eq!(f.readonly_paths().count(), 5);
    assert_eq!(f.sysctls().count(), 0);

    // On a v1 host the cgroup mount becomes a tmpfs, one mount per hierarchy, a remount.
    let f2 = c.bootstrap(&v1_host()).unwrap();
    let f = decode(&f2);
    let mounts: Vec<wire::Mount> = f.mounts().collect();
    assert_eq!(mounts.len(), 6 + 5);
    assert_eq!(mounts[7].dest.to_bytes(), b"/sys/fs/cgroup/cpu");
    assert_eq!(mounts[7].data.unwrap().to_bytes(), b"cpu");
    assert_eq!(mounts[10].kind, MountKind::Remount);
    assert!(mounts[6..].iter().all(|m| m.after_placement));
}

#[test]
fn runc_spec_as_written_is_refused_with_advice() {
    let with_resources = edit(
        RUNC_SPEC,
        "linux.resources",
        Some(r#"{"devices": [{"allow": false, "access": "rwm"}]}"#),
    );
    let c = Bundle::new(&with_resources).load().unwrap();
    assert_eq!(c.resources.devices.len(), 1);
    // runc's own `terminal: true` is taken, with its consoleSize.
    let terminal = edit(RUNC_SPEC, "process.terminal", Some("true"));
    let terminal = edit(
        &terminal,
        "process.consoleSize",
        Some(r#"{"height": 30, "width": 100}"#),
    );
    let c = Bundle::new(&terminal).load().unwrap();
    assert!(c.boot.process.terminal);
    assert_eq!(c.boot.process.console_size, Some((30, 100)));
    // A resources section that asks for nothing is fine.
    let empty = edit(RUNC_SPEC, "linux.resources", Some(r#"{"devices": []}"#));
    assert!(Bundle::new(&empty).load().is_ok());
}

#[test]
fn what_the_config_says_reaches_the_frame() {
    let mut t = edit(
        RUNC_SPEC,
        "process.user",
        Some(r#"{"uid": 1000, "gid": 100, "additionalGids": [5, 6]}"#),
    );
    t = edit(&t, "process.oomScoreAdj", Some("-500"));
    t = edit(&t, "process.cwd", Some(r#""/home//user/./x/..""#));
    t = edit(&t, "process.capabilities", None);
    t = edit(&t, "root.readonly", None);
    t = edit(&t, "domainname", Some(r#""example.org""#));
    t = edit(
        &t,
        "linux.sysctl",
        Some(r#"{"net.ipv4.ip_forward": "1", "kernel.shmmax": "65536"}"#),
    );
    t = edit(&t, "linux.rootfsPropagation", Some(r#""rprivate""#));
    t = edit(&t, "linux.cgroupsPath", Some(r#""/runlet/c1""#));
    t = edit(&t, "annotations", Some(r#"{"org.example": "yes"}"#));
    t = edit(
        &t,
        "linux.devices",
        Some(r#"[{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 384}]"#),
    );
    t = edit(&t, "linux.namespaces[5]", None);
    t = edit(
        &t,
        "mounts[1]",
        Some(
            r#"{"destination": "/etc/hosts", "source": "hosts", "options": ["rbind", "ro", "rprivate"]}"#,
        ),
    );
    let b = Bundle::new(&t);
    std::fs::write(b.0.join("hosts"), "").unwrap();
    let c = b.load().unwrap();
    assert_eq!(c.cgroups_path.as_deref(), Some("/runlet/c1"));
    assert_eq!(c.annotations["org.example"], "yes");
    assert!(!c.new_namespace(NsKind::Cgroup));
    let frame = c.bootstrap(&v2_host()).unwrap();
    let f = decode(&frame);
    let p = &f.process;
    assert_eq!((p.uid, p.gid), (1000, 100));
    assert_eq!(p.additional_gids().collect::<Vec<_>>(), [5, 6]);
    assert_eq!(p.oom_score_adj.unwrap().to_bytes(), b"-500");
    assert_eq!(p.cwd.to_bytes(), b"/home/user");
    assert_eq!(p.caps, None, "no capabilities field, no CAPS");
    assert!(!f.rootfs_readonly);
    assert!(!f.new_cgroupns);
    assert_eq!(f.root_propagation, MS(g::MS_PRIVATE | g::MS_REC));
    let sysctls: Vec<(&[u8], &[u8])> = f
        .sysctls()
        .map(|s| (s.key.to_bytes(), s.value.to_bytes()))
        .collect();
    assert_eq!(
        sysctls,
        [
            (&b"kernel/shmmax"[..], &b"65536"[..]),
            (b"net/ipv4/ip_forward", b"1"),
            (b"kernel/domainname", b"example.org")
        ]
    );
    let devs: Vec<wire::Device> = f.devices().collect();
    assert_eq!(devs.len(), 7);
    assert_eq!(
        (devs[6].path.to_bytes(), devs[6].mode),
        (&b"/dev/fuse"[..], 0o600)
    );
    let mounts: Vec<wire::Mount> = f.mounts().collect();
    let hosts = &mounts[1];
    assert_eq!(hosts.kind, MountKind::Bind);
    assert_eq!(
        hosts.source.unwrap().to_bytes(),
        b.0.join("hosts").as_os_str().as_encoded_bytes()
    );
    assert_eq!(hosts.flags, MS(g::MS_BIND | g::MS_REC | g::MS_RDONLY));
    assert_eq!(hosts.propagation, MS(g::MS_PRIVATE | g::MS_REC));
    // Without a cgroup namespace the cgroup mount binds the container's own cgroup.
    assert_eq!(mounts[6].kind, MountKind::Bind);
    assert_eq!(
        mounts[6].source.unwrap().to_bytes(),
        b"/sys/fs/cgroup/runlet/c1"
    );
}

#[test]
fn unknown_capabilities_warn_once() {
    let t = edit(
        RUNC_SPEC,
        "process.capabilities.bounding[0]",
        Some(r#""CAP_NOPE""#),
    );
    let t = edit(
        &t,
        "process.capabilities.effective[0]",
        Some(r#""CAP_NOPE""#),
    );
    let (c, w) = Config::load_quiet(&Bundle::new(&t).0).unwrap();
    assert_eq!(w, ["unknown capability CAP_NOPE ignored"]);
    assert_eq!(
        c.boot.process.caps.unwrap().bounding,
        (1 << g::CAP_KILL) | (1 << g::CAP_NET_BIND_SERVICE)
    );
}

#[test]
fn ns_kinds() {
    assert_eq!(NsKind::Mount.clone_flag(), 0x20000);
    assert_eq!(NsKind::Network.clone_flag(), 0x4000_0000);
    assert_eq!(NsKind::Cgroup.clone_flag(), 0x0200_0000);
    assert_eq!(NsKind::Mount.proc_name(), "mnt");
    assert_eq!(NsKind::Network.proc_name(), "net");
    for k in [NsKind::Pid, NsKind::Ipc, NsKind::Uts, NsKind::Cgroup] {
        assert!(Path::new("/proc/self/ns").join(k.proc_name()).exists());
    }
}

#[test]
fn the_root_switch_reaches_the_frame() {
    let b = Bundle::new(RUNC_SPEC);
    let mut c = b.load().unwrap();
    let f = c.bootstrap(&v2_host()).unwrap();
    let bs = decode(&f);
    assert!(!bs.root_move);
    assert_eq!(bs.root_detach().count(), 0);
    c.root = crate::config::rootplan::RootPlan {
        move_root: true,
        detach: vec!["/proc".into(), "/run dir".into()],
    };
    let f = c.bootstrap(&v2_host()).unwrap();
    let bs = decode(&f);
    assert!(bs.root_move);
    let d: Vec<_> = bs.root_detach().map(|p| p.to_bytes().to_vec()).collect();
    assert_eq!(d, [b"/proc".to_vec(), b"/run dir".to_vec()]);
}
