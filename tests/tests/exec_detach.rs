//! `exec --detach` under the conditions of containerd's shim, which runs every exec
//! as `runlet exec --detach --pid-file F --process P ID`: the caller is a child
//! subreaper whose reaper reaps any child the moment it exits, so a short process
//! (`echo`, a health check) has often run, exited and been reaped before runlet
//! looks at it. That is a successful exec; runlet must say so and write the pid file.
//! `shimexec` (tests/src/bin/shimexec.rs) plays the shim, with the CPU kept busy.

use std::fs;
use std::process::Command;

use runlet_tests::fixture;
use runlet_tests::harness::{runlet_bin, subreaper};

/// Several hundred short detached execs, eight at a time, two spinning threads: none
/// reported as failed, every pid file written.
#[test]
fn short_detached_execs_under_a_reaping_subreaper() {
    let mut fx = fixture!("exd-race");
    let _serial = subreaper();
    let init = fx.running(&["sleep", "300"]);
    let process = fx.dir.join("process.json");
    fs::write(
        &process,
        r#"{"args":["/probe","noop"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0},"terminal":false}"#,
    )
    .unwrap();
    let out_dir = fx.dir.join("execs");
    fs::create_dir_all(&out_dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_shimexec"))
        .arg(runlet_bin())
        .arg(&fx.root)
        .arg(&fx.id)
        .arg(&process)
        .arg(&out_dir)
        .args(["300", "8", "2"])
        .output()
        .expect("run shimexec");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    fx.runlet(&["delete", "--force", &fx.id]).assert_exit(0);
    fx.reap(init);
    assert!(out.status.success(), "shimexec: {out:?}");
    assert!(
        text.starts_with("ok=300 failed=0\n"),
        "detached execs reported as failed:\n{text}"
    );
    let leaks = fx.leaks();
    assert!(leaks.is_empty(), "left behind:\n  {}", leaks.join("\n  "));
}
