//! Each way a config can be wrong, and the one line that says so.

use super::*;

#[test]
fn missing_files() {
    let dir = std::env::temp_dir().join(format!("runlet-config-none-{}", std::process::id()));
    let e = Config::load(&dir).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "open {}/config.json: No such file or directory",
            dir.display()
        )
    );

    let b = Bundle::new(RUNC_SPEC);
    std::fs::remove_dir(b.0.join("rootfs")).unwrap();
    let e = b.load().unwrap_err().to_string();
    assert_eq!(
        e,
        format!("rootfs {}/rootfs: No such file or directory", b.0.display())
    );
    std::fs::write(b.0.join("rootfs"), "").unwrap();
    let e = b.load().unwrap_err().to_string();
    assert_eq!(
        e,
        format!("rootfs {}/rootfs: Not a directory", b.0.display())
    );

    let t = edit(
        RUNC_SPEC,
        "root.path",
        Some(r#""/nonexistent-runlet/../nonexistent-runlet/r""#),
    );
    let e = Bundle::new(&t).load().unwrap_err().to_string();
    assert_eq!(e, "rootfs /nonexistent-runlet/r: No such file or directory");

    let t = edit(
        RUNC_SPEC,
        "mounts[3]",
        Some(r#"{"destination": "/x", "source": "nope", "options": ["bind"]}"#),
    );
    let b = Bundle::new(&t);
    let e = b.load().unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "mounts[3].source {}/nope: No such file or directory",
            b.0.display()
        )
    );
}

#[test]
fn parse_errors_say_what_and_where() {
    let e = Bundle::new("{\"ociVersion\": \"1.0.0\",\n\"process\": {\"args\": [\"sh\",]}}").load();
    assert_eq!(
        e.unwrap_err().to_string(),
        "config.json: invalid JSON at line 2 column 27: expected a value"
    );
    let t = edit(RUNC_SPEC, "process.args", Some(r#""sh -c true""#));
    let e = Bundle::new(&t).load().unwrap_err().to_string();
    assert_eq!(e, "config.json: process.args must be an array of strings");
    let t = edit(RUNC_SPEC, "mounts[2].options", Some(r#""nosuid,noexec""#));
    let e = Bundle::new(&t).load().unwrap_err().to_string();
    assert_eq!(
        e,
        "config.json: mounts[2].options must be an array of strings"
    );
    let b = Bundle::new("");
    std::fs::write(b.0.join("config.json"), b"{\"ociVersion\": \"\xff\"}").unwrap();
    assert_eq!(
        b.load().unwrap_err().to_string(),
        "config.json: not UTF-8 text (JSON must be UTF-8)"
    );
}

#[test]
fn every_error_names_its_field() {
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("ociVersion", None, "ociVersion is required"),
        ("root", None, "root is required"),
        ("root.path", Some(r#""""#), "root.path is required"),
        ("process", None, "process is required"),
        ("process.args", Some("[]"), "process.args must name the program to run (it is missing or empty)"),
        ("process.cwd", Some(r#""tmp""#), "process.cwd \"tmp\" must be an absolute path"),
        ("process.env[1]", Some(r#""TERM""#), "process.env[1] \"TERM\" must have the form NAME=value"),
        ("process.rlimits[0].type", Some(r#""RLIMIT_NOPE""#), "process.rlimits[0].type \"RLIMIT_NOPE\" is not a known resource limit (RLIMIT_CPU, RLIMIT_NOFILE, ...)"),
        ("process.oomScoreAdj", Some("-1001"), "process.oomScoreAdj -1001 is out of range (-1000 to 1000)"),
        ("process.apparmorProfile", Some(r#""a\u0000b""#), "process.apparmorProfile contains a NUL byte"),
        ("hostname", Some(&format!("\"{}\"", "h".repeat(65))), "hostname is 65 bytes long; the kernel takes at most 64"),
        ("linux.namespaces[3]", None, "hostname needs a uts namespace in linux.namespaces (it would change the host's)"),
        ("linux.namespaces[0].type", Some(r#""user""#), "linux.uidMappings is required with a new user namespace (at least one range)"),
        ("linux.namespaces[1].type", Some(r#""pid""#), "linux.namespaces[1].type pid is listed twice"),
        ("linux.namespaces[1].type", Some(r#""netns""#), "linux.namespaces[1].type \"netns\" is not a namespace type (pid, network, mount, ipc, uts, cgroup, user)"),
        ("linux.uidMappings", Some(r#"[{"containerID": 0, "hostID": 1000, "size": 1}]"#), "linux.uidMappings/gidMappings need a user namespace (linux.namespaces type user)"),
        ("linux.seccomp", Some(r#"{"defaultAction": "SCMP_ACT_NOTIFY"}"#), "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY (seccomp user notification) is not supported yet"),
        ("linux.intelRdt", Some(r#"{"closID": "a/b"}"#), "linux.intelRdt.closID \"a/b\" is not a resctrl group name"),
        ("linux.mountLabel", Some(r#""a\u0000b""#), "linux.mountLabel contains a NUL byte"),
        ("hooks", Some(r#"{"prestart": [], "poststop": [{"path": "bin/true"}]}"#), "hooks.poststop[0].path \"bin/true\" must be an absolute path"),
        ("hooks", Some(r#"{"createRuntime": [{"args": ["x"]}]}"#), "hooks.createRuntime[0].path is required"),
        ("hooks", Some(r#"{"poststart": [{"path": "/x", "env": ["A"]}]}"#), "hooks.poststart[0].env[0] \"A\" must have the form NAME=value"),
        ("hooks", Some(r#"{"startContainer": [{"path": "/x", "timeout": 0}]}"#), "hooks.startContainer[0].timeout 0 must be greater than zero"),
        ("hooks", Some(r#"{"createContainer": [{"path": "/x", "args": ["a\u0000"]}]}"#), "hooks.createContainer[0].args[0] contains a NUL byte"),
        ("linux.rootfsPropagation", Some(r#""recursive""#), "linux.rootfsPropagation \"recursive\" must be one of shared, rshared, slave, rslave, private, rprivate, unbindable, runbindable"),
        ("mounts[2].destination", Some(r#""dev/pts""#), "mounts[2].destination \"dev/pts\" must be an absolute path"),
        ("mounts[4].options[0]", Some(r#""tmpcopyup""#), "mounts[4].options: \"tmpcopyup\" is not supported yet"),
        ("mounts[4].type", None, "mounts[4].type is required (or a \"bind\" or \"rbind\" option)"),
        ("linux.maskedPaths[3]", Some(r#""proc/keys""#), "linux.maskedPaths[3] \"proc/keys\" must be an absolute path"),
        ("linux.readonlyPaths[0]", Some(r#""""#), "linux.readonlyPaths[0] is empty"),
        ("linux.devices", Some(r#"[{"path": "/dev/x", "type": "q"}]"#), "linux.devices[0].type \"q\" must be one of c, b, u, p"),
        ("linux.sysctl", Some(r#"{"vm.overcommit_memory": "1"}"#), "linux.sysctl[\"vm.overcommit_memory\"] is not in a namespace the container has of its own; setting it would change the host"),
        ("linux.cgroupsPath", Some(r#""a\u0000b""#), "linux.cgroupsPath contains a NUL byte"),
    ];
    for (path, new, want) in cases {
        let t = edit(RUNC_SPEC, path, *new);
        let got = Bundle::new(&t).load().err().map(|e| e.to_string());
        assert_eq!(got.as_deref(), Some(*want), "{path} = {new:?}");
        assert!(!want.ends_with('.') && !want.contains('\n'));
    }
}

#[test]
fn capacity_is_checked_before_anything_starts() {
    let many = |n: usize, item: &str| format!("[{}]", vec![item; n].join(","));
    let t = edit(
        RUNC_SPEC,
        "linux.maskedPaths",
        Some(&many(300, r#""/proc/x""#)),
    );
    let e = Bundle::new(&t).load().unwrap_err().to_string();
    assert_eq!(
        e,
        "linux.maskedPaths has 300 entries; runlet-init holds at most 256"
    );
    let t = edit(
        RUNC_SPEC,
        "mounts",
        Some(&many(513, r#"{"destination": "/x", "type": "tmpfs"}"#)),
    );
    let e = Bundle::new(&t).load().unwrap_err().to_string();
    assert_eq!(e, "mounts has 513 entries; runlet-init holds at most 512");
    let devs: Vec<String> = (0..251)
        .map(|i| format!(r#"{{"path": "/dev/d{i}", "type": "c", "major": 1, "minor": {i}}}"#))
        .collect();
    let t = edit(
        RUNC_SPEC,
        "linux.devices",
        Some(&format!("[{}]", devs.join(","))),
    );
    let e = Bundle::new(&t).load().unwrap_err().to_string();
    assert_eq!(e, "linux.devices makes 257 device nodes with runlet's defaults; runlet-init holds at most 256");

    // 510 mounts load, but the cgroup mount expands past the limit on a v1 host.
    let t = edit(
        RUNC_SPEC,
        "mounts",
        Some(&many(509, r#"{"destination": "/x", "type": "tmpfs"}"#)),
    );
    let t = edit(
        &t,
        "mounts[509]",
        Some(r#"{"destination": "/sys/fs/cgroup", "type": "cgroup", "options": ["ro"]}"#),
    );
    let c = Bundle::new(&t).load().unwrap();
    assert!(c.bootstrap(&v2_host()).is_ok());
    let e = c.bootstrap(&v1_host()).unwrap_err().to_string();
    assert_eq!(e, "mounts expand to 514 mount operations (a cgroup mount becomes one per hierarchy); runlet-init holds at most 512");

    // Within every count but over the frame size.
    let t = edit(
        RUNC_SPEC,
        "process.env",
        Some(&many(4000, &format!("\"A={}\"", "x".repeat(300)))),
    );
    let c = Bundle::new(&t).load().unwrap();
    let e = c.bootstrap(&v2_host()).unwrap_err().to_string();
    assert!(
        e.starts_with("the container's setup (process.args, process.env, mounts, paths) takes "),
        "{e}"
    );
    assert!(
        e.ends_with("bytes; runlet-init holds at most 1048576"),
        "{e}"
    );
}
