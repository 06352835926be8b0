use super::*;

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn mount(dest: &str, t: Option<&str>, src: Option<&str>, opts: &[&str]) -> spec::Mount {
    spec::Mount {
        destination: Some(dest.to_string()),
        source: src.map(str::to_string),
        options: Some(strs(opts)),
        r#type: t.map(str::to_string),
        uid_mappings: None,
        gid_mappings: None,
    }
}

const RDONLY: u64 = g::MS_RDONLY as u64;
const NOSUID: u64 = g::MS_NOSUID as u64;
const NODEV: u64 = g::MS_NODEV as u64;
const NOEXEC: u64 = g::MS_NOEXEC as u64;
const BIND: u64 = g::MS_BIND as u64;
const REC: u64 = g::MS_REC as u64;

#[test]
fn options_parse_as_runc_parses_them() {
    let o = parse_options(
        "x",
        &strs(&["nosuid", "strictatime", "mode=755", "size=65536k"]),
    )
    .unwrap();
    assert_eq!(o.flags, NOSUID | g::MS_STRICTATIME as u64);
    assert_eq!(o.data, "mode=755,size=65536k");
    let o = parse_options(
        "x",
        &strs(&[
            "nosuid",
            "noexec",
            "newinstance",
            "ptmxmode=0666",
            "mode=0620",
            "gid=5",
        ]),
    )
    .unwrap();
    assert_eq!(o.flags, NOSUID | NOEXEC);
    assert_eq!(o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
    // Later options undo earlier ones.
    let o = parse_options(
        "x",
        &strs(&["ro", "nodev", "rw", "dev", "noatime", "atime"]),
    )
    .unwrap();
    assert_eq!(o.flags, 0);
    let o = parse_options(
        "x",
        &strs(&[
            "rbind", "rprivate", "defaults", "remount", "sync", "dirsync", "mand",
        ]),
    )
    .unwrap();
    assert_eq!(
        o.flags,
        BIND | REC | (g::MS_REMOUNT | g::MS_SYNCHRONOUS | g::MS_DIRSYNC | g::MS_MANDLOCK) as u64
    );
    assert_eq!(o.propagation, (g::MS_PRIVATE | g::MS_REC) as u64);
    assert_eq!(o.data, "");
    let o = parse_options("x", &strs(&["shared", "slave"])).unwrap();
    assert_eq!(o.propagation, g::MS_SLAVE as u64);
    let o = parse_options(
        "x",
        &strs(&["relatime", "norelatime", "nodiratime", "unbindable"]),
    )
    .unwrap();
    assert_eq!(o.flags, g::MS_NODIRATIME as u64);
    assert_eq!(o.propagation, g::MS_UNBINDABLE as u64);
}

#[test]
fn recursive_attributes_set_and_clear_as_runc() {
    let rec = |o: &[&str]| parse_options("m", &strs(o)).unwrap().rec;
    let r = rec(&["rro", "rnosuid", "rnoexec", "rnoatime"]);
    let a = |x: u32| x as u64;
    assert_eq!(
        r.set,
        a(g::MOUNT_ATTR_RDONLY
            | g::MOUNT_ATTR_NOSUID
            | g::MOUNT_ATTR_NOEXEC
            | g::MOUNT_ATTR_NOATIME)
    );
    assert_eq!(r.clr, a(g::MOUNT_ATTR__ATIME) & !a(g::MOUNT_ATTR_NOATIME));
    // Later options undo earlier ones.
    let r = rec(&["rro", "rrw"]);
    assert_eq!((r.set, r.clr), (0, a(g::MOUNT_ATTR_RDONLY)));
    assert_eq!(rec(&["ro", "nosuid"]), Default::default());
}

#[test]
fn unsupported_options_are_refused() {
    let e = |o: &str| {
        parse_options("mounts[3].options", &strs(&[o]))
            .unwrap_err()
            .to_string()
    };
    let idmap = |o: &[&str]| parse_options("m", &strs(o)).unwrap().idmap;
    assert_eq!(idmap(&["idmap"]), Some(false));
    assert_eq!(idmap(&["ridmap"]), Some(true));
    assert_eq!(idmap(&["ridmap", "idmap"]), Some(true));
    assert_eq!(idmap(&["ro"]), None);
    assert_eq!(
        e("tmpcopyup"),
        "mounts[3].options: \"tmpcopyup\" is not supported yet"
    );
    assert_eq!(e("a\0b"), "mounts[3].options contains a NUL byte");
    let long = format!("size={}", "1".repeat(5000));
    assert!(e(&long).contains("the kernel takes at most 4095"));
}

#[test]
fn mounts_are_checked_and_cleaned() {
    let bundle = Path::new("/");
    let v = parse(
        &[
            mount("/proc", Some("proc"), Some("proc"), &[]),
            mount("//dev/./pts/", Some("devpts"), None, &["nosuid"]),
            mount(
                "/sys/fs/cgroup",
                Some("cgroup"),
                Some("cgroup"),
                &["ro", "nsdelegate"],
            ),
            mount(
                "/etc/hosts",
                None,
                Some("etc/hosts"),
                &["rbind", "ro", "mode=1"],
            ),
            mount("/mnt", Some("bind"), Some("/tmp"), &[]),
        ],
        bundle,
    )
    .unwrap();
    assert_eq!(v.len(), 5);
    let Entry::Op(pts) = &v[1] else { panic!() };
    assert_eq!(pts.dest, "/dev/pts");
    assert_eq!(pts.kind, MountKind::Fs);
    assert_eq!(
        pts.source.as_deref(),
        Some(Path::new("devpts")),
        "source defaults to type"
    );
    assert_eq!(pts.fstype.as_deref(), Some("devpts"));
    assert_eq!(
        v[2],
        Entry::Cgroup {
            dest: "/sys/fs/cgroup".into(),
            flags: RDONLY,
            propagation: 0,
            data: "nsdelegate".into()
        }
    );
    let Entry::Op(hosts) = &v[3] else { panic!() };
    assert_eq!(hosts.kind, MountKind::Bind);
    assert_eq!(
        hosts.source.as_deref(),
        Some(Path::new("/etc/hosts")),
        "relative to the bundle"
    );
    assert_eq!(hosts.flags, BIND | REC | RDONLY);
    assert_eq!(hosts.data, None);
    let Entry::Op(mnt) = &v[4] else { panic!() };
    assert_eq!(
        (mnt.kind, mnt.flags),
        (MountKind::Bind, BIND),
        "type bind is a bind mount"
    );
    assert!(v
        .iter()
        .all(|e| !matches!(e, Entry::Op(o) if o.after_placement)));
}

#[test]
fn bad_mounts_are_named() {
    let e = |m: spec::Mount| {
        parse(&[mount("/a", Some("tmpfs"), None, &[]), m], Path::new("/"))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        e(mount("dev", Some("tmpfs"), None, &[])),
        "mounts[1].destination \"dev\" must be an absolute path"
    );
    assert_eq!(
        e(mount("/x/..", Some("tmpfs"), None, &[])),
        "mounts[1].destination: mounting over / is not allowed (root.path is the container's root)"
    );
    let mut m = mount("/x", Some("tmpfs"), None, &[]);
    m.destination = None;
    assert_eq!(e(m), "mounts[1].destination is required");
    assert_eq!(
        e(mount("/x", None, Some("x"), &[])),
        "mounts[1].type is required (or a \"bind\" or \"rbind\" option)"
    );
    assert_eq!(
        e(mount("/x", None, None, &["bind"])),
        "mounts[1].source is required for a bind mount"
    );
    assert_eq!(
        e(mount("/x", None, Some("/nonexistent-runlet"), &["rbind"])),
        "mounts[1].source /nonexistent-runlet: No such file or directory"
    );
    assert_eq!(
        e(mount("/proc", Some("tmpfs"), None, &[])),
        "mounts[1]: only a proc filesystem may be mounted on /proc"
    );
    assert_eq!(
        e(mount("/proc", None, Some("/proc"), &["bind"])),
        "mounts[1]: only a proc filesystem may be mounted on /proc"
    );
    assert!(e(mount("/proc/sys/../self", None, Some("/tmp"), &["bind"]))
        .starts_with("mounts[1].destination /proc/self is inside /proc; only /proc/cpuinfo, "));
    assert!(parse(
        &[mount("/proc/meminfo", None, Some("/tmp"), &["bind"])],
        Path::new("/")
    )
    .is_ok());
    let mut m = mount("/x", Some("tmpfs"), None, &[]);
    m.uid_mappings = Some(miniserde::json::from_str("[{\"size\": 1}]").unwrap());
    assert_eq!(
        e(m),
        "mounts[1]: an id-mapped mount (idmap, uidMappings) must be a bind mount"
    );
    let mut m = mount("/x", None, Some("/tmp"), &["bind"]);
    m.uid_mappings = Some(miniserde::json::from_str("[{\"size\": 1}]").unwrap());
    assert_eq!(e(m), "mounts[1].uidMappings[0].containerID is required");
    let mut m = mount("/x", None, Some("/tmp"), &["bind"]);
    m.uid_mappings =
        Some(miniserde::json::from_str(r#"[{"containerID":0,"hostID":1,"size":1}]"#).unwrap());
    assert!(e(m).contains("needs both uidMappings and gidMappings"));
    let mut m = mount("/x", Some("tmpfs"), None, &[]);
    m.gid_mappings = Some(miniserde::json::from_str("[]").unwrap());
    assert!(
        parse(&[m], Path::new("/")).is_ok(),
        "empty mappings are none"
    );
}

fn cg(name: &str, fstype: &'static str, data: &str, host: &str) -> CgroupMount {
    CgroupMount {
        name: name.into(),
        fstype,
        data: data.into(),
        host_path: host.into(),
    }
}

fn cgroup_entry(flags: u64) -> Vec<Entry> {
    vec![
        Entry::Cgroup {
            dest: "/sys/fs/cgroup".into(),
            flags,
            propagation: 0,
            data: String::new(),
        },
        Entry::Op(Op {
            kind: MountKind::Fs,
            source: Some("tmpfs".into()),
            dest: "/run".into(),
            fstype: Some("tmpfs".into()),
            flags: 0,
            data: None,
            propagation: 0,
            after_placement: false,
            rec: Default::default(),
        }),
    ]
}

#[test]
fn cgroup_mount_on_a_pure_v2_host() {
    let v2 = [cg("", "cgroup2", "", "/sys/fs/cgroup/c1")];
    let ops = expand(&cgroup_entry(RDONLY | NOSUID), &v2, true);
    assert_eq!(ops.len(), 2);
    assert_eq!(ops[0].kind, MountKind::Fs);
    assert_eq!(ops[0].fstype.as_deref(), Some("cgroup2"));
    assert_eq!(ops[0].dest, "/sys/fs/cgroup");
    assert_eq!(ops[0].flags, RDONLY | NOSUID);
    assert_eq!(ops[0].data, None);
    assert!(ops[0].after_placement);
    assert_eq!(ops[1].dest, "/run");
    assert!(!ops[1].after_placement);

    let ops = expand(&cgroup_entry(RDONLY), &v2, false);
    assert_eq!(ops[0].kind, MountKind::Bind);
    assert_eq!(
        ops[0].source.as_deref(),
        Some(Path::new("/sys/fs/cgroup/c1"))
    );
    assert_eq!(ops[0].flags, RDONLY | BIND | REC);
    assert!(ops[0].after_placement);
}

#[test]
fn cgroup_mount_on_a_v1_or_hybrid_host() {
    let v1 = [
        cg(
            "cpu,cpuacct",
            "cgroup",
            "cpu,cpuacct",
            "/sys/fs/cgroup/cpu,cpuacct/c1",
        ),
        cg(
            "systemd",
            "cgroup",
            "none,name=systemd",
            "/sys/fs/cgroup/systemd/c1",
        ),
        cg("unified", "cgroup2", "", "/sys/fs/cgroup/unified/c1"),
    ];
    let ops = expand(&cgroup_entry(RDONLY | NOSUID | NODEV | NOEXEC), &v1, true);
    assert_eq!(ops.len(), 6);
    assert!(ops[..5].iter().all(|o| o.after_placement));
    let tmpfs = &ops[0];
    assert_eq!(
        (
            tmpfs.kind,
            tmpfs.dest.as_str(),
            tmpfs.fstype.as_deref(),
            tmpfs.data.as_deref()
        ),
        (
            MountKind::Fs,
            "/sys/fs/cgroup",
            Some("tmpfs"),
            Some("mode=755")
        )
    );
    assert_eq!(tmpfs.flags, NOSUID | NODEV | NOEXEC);
    assert_eq!(ops[1].dest, "/sys/fs/cgroup/cpu,cpuacct");
    assert_eq!(ops[1].fstype.as_deref(), Some("cgroup"));
    assert_eq!(ops[1].data.as_deref(), Some("cpu,cpuacct"));
    assert_eq!(ops[1].flags, RDONLY | NOSUID | NODEV | NOEXEC);
    assert_eq!(ops[2].data.as_deref(), Some("none,name=systemd"));
    assert_eq!(ops[3].fstype.as_deref(), Some("cgroup2"));
    assert_eq!(ops[3].data, None);
    let remount = &ops[4];
    assert_eq!(remount.kind, MountKind::Remount);
    assert_eq!(remount.dest, "/sys/fs/cgroup");
    assert_eq!(remount.flags, RDONLY | NOSUID | NODEV | NOEXEC);
    assert_eq!(ops[5].dest, "/run");

    // No cgroup namespace: binds of the container's own directories, no remount when rw.
    let ops = expand(&cgroup_entry(NOSUID), &v1, false);
    assert_eq!(ops.len(), 5);
    assert_eq!(ops[2].kind, MountKind::Bind);
    assert_eq!(ops[2].dest, "/sys/fs/cgroup/systemd");
    assert_eq!(
        ops[2].source.as_deref(),
        Some(Path::new("/sys/fs/cgroup/systemd/c1"))
    );
    assert_eq!(ops[2].flags, NOSUID | BIND | REC);
    assert_eq!(min_ops(&cgroup_entry(0)), 2);
}
