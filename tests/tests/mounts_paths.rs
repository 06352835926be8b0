//! Mounts and their flags, devices and /dev links, masked and read-only paths,
//! sysctls, rootfs propagation.

use runlet_tests::spec::DEFAULT_MASKED;
use runlet_tests::{fixture, Mount};
use std::fs;
use std::path::Path;

#[test]
fn standard_mounts_with_their_flags() {
    let fx = fixture!("stdmounts");
    let r = fx.run().report();
    let proc_ = r.must_mount("/proc");
    assert_eq!(proc_.fstype, "proc");
    let dev = r.must_mount("/dev");
    assert_eq!(dev.fstype, "tmpfs");
    assert!(dev.has("nosuid"), "{dev:?}");
    assert!(dev.super_opts.iter().any(|o| o == "mode=755"), "{dev:?}");
    let pts = r.must_mount("/dev/pts");
    assert_eq!(pts.fstype, "devpts");
    assert!(pts.has("nosuid") && pts.has("noexec"), "{pts:?}");
    assert!(
        pts.super_opts.iter().any(|o| o == "ptmxmode=666"),
        "newinstance devpts with ptmxmode=0666: {pts:?}"
    );
    let shm = r.must_mount("/dev/shm");
    assert_eq!(shm.fstype, "tmpfs");
    assert!(
        shm.has("nosuid") && shm.has("nodev") && shm.has("noexec"),
        "{shm:?}"
    );
    let mq = r.must_mount("/dev/mqueue");
    assert_eq!(mq.fstype, "mqueue");
    assert!(
        mq.has("nosuid") && mq.has("nodev") && mq.has("noexec"),
        "{mq:?}"
    );
    let sys = r.must_mount("/sys");
    assert_eq!(sys.fstype, "sysfs");
    assert!(
        sys.is_ro() && sys.has("nosuid") && sys.has("nodev") && sys.has("noexec"),
        "{sys:?}"
    );
    // `cgroup` as runc mounts it: on a v1/hybrid host a tmpfs holding each
    // hierarchy read-only; on a v2 host cgroup2 itself.
    let cg = r.must_mount("/sys/fs/cgroup");
    assert!(["tmpfs", "cgroup2"].contains(&cg.fstype.as_str()), "{cg:?}");
    assert!(cg.is_ro() || cg.fstype == "tmpfs", "{cg:?}");
    if cg.fstype == "tmpfs" {
        let subs: Vec<_> = r
            .mounts()
            .into_iter()
            .filter(|m| m.point.starts_with("/sys/fs/cgroup/"))
            .collect();
        assert!(
            !subs.is_empty(),
            "no hierarchy under /sys/fs/cgroup:\n{}",
            r.all("mount").join("\n")
        );
        for m in &subs {
            assert!(m.fstype == "cgroup" || m.fstype == "cgroup2", "{m:?}");
            assert!(
                m.is_ro(),
                "cgroup hierarchies are read-only in the container: {m:?}"
            );
        }
        // Every v1 hierarchy of the host is there, by name (like runc, the
        // controller-less cgroup2 of a hybrid host need not be).
        for h in runlet_tests::harness::cgroup_v1_mounts() {
            let name = h.file_name().unwrap().to_string_lossy().into_owned();
            let point = format!("/sys/fs/cgroup/{name}");
            assert!(
                subs.iter()
                    .any(|m| m.point == point || m.point.starts_with(&format!("{point},"))),
                "host hierarchy {} missing in the container:\n{}",
                h.display(),
                r.all("mount").join("\n")
            );
        }
    }
}

#[test]
fn default_devices_and_dev_links() {
    let mut fx = fixture!("devices");
    let mut args = vec!["report"];
    let devs = [
        "/dev/null",
        "/dev/zero",
        "/dev/full",
        "/dev/random",
        "/dev/urandom",
        "/dev/tty",
    ];
    let links = [
        "/dev/fd",
        "/dev/stdin",
        "/dev/stdout",
        "/dev/stderr",
        "/dev/ptmx",
    ];
    for p in devs.iter().chain(links.iter()) {
        args.extend(["--stat", p]);
    }
    args.extend([
        "--write",
        "/dev/null",
        "--read",
        "/dev/zero",
        "--stat",
        "/dev/pts/ptmx",
    ]);
    fx.spec.probe(&args);
    let r = fx.run().report();
    for (p, dev) in devs.iter().zip(["1:3", "1:5", "1:7", "1:8", "1:9", "5:0"]) {
        let a = r.answer("stat", p);
        assert!(
            a.starts_with("char 0666 0 0 ") && a.ends_with(dev),
            "{p}: {a} (want a 0666 char device {dev})"
        );
    }
    for (p, target) in links.iter().zip([
        "/proc/self/fd",
        "/proc/self/fd/0",
        "/proc/self/fd/1",
        "/proc/self/fd/2",
        "pts/ptmx",
    ]) {
        assert_eq!(r.answer("stat", p), format!("link {target}"), "{p}");
    }
    assert_eq!(r.answer("write", "/dev/null"), "ok");
    assert_eq!(r.answer("read", "/dev/zero"), format!("ok {}", 64 * 1024));
    assert!(
        r.answer("stat", "/dev/pts/ptmx").starts_with("char "),
        "/dev/pts/ptmx"
    );
}

/// A host directory under the fixture, with a file in it.
fn host_dir(base: &Path, name: &str) -> String {
    let d = base.join(name);
    fs::create_dir_all(&d).unwrap();
    fs::write(d.join("hello"), "hello world").unwrap();
    d.to_string_lossy().into_owned()
}

#[test]
fn read_only_bind_mount() {
    let mut fx = fixture!("bindro");
    let src = host_dir(&fx.dir, "data");
    fs::create_dir_all(fx.rootfs().join("data")).unwrap();
    fx.spec.mounts.push(Mount::bind(&src, "/data", &["ro"]));
    fx.spec
        .probe(&["report", "--cat", "/data/hello", "--write", "/data/new"]);
    let r = fx.run().report();
    assert!(r.must_mount("/data").is_ro(), "{:?}", r.must_mount("/data"));
    assert_eq!(r.answer("cat", "/data/hello"), "ok hello world");
    assert_eq!(r.answer("write", "/data/new"), "err EROFS");
    assert!(!Path::new(&src).join("new").exists());
}

#[test]
fn writable_bind_mount_writes_through() {
    let mut fx = fixture!("bindrw");
    let src = host_dir(&fx.dir, "data");
    fs::create_dir_all(fx.rootfs().join("data")).unwrap();
    fx.spec.mounts.push(Mount::bind(&src, "/data", &[]));
    fx.spec.probe(&["report", "--write", "/data/new"]);
    let r = fx.run().report();
    assert!(!r.must_mount("/data").is_ro());
    assert_eq!(r.answer("write", "/data/new"), "ok");
    assert!(
        Path::new(&src).join("new").exists(),
        "the write must reach the host directory"
    );
}

#[test]
fn bind_mount_nosuid_nodev_noexec() {
    let mut fx = fixture!("bindflags");
    let nx = host_dir(&fx.dir, "nx");
    let x = host_dir(&fx.dir, "x");
    fs::copy(fx.probe_path(), Path::new(&nx).join("probe")).unwrap();
    fs::copy(fx.probe_path(), Path::new(&x).join("probe")).unwrap();
    for d in ["nx", "x"] {
        fs::create_dir_all(fx.rootfs().join(d)).unwrap();
    }
    fx.spec
        .mounts
        .push(Mount::bind(&nx, "/nx", &["nosuid", "nodev", "noexec"]));
    fx.spec.mounts.push(Mount::bind(&x, "/x", &[]));
    fx.spec
        .probe(&["report", "--exec", "/nx/probe", "--exec", "/x/probe"]);
    let r = fx.run().report();
    let m = r.must_mount("/nx");
    assert!(
        m.has("nosuid") && m.has("nodev") && m.has("noexec"),
        "{m:?}"
    );
    assert_eq!(
        r.answer("exec", "/nx/probe"),
        "err EACCES",
        "executing from a noexec mount must fail"
    );
    assert_eq!(r.answer("exec", "/x/probe"), "ok 0");
}

#[test]
fn rbind_takes_submounts_and_bind_does_not() {
    let mut fx = fixture!("rbind");
    let src = host_dir(&fx.dir, "tree");
    let sub = Path::new(&src).join("sub");
    fx.host_tmpfs(&sub);
    fs::write(sub.join("inner"), "in the submount").unwrap();
    for d in ["r", "b"] {
        fs::create_dir_all(fx.rootfs().join(d)).unwrap();
    }
    fx.spec
        .mounts
        .push(Mount::bind(&src, "/r", &["rbind", "ro"]));
    fx.spec.mounts.push(Mount::bind(&src, "/b", &["bind"]));
    fx.spec.probe(&[
        "report",
        "--cat",
        "/r/sub/inner",
        "--cat",
        "/b/sub/inner",
        "--cat",
        "/r/hello",
    ]);
    let r = fx.run().report();
    assert_eq!(
        r.must_mount("/r/sub").fstype,
        "tmpfs",
        "rbind must carry the submount"
    );
    assert!(
        r.mount("/b/sub").is_none(),
        "a plain bind must not carry submounts"
    );
    assert_eq!(r.answer("cat", "/r/sub/inner"), "ok in the submount");
    assert_eq!(r.answer("cat", "/b/sub/inner"), "err ENOENT");
    assert_eq!(r.answer("cat", "/r/hello"), "ok hello world");
}

#[test]
fn tmpfs_mount_with_options() {
    let mut fx = fixture!("tmpfs");
    fs::create_dir_all(fx.rootfs().join("scratch")).unwrap();
    fx.spec.mounts.push(Mount::new(
        "/scratch",
        "tmpfs",
        "tmpfs",
        &["nosuid", "nodev", "mode=1700", "size=1m"],
    ));
    fx.spec.probe(&["report", "--write", "/scratch/f"]);
    let r = fx.run().report();
    let m = r.must_mount("/scratch");
    assert_eq!(m.fstype, "tmpfs");
    assert!(m.has("nosuid") && m.has("nodev") && !m.is_ro(), "{m:?}");
    assert!(m.super_opts.iter().any(|o| o == "size=1024k"), "{m:?}");
    // (runc chmods the tmpfs root to the mode of the directory it covers, so the
    // option is checked where the kernel records it.)
    assert!(m.super_opts.iter().any(|o| o == "mode=1700"), "{m:?}");
    assert_eq!(
        r.answer("write", "/scratch/f"),
        "ok",
        "a tmpfs is writable on a read-only rootfs"
    );
}

#[test]
fn masked_paths_read_empty() {
    let mut fx = fixture!("masked");
    // Paths of our own in the rootfs (the host may lack some of runc's defaults).
    fx.spec.root_readonly = false;
    fs::write(fx.rootfs().join("secret"), "do not show").unwrap();
    fs::create_dir_all(fx.rootfs().join("secretdir")).unwrap();
    fs::write(fx.rootfs().join("secretdir/key"), "nope").unwrap();
    fx.spec.masked_paths.extend([
        "/secret".to_string(),
        "/secretdir".to_string(),
        "/does/not/exist".to_string(),
    ]);
    let mut args = vec!["report", "--read", "/secret", "--read", "/secretdir"];
    // Those of runc's defaults that exist here (the container's /proc and /sys show the same).
    let present: Vec<&str> = DEFAULT_MASKED
        .iter()
        .copied()
        .filter(|p| Path::new(p).exists())
        .collect();
    for p in &present {
        args.extend(["--read", p]);
    }
    fx.spec.probe(&args);
    let r = fx.run().report();
    assert_eq!(
        r.answer("read", "/secret"),
        "ok 0",
        "a masked file reads empty"
    );
    assert_eq!(
        r.answer("read", "/secretdir"),
        "dir 0",
        "a masked directory is empty"
    );
    for p in present {
        let a = r.answer("read", p);
        assert!(a == "ok 0" || a == "dir 0", "masked {p}: {a}");
    }
    assert_eq!(
        fs::read_to_string(fx.rootfs().join("secret")).unwrap(),
        "do not show"
    );
}

#[test]
fn readonly_paths_refuse_writes() {
    let mut fx = fixture!("ropaths");
    fx.spec.root_readonly = false;
    fs::create_dir_all(fx.rootfs().join("data")).unwrap();
    fx.spec.readonly_paths.push("/data".into());
    fx.spec.probe(&[
        "report",
        "--write",
        "/proc/sys/kernel/hostname",
        "--cat",
        "/proc/sys/kernel/ostype",
        "--write",
        "/data/x",
        "--write",
        "/tmp/y",
    ]);
    let r = fx.run().report();
    assert_eq!(
        r.answer("write", "/proc/sys/kernel/hostname"),
        "err EROFS",
        "/proc/sys is read-only"
    );
    assert_eq!(
        r.answer("cat", "/proc/sys/kernel/ostype"),
        "ok Linux",
        "/proc/sys stays readable"
    );
    assert_eq!(r.answer("write", "/data/x"), "err EROFS");
    assert_eq!(r.answer("write", "/tmp/y"), "ok");
    assert!(r.must_mount("/proc/sys").is_ro());
    assert!(r.must_mount("/data").is_ro());
}

#[test]
fn sysctls_are_applied_in_the_container() {
    let mut fx = fixture!("sysctl");
    fx.spec.sysctl = vec![
        ("net.ipv4.ip_forward".into(), "1".into()),
        ("kernel.msgmax".into(), "12345".into()),
    ];
    fx.spec.probe(&[
        "report",
        "--cat",
        "/proc/sys/net/ipv4/ip_forward",
        "--cat",
        "/proc/sys/kernel/msgmax",
    ]);
    let r = fx.run().report();
    assert_eq!(r.answer("cat", "/proc/sys/net/ipv4/ip_forward"), "ok 1");
    assert_eq!(r.answer("cat", "/proc/sys/kernel/msgmax"), "ok 12345");
    // The host's own values are untouched (they live in other namespaces).
    assert_ne!(
        fs::read_to_string("/proc/sys/kernel/msgmax")
            .unwrap()
            .trim(),
        "12345"
    );
}

#[test]
fn private_rootfs_propagation() {
    let mut fx = fixture!("propagation");
    fx.spec.rootfs_propagation = Some("private".into());
    let r = fx.run().report();
    for m in r.mounts() {
        assert!(
            !m.propagation
                .iter()
                .any(|p| p.starts_with("shared:") || p.starts_with("master:")),
            "with rootfsPropagation private, {m:?} should be private"
        );
    }
}
