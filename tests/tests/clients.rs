//! Real clients driving runlet, each in private namespaces with daemons of its own
//! (never the system's services): containerd's shim (`ctr run --runc-binary` through
//! io.containerd.runc.v2) and Docker's engine (`dockerd --add-runtime runlet=…
//! --default-runtime runlet`). Each imports an image built here (a static busybox
//! and the probe), runs a container, runs 40 short execs at once (every one must
//! succeed: the shims run each as `exec --detach` and reap at once), stops and
//! removes it, and stops its daemon; nothing may be left. The scripts are in
//! tests/tests/clients/. Without the clients: a skip, or a failure under
//! RUNLET_REQUIRE_ROOT=1 (`.ci/run` installs them).

use runlet_tests::clients::{need, run_script, static_busybox, unavailable};
use runlet_tests::harness::{probe_bin, require_root};
use std::sync::Mutex;

/// One client at a time: each loads the machine with 40 execs.
static ONE: Mutex<()> = Mutex::new(());

fn client(test: &str, script: &str, programs: &[&str]) {
    if !require_root(test) {
        return;
    }
    let _g = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let busybox = match need(programs).and_then(|_| static_busybox()) {
        Ok(b) => b,
        Err(why) => {
            unavailable(test, &why);
            return;
        }
    };
    run_script(
        script,
        &probe_bin(option_env!("CARGO_BIN_EXE_probe")),
        &busybox,
    );
}

#[test]
fn containerd_shim_runs_execs_stops_removes() {
    client(
        "containerd_shim_runs_execs_stops_removes",
        "containerd.sh",
        &[
            "containerd",
            "ctr",
            "containerd-shim-runc-v2",
            "unshare",
            "tar",
            "sha256sum",
        ],
    );
}

#[test]
fn dockerd_runs_execs_stops_removes() {
    client(
        "dockerd_runs_execs_stops_removes",
        "docker.sh",
        &["dockerd", "docker", "unshare", "tar", "ip"],
    );
}
