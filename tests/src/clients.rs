//! Real clients driving runlet (tests/tests/clients.rs): finding their programs,
//! and running a client script (tests/tests/clients/*.sh) in private namespaces with
//! a deadline, then checking it left nothing on the host.

use crate::harness::{cgroup_mounts, host_mount_points, runlet_bin};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one client script may take (daemon start, image, 40 execs, teardown).
const SCRIPT_DEADLINE: Duration = Duration::from_secs(300);

/// `name` in PATH (and the sbin dirs, where daemons live), if there.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file());
    found
}

/// True for an ELF file without PT_INTERP: it runs in a rootfs holding only itself.
pub fn is_static(path: &Path) -> bool {
    let Ok(b) = fs::read(path) else { return false };
    if b.len() < 64 || &b[..4] != b"\x7fELF" || b[4] != 2 {
        return false;
    }
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap()) as usize;
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    (0..phnum).all(|i| {
        let o = phoff + i * phentsize;
        b.get(o..o + 4)
            .is_some_and(|t| u32::from_le_bytes(t.try_into().unwrap()) != 3)
    })
}

/// The programs a client needs, or why it cannot run here.
pub fn need(programs: &[&str]) -> Result<Vec<PathBuf>, String> {
    programs
        .iter()
        .map(|n| find_program(n).ok_or_else(|| format!("{n} not installed")))
        .collect()
}

/// A static busybox for the image's rootfs (Debian's busybox-static).
pub fn static_busybox() -> Result<PathBuf, String> {
    let p = find_program("busybox").ok_or("busybox not installed")?;
    if is_static(&p) {
        Ok(p)
    } else {
        Err(format!(
            "{} is not static (install busybox-static)",
            p.display()
        ))
    }
}

/// What cannot be had: a failure under RUNLET_REQUIRE_ROOT=1 (CI installs the
/// clients), else a counted skip (the harness's `missing!`). Returns false (the
/// test returns).
pub fn unavailable(_test: &str, why: &str) -> bool {
    crate::harness::skip::ci_fixable(why);
    false
}

/// Runs `tests/tests/clients/<script>` as `unshare --mount --net --propagation private
/// bash SCRIPT RUNLET PROBE BUSYBOX`; panics with its output unless it exits 0, or
/// if it leaves its scratch dir, a cgroup or a mount on the host.
pub fn run_script(script: &str, probe: &Path, busybox: &Path) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let log = std::env::temp_dir().join(format!("runlet-{script}-{}.log", std::process::id()));
    let out = fs::File::create(&log).expect("client log");
    let mut child = Command::new("unshare")
        .args(["--mount", "--net", "--propagation", "private", "bash"])
        .arg(dir.join(script))
        .arg(runlet_bin())
        .arg(probe)
        .arg(busybox)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("spawn unshare");
    let end = Instant::now() + SCRIPT_DEADLINE;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > end {
            // TERM: the script's teardown still runs.
            let _ = crate::sys::send_signal(child.id(), crate::sys::SIGTERM);
            let _ = child.wait();
            panic!(
                "{script} still running after {SCRIPT_DEADLINE:?}:\n{}",
                text(&log)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = text(&log);
    let _ = fs::remove_file(&log);
    eprintln!("{output}");
    assert!(status.success(), "{script}: {status}\n{output}");
    let mut left = Vec::new();
    let cg = format!("runlet-ci-{}", child.id());
    for m in cgroup_mounts() {
        if m.join(&cg).exists() {
            left.push(format!("cgroup {}", m.join(&cg).display()));
        }
    }
    if let Some(w) = output
        .lines()
        .find_map(|l| l.strip_prefix("client: scratch "))
    {
        if Path::new(w).exists() {
            left.push(format!("scratch dir {w}"));
        }
        for m in host_mount_points() {
            if m.starts_with(w) {
                left.push(format!("mount {}", m.display()));
            }
        }
    } else {
        left.push("the script did not say its scratch dir".into());
    }
    assert!(left.is_empty(), "{script} left: {left:?}\n{output}");
}

fn text(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_default()
}
