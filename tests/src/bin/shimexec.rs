//! `shimexec RUNLET ROOT ID PROCESS_JSON DIR COUNT PARALLEL BUSY`: runs COUNT
//! `runlet --root ROOT exec --detach --pid-file DIR/N.pid --process PROCESS_JSON ID`,
//! PARALLEL at a time, as containerd's runc shim runs every exec: this process is a
//! child subreaper whose reaper thread reaps any child the moment it exits (the
//! shim's reaper), so a short exec'd process is gone before runlet looks at it.
//! BUSY threads spin meanwhile. Prints `ok=N failed=M`, then one `fail=...` line per
//! failed exec (its status and stderr), and `pid-file=...` for a missing pid file.
//! Exits 0 when it could run them all (whatever their outcome), 2 on bad usage.

use std::collections::HashMap;
use std::ffi::c_int;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

extern "C" {
    fn prctl(op: c_int, ...) -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
}

const PR_SET_CHILD_SUBREAPER: c_int = 36;
/// How long one exec may take before it counts as failed (never a hang).
const EXEC_DEADLINE: Duration = Duration::from_secs(60);

/// Exit statuses by pid, filled by the reaper thread.
type Reaped = Arc<(Mutex<HashMap<i32, i32>>, Condvar)>;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 9 {
        eprintln!("usage: shimexec RUNLET ROOT ID PROCESS_JSON DIR COUNT PARALLEL BUSY");
        std::process::exit(2);
    }
    let num = |i: usize| a[i].parse::<usize>().expect("a number");
    let (count, parallel, busy) = (num(6), num(7).max(1), num(8));
    // SAFETY: integer arguments only.
    if unsafe { prctl(PR_SET_CHILD_SUBREAPER, 1 as std::ffi::c_ulong) } != 0 {
        eprintln!("prctl PR_SET_CHILD_SUBREAPER failed");
        std::process::exit(2);
    }
    let reaped: Reaped = Arc::default();
    let r = reaped.clone();
    std::thread::spawn(move || reaper(r));
    let stop = Arc::new(AtomicBool::new(false));
    let spinners: Vec<_> = (0..busy)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            })
        })
        .collect();
    let next = Arc::new(Mutex::new(0usize));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let workers: Vec<_> = (0..parallel)
        .map(|_| {
            let (a, next, failures, reaped) =
                (a.clone(), next.clone(), failures.clone(), reaped.clone());
            std::thread::spawn(move || loop {
                let n = {
                    let mut g = next.lock().unwrap();
                    *g += 1;
                    *g
                };
                if n > count {
                    return;
                }
                if let Err(e) = one_exec(&a, n, &reaped) {
                    failures.lock().unwrap().push(e);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for s in spinners {
        s.join().unwrap();
    }
    let failures = failures.lock().unwrap();
    println!("ok={} failed={}", count - failures.len(), failures.len());
    for f in failures.iter() {
        println!("{f}");
    }
}

/// One exec, as the shim runs it; Err names what went wrong.
fn one_exec(a: &[String], n: usize, reaped: &Reaped) -> Result<(), String> {
    let pid_file = PathBuf::from(&a[5]).join(format!("{n}.pid"));
    let err_file = PathBuf::from(&a[5]).join(format!("{n}.err"));
    let err = std::fs::File::create(&err_file).map_err(|e| format!("fail={n} {e}"))?;
    let child = Command::new(&a[1])
        .args(["--root", &a[2], "exec", "--detach", "--pid-file"])
        .arg(&pid_file)
        .args(["--process", &a[4], &a[3]])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .map_err(|e| format!("fail={n} spawn: {e}"))?;
    let status = wait_reaped(reaped, child.id() as i32)
        .ok_or_else(|| format!("fail={n} runlet did not exit within {EXEC_DEADLINE:?}"))?;
    if status != 0 {
        let text = std::fs::read_to_string(&err_file).unwrap_or_default();
        return Err(format!("fail={n} wait status {status}: {}", text.trim()));
    }
    match std::fs::read_to_string(&pid_file) {
        Ok(t) if t.trim().parse::<u32>().is_ok() => Ok(()),
        r => Err(format!("pid-file={n} {r:?}")),
    }
}

/// The shim's reaper: waits for any child, records its status, wakes the waiters.
fn reaper(r: Reaped) {
    loop {
        let mut status: c_int = 0;
        // SAFETY: status is a valid out-pointer.
        let pid = unsafe { waitpid(-1, &mut status, 0) };
        if pid < 0 {
            // No child right now (ECHILD) or EINTR: look again shortly.
            std::thread::sleep(Duration::from_millis(1));
            continue;
        }
        let (map, cv) = &*r;
        map.lock().unwrap().insert(pid, status);
        cv.notify_all();
    }
}

fn wait_reaped(r: &Reaped, pid: i32) -> Option<i32> {
    let end = Instant::now() + EXEC_DEADLINE;
    let (map, cv) = &**r;
    let mut g = map.lock().unwrap();
    loop {
        if let Some(s) = g.remove(&pid) {
            return Some(s);
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        g = cv.wait_timeout(g, left).unwrap().0;
    }
}
