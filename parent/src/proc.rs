//! What /proc says about a process.

use crate::error::{Error, Result};

/// Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot, which
/// tells a live container from a process that reused its pid.
pub fn start_time(pid: i32) -> Result<u64> {
    let p = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&p).map_err(|e| Error::io("read", &p, e))?;
    parse_start_time(&text).ok_or_else(|| Error::msg(format!("{p}: no start time field")))
}

fn parse_start_time(stat: &str) -> Option<u64> {
    // The command name may hold spaces and parentheses: count from the last ')'.
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(19)?.parse().ok()
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
        assert_eq!(parse_start_time(stat), Some(777));
        assert_eq!(parse_start_time("42 (x"), None);
        assert!(start_time(std::process::id() as i32).unwrap() > 0);
    }
}
