//! `--no-pivot` on an ordinary host (docs/initramfs.md): the rootfs moved over `/`
//! and chrooted into, every other host mount detached in the container's namespace
//! and never on the host (not even with shared root propagation), `..` stopping at
//! the container's root after a chroot of its own, and `exec` joining such a root.
//! The initramfs case itself boots a kernel: tests/initramfs.rs.

use std::fs;
use std::path::PathBuf;

use runlet_tests::harness::{host_mount_points, Fixture};
use runlet_tests::{fixture, sys, Capabilities};

fn no_pivot_run(fx: &Fixture, debug: bool) -> runlet_tests::Outcome {
    let mut args = vec!["run", "--no-pivot", "-b"];
    if debug {
        args.insert(0, "--debug");
    }
    let mut cmd = fx.command(&args);
    cmd.arg(&fx.bundle).arg(&fx.id);
    fx.run_cmd(cmd)
}

#[test]
fn no_pivot_confines_the_container_to_its_rootfs() {
    let mut fx = fixture!("nopivot");
    let outside = fx.dir.to_str().unwrap().to_string();
    fx.spec.probe(&["report", "--stat", &outside, "--ls", "/"]);
    let out = no_pivot_run(&fx, true);
    out.assert_exit(0);
    assert!(
        out.stderr
            .contains("--no-pivot: moving the rootfs over / and chrooting"),
        "{}",
        out.context()
    );
    let r = out.report();
    assert_eq!(r.must("pid"), "1");
    assert_eq!(r.must("hostname"), "runlet");
    let stat = r.all("stat");
    assert_eq!(stat, [format!("{outside} err ENOENT")], "{}", out.context());
    assert!(r.must("ls").starts_with("/ ok ") && r.must("ls").contains("probe"));
    let mounts = r.mounts();
    assert_eq!(mounts.first().map(|m| m.point.as_str()), Some("/"));
    // Only the config's mounts, all inside the rootfs, no host one.
    assert!(
        mounts.iter().all(|m| m.point == "/"
            || ["/proc", "/dev", "/sys"]
                .iter()
                .any(|p| m.point.starts_with(p))),
        "{mounts:?}"
    );
}

#[test]
fn no_pivot_with_shared_propagation_detaches_nothing_on_the_host() {
    let mut fx = fixture!("nopivot-shared");
    fx.spec.rootfs_propagation = Some("rshared".into());
    // The chroot escape, with CAP_SYS_CHROOT: the host's /usr must stay out of reach.
    fx.spec.probe(&["root-escape", "usr"]);
    let caps = [
        "CAP_AUDIT_WRITE",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
    ];
    fx.spec.capabilities = Some(Capabilities::all_sets(&caps));
    let before = host_mount_points();
    let out = no_pivot_run(&fx, false);
    out.assert_exit(0);
    let after = host_mount_points();
    for p in ["/proc", "/sys", "/dev"].map(PathBuf::from) {
        if before.contains(&p) {
            assert!(after.contains(&p), "host mount {} went away", p.display());
        }
    }
    assert!(out.stdout.contains("escape_chroot=ok"), "{}", out.context());
    assert!(
        out.stdout.contains("escape_sees=usr no"),
        "{}",
        out.context()
    );
    assert!(out.stdout.contains("probe"), "{}", out.context());
}

#[test]
fn exec_joins_a_no_pivot_container() {
    sys::become_subreaper();
    let mut fx = fixture!("nopivot-exec");
    fx.spec.probe(&["wait-signal"]);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--no-pivot", "--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    fx.runlet(&["start", &fx.id]).assert_exit(0);
    let init = fx.read_pid_file(&pid_file);
    let out = fx.runlet(&["exec", &fx.id, "/probe", "report", "--ls", "/"]);
    out.assert_exit(0);
    let r = out.report();
    assert_eq!(r.must("hostname"), "runlet");
    assert!(r.must("ls").contains("probe"), "{}", out.context());
    let mnt = fs::read_link(format!("/proc/{init}/ns/mnt")).unwrap();
    assert!(
        r.all("ns")
            .contains(&format!("mnt {}", mnt.display()).as_str()),
        "{}",
        out.context()
    );
    fx.runlet(&["delete", "--force", &fx.id]).assert_exit(0);
    fx.reap(init);
    let leaks = fx.leaks();
    assert!(leaks.is_empty(), "left behind:\n  {}", leaks.join("\n  "));
}

#[test]
fn a_root_that_is_no_mount_point_is_refused_with_advice() {
    let fx = fixture!("nopivot-chroot");
    // runlet chrooted into a plain directory, in a mount namespace of its own.
    let x = fx.dir.join("chroot");
    for d in ["proc", "sys", "dev", "run"] {
        fs::create_dir_all(x.join(d)).unwrap();
    }
    fs::copy(runlet_tests::harness::runlet_bin(), x.join("runlet")).unwrap();
    runlet_tests::bundle::write_bundle(&x.join("bundle"), fx.probe_path(), &fx.spec).unwrap();
    let x = x.to_str().unwrap();
    let script = format!(
        "mount --make-rslave / && for d in proc sys dev; do mount --rbind /$d {x}/$d; done \
         && mount -t tmpfs tmpfs {x}/run && chroot {x} /runlet run --bundle /bundle {id}; \
         echo rc=$?; ls -A {x}/run",
        id = fx.id
    );
    let out = std::process::Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .output()
        .expect("unshare (util-linux)");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(
        stdout.trim(),
        "rc=1",
        "nothing made under the state root\n{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("/ is not a mount point") && stderr.contains("mount --bind DIR DIR"),
        "{stderr}"
    );
}
