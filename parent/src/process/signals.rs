//! Signal names and numbers, as `kill` takes them: `TERM`, `SIGTERM`, `15`,
//! `RTMIN+3`. Numbers are Linux's on x86_64 (and the generic ABI).

use crate::error::{Error, Result};

use std::os::fd::AsFd;

use linux_raw_sys::general as g;

pub const SIGTERM: i32 = g::SIGTERM as i32;
pub const SIGKILL: i32 = g::SIGKILL as i32;
pub const SIGWINCH: i32 = g::SIGWINCH as i32;
/// Signals a foreground `run` or `exec` passes on to the container's process, as
/// runc does for the ones a terminal or a supervisor sends.
pub const FORWARDED: [i32; 6] = [1, 2, 3, 10, 12, 15]; // HUP INT QUIT USR1 USR2 TERM
/// glibc's SIGRTMIN (musl's is the same): the first two real-time signals are
/// reserved by the C library.
const RTMIN: i32 = 34;
const RTMAX: i32 = 64;

const NAMES: [(&str, i32); 33] = [
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("IOT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("POLL", 29),
    ("PWR", 30),
];

/// A signal given by name (any case, with or without `SIG`) or number.
pub fn parse(s: &str) -> Result<i32> {
    let bad = || Error::msg(format!("unknown signal {s:?}"));
    if let Ok(n) = s.parse::<i32>() {
        return if (1..=RTMAX).contains(&n) {
            Ok(n)
        } else {
            Err(bad())
        };
    }
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    if name == "SYS" {
        return Ok(31);
    }
    if let Some(&(_, n)) = NAMES.iter().find(|(k, _)| *k == name) {
        return Ok(n);
    }
    let rt = |base: i32, rest: &str| -> Option<i32> {
        let n = match rest {
            "" => base,
            r if r.starts_with('+') => base + r[1..].parse::<i32>().ok()?,
            r if r.starts_with('-') => base - r[1..].parse::<i32>().ok()?,
            _ => return None,
        };
        (RTMIN..=RTMAX).contains(&n).then_some(n)
    };
    let n = if let Some(rest) = name.strip_prefix("RTMIN") {
        rt(RTMIN, rest)
    } else if let Some(rest) = name.strip_prefix("RTMAX") {
        rt(RTMAX, rest)
    } else {
        None
    };
    n.ok_or_else(bad)
}

/// Every signal waiting on a (non-blocking) signalfd, in order, handed to `each`.
pub fn drain(sigfd: impl AsFd, mut each: impl FnMut(i32)) {
    // struct signalfd_siginfo is 128 bytes; ssi_signo is its first u32.
    let mut buf = [0u8; 128];
    while let Ok(128) = rustix::io::read(sigfd.as_fd(), &mut buf) {
        each(u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as i32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        for (s, n) in [
            ("TERM", 15),
            ("SIGTERM", 15),
            ("sigkill", 9),
            ("9", 9),
            ("USR1", 10),
            ("SIGSYS", 31),
            ("RTMIN", 34),
            ("SIGRTMIN+3", 37),
            ("RTMAX-1", 63),
            ("64", 64),
        ] {
            assert_eq!(parse(s).unwrap(), n, "{s}");
        }
        for bad in [
            "", "0", "65", "-9", "NOPE", "SIG", "RTMIN+31", "RTMAX+1", "TERM ",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
