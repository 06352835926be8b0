//! What /proc says about a process.

use crate::error::{Error, Result};

/// The fields of /proc/<pid>/stat runlet uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Field 3: R, S, D, Z (zombie), X (dead), ...
    pub state: char,
    /// Field 22: the start time in clock ticks since boot, which tells a live
    /// container from a process that reused its pid.
    pub start_time: u64,
}

pub fn stat(pid: i32) -> Result<Stat> {
    let p = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&p).map_err(|e| Error::io("read", &p, e))?;
    parse_stat(&text).ok_or_else(|| Error::msg(format!("{p}: unexpected format")))
}

/// `stat` of process `pid` through its already open /proc/<pid> directory `dir`
/// (fails once it is gone, even if the pid is reused).
pub fn stat_at(dir: std::os::fd::BorrowedFd<'_>, pid: i32) -> Result<Stat> {
    use rustix::fs::{openat, Mode, OFlags};
    let p = format!("/proc/{pid}/stat");
    let fd = openat(dir, "stat", OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| Error::io("open", &p, e.into()))?;
    let text =
        std::io::read_to_string(std::fs::File::from(fd)).map_err(|e| Error::io("read", &p, e))?;
    parse_stat(&text).ok_or_else(|| Error::msg(format!("{p}: unexpected format")))
}

pub fn start_time(pid: i32) -> Result<u64> {
    stat(pid).map(|s| s.start_time)
}

fn parse_stat(stat: &str) -> Option<Stat> {
    // The command name may hold spaces and parentheses: count from the last ')'.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let state = fields.next()?.chars().next()?;
    Some(Stat {
        state,
        start_time: fields.nth(18)?.parse().ok()?,
    })
}

/// The container's init `pid` is still alive: the process that `create` started.
pub fn init_alive(pid: i32, start_time: u64) -> bool {
    pid > 0 && matches!(stat(pid), Ok(s) if is_the_init(&s, start_time))
}

/// A process is still the container's init when it started at the saved time (else
/// its pid was reused) and has not exited (a zombie, or dead, is stopped).
pub fn is_the_init(s: &Stat, start_time: u64) -> bool {
    s.start_time == start_time && s.state != 'Z' && s.state != 'X'
}

/// The command line of a process, NULs as spaces ("" once it is gone).
pub fn cmdline(pid: i32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let text = String::from_utf8_lossy(&raw);
    text.trim_end_matches('\0').replace('\0', " ")
}

/// The user name of `uid` from /etc/passwd (runc's `owner`); "" when it has none.
pub fn user_name(uid: u32) -> String {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            (f.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
        })
        .next()
        .unwrap_or_default()
}

/// Where a process's stdin, stdout and stderr point, recorded before the container
/// can change them.
pub fn stdio_targets(pid: i32) -> Vec<String> {
    (0..3)
        .map(|i| {
            std::fs::read_link(format!("/proc/{pid}/fd/{i}"))
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_counts_from_the_last_parenthesis() {
        let stat = "42 (a) b) (c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 777 1000 10";
        assert_eq!(
            parse_stat(stat),
            Some(Stat {
                state: 'S',
                start_time: 777
            })
        );
        assert_eq!(parse_stat("42 (x"), None);
        assert!(start_time(std::process::id() as i32).unwrap() > 0);
    }
}
