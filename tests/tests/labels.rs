//! Security labels (docs/config.md): on a host whose LSMs do not enforce them, a
//! config with `process.apparmorProfile`, `process.selinuxLabel` and
//! `linux.mountLabel` runs, as crun runs it (nothing there could enforce a label, so
//! the container is no weaker), and `--debug` says each was ignored. A host that
//! enforces AppArmor or SELinux is the other case: runlet applies the labels there.

use std::path::Path;

use runlet_tests::{fixture, Fixture, Outcome};

/// The LSMs this host enforces, found the way runlet finds them.
fn host_lsms() -> (bool, bool) {
    let aa = std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
        .is_ok_and(|s| s.trim() == "Y")
        && Path::new("/sys/kernel/security/apparmor").is_dir();
    (aa, Path::new("/sys/fs/selinux/enforce").exists())
}

fn debug_run(fx: &Fixture, cmd: &str) -> Outcome {
    let mut c = fx.command(&["--debug", cmd, "-b"]);
    c.arg(&fx.bundle).arg(&fx.id);
    fx.run_cmd(c)
}

fn labelled(fx: &mut Fixture) {
    fx.spec
        .extra_process
        .push(("apparmorProfile".into(), "\"runlet-test-profile\"".into()));
    fx.spec.extra_process.push((
        "selinuxLabel".into(),
        "\"system_u:system_r:container_t:s0:c1,c2\"".into(),
    ));
    fx.spec.extra_linux.push((
        "mountLabel".into(),
        "\"system_u:object_r:container_file_t:s0:c1,c2\"".into(),
    ));
}

#[test]
fn labels_run_where_no_lsm_enforces_them() {
    let mut fx = fixture!("labels");
    if host_lsms() != (false, false) {
        runlet_tests::skip!("this host enforces AppArmor or SELinux");
    }
    labelled(&mut fx);
    fx.spec
        .probe(&["report", "--cat", "/proc/self/attr/current"]);
    let out = debug_run(&fx, "run");
    out.assert_exit(0);
    for note in [
        "process.apparmorProfile ignored: AppArmor is not enabled on this host",
        "process.selinuxLabel ignored: SELinux is not enabled on this host",
        "linux.mountLabel ignored: SELinux is not enabled on this host",
    ] {
        assert!(out.stderr.contains(note), "{note}\n{}", out.context());
    }
    let r = out.report();
    assert_eq!(r.must("pid"), "1");
    // No LSM gave the process a label, and no mount carries a context.
    let cur = r.answer("cat", "/proc/self/attr/current");
    assert!(cur.starts_with("err "), "{cur}");
    for m in r.all("mount") {
        assert!(!m.contains("context="), "{m}");
    }
}

#[test]
fn without_debug_the_labels_are_silent() {
    let mut fx = fixture!("labelsq");
    if host_lsms() != (false, false) {
        runlet_tests::skip!("this host enforces AppArmor or SELinux");
    }
    labelled(&mut fx);
    let out = fx.run();
    out.assert_exit(0);
    assert_eq!(out.report().must("pid"), "1");
    assert!(out.stderr.is_empty(), "{}", out.context());
}
