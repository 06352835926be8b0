//! `benchtime ROUNDS IDLE_MS NAME=COMMAND...`: time whole commands, interleaved.
//!
//! Each round runs every command once, in the order given; with IDLE_MS > 0 the
//! machine idles that long before each timed run ("spaced" starts). COMMAND is
//! split on spaces (no shell), or on commas when it has no space; `{i}` in it becomes the round number (unique
//! container ids). One untimed warm-up run of each command comes first; a command
//! whose warm-up fails is dropped (its stderr is shown).
//!
//! Timing is the monotonic clock around spawn + wait4 (ns resolution); the peak
//! RSS is the child's own `ru_maxrss` from wait4. Output, one line per command:
//! `result NAME runs=N fails=F median_us=M p10_us=A p90_us=B min_us=C max_us=D maxrss_kib=R`
//! (maxrss: the largest seen over all runs).

use std::ffi::{c_int, c_long};
use std::fs;
use std::process::{exit, Command, Stdio};
use std::time::{Duration, Instant};

use linux_raw_sys::general::{__NR_wait4, rusage};

extern "C" {
    fn syscall(n: c_long, ...) -> c_long;
}

/// wait4(2) itself with the kernel's `struct rusage` (linux-raw-sys's layout for the
/// target): musl's wrapper on a 32-bit target is its 64-bit-time `__wait4_time64`
/// behind a header rename, which a declaration here would miss.
fn wait4(pid: c_int, status: &mut c_int, ru: &mut rusage) -> c_long {
    // SAFETY: status and ru are valid for the kernel to fill.
    unsafe {
        syscall(
            __NR_wait4 as c_long,
            pid as c_long,
            status as *mut c_int,
            0 as c_long,
            ru as *mut rusage,
        )
    }
}

struct Cmd {
    name: String,
    argv: Vec<String>,
    times_us: Vec<u64>,
    fails: usize,
    maxrss_kib: i64,
    first_error: Option<String>,
}

/// Run once; returns (elapsed, success, maxrss KiB, stderr when failed).
fn run_once(argv: &[String], round: usize) -> (Duration, bool, i64, Option<String>) {
    let argv: Vec<String> = argv
        .iter()
        .map(|a| a.replace("{i}", &round.to_string()))
        .collect();
    let errfile = std::env::temp_dir().join(format!("benchtime-{}.err", std::process::id()));
    let err = fs::File::create(&errfile).expect("stderr file");
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err);
    let t0 = Instant::now();
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return (
                t0.elapsed(),
                false,
                0,
                Some(format!("spawn {}: {e}", argv[0])),
            )
        }
    };
    let mut status: c_int = 0;
    // SAFETY: rusage is plain integers, all-zero valid.
    let mut ru: rusage = unsafe { std::mem::zeroed() };
    // The child is ours and not reaped elsewhere.
    let r = wait4(child.id() as c_int, &mut status, &mut ru);
    let dt = t0.elapsed();
    let ok = r > 0 && (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0;
    let msg = (!ok).then(|| {
        let e = fs::read_to_string(&errfile).unwrap_or_default();
        format!("wait status {status:#x}: {}", e.trim())
    });
    let _ = fs::remove_file(&errfile);
    (dt, ok, ru.ru_maxrss as i64, msg)
}

fn pct(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn median(sorted: &[u64]) -> u64 {
    match sorted.len() {
        0 => 0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: benchtime ROUNDS IDLE_MS NAME=COMMAND...");
        exit(2);
    }
    let rounds: usize = args[0].parse().expect("ROUNDS");
    let idle = Duration::from_millis(args[1].parse().expect("IDLE_MS"));
    let mut cmds: Vec<Cmd> = args[2..]
        .iter()
        .map(|a| {
            let (name, c) = a.split_once('=').expect("NAME=COMMAND");
            Cmd {
                name: name.into(),
                // Words by spaces, or by commas in a command of one word (an
                // initramfs scenario splits its lines on spaces itself).
                argv: c
                    .split(if c.contains(' ') { ' ' } else { ',' })
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
                times_us: Vec::new(),
                fails: 0,
                maxrss_kib: 0,
                first_error: None,
            }
        })
        .collect();
    // Warm-up (page cache, first cgroup writes); drop what does not work at all.
    cmds.retain(|c| {
        let (_, ok, _, msg) = run_once(&c.argv, 1_000_000);
        if !ok {
            println!(
                "dropped {}: {}",
                c.name,
                msg.unwrap_or_default().replace('\n', " | ")
            );
        }
        ok
    });
    for round in 0..rounds {
        for c in cmds.iter_mut() {
            if !idle.is_zero() {
                std::thread::sleep(idle);
            }
            let (dt, ok, rss, msg) = run_once(&c.argv, round);
            if ok {
                c.times_us.push(dt.as_micros() as u64);
            } else {
                c.fails += 1;
                c.first_error = c.first_error.take().or(msg);
            }
            c.maxrss_kib = c.maxrss_kib.max(rss);
        }
    }
    for c in cmds.iter_mut() {
        c.times_us.sort_unstable();
        let t = &c.times_us;
        println!(
            "result {} runs={} fails={} median_us={} p10_us={} p90_us={} min_us={} max_us={} maxrss_kib={}",
            c.name,
            t.len(),
            c.fails,
            median(t),
            pct(t, 0.1),
            pct(t, 0.9),
            t.first().copied().unwrap_or(0),
            t.last().copied().unwrap_or(0),
            c.maxrss_kib
        );
        if let Some(e) = &c.first_error {
            println!("error {}: {}", c.name, e.replace('\n', " | "));
        }
    }
}
