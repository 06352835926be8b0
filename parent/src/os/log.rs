//! `--debug`: one line per step of a container's life on stderr, with the time since
//! runlet started, so a slow start shows where the time went.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

static DEBUG: AtomicBool = AtomicBool::new(false);
static START: OnceLock<Instant> = OnceLock::new();

pub fn enable_debug() {
    START.get_or_init(Instant::now);
    DEBUG.store(true, Ordering::Relaxed);
}

pub fn debug_enabled() -> bool {
    DEBUG.load(Ordering::Relaxed)
}

pub fn emit(args: std::fmt::Arguments<'_>) {
    // Integer arithmetic: float formatting would add 20 KiB to the binary.
    let us = START.get().map_or(0, |t| t.elapsed().as_micros());
    // One write per line (eprintln! writes each piece): a line never interleaves with
    // another process's, and a test can stop runlet at exactly one line
    // (tests/src/faults.rs reads stderr one write at a time).
    let line = format!(
        "runlet: debug: {:4}.{:03} ms  {args}\n",
        us / 1000,
        us % 1000
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
}

/// `debug!("made {} cgroups", n)`: a line on stderr under `--debug`, nothing otherwise.
#[macro_export]
macro_rules! debug {
    ($($t:tt)*) => {
        if $crate::os::log::debug_enabled() {
            $crate::os::log::emit(format_args!($($t)*))
        }
    };
}
