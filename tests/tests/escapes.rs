//! Escape classes the peers have had CVEs for, each against real containers, each a
//! check that fails on the vulnerable behaviour:
//!
//! - CVE-2024-21626: a host directory fd reaching the container. `exec --cwd
//!   /proc/self/fd/N` (N the init's /proc/<pid> of runlet-exec, or a directory the
//!   caller left open) must not give a host working directory; `..` and absolute
//!   symlinks in a cwd stay inside; only fds 0–2 reach the process (run and exec).
//! - CVE-2019-5736: the container cannot write to the helpers' executables.
//!
//! The rootfs classes (CVE-2025-31133, -52565, -52881) are in escapes_rootfs.rs.
//!
//! The test process is a child subreaper (see `subreaper`): the tests run one at a time.

use std::fs;
use std::os::fd::AsRawFd;
use std::os::unix::fs::symlink;
use std::os::unix::process::CommandExt;
use std::process::Command;

use runlet_tests::fixture;
use runlet_tests::harness::{spawn, subreaper, Fixture, Outcome};

fn exec_args<'a>(fx: &'a Fixture, opts: &[&'a str], args: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["exec"];
    v.extend(opts);
    v.push(&fx.id);
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

/// `cmd` with `file` open (not close-on-exec) at fd `at` in the spawned runlet, as a
/// careless caller would leave it.
fn with_fd_at(cmd: &mut Command, file: &impl AsRawFd, at: i32) {
    let raw = file.as_raw_fd();
    // SAFETY: dup2 is async-signal-safe; both fds are valid in the child.
    unsafe {
        cmd.pre_exec(move || {
            // dup2 onto itself keeps close-on-exec: clear it then.
            let r = if raw == at {
                libc_fcntl(at, F_SETFD, 0)
            } else {
                libc_dup2(raw, at)
            };
            if r < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

const F_SETFD: i32 = 2;

fn libc_fcntl(fd: i32, cmd: i32, arg: i32) -> i32 {
    extern "C" {
        fn fcntl(fd: i32, cmd: i32, ...) -> i32;
    }
    // SAFETY: plain integer arguments.
    unsafe { fcntl(fd, cmd, arg) }
}

fn libc_dup2(from: i32, to: i32) -> i32 {
    extern "C" {
        fn dup2(old: i32, new: i32) -> i32;
    }
    // SAFETY: plain integer arguments.
    unsafe { dup2(from, to) }
}

/// The exec must not have run with a host working directory: it was refused with a
/// line naming the cwd. Returns what went wrong, so the container is removed first.
fn host_cwd(out: &Outcome, cwd: &str) -> Option<String> {
    if out.code() == 0 {
        let r = out.report();
        return Some(format!(
            "exec --cwd {cwd} ran with cwd {}: a host directory reached the container\n{}",
            r.get("cwd").unwrap_or("outside its root"),
            r.dump()
        ));
    }
    let err = out.context();
    (!err.contains(&format!("chdir to cwd {cwd}"))).then(|| format!("no clear error:\n{err}"))
}
/// CVE-2024-21626 exactly: runlet-exec holds the init's host /proc/<pid> on fd 4
/// while it joins; `/proc/self/fd/4` as the cwd was the host's /proc.
#[test]
fn exec_cwd_proc_self_fd_4() {
    let mut fx = fixture!("esc-fd4");
    let _serial = subreaper();
    let init = fx.running(&["sleep", "300"]);
    let cwd = "/proc/self/fd/4";
    let out = fx.runlet(&exec_args(
        &fx,
        &["--cwd", cwd],
        &["/probe", "report", "--ls", "..", "--ls", "../.."],
    ));
    let bad = host_cwd(&out, cwd);
    finish(&fx, init);
    assert!(bad.is_none(), "{}", bad.unwrap());
}

/// Any directory fd the caller leaves open: fd 9, a host directory with a marker.
#[test]
fn exec_cwd_callers_fd() {
    let mut fx = fixture!("esc-fdn");
    let _serial = subreaper();
    let init = fx.running(&["sleep", "300"]);
    let host = fx.dir.join("host-secret");
    fs::create_dir_all(&host).unwrap();
    fs::write(host.join("host-marker-esc"), "secret").unwrap();
    let dir = fs::File::open(&host).unwrap();
    let mut bad = Vec::new();
    for cwd in ["/proc/self/fd/9", "/proc/thread-self/fd/9"] {
        let mut cmd = fx.command(&exec_args(
            &fx,
            &["--cwd", cwd],
            &["/probe", "report", "--ls", "."],
        ));
        with_fd_at(&mut cmd, &dir, 9);
        bad.extend(host_cwd(&spawn(cmd).wait(), cwd));
    }
    // And the process itself gets none of it.
    let mut cmd = fx.command(&exec_args(&fx, &[], &["/probe", "report"]));
    with_fd_at(&mut cmd, &dir, 9);
    let r = spawn(cmd).wait().report();
    finish(&fx, init);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert_eq!(r.fds(), [0, 1, 2], "{}", r.dump());
}

/// `..` and absolute symlinks in the cwd are taken inside the container's root: the
/// process lands at the container's `/` (where `/probe` is), never above it.
#[test]
fn exec_cwd_symlinks_stay_inside() {
    let mut fx = fixture!("esc-cwdln");
    let _serial = subreaper();
    fx.prepare();
    let rootfs = fx.rootfs();
    symlink("../../../../../../../..", rootfs.join("up")).unwrap();
    symlink("/../../..", rootfs.join("abs")).unwrap();
    symlink("/etc", rootfs.join("etc-link")).unwrap();
    fs::write(rootfs.join("inside-marker"), "in").unwrap();
    let init = fx.running(&["sleep", "300"]);
    for (cwd, want) in [
        ("/up", "/"),
        ("/abs", "/"),
        ("/../../../..", "/"),
        ("/up/../up", "/"),
        ("/etc-link", "/etc"),
    ] {
        let r = fx
            .runlet(&exec_args(
                &fx,
                &["--cwd", cwd],
                &["/probe", "report", "--ls", "."],
            ))
            .report();
        assert_eq!(r.must("cwd"), want, "--cwd {cwd}\n{}", r.dump());
        if want == "/" {
            let ls = r.answer("ls", ".");
            assert!(ls.contains("inside-marker"), "--cwd {cwd}: {ls}");
        }
    }
    finish(&fx, init);
}

/// The init resolves process.cwd the same way, and refuses a magic link to a fd the
/// caller of `run` left open (fd 9, a host directory); with a plain cwd, that fd
/// does not reach the process.
#[test]
fn run_cwd_and_callers_fd() {
    let mut fx = fixture!("esc-runfd");
    let _serial = subreaper();
    fx.prepare();
    let host = fx.dir.join("host-secret");
    fs::create_dir_all(&host).unwrap();
    let dir = fs::File::open(&host).unwrap();

    fx.spec.cwd = "/proc/self/fd/9".into();
    fx.prepare();
    let mut cmd = fx.run_command();
    with_fd_at(&mut cmd, &dir, 9);
    fx.run_cmd(cmd).assert_error(&["/proc/self/fd/9 in rootfs"]);

    symlink("../../../..", fx.rootfs().join("up")).unwrap();
    fx.spec.cwd = "/up".into();
    fx.prepare();
    let mut cmd = fx.run_command();
    with_fd_at(&mut cmd, &dir, 9);
    let r = fx.run_cmd(cmd).report();
    assert_eq!(r.must("cwd"), "/", "{}", r.dump());
    assert_eq!(r.fds(), [0, 1, 2], "{}", r.dump());
}

/// `create` with `init` as the process; returns the init's pid (it waits for start).
fn created(fx: &mut Fixture, init: &[&str]) -> u32 {
    fx.spec.probe(init);
    let pid_file = fx.dir.join("init.pid");
    fx.create(&["--pid-file", pid_file.to_str().unwrap()])
        .assert_exit(0);
    fx.read_pid_file(&pid_file)
}

/// CVE-2019-5736: the container overwriting the runtime's executable through
/// /proc/<pid>/exe. A created container's pid 1 is runlet-init itself; an exec'd
/// process tries to write to its exe, without and with CAP_SYS_PTRACE (which gets
/// past non-dumpable): the sealed memfd refuses either way, and runlet's file is
/// untouched.
#[test]
fn proc_exe_of_the_helpers_is_not_writable() {
    let mut fx = fixture!("esc-exe");
    let _serial = subreaper();
    let runlet = runlet_tests::harness::runlet_bin();
    let before = fs::read(&runlet).unwrap();
    let init = created(&mut fx, &["sleep", "300"]);
    let exe = fs::read_link(format!("/proc/{init}/exe")).unwrap();
    assert!(
        exe.to_string_lossy().starts_with("/memfd:runlet-init"),
        "the created init runs from {exe:?}"
    );
    let plain = fx
        .runlet(&exec_args(
            &fx,
            &[],
            &["/probe", "report", "--overwrite", "/proc/1/exe"],
        ))
        .report();
    let process = fx.dir.join("ptrace.json");
    let caps = r#"["CAP_SYS_PTRACE","CAP_KILL"]"#;
    fs::write(
        &process,
        format!(
            r#"{{"args":["/probe","report","--overwrite","/proc/1/exe"],"cwd":"/","env":["PATH=/bin"],"user":{{"uid":0,"gid":0}},"capabilities":{{"bounding":{caps},"effective":{caps},"permitted":{caps}}}}}"#
        ),
    )
    .unwrap();
    let ptrace = fx
        .runlet(&exec_args(
            &fx,
            &["--process", process.to_str().unwrap()],
            &[],
        ))
        .report();
    finish(&fx, init);
    assert!(
        fs::read(&runlet).unwrap() == before,
        "{} changed",
        runlet.display()
    );
    for (what, r) in [("default caps", plain), ("CAP_SYS_PTRACE", ptrace)] {
        let a = r.answer("overwrite", "/proc/1/exe");
        assert!(
            a.starts_with("err "),
            "{what}: runlet-init's exe written: {a}\n{}",
            r.dump()
        );
    }
}

/// CVE-2019-5736 as it was done: the container's program is a script whose
/// interpreter is `/proc/self/exe`, so the exec runs the runtime's own executable
/// inside the container (here runlet-exec, from its memfd). With a pipe as fd 3
/// (`--preserve-fds 1`) it waits there for a frame, and another exec'd process, with
/// and without CAP_SYS_PTRACE, tries to write to its `/proc/<pid>/exe`: refused, and
/// runlet's file is unchanged.
#[test]
fn proc_exe_of_runlet_exec_in_the_container_is_not_writable() {
    let mut fx = fixture!("esc-exe2");
    let _serial = subreaper();
    fx.prepare();
    let evil = fx.rootfs().join("evil");
    fs::write(&evil, "#!/proc/self/exe\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&evil, fs::Permissions::from_mode(0o755)).unwrap();
    let runlet = runlet_tests::harness::runlet_bin();
    let before = fs::read(&runlet).unwrap();
    let init = fx.running(&["sleep", "300"]);
    let (reader, writer) = std::io::pipe().unwrap();
    let pid_file = fx.dir.join("evil.pid");
    let mut cmd = fx.command(&exec_args(
        &fx,
        &[
            "-d",
            "--preserve-fds",
            "1",
            "--pid-file",
            pid_file.to_str().unwrap(),
        ],
        &["/evil"],
    ));
    with_fd_at(&mut cmd, &reader, 3);
    // To files: the process keeps runlet's stdout open while it waits.
    fx.run_to_files(cmd).assert_exit(0);
    drop(reader);
    let host_pid = fx.read_pid_file(&pid_file);
    let exe = fs::read_link(format!("/proc/{host_pid}/exe")).unwrap();
    let status = fs::read_to_string(format!("/proc/{host_pid}/status")).unwrap();
    let inner = status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .to_string();
    let target = format!("/proc/{inner}/exe");
    let plain = fx
        .runlet(&exec_args(
            &fx,
            &[],
            &["/probe", "report", "--overwrite", &target],
        ))
        .report();
    let process = fx.dir.join("ptrace.json");
    let caps = r#"["CAP_SYS_PTRACE","CAP_KILL"]"#;
    fs::write(
        &process,
        format!(
            r#"{{"args":["/probe","report","--overwrite","{target}"],"cwd":"/","env":["PATH=/bin"],"user":{{"uid":0,"gid":0}},"capabilities":{{"bounding":{caps},"effective":{caps},"permitted":{caps}}}}}"#
        ),
    )
    .unwrap();
    let ptrace = fx
        .runlet(&exec_args(
            &fx,
            &["--process", process.to_str().unwrap()],
            &[],
        ))
        .report();
    // EOF on its fd 3: the re-executed runlet-exec gives up and exits.
    drop(writer);
    fx.reap(host_pid);
    finish(&fx, init);
    assert!(
        exe.to_string_lossy().starts_with("/memfd:runlet-exec"),
        "the script's interpreter ran from {exe:?}"
    );
    assert!(
        fs::read(&runlet).unwrap() == before,
        "{} changed",
        runlet.display()
    );
    for (what, r) in [("default caps", plain), ("CAP_SYS_PTRACE", ptrace)] {
        let a = r.answer("overwrite", &target);
        assert!(
            a.starts_with("err "),
            "{what}: runlet-exec's exe written: {a}\n{}",
            r.dump()
        );
    }
}
