//! Escape classes through the rootfs the init sets up, each against real containers
//! and each a check that fails on the vulnerable behaviour (tests/tests/escapes.rs
//! has the fd and cwd classes and /proc/<pid>/exe):
//!
//! - CVE-2025-31133 / -52565: a rootfs whose /dev/null or /dev/console is a symlink
//!   does not get a procfs file bound where the mask or the console goes;
//! - CVE-2025-52881: mount targets redirected by a rootfs symlink into /proc or
//!   /sys are refused.
//!
//! The test process is a child subreaper (see `subreaper`): the tests run one at a time.

use std::fs;
use std::os::unix::fs::symlink;

use runlet_tests::fixture;
use runlet_tests::harness::{subreaper, Fixture};

fn exec_args<'a>(fx: &'a Fixture, args: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["exec", fx.id.as_str()];
    v.extend(args);
    v
}

/// Kills the container, reaps its init and checks nothing is left.
fn finish(fx: &Fixture, init: u32) {
    fx.runlet(&["delete", "--force", &fx.id]).assert_exit(0);
    fx.reap(init);
    let leaks = fx.leaks();
    assert!(leaks.is_empty(), "left behind:\n  {}", leaks.join("\n  "));
}

/// The config without the /dev tmpfs: the rootfs's own /dev is used, links and all.
fn rootfs_dev(fx: &mut Fixture) {
    fx.spec.mounts.retain(|m| m.destination != "/dev");
    fx.prepare();
    fs::create_dir_all(fx.rootfs().join("dev")).unwrap();
}

/// CVE-2025-31133: a rootfs whose /dev/null is a symlink to a procfs file. The
/// masks must be the null device, not the link's target bound (writable) over them.
#[test]
fn dev_null_symlink_is_not_followed_by_the_masks() {
    let mut fx = fixture!("esc-null");
    let _serial = subreaper();
    rootfs_dev(&mut fx);
    symlink("/proc/sys/kernel/domainname", fx.rootfs().join("dev/null")).unwrap();
    // A masked file of our own (the host's /proc may lack kcore and friends).
    fs::create_dir_all(fx.rootfs().join("etc")).unwrap();
    fs::write(fx.rootfs().join("etc/masked"), "secret").unwrap();
    fx.spec.masked_paths.push("/etc/masked".into());
    fx.spec.probe(&[
        "report",
        "--stat",
        "/dev/null",
        "--stat",
        "/etc/masked",
        "--write",
        "/proc/sys/kernel/domainname",
    ]);
    let r = fx.run().report();
    for p in ["/dev/null", "/etc/masked"] {
        let a = r.answer("stat", p);
        assert!(
            a.starts_with("char ") && a.ends_with(" 1:3"),
            "{p} is not the null device: {a}\n{}",
            r.dump()
        );
    }
    assert_eq!(
        r.answer("write", "/proc/sys/kernel/domainname"),
        "err EROFS"
    );
    assert!(
        r.mount("/proc/sys/kernel/domainname").is_none(),
        "{}",
        r.dump()
    );
}

/// CVE-2025-52565: a rootfs whose /dev/console is a symlink to a procfs file. The pty
/// goes over /dev/console itself (a link is replaced), never over the link's target.
#[test]
fn dev_console_symlink_is_not_followed() {
    let mut fx = fixture!("esc-cons");
    let _serial = subreaper();
    rootfs_dev(&mut fx);
    symlink(
        "/proc/sys/kernel/domainname",
        fx.rootfs().join("dev/console"),
    )
    .unwrap();
    fx.spec.terminal = true;
    fx.spec.probe(&["sleep", "300"]);
    let sock_path = fx.dir.join("console.sock");
    let sock = runlet_tests::console::ConsoleSocket::bind(&sock_path);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&[
        "--console-socket",
        sock_path.to_str().unwrap(),
        "--pid-file",
        pid_file.to_str().unwrap(),
    ])
    .assert_exit(0);
    let init = fx.read_pid_file(&pid_file);
    let (_, _master) = sock.receive(std::time::Duration::from_secs(20));
    let r = fx
        .runlet(&exec_args(
            &fx,
            &[
                "/probe",
                "report",
                "--stat",
                "/dev/console",
                "--stat",
                "/proc/sys/kernel/domainname",
            ],
        ))
        .report();
    finish(&fx, init);
    let console = r.answer("stat", "/dev/console");
    assert!(
        console.starts_with("char ") && console.contains(" 136:"),
        "/dev/console is not the pty: {console}\n{}",
        r.dump()
    );
    let dn = r.answer("stat", "/proc/sys/kernel/domainname");
    assert!(
        dn.starts_with("file "),
        "the pty went over the link's target: {dn}"
    );
    assert!(
        r.mount("/proc/sys/kernel/domainname").is_none(),
        "{}",
        r.dump()
    );
}

/// CVE-2025-52881: a mount whose destination is redirected by a symlink in the
/// rootfs into /proc or /sys (where runlet then writes sysctls and binds masks) is
/// refused, with a line naming the destination; nothing is left.
#[test]
fn mount_targets_redirected_into_proc_or_sys_are_refused() {
    for (name, link, into) in [
        ("/data", "/proc/sys/kernel", "/proc"),
        ("/sysdata", "/sys/kernel", "/sys"),
        ("/self", "/proc/self", "/proc"),
    ] {
        let mut fx = fixture!("esc-mnt");
        fx.prepare();
        symlink(link, fx.rootfs().join(name.trim_start_matches('/'))).unwrap();
        fx.spec.mounts.push(runlet_tests::Mount::new(
            name,
            "tmpfs",
            "tmpfs",
            &["size=64k"],
        ));
        fx.run().assert_error(&[
            &format!("mount destination {name} resolves into {into}"),
            "refused",
        ]);
    }
    // A symlink that stays out of /proc and /sys is followed as before.
    let mut fx = fixture!("esc-mntok");
    fx.prepare();
    symlink("/tmp", fx.rootfs().join("scratch")).unwrap();
    fx.spec.mounts.push(runlet_tests::Mount::new(
        "/scratch",
        "tmpfs",
        "tmpfs",
        &["size=64k"],
    ));
    fx.spec.probe(&["report"]);
    let r = fx.run().report();
    assert!(r.mount("/tmp").is_some(), "{}", r.dump());
}
