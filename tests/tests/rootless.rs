//! Rootless (docs/userns.md): runlet run by an unprivileged uid (the test's child,
//! setuid to UID, with a private XDG_RUNTIME_DIR; no user is added to the host).
//! `runlet spec --rootless` writes a config that runs as is; run, create, start,
//! exec, kill and delete as that user; state under `$XDG_RUNTIME_DIR/runlet`;
//! nothing left.

use std::fs;
use std::os::unix::fs::{chown, MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use runlet_tests::harness::{runlet_bin, spawn, Fixture, Outcome};
use runlet_tests::{fixture, Report};

/// Nobody's uid and gid on a test host.
const UID: u32 = 42_421;

fn chown_tree(p: &Path) {
    chown_tree_to(p, UID);
}

/// The bundle and a runtime dir, the user's; the rootfs's `sh` is the probe (with
/// no arguments it reports).
fn rootless_bundle(fx: &mut Fixture) -> PathBuf {
    fx.write_config = false;
    let _ = fs::remove_file(fx.bundle.join("config.json"));
    let bin = fx.rootfs().join("bin");
    fs::create_dir_all(&bin).unwrap();
    fs::copy(fx.probe_path(), bin.join("sh")).unwrap();
    let xdg = fx.dir.join("xdg");
    fs::create_dir_all(&xdg).unwrap();
    fs::set_permissions(&xdg, fs::Permissions::from_mode(0o700)).unwrap();
    chown_tree(&fx.bundle);
    chown(&xdg, Some(UID), Some(UID)).unwrap();
    xdg
}

/// `runlet ARGS` as UID, in the bundle, with XDG_RUNTIME_DIR set (no `--root`).
fn as_user(fx: &Fixture, xdg: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(runlet_bin());
    c.args(args)
        .current_dir(&fx.bundle)
        .env("XDG_RUNTIME_DIR", xdg)
        .uid(UID)
        .gid(UID);
    c
}

fn user_run(fx: &Fixture, xdg: &Path, args: &[&str]) -> Outcome {
    spawn(as_user(fx, xdg, args)).wait()
}

fn user_ns(pid: &str) -> String {
    fs::read_link(format!("/proc/{pid}/ns/user"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// runlet's note when the user has no cgroups of its own, else nothing.
fn only_cgroup_note(stderr: &str) {
    for l in stderr.lines() {
        assert!(
            l.starts_with("runlet: note: cgroups are not delegated to uid 42421"),
            "unexpected stderr: {stderr}"
        );
    }
}

#[test]
fn spec_rootless_runs_as_an_unprivileged_user() {
    let mut fx = fixture!("rootless-run");
    let xdg = rootless_bundle(&mut fx);
    user_run(&fx, &xdg, &["spec", "--rootless"]).assert_exit(0);
    let cfg = fx.bundle.join("config.json");
    assert_eq!(fs::metadata(&cfg).unwrap().uid(), UID);
    let out = user_run(&fx, &xdg, &["run", &fx.id]);
    out.assert_exit(0);
    only_cgroup_note(&out.stderr);
    let r = Report::parse(&out.stdout);
    assert_eq!((r.must("uid"), r.must("pid")), ("0", "1"), "{}", r.dump());
    let user = r
        .all("ns")
        .into_iter()
        .find(|l| l.starts_with("user "))
        .unwrap();
    assert_ne!(user, format!("user {}", user_ns("self")));
    // Its capabilities are the config's, in its own namespace only.
    assert_eq!(r.must("CapEff"), "0000000020000420");
    assert!(!xdg.join("runlet").join(&fx.id).exists(), "state left");
}

#[test]
fn rootless_create_exec_kill_delete() {
    let mut fx = fixture!("rootless-exec");
    let xdg = rootless_bundle(&mut fx);
    user_run(&fx, &xdg, &["spec", "--rootless"]).assert_exit(0);
    // The same config, its process sleeping.
    let cfg = fx.bundle.join("config.json");
    let text = fs::read_to_string(&cfg).unwrap();
    let slept = text.replacen(r#""sh""#, r#""sh", "sleep", "60""#, 1);
    assert_ne!(text, slept);
    fs::write(&cfg, slept).unwrap();
    // The pid file's directory is the user's: runlet writes it as UID.
    let pid_dir = fx.dir.join("pids");
    fs::create_dir_all(&pid_dir).unwrap();
    chown(&pid_dir, Some(UID), Some(UID)).unwrap();
    let pid_file = pid_dir.join("init.pid");
    let mut cmd = as_user(&fx, &xdg, &["create", "--pid-file"]);
    cmd.arg(&pid_file).arg(&fx.id);
    let out = fx.run_to_files(cmd);
    out.assert_exit(0);
    assert!(xdg.join("runlet").join(&fx.id).join("state.json").exists());
    user_run(&fx, &xdg, &["start", &fx.id]).assert_exit(0);
    let init = fs::read_to_string(&pid_file).unwrap().trim().to_string();
    let state = user_run(&fx, &xdg, &["state", &fx.id]);
    state.assert_exit(0);
    let compact: String = state.stdout.split_whitespace().collect();
    assert!(
        compact.contains(r#""status":"running""#),
        "{}",
        state.stdout
    );

    let ex = user_run(&fx, &xdg, &["exec", &fx.id, "/bin/sh", "report"]);
    ex.assert_exit(0);
    let r = Report::parse(&ex.stdout);
    assert_eq!(r.must("uid"), "0");
    let user = r
        .all("ns")
        .into_iter()
        .find(|l| l.starts_with("user "))
        .unwrap();
    assert_eq!(user, format!("user {}", user_ns(&init)));
    // The host sees the init as the user.
    let status = fs::read_to_string(format!("/proc/{init}/status")).unwrap();
    assert!(status.contains(&format!("Uid:\t{UID}\t")), "{status}");

    user_run(&fx, &xdg, &["kill", &fx.id, "KILL"]).assert_exit(0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while Path::new(&format!("/proc/{init}")).exists() {
        // Reaped by init (pid 1) or the subreaper once gone; a zombie counts as gone.
        let st = fs::read_to_string(format!("/proc/{init}/stat")).unwrap_or_default();
        if st.contains(") Z ") || st.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "init {init} not killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    user_run(&fx, &xdg, &["delete", &fx.id]).assert_exit(0);
    assert!(!xdg.join("runlet").join(&fx.id).exists(), "state left");
    let leaks = fx.leaks();
    assert!(leaks.is_empty(), "left behind:\n  {}", leaks.join("\n  "));
}

/// Host ids /etc/subuid and /etc/subgid give the user in `newuidmap_maps_subordinate_ids`.
const SUB: u32 = 520_000;

#[test]
fn newuidmap_maps_subordinate_ids() {
    let mut fx = fixture!("rootless-subid");
    if !Path::new("/usr/bin/newuidmap").exists() {
        runlet_tests::missing!("newuidmap/newgidmap (package uidmap) not installed");
    }
    let xdg = rootless_bundle(&mut fx);
    user_run(&fx, &xdg, &["spec", "--rootless"]).assert_exit(0);
    let cfg = fx.bundle.join("config.json");
    let text = fs::read_to_string(&cfg).unwrap();
    let mut edited = text.clone();
    for k in ["uidMappings", "gidMappings"] {
        let one = format!(r#""{k}": [{{"containerID": 0, "hostID": {UID}, "size": 1}}]"#);
        let two = format!(
            r#""{k}": [{{"containerID": 0, "hostID": {UID}, "size": 1}}, {{"containerID": 1, "hostID": {SUB}, "size": 65536}}]"#
        );
        assert!(edited.contains(&one), "{edited}");
        edited = edited.replace(&one, &two);
    }
    // Its process: uid 1000 inside, the subordinate SUB+999 outside, writing a volume.
    edited = edited.replacen(r#""uid": 0,"#, r#""uid": 1000,"#, 1);
    edited = edited.replacen(r#""gid": 0"#, r#""gid": 1000"#, 1);
    edited = edited.replacen(r#""sh""#, r#""sh", "report", "--write", "/tmp/f""#, 1);
    edited = edited.replacen(r#""readonly": true"#, r#""readonly": false"#, 1);
    fs::write(&cfg, edited).unwrap();
    let tmp = fx.rootfs().join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    chown(&tmp, Some(SUB + 999), Some(SUB + 999)).unwrap();
    // The user (newuidmap wants a name) and its ranges, seen only in a private mount
    // namespace: the host's files stay as they are.
    let sub = fx.dir.join("subid");
    fs::write(&sub, format!("rlt:{SUB}:65536\n")).unwrap();
    let passwd = fx.dir.join("passwd");
    let mut users = fs::read_to_string("/etc/passwd").unwrap();
    users.push_str(&format!(
        "rlt:x:{UID}:{UID}::/nonexistent:/usr/sbin/nologin\n"
    ));
    fs::write(&passwd, users).unwrap();
    let script = format!(
        "mount --bind {p} /etc/passwd && mount --bind {s} /etc/subuid && mount --bind {s} /etc/subgid && exec \"$@\"",
        s = sub.display(),
        p = passwd.display()
    );
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        &script,
        "sh",
    ])
    .args([
        "setpriv",
        "--reuid",
        &UID.to_string(),
        "--regid",
        &UID.to_string(),
    ])
    .args(["--clear-groups", "--"])
    .arg(runlet_bin())
    .args(["run", &fx.id])
    .current_dir(&fx.bundle)
    .env("XDG_RUNTIME_DIR", &xdg);
    let out = spawn(cmd).wait();
    out.assert_exit(0);
    only_cgroup_note(&out.stderr);
    let r = Report::parse(&out.stdout);
    assert_eq!(
        (r.must("uid"), r.must("gid")),
        ("1000", "1000"),
        "{}",
        r.dump()
    );
    assert_eq!(r.answer("write", "/tmp/f"), "ok");
    let m = fs::metadata(tmp.join("f")).unwrap();
    assert_eq!((m.uid(), m.gid()), (SUB + 999, SUB + 999));
    assert!(!xdg.join("runlet").join(&fx.id).exists(), "state left");
    let leaks = fx.leaks();
    assert!(leaks.is_empty(), "left behind:\n  {}", leaks.join("\n  "));
}

/// The rootless podman test's user (its own: tests of this file run in parallel).
const PODMAN_UID: u32 = 42_422;

/// Rootless podman (`podman --runtime runlet` as an ordinary user with subordinate
/// ranges) runs, execs, stops and removes a container. The user, its home and its
/// ranges exist only in a private mount namespace (bind-mounted copies of
/// /etc/passwd, /etc/group, /etc/subuid, /etc/subgid); podman's pause process is
/// killed by its pid file at the end.
#[test]
fn rootless_podman_drives_runlet() {
    let fx = fixture!("rootless-podman");
    for tool in ["podman", "conmon", "newuidmap", "slirp4netns"] {
        if !Path::new("/usr/bin").join(tool).exists() {
            runlet_tests::missing!(
                "{tool} not installed (.ci/run installs podman, conmon, slirp4netns, uidmap)"
            );
        }
    }
    let t = &fx.dir;
    let (home, xdg, rootfs) = (t.join("home"), t.join("xdg"), t.join("rootfs"));
    for d in [&home, &xdg, &rootfs] {
        fs::create_dir_all(d).unwrap();
    }
    fs::copy(fx.probe_path(), rootfs.join("probe")).unwrap();
    for d in ["proc", "dev", "sys", "etc", "tmp"] {
        fs::create_dir_all(rootfs.join(d)).unwrap();
    }
    let u = PODMAN_UID;
    let add = |file: &str, line: String| {
        let mut text = fs::read_to_string(file).unwrap();
        text.push_str(&line);
        let copy = t.join(Path::new(file).file_name().unwrap());
        fs::write(&copy, text).unwrap();
        copy
    };
    let passwd = add(
        "/etc/passwd",
        format!("rltp:x:{u}:{u}::{}:/bin/sh\n", home.display()),
    );
    let group = add("/etc/group", format!("rltp:x:{u}:\n"));
    let sub = t.join("subid");
    fs::write(&sub, format!("rltp:{}:65536\n", SUB + 100_000)).unwrap();
    for p in [&home, &xdg, &rootfs] {
        chown_tree_to(p, u);
    }
    fs::set_permissions(&xdg, fs::Permissions::from_mode(0o700)).unwrap();
    let podman = format!(
        "podman --runtime {} --cgroup-manager=cgroupfs --events-backend=file --storage-driver=vfs",
        runlet_bin().display()
    );
    let script = format!(
        "set -e; P='{podman}'; \
         $P run --rm --rootfs {r} /probe report; \
         $P run -d --name c1 --rootfs {r} /probe sleep 60; \
         $P exec c1 /probe report --cat /proc/self/uid_map; \
         $P stop -t 1 c1; $P rm c1; echo ps=$($P ps -aq | wc -l)",
        r = rootfs.display()
    );
    let binds = format!(
        "mount --bind {} /etc/passwd && mount --bind {} /etc/group && mount --bind {s} /etc/subuid && mount --bind {s} /etc/subgid && exec \"$@\"",
        passwd.display(),
        group.display(),
        s = sub.display()
    );
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        &binds,
        "sh",
    ])
    .args([
        "setpriv",
        "--reuid",
        &u.to_string(),
        "--regid",
        &u.to_string(),
    ])
    .args(["--clear-groups", "--", "env", "-i"])
    .arg(format!("HOME={}", home.display()))
    .arg(format!("XDG_RUNTIME_DIR={}", xdg.display()))
    .args([
        "PATH=/usr/bin:/bin:/usr/sbin:/sbin",
        "USER=rltp",
        "sh",
        "-c",
        &script,
    ])
    .current_dir(t);
    let out = spawn(cmd).wait();
    // podman's pause process holds its user namespace after podman exits.
    if let Ok(p) = fs::read_to_string(xdg.join("libpod/tmp/pause.pid")) {
        let _ = Command::new("kill").arg(p.trim()).status();
    }
    out.assert_exit(0);
    // `run --rm`: uid 0 and pid 1 in the container, in podman's user namespace.
    let first = &out.stdout[..out.stdout.find("end=ok").expect("a report")];
    let r = Report::parse(first);
    assert_eq!((r.must("uid"), r.must("pid")), ("0", "1"), "{}", out.stdout);
    // `exec`: the subordinate range maps the container's ids.
    let rest = &out.stdout[first.len() + 6..];
    let ex = Report::parse(rest);
    let map = ex.answer("cat", "/proc/self/uid_map");
    assert!(map.contains(&u.to_string()), "uid_map: {map}");
    assert!(out.stdout.trim_end().ends_with("ps=0"), "{}", out.stdout);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !processes_of(u).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "left running as {u}: {:?}",
            processes_of(u)
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn chown_tree_to(p: &Path, id: u32) {
    runlet_tests::userns::chown_tree(p, id);
}

/// Live (not zombie) processes whose real uid is `uid`.
fn processes_of(uid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(st) = fs::read_to_string(e.path().join("status")) else {
            continue;
        };
        let ruid = st
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().next().map(String::from));
        let zombie = st
            .lines()
            .any(|l| l.starts_with("State:") && l.contains('Z'));
        if ruid.as_deref() == Some(&uid.to_string()) && !zombie {
            out.push(pid);
        }
    }
    out
}
