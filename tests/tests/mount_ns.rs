//! Containers without a mount namespace of their own (issue 18), as runc and crun run
//! them: sharing runlet's (no `mount` in linux.namespaces) or joining one by path.
//! The init chroots into the rootfs; its mounts go into that namespace below a bind
//! of the rootfs, which runlet removes when the container goes (runlet's namespace)
//! or leaves to the namespace's owner (a joined one).

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use runlet_tests::harness::{assert_gone, host_ns, must_succeed, subreaper, Fixture};
use runlet_tests::{fixture, sys};

/// Mount points the test process sees at or below `dir`.
fn mounts_below(dir: &Path) -> Vec<String> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let d = dir.to_str().unwrap();
    text.lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|p| *p == d || p.starts_with(&format!("{d}/")))
        .map(String::from)
        .collect()
}

#[test]
fn no_mount_namespace_shares_runlets_and_stays_in_the_rootfs() {
    let mut fx = fixture!("nomntns");
    fx.spec.remove_namespace("mount");
    let outside = fx.dir.to_str().unwrap().to_string();
    fx.spec.probe(&["report", "--stat", &outside, "--ls", "/"]);
    let out = fx.run();
    let r = out.report();
    assert_eq!(r.must("pid"), "1");
    let mnt = r
        .all("ns")
        .into_iter()
        .find(|n| n.starts_with("mnt "))
        .unwrap()
        .to_string();
    assert_eq!(
        mnt,
        format!("mnt {}", host_ns("mnt")),
        "the caller's mount namespace"
    );
    // Chrooted: the rootfs is all it sees, with the config's mounts in it.
    assert_eq!(r.answer("stat", &outside), "err ENOENT");
    assert!(r.answer("ls", "/").contains("probe"), "{}", out.context());
    assert_eq!(r.must_mount("/proc").fstype, "proc");
    assert_eq!(r.must_mount("/dev").fstype, "tmpfs");
    // And nothing of it is left on the host (Fixture::finish checked the mounts too).
    assert_eq!(mounts_below(&fx.rootfs()), Vec::<String>::new());
}

#[test]
fn the_host_sees_its_mounts_while_it_runs() {
    let mut fx = fixture!("nomntns-live");
    fx.spec.remove_namespace("mount");
    fx.spec.probe(&["wait-signal"]);
    let mut run = fx.spawn();
    run.wait_line(|l| l == "ready");
    let rootfs = fx.rootfs();
    let seen = mounts_below(&rootfs);
    let want = rootfs.join("proc").to_str().unwrap().to_string();
    assert!(seen.contains(&want), "{seen:#?}");
    assert!(
        seen.contains(&rootfs.to_str().unwrap().to_string()),
        "{seen:#?}"
    );
    run.signal(sys::SIGTERM);
    fx.finish(run).assert_exit(0);
    assert_eq!(mounts_below(&rootfs), Vec::<String>::new());
}

#[test]
fn create_start_delete_without_a_mount_namespace() {
    let mut fx = fixture!("nomntns-cycle");
    let _serial = subreaper();
    fx.spec.remove_namespace("mount");
    fx.spec.probe(&["wait-signal"]);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    let pid = fx.read_pid_file(&pid_file);
    assert!(
        !mounts_below(&fx.rootfs()).is_empty(),
        "the rootfs bind after create"
    );
    fx.runlet(&["start", &fx.id]).assert_exit(0);
    fx.wait_output("ready");
    fx.runlet(&["kill", &fx.id, "KILL"]).assert_exit(0);
    fx.reap(pid);
    fx.runlet(&["delete", &fx.id]).assert_exit(0);
    assert_eq!(mounts_below(&fx.rootfs()), Vec::<String>::new());
    assert_gone(&fx);
}

/// A persistent mount namespace bound to a file under the test's dir (on a private
/// tmpfs, as `unshare --mount=FILE` needs), unmounted by the caller.
fn make_mntns(fx: &mut Fixture) -> std::path::PathBuf {
    let d = fx.dir.join("nsdir");
    fx.host_tmpfs(&d);
    let mut c = Command::new("mount");
    c.args(["--make-private"]).arg(&d);
    must_succeed(c, "mount --make-private");
    let f = d.join("mnt");
    fs::write(&f, b"").unwrap();
    let mut c = Command::new("unshare");
    c.arg(format!("--mount={}", f.display()))
        .args(["--propagation", "private", "true"]);
    must_succeed(c, "unshare --mount=FILE");
    fx.allow_host_mount(&f);
    f
}

#[test]
fn a_mount_namespace_joined_by_path() {
    let mut fx = fixture!("joinmnt");
    let ns = make_mntns(&mut fx);
    let ino = fs::metadata(&ns).unwrap().ino();
    fx.spec.join_namespace("mount", ns.to_str().unwrap());
    fx.spec.probe(&["report"]);
    let out = fx.run();
    let r = out.report();
    assert_eq!(r.must("pid"), "1");
    let mnt = r
        .all("ns")
        .into_iter()
        .find(|n| n.starts_with("mnt "))
        .unwrap()
        .to_string();
    assert_eq!(mnt, format!("mnt mnt:[{ino}]"), "the joined namespace");
    assert_eq!(r.must_mount("/proc").fstype, "proc");
    // Its mounts went into that namespace, not the test's.
    assert_eq!(mounts_below(&fx.rootfs()), Vec::<String>::new());
    let mut c = Command::new("umount");
    c.arg(&ns);
    must_succeed(c, "umount the namespace file");
}
