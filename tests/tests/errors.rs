//! Bad input: one clear line on stderr (`runlet: ...`), a non-zero exit, nothing
//! on stdout, and nothing left behind (state dir, cgroups, mounts, processes).

use runlet_tests::{fixture, Fixture, Mount};
use std::fs;

/// Run, expect a clean error containing each fragment, and that nothing leaked.
fn expect_error(fx: &Fixture, fragments: &[&str]) {
    let out = fx.run();
    out.assert_error(fragments);
}

#[test]
fn missing_config_json() {
    let mut fx = fixture!("noconfig");
    fx.write_config = false;
    let want = format!(
        "open {}/config.json: No such file or directory",
        fx.bundle.display()
    );
    expect_error(&fx, &[&want]);
}

#[test]
fn malformed_json() {
    let mut fx = fixture!("badjson");
    fx.config_text = Some("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [".into());
    expect_error(&fx, &["config.json"]);
}

#[test]
fn wrong_type_names_the_field() {
    let mut fx = fixture!("badtype");
    let text = fx.spec.to_json().replace(
        "\"args\": [\"/probe\", \"report\"]",
        "\"args\": \"/probe report\"",
    );
    fx.config_text = Some(text);
    expect_error(&fx, &["args"]);
}

#[test]
fn missing_rootfs() {
    let mut fx = fixture!("norootfs");
    fx.spec.root_path = "nothere".into();
    // The path may be shown as configured or resolved against the bundle.
    expect_error(&fx, &["rootfs ", "nothere: No such file or directory"]);
}

#[test]
fn program_not_in_rootfs() {
    let mut fx = fixture!("nope");
    fx.spec.args(&["/nope"]);
    expect_error(&fx, &["exec /nope: No such file or directory"]);
}

#[test]
fn mount_the_init_cannot_make() {
    // Fails inside runlet-init before placement, while runlet may still be sending:
    // the init's own error must come through, not a broken pipe.
    let mut fx = fixture!("badmount");
    fx.spec
        .mounts
        .insert(1, Mount::new("/x", "nosuchfs", "none", &[]));
    expect_error(&fx, &["mount none on /x: No such device"]);
}

#[test]
fn invalid_ids() {
    let fx = fixture!("badids");
    for id in ["../x", "a/b", "", ".x", "..", ".", "x y", "/abs"] {
        let mut cmd = fx.command(&["run", "-b"]);
        cmd.arg(&fx.bundle).arg(id);
        let out = fx.run_cmd(cmd);
        out.assert_error(&[]);
        // Nothing made anywhere a path trick could reach.
        let left: Vec<_> = fs::read_dir(&fx.root)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(left.is_empty(), "id {id:?} left {left:?} in the state root");
        assert!(
            !fx.dir.join("x").exists(),
            "id {id:?} escaped the state root"
        );
        assert!(!fx.root.join("a").exists());
    }
}

#[test]
fn duplicate_id() {
    let fx = fixture!("dupid");
    // Another container's state: runlet must refuse, and must not touch it.
    fs::create_dir_all(fx.state_dir()).unwrap();
    fs::write(fx.state_dir().join("marker"), "other container").unwrap();
    fx.prepare();
    let out = runlet_tests::harness::spawn(fx.run_command()).wait();
    out.assert_error(&[fx.id.as_str()]);
    assert_eq!(
        fs::read_to_string(fx.state_dir().join("marker")).unwrap(),
        "other container"
    );
    let leaks: Vec<String> = fx
        .leaks()
        .into_iter()
        .filter(|l| !l.starts_with("state dir "))
        .collect();
    assert!(leaks.is_empty(), "left behind: {leaks:?}");
}

#[test]
fn over_a_helpers_capacity() {
    let mut fx = fixture!("capacity");
    fx.spec.env = (0..5000).map(|i| format!("V{i}=x")).collect();
    expect_error(
        &fx,
        &["process.env has 5000 entries; runlet-init holds at most 4096"],
    );
}

// Fields runlet does not implement yet and that would weaken isolation if ignored.

/// A terminal needs the container's devpts: without it, one clear line.
#[test]
fn terminal_without_devpts() {
    let mut fx = fixture!("terminal");
    fx.spec.terminal = true;
    fx.spec.mounts.retain(|m| m.destination != "/dev/pts");
    expect_error(
        &fx,
        &["open /dev/ptmx (the container's devpts)", "No such file"],
    );
}

#[test]
fn refuses_seccomp_notify() {
    let mut fx = fixture!("seccomp");
    fx.spec.extra_linux.push((
        "seccomp".into(),
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/l.sock"}"#.into(),
    ));
    expect_error(&fx, &["linux.seccomp.listenerPath", "not supported yet"]);
}

#[test]
fn refuses_id_maps_without_a_user_namespace() {
    let mut fx = fixture!("userns");
    let map = r#"[{"containerID": 0, "hostID": 100000, "size": 65536}]"#;
    fx.spec.extra_linux.push(("uidMappings".into(), map.into()));
    fx.spec.extra_linux.push(("gidMappings".into(), map.into()));
    expect_error(
        &fx,
        &["linux.uidMappings/gidMappings need a user namespace (linux.namespaces type user)"],
    );
}

#[test]
fn refuses_malformed_hooks() {
    let mut fx = fixture!("hooks");
    fx.spec.extra_top.push((
        "hooks".into(),
        r#"{"prestart": [{"path": "bin/true"}]}"#.into(),
    ));
    expect_error(
        &fx,
        &["hooks.prestart[0].path \"bin/true\" must be an absolute path"],
    );
}

#[test]
fn accepts_empty_resources_and_hooks() {
    let mut fx = fixture!("emptyres");
    fx.spec.extra_linux.push(("resources".into(), "{}".into()));
    fx.spec.extra_top.push(("hooks".into(), "{}".into()));
    assert_eq!(fx.run().report().num("pid"), 1);
}

#[test]
fn ignores_unknown_fields() {
    let mut fx = fixture!("unknown");
    fx.spec
        .extra_top
        .push(("annotations".into(), r#"{"org.example/a": "b"}"#.into()));
    fx.spec
        .extra_top
        .push(("x-vendor-thing".into(), r#"[1, {"deep": null}]"#.into()));
    fx.spec.extra_process.push(("fooBar".into(), "true".into()));
    fx.spec
        .extra_linux
        .push(("somethingNew".into(), r#"{"a": [1, 2]}"#.into()));
    assert_eq!(fx.run().report().num("pid"), 1);
}
