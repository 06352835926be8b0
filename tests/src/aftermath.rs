//! After a fault (runlet or a helper killed, a state file broken): `delete --force`,
//! then the proof that nothing is left and that the ID can be used again.
//! For the reliability suite (tests/tests/reliability.rs), whose tests run one at a
//! time under [`crate::harness::subreaper`].

use crate::harness::{children_of, stray_zombie_children, Fixture};
use crate::sys;
use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The test process's open fds and where they point.
pub fn fd_snapshot() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = fs::read_dir("/proc/self/fd")
        .into_iter()
        .flat_map(|rd| rd.flatten())
        .filter_map(|e| {
            let t = fs::read_link(e.path()).ok()?;
            Some((
                e.file_name().to_string_lossy().into_owned(),
                t.to_string_lossy().into_owned(),
            ))
        })
        // The directory listing itself.
        .filter(|(_, t)| !t.starts_with("/proc/") || !t.ends_with("/fd"))
        .collect();
    v.sort();
    v
}

/// Reaps the test process's zombie children (the inits and exec'd processes that
/// came to it as subreaper); their pids.
pub fn reap_zombies() -> Vec<u32> {
    let z = stray_zombie_children();
    for &p in &z {
        sys::reap_child(p, Duration::from_secs(5));
    }
    z
}

/// Reaps the test process's zombie children as they come, as containerd's shim does,
/// until dropped. A PID namespace's init exits only once every process of the
/// namespace is reaped, and `delete` waits for it: a process of the namespace that
/// came to the test as subreaper (runlet-exec's child) must be reaped meanwhile.
pub struct Reaper {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Reaper {
    pub fn start() -> Reaper {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                reap_zombies();
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        Reaper {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A host network interface by name, if it exists.
pub fn host_link_exists(name: &str) -> bool {
    PathBuf::from("/sys/class/net").join(name).exists()
}

/// The test process's fds, if they changed since `before`.
pub fn fd_leaks(before: &[(String, String)]) -> Option<String> {
    let now = fd_snapshot();
    (now != before)
        .then(|| format!("the test process's fds changed: before {before:?}, after {now:?}"))
}

/// Everything left behind besides what `Fixture::leaks` sees: live children of the
/// test process (an init killed before it left the host's root), veths.
pub fn extra_leaks(veths: &[String]) -> Vec<String> {
    let mut v = Vec::new();
    reap_zombies();
    let me = std::process::id();
    let in_flight = crate::harness::in_flight_pids();
    for c in children_of(me) {
        if !in_flight.contains(&c) {
            v.push(format!(
                "child of the test process: {}",
                crate::harness::describe_pid(c)
            ));
        }
    }
    // A veth whose container end was in a netns that died with its init goes when
    // the kernel has torn that netns down, which it does asynchronously (runlet
    // killed before state.json named the veth cannot remove it itself): 10 s.
    let end = std::time::Instant::now() + Duration::from_secs(10);
    for n in veths {
        while host_link_exists(n) && std::time::Instant::now() < end {
            std::thread::sleep(Duration::from_millis(20));
        }
        if host_link_exists(n) {
            v.push(format!("host interface {n}"));
        }
    }
    v
}

impl Fixture {
    /// `delete --force` after a fault: exits 0, then nothing of the container is
    /// left (`at` says which fault, for messages).
    pub fn force_delete_clean(&self, at: &str, veths: &[String]) {
        let out = {
            let _reaper = Reaper::start();
            self.runlet(&["delete", "--force", &self.id])
        };
        assert_eq!(
            out.code,
            Some(0),
            "{at}: delete --force failed\n{}",
            out.context()
        );
        // Inits that died came to the test as subreaper: reaped first (the shim's
        // part), so a zombie left after that is a leak.
        reap_zombies();
        let mut leaks = self.leaks();
        leaks.extend(extra_leaks(veths));
        assert!(
            leaks.is_empty(),
            "{at}: left behind after delete --force:\n  {}",
            leaks.join("\n  ")
        );
    }

    /// The ID works again: a container with it runs `/probe noop` to exit 0 and
    /// leaves nothing.
    pub fn assert_reusable(&mut self, at: &str) {
        let saved = self.spec.clone();
        self.spec.probe(&["noop"]);
        let out = self.run();
        self.spec = saved;
        assert_eq!(
            out.code,
            Some(0),
            "{at}: the ID is not reusable\n{}",
            out.context()
        );
        reap_zombies();
    }
}
