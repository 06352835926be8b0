//! Probe modes for the terminal, pause and fd-passing tests.
//!
//! - `tty-shell`: a tiny line shell on stdin: `echo TEXT` prints TEXT, `tty` prints
//!   the name of stdin (`/proc/self/fd/0`'s target) or `not a tty`, `size` prints
//!   `ROWS COLS` (TIOCGWINSZ on stdin), `ctty` prints `ctty=yes` when `/dev/tty`
//!   opens, `exit N` exits N. EOF exits 0.
//! - `tick`: prints `tick=N` every 10 ms, forever (pause stops it).
//! - `read-fds N`: prints `fdK=<first line read from fd K>` for K in 3..3+N, then
//!   `LISTEN_FDS=<value or unset>` and `fdnext=closed` when fd 3+N is not open.

use std::ffi::{c_int, c_ulong};
use std::fs::File;
use std::io::{self, BufRead, Read, Write};
use std::os::fd::FromRawFd;

extern "C" {
    fn ioctl(fd: c_int, req: c_ulong, ...) -> c_int;
    fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
}

const TIOCGWINSZ: c_ulong = 0x5413;
const F_GETFD: c_int = 1;

/// Runs a tty mode; `None` when `mode` is not one.
pub fn run(mode: &str, rest: &[String]) -> Option<i32> {
    Some(match mode {
        "tty-shell" => shell(),
        "tick" => tick(),
        "read-fds" => read_fds(rest.first().and_then(|s| s.parse().ok()).unwrap_or(0)),
        _ => return None,
    })
}

fn shell() -> i32 {
    let mut out = io::stdout();
    for line in io::stdin().lock().lines() {
        let Ok(line) = line else { return 1 };
        let line = line.trim();
        let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
        match cmd {
            "echo" => {
                let _ = writeln!(out, "{arg}");
            }
            "tty" => {
                let name = std::fs::read_link("/proc/self/fd/0")
                    .ok()
                    .filter(|p| p.starts_with("/dev/pts/"))
                    .map_or("not a tty".to_string(), |p| p.display().to_string());
                let _ = writeln!(out, "tty={name}");
            }
            "size" => {
                let mut ws = [0u16; 4];
                // SAFETY: TIOCGWINSZ fills a struct winsize (four u16).
                let r = unsafe { ioctl(0, TIOCGWINSZ, ws.as_mut_ptr()) };
                let _ = match r {
                    0 => writeln!(out, "size={} {}", ws[0], ws[1]),
                    _ => writeln!(out, "size=error {}", io::Error::last_os_error()),
                };
            }
            "ctty" => {
                let ok = File::open("/dev/tty").is_ok();
                let _ = writeln!(out, "ctty={}", if ok { "yes" } else { "no" });
            }
            "exit" => return arg.parse().unwrap_or(0),
            "" => {}
            other => {
                let _ = writeln!(out, "unknown={other}");
            }
        }
        let _ = out.flush();
    }
    0
}

fn tick() -> i32 {
    let mut out = io::stdout();
    for n in 0u64.. {
        let _ = writeln!(out, "tick={n}");
        let _ = out.flush();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    0
}

fn read_fds(n: i32) -> i32 {
    let mut out = io::stdout();
    for fd in 3..3 + n {
        // SAFETY: the fd was passed on for this probe to read; it owns it from here.
        let mut f = unsafe { File::from_raw_fd(fd) };
        let mut s = String::new();
        let got = f
            .read_to_string(&mut s)
            .map(|_| s.lines().next().unwrap_or("").to_string());
        let _ = match got {
            Ok(l) => writeln!(out, "fd{fd}={l}"),
            Err(e) => writeln!(out, "fd{fd}=error {e}"),
        };
        std::mem::forget(f);
    }
    let listen = std::env::var("LISTEN_FDS").unwrap_or_else(|_| "unset".into());
    let _ = writeln!(out, "LISTEN_FDS={listen}");
    // SAFETY: F_GETFD only asks whether the fd is open.
    let next = unsafe { fcntl(3 + n, F_GETFD) };
    let _ = writeln!(out, "fdnext={}", if next < 0 { "closed" } else { "open" });
    0
}
