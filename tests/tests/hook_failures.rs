//! OCI hook failures (docs/hooks.md): a failing prestart, createRuntime,
//! createContainer or startContainer hook stops the start and leaves nothing; a hook
//! past its timeout is killed; a hook that cannot be executed is named; failing
//! poststart/poststop hooks are warnings. After a failed hook, poststop still runs. Serial, as a subreaper (see hooks.rs).

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use runlet_tests::fixture;
use runlet_tests::hooks::*;

#[test]
fn a_failing_creation_hook_stops_create_and_leaves_nothing() {
    for kind in ["prestart", "createRuntime", "createContainer"] {
        let mut fx = fixture!("hk-fail");
        let _serial = subreaper();
        let path = failing(&fx, kind);
        let log = fx.dir.join("poststop.log");
        let stop = poststop_logger(&fx, &log);
        set_hooks(
            &mut fx,
            &[
                (kind, vec![hook(&path, &[], &[], None)]),
                ("poststop", vec![stop]),
            ],
        );
        fx.spec.probe(&["wait-signal"]);
        let out = fx.create(&[]);
        assert_failed(
            &out,
            &[&format!(
                "{kind} hook 0 ({path}) failed: exit status 3; stderr: first line / oops from {kind}"
            )],
        );
        // The hook's stderr reached runlet's.
        assert!(out.stderr.contains("oops from"), "{}", out.context());
        // The lifecycle goes on at destroy: poststop runs, once.
        assert_eq!(names(&log), ["poststop"], "{kind}");
        assert_eq!(get(&log_lines(&log)[0].1, "status"), "stopped");
        assert_gone(&fx);
    }
}

#[test]
fn a_failing_start_container_hook_stops_start_and_leaves_nothing() {
    let mut fx = fixture!("hk-fail-sc");
    let _serial = subreaper();
    let log = fx.dir.join("poststop.log");
    let stop = poststop_logger(&fx, &log);
    set_hooks(
        &mut fx,
        &[
            (
                "startContainer",
                vec![hook(
                    "/probe",
                    &["probe", "hook-fail", "4", "no start"],
                    &[],
                    Some(10),
                )],
            ),
            ("poststop", vec![stop]),
        ],
    );
    fx.spec.probe(&["wait-signal"]);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    let pid = fx.read_pid_file(&pid_file);
    let out = fx.runlet(&["start", &fx.id]);
    assert_failed(
        &out,
        &["startContainer hook 0 (/probe) failed: exit status 4; stderr: no start"],
    );
    fx.reap(pid);
    assert_eq!(fx.container_out(), "", "the container's process ran");
    assert_eq!(names(&log), ["poststop"]);
    assert_gone(&fx);

    // The same through `run`, which starts over the sync socket.
    let out = fx.run();
    assert_failed(
        &out,
        &["startContainer hook 0 (/probe) failed: exit status 4; stderr: no start"],
    );
    assert_eq!(names(&log), ["poststop", "poststop"]);
}

#[test]
fn a_hook_past_its_timeout_is_killed_and_the_start_fails() {
    let mut fx = fixture!("hk-timeout");
    let _serial = subreaper();
    let pid_file = fx.dir.join("hook.pid");
    let slow = script(
        &fx,
        "slow",
        &format!("echo $$ > {}\nexec sleep 30", pid_file.display()),
    );
    set_hooks(
        &mut fx,
        &[("createRuntime", vec![hook(&slow, &[], &[], Some(1))])],
    );
    let t = Instant::now();
    let out = fx.create(&[]);
    assert_failed(
        &out,
        &[&format!(
            "createRuntime hook 0 ({slow}) failed: did not finish within its timeout of 1s (killed)"
        )],
    );
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    let hook_pid = fs::read_to_string(&pid_file).unwrap();
    assert!(
        !Path::new(&format!("/proc/{}", hook_pid.trim())).exists(),
        "the hook {} still exists",
        hook_pid.trim()
    );
    assert_gone(&fx);

    // The init's own: a createContainer hook.
    let mut fx = fixture!("hk-timeout-cc");
    let slow = script(&fx, "slow", "exec sleep 30");
    set_hooks(
        &mut fx,
        &[("createContainer", vec![hook(&slow, &[], &[], Some(1))])],
    );
    let t = Instant::now();
    let out = fx.create(&[]);
    assert_failed(
        &out,
        &[&format!(
            "createContainer hook 0 ({slow}) failed: did not finish within its timeout of 1s (killed)"
        )],
    );
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    assert_gone(&fx);
}

#[test]
fn a_hook_that_cannot_be_executed_is_named() {
    for kind in ["createRuntime", "createContainer"] {
        let mut fx = fixture!("hk-noexec");
        let _serial = subreaper();
        set_hooks(
            &mut fx,
            &[(kind, vec![hook("/nonexistent-hook", &[], &[], None)])],
        );
        let out = fx.create(&[]);
        assert_failed(
            &out,
            &[
                &format!("{kind} hook 0 (/nonexistent-hook) failed: exec"),
                "No such file or directory",
            ],
        );
        assert_gone(&fx);
    }
}

#[test]
fn failing_poststart_and_poststop_hooks_are_warnings() {
    let mut fx = fixture!("hk-warn");
    let _serial = subreaper();
    let log = hook_log(&mut fx);
    let probe = fx.probe_path().to_str().unwrap().to_string();
    let logged = |k: &str| {
        hook(
            &probe,
            &["probe", "hook", k, log.to_str().unwrap()],
            &[],
            None,
        )
    };
    let (bad_start, bad_stop) = (failing(&fx, "poststart"), failing(&fx, "poststop"));
    set_hooks(
        &mut fx,
        &[
            // A failure does not keep the next hook from running.
            (
                "poststart",
                vec![hook(&bad_start, &[], &[], None), logged("poststart")],
            ),
            (
                "poststop",
                vec![hook(&bad_stop, &[], &[], None), logged("poststop")],
            ),
        ],
    );
    fx.spec.probe(&["wait-signal"]);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    let pid = fx.read_pid_file(&pid_file);
    let out = fx.runlet(&["start", &fx.id]);
    out.assert_exit(0);
    assert!(
        out.stderr.contains(&format!(
            "runlet: warning: poststart hook 0 ({bad_start}) failed: exit status 3; stderr: first line / oops from poststart"
        )),
        "{}",
        out.context()
    );
    fx.wait_output("ready");
    assert_eq!(names(&log), ["poststart"]);
    fx.runlet(&["kill", &fx.id, "KILL"]).assert_exit(0);
    fx.reap(pid);
    let out = fx.runlet(&["delete", &fx.id]);
    out.assert_exit(0);
    assert!(
        out.stderr.contains(&format!(
            "runlet: warning: poststop hook 0 ({bad_stop}) failed: exit status 3"
        )),
        "{}",
        out.context()
    );
    assert_eq!(names(&log), ["poststart", "poststop"]);
    assert_gone(&fx);
}
