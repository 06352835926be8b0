//! User namespaces (docs/userns.md): the container's root is a mapped, unprivileged
//! host uid (what it may not do: userns_confined.rs); several ranges; exec joins the user
//! namespace; a userns container with podman's seccomp profile, a veth pair and a
//! memory limit; joining a user namespace by path; failures leave nothing behind.

use std::fs;
use std::os::unix::fs::{chown, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use runlet_tests::fixture;
use runlet_tests::harness::Fixture;
use runlet_tests::podman;
use runlet_tests::spec::{quote, Mount, Namespace};

/// Host ids the tests map the container's to (nobody's on a test host).
const HOST_ROOT: u32 = 310_000;
const HOST_SECOND: u32 = 420_000;

fn userns(fx: &mut Fixture, maps: &[(u32, u32, u32)]) {
    runlet_tests::userns::add_userns(fx, maps);
}

fn chown_tree(p: &Path, id: u32) {
    runlet_tests::userns::chown_tree(p, id);
}

/// A host directory for a bind mount, owned by `uid:gid`, mode 0755.
fn host_dir(fx: &Fixture, name: &str, uid: u32, gid: u32) -> std::path::PathBuf {
    let d = fx.dir.join(name);
    fs::create_dir_all(&d).unwrap();
    chown(&d, Some(uid), Some(gid)).unwrap();
    fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
    d
}

fn own_ns(kind: &str) -> String {
    fs::read_link(format!("/proc/self/ns/{kind}"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn root_inside_is_the_mapped_host_uid() {
    let mut fx = fixture!("userns-uid");
    userns(&mut fx, &[(0, HOST_ROOT, 65536)]);
    let vol = host_dir(&fx, "vol", HOST_ROOT, HOST_ROOT);
    fx.spec
        .mounts
        .push(Mount::bind(vol.to_str().unwrap(), "/vol", &["rbind", "rw"]));
    fx.spec.probe(&[
        "report",
        "--write",
        "/vol/made",
        "--cat",
        "/proc/self/uid_map",
        "--stat",
        "/dev/null",
        "--stat",
        "/probe",
    ]);
    let r = fx.run().report();
    assert_eq!((r.must("uid"), r.must("gid")), ("0", "0"), "{}", r.dump());
    let user = r
        .all("ns")
        .into_iter()
        .find(|l| l.starts_with("user "))
        .unwrap();
    assert_ne!(
        user,
        format!("user {}", own_ns("user")),
        "a user namespace of its own"
    );
    assert_eq!(r.answer("write", "/vol/made"), "ok");
    // The file is the mapped uid's on the host, not root's.
    let made = fs::metadata(vol.join("made")).unwrap();
    assert_eq!((made.uid(), made.gid()), (HOST_ROOT, HOST_ROOT));
    let map = r.answer("cat", "/proc/self/uid_map");
    assert_eq!(
        map.split_whitespace().collect::<Vec<_>>(),
        ["ok", "0", &HOST_ROOT.to_string(), "65536"]
    );
    // /dev/null is the host's node, bound in (mknod is not allowed): a char 1:3, whose
    // owner (host root) is unmapped: the overflow id.
    assert_eq!(r.answer("stat", "/dev/null"), "char 0666 65534 65534 1:3");
    // The image's files, the mapped root's on the host, are root's inside.
    assert!(r.answer("stat", "/probe").contains(" 0 0 "), "{}", r.dump());
}

#[test]
fn several_ranges_map_each_id() {
    let mut fx = fixture!("userns-ranges");
    userns(&mut fx, &[(0, HOST_ROOT, 1000), (1000, HOST_SECOND, 10)]);
    fx.spec.uid = 1005;
    fx.spec.gid = 1005;
    let vol = host_dir(&fx, "vol", HOST_SECOND + 5, HOST_SECOND + 5);
    fx.spec
        .mounts
        .push(Mount::bind(vol.to_str().unwrap(), "/vol", &["rbind", "rw"]));
    fx.spec
        .probe(&["report", "--write", "/vol/f", "--cat", "/proc/self/gid_map"]);
    let r = fx.run().report();
    assert_eq!((r.must("uid"), r.must("gid")), ("1005", "1005"));
    assert_eq!(r.answer("write", "/vol/f"), "ok");
    let m = fs::metadata(vol.join("f")).unwrap();
    assert_eq!((m.uid(), m.gid()), (HOST_SECOND + 5, HOST_SECOND + 5));
    let lines: Vec<String> = r
        .answer("cat", "/proc/self/gid_map")
        .trim_start_matches("ok ")
        .split("\\n")
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        lines,
        [
            format!("0 {HOST_ROOT} 1000"),
            format!("1000 {HOST_SECOND} 10")
        ]
    );
}

#[test]
fn exec_joins_the_user_namespace() {
    let mut fx = fixture!("userns-exec");
    userns(&mut fx, &[(0, HOST_ROOT, 65536)]);
    fx.spec.probe(&["sleep", "30"]);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    fx.runlet(&["start", &fx.id]).assert_exit(0);
    let init = fx.read_pid_file(&pid_file);
    let out = fx.runlet(&["exec", &fx.id, "/probe", "report"]);
    out.assert_exit(0);
    let r = runlet_tests::report::Report::parse(&out.stdout);
    let init_user = fs::read_link(format!("/proc/{init}/ns/user")).unwrap();
    let user = r
        .all("ns")
        .into_iter()
        .find(|l| l.starts_with("user "))
        .unwrap();
    assert_eq!(user, format!("user {}", init_user.display()));
    assert_eq!(r.must("uid"), "0");
    // Host view of the exec'd process: the mapped uid.
    let status = fs::read_to_string(format!("/proc/{init}/status")).unwrap();
    assert!(status.contains(&format!("Uid:\t{HOST_ROOT}\t")), "{status}");
    fx.runlet(&["delete", "--force", &fx.id]).assert_exit(0);
    fx.reap(init);
    let leaks = fx.leaks();
    assert!(leaks.is_empty(), "left behind:\n  {}", leaks.join("\n  "));
}

#[test]
fn seccomp_veth_and_memory_limit_in_a_user_namespace() {
    let mut fx = fixture!("userns-all");
    let profile = match podman::read() {
        Ok(p) => p,
        Err(why) => runlet_tests::missing!("{why}"),
    };
    userns(&mut fx, &[(0, HOST_ROOT, 65536)]);
    fx.spec.extra_linux.push((
        "seccomp".into(),
        podman::oci(&profile, &podman::DEFAULT_CAPS, podman::running_kernel()),
    ));
    fx.spec.extra_linux.push((
        "resources".into(),
        r#"{"memory":{"limit":67108864}}"#.into(),
    ));
    let host = format!("ru{}", std::process::id() % 100_000);
    let kv = [
        ("veth0.host-name", host.as_str()),
        ("veth0.address", "10.199.9.2/24"),
        ("veth0.host-address", "10.199.9.1/24"),
    ];
    let ann = kv
        .iter()
        .map(|(k, v)| format!("{}: {}", quote(&format!("run.runlet.net.{k}")), quote(v)))
        .collect::<Vec<_>>()
        .join(", ");
    fx.spec
        .extra_top
        .push(("annotations".into(), format!("{{{ann}}}")));
    fx.spec.probe(&["listen", "7019"]);
    let mut run = fx.spawn();
    run.wait_line(|l| l == "ready");
    // The limit is on the container's cgroup.
    let limit: Vec<String> = fx
        .cgroup_dirs()
        .iter()
        .map(|d| d.join("memory.limit_in_bytes"))
        .chain(fx.cgroup_dirs().iter().map(|d| d.join("memory.max")))
        .filter_map(|p| fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .collect();
    assert!(
        limit.iter().any(|l| l == "67108864"),
        "memory limit: {limit:?}"
    );
    // The container is filtered, in its own user namespace, and reachable over the veth.
    let pid = run.pid();
    let init = child_of(pid);
    let status = fs::read_to_string(format!("/proc/{init}/status")).unwrap();
    assert!(status.contains("Seccomp:\t2"), "{status}");
    assert!(status.contains(&format!("Uid:\t{HOST_ROOT}\t")), "{status}");
    let mut s = std::net::TcpStream::connect_timeout(
        &"10.199.9.2:7019".parse().unwrap(),
        std::time::Duration::from_secs(10),
    )
    .unwrap();
    use std::io::{BufRead, Write};
    s.write_all(b"userns\n").unwrap();
    let mut line = String::new();
    std::io::BufReader::new(s).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "echo:userns");
    run.wait_line(|l| l == "got=userns");
    fx.finish(run).assert_exit(0);
    assert!(!Path::new(&format!("/sys/class/net/{host}")).exists());
}

/// The container's init: the one child of the foreground `runlet run` (pid `runlet`).
fn child_of(runlet: u32) -> u32 {
    let text = fs::read_to_string(format!("/proc/{runlet}/task/{runlet}/children")).unwrap();
    text.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn failures_are_one_line_and_leave_nothing() {
    // Container uid 0 not mapped: the child cannot become the namespace's root.
    let mut fx = fixture!("userns-no0");
    userns(&mut fx, &[(1, HOST_ROOT, 100)]);
    fx.run()
        .assert_error(&["setresgid 0 in the user namespace (is gid 0 mapped?)"]);
    // Checked before anything is made.
    let mut fx = fixture!("userns-overlap");
    userns(&mut fx, &[(0, HOST_ROOT, 100), (50, HOST_SECOND, 10)]);
    fx.run()
        .assert_error(&["linux.uidMappings[1] overlaps linux.uidMappings[0] inside the container"]);
    let mut fx = fixture!("userns-nomaps");
    fx.spec.namespaces.push(Namespace {
        typ: "user".into(),
        path: None,
    });
    fx.run().assert_error(&[
        "linux.uidMappings is required with a new user namespace (at least one range)",
    ]);
    // A filesystem without id-mapped mounts (sysfs): the mount is named.
    let mut fx = fixture!("userns-noidmap");
    userns(&mut fx, &[(0, HOST_ROOT, 65536)]);
    let n = fx.spec.mounts.len();
    fx.spec
        .mounts
        .push(Mount::bind("/sys/kernel", "/k", &["bind", "idmap"]));
    fx.run().assert_error(&[&format!(
        "mounts[{n}]: mount_setattr MOUNT_ATTR_IDMAP /sys/kernel: "
    )]);
    let mut fx = fixture!("userns-mntjoin");
    userns(&mut fx, &[(0, HOST_ROOT, 65536)]);
    fx.spec.join_namespace("mount", "/proc/self/ns/mnt");
    fx.run()
        .assert_error(&["joining a mount namespace by path with a new user namespace"]);
}

/// A user namespace with a PID namespace it owns, held by `unshare ... sleep`
/// (orphaned through sh, so no child of the test is left a zombie); the test maps
/// its ids (0-65535 → HOST_ROOT...). Returns (unshare's pid, sleep's pid).
fn holder() -> (u32, u32) {
    let out = Command::new("sh")
        .args([
            "-c",
            "unshare --user --pid --fork --kill-child sleep 60 </dev/null >/dev/null 2>&1 & echo $!",
        ])
        .output()
        .expect("sh");
    let unshare: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let kids = fs::read_to_string(format!("/proc/{unshare}/task/{unshare}/children"))
            .unwrap_or_default();
        if let Some(p) = kids.split_whitespace().next() {
            let sleeper: u32 = p.parse().unwrap();
            if fs::read_link(format!("/proc/{sleeper}/ns/user")).ok()
                != fs::read_link("/proc/self/ns/user").ok()
            {
                let map = format!("0 {HOST_ROOT} 65536\n");
                fs::write(format!("/proc/{sleeper}/uid_map"), &map).unwrap();
                fs::write(format!("/proc/{sleeper}/gid_map"), &map).unwrap();
                return (unshare, sleeper);
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "unshare did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn joins_a_user_namespace_by_path() {
    // Its PID namespace joined too, then a new one (owned by the joined user
    // namespace: runlet's child forks its first process).
    for join_pid in [true, false] {
        let mut fx = fixture!("userns-join");
        chown_tree(&fx.rootfs(), HOST_ROOT);
        let (unshare, sleeper) = holder();
        let ns = |kind: &str| fs::read_link(format!("/proc/{sleeper}/ns/{kind}")).unwrap();
        let (user, pid) = (ns("user"), ns("pid"));
        fx.spec
            .join_namespace("user", &format!("/proc/{sleeper}/ns/user"));
        if join_pid {
            fx.spec
                .join_namespace("pid", &format!("/proc/{sleeper}/ns/pid"));
        }
        let vol = host_dir(&fx, "vol", HOST_ROOT, HOST_ROOT);
        fx.spec
            .mounts
            .push(Mount::bind(vol.to_str().unwrap(), "/vol", &["rbind", "rw"]));
        fx.spec.probe(&["report", "--write", "/vol/j"]);
        let out = fx.run();
        let _ = Command::new("kill").arg(unshare.to_string()).status();
        let r = out.report();
        let seen = |kind: &str| {
            r.all("ns")
                .into_iter()
                .find(|l| l.starts_with(&format!("{kind} ")))
                .unwrap()
                .to_string()
        };
        assert_eq!(seen("user"), format!("user {}", user.display()));
        assert_eq!(seen("pid") == format!("pid {}", pid.display()), join_pid);
        if !join_pid {
            assert_eq!(r.must("pid"), "1", "the new PID namespace's first process");
            assert_ne!(seen("pid"), format!("pid {}", own_ns("pid")));
        }
        assert_eq!(r.must("uid"), "0");
        assert_eq!(r.answer("write", "/vol/j"), "ok");
        assert_eq!(fs::metadata(vol.join("j")).unwrap().uid(), HOST_ROOT);
    }
}

#[test]
fn id_mapped_mount_shows_the_volume_s_owners() {
    let mut fx = fixture!("userns-idmap");
    userns(&mut fx, &[(0, HOST_ROOT, 65536)]);
    // A volume of host root's, with a file of uid 5's: unmapped in the container
    // (nobody) through a plain bind, its own owners through an id-mapped one.
    let vol = host_dir(&fx, "vol", 0, 0);
    fs::write(vol.join("five"), "5").unwrap();
    chown(vol.join("five"), Some(5), Some(5)).unwrap();
    let v = vol.to_str().unwrap();
    fx.spec
        .mounts
        .push(Mount::bind(v, "/plain", &["rbind", "ro"]));
    fx.spec
        .mounts
        .push(Mount::bind(v, "/mapped", &["rbind", "rw", "idmap"]));
    fx.spec.probe(&[
        "report",
        "--stat",
        "/plain/five",
        "--stat",
        "/mapped/five",
        "--stat",
        "/mapped",
        "--write",
        "/mapped/made",
    ]);
    let r = fx.run().report();
    assert!(
        r.answer("stat", "/plain/five").contains(" 65534 65534 "),
        "{}",
        r.dump()
    );
    assert!(
        r.answer("stat", "/mapped/five").contains(" 5 5 "),
        "{}",
        r.dump()
    );
    assert!(
        r.answer("stat", "/mapped").starts_with("dir 0755 0 0 "),
        "{}",
        r.dump()
    );
    // The container's root writes as the volume's root: host uid 0 on disk.
    assert_eq!(r.answer("write", "/mapped/made"), "ok");
    let made = fs::metadata(vol.join("made")).unwrap();
    assert_eq!((made.uid(), made.gid()), (0, 0));
}

#[test]
fn id_mapped_mount_with_its_own_maps() {
    let mut fx = fixture!("userns-idmap2");
    userns(&mut fx, &[(0, HOST_ROOT, 65536)]);
    let vol = host_dir(&fx, "vol", 1000, 1000);
    // Disk id 1000 is the container's root through the mount's maps.
    let own = format!(r#"[{{"containerID":1000,"hostID":{HOST_ROOT},"size":1}}]"#);
    let mount = format!(
        r#"{{"destination":"/v","type":"bind","source":{},"options":["bind"],"uidMappings":{own},"gidMappings":{own}}}"#,
        quote(vol.to_str().unwrap())
    );
    fx.spec
        .probe(&["report", "--stat", "/v", "--write", "/v/f"]);
    let mut text = fx.spec.to_json();
    let key = r#""mounts": ["#;
    let at = text.find(key).expect("mounts in the config") + key.len();
    text.insert_str(at, &format!("{mount},"));
    fx.config_text = Some(text);
    let r = fx.run().report();
    assert!(
        r.answer("stat", "/v").starts_with("dir 0755 0 0 "),
        "{}",
        r.dump()
    );
    assert_eq!(r.answer("write", "/v/f"), "ok");
    assert_eq!(fs::metadata(vol.join("f")).unwrap().uid(), 1000);
    // An id-mapped mount in a container without a user namespace is refused.
    let mut fx = fixture!("userns-idmap3");
    fx.spec
        .mounts
        .push(Mount::bind(vol.to_str().unwrap(), "/v", &["bind", "idmap"]));
    fx.run()
        .assert_error(&["an id-mapped mount needs a new user namespace"]);
}
