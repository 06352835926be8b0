//! The one "poll until a deadline" loop: every wait in runlet has a deadline, and
//! poll(2) takes a relative timeout, which an interrupted call must recompute.

use std::time::Instant;

use rustix::event::{poll, PollFd, Timespec};
use rustix::io::Errno;

/// Polls `fds` until one of them is ready (`Ok(true)`) or `deadline` passes
/// (`Ok(false)`). An interrupted poll is retried with the time left; `None` waits
/// without a deadline.
pub fn poll_until(fds: &mut [PollFd<'_>], deadline: Option<Instant>) -> Result<bool, Errno> {
    loop {
        let timeout = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Ok(false);
                }
                Some(Timespec {
                    tv_sec: left.as_secs() as i64,
                    tv_nsec: left.subsec_nanos() as i64,
                })
            }
            None => None,
        };
        match poll(fds, timeout.as_ref()) {
            Ok(0) | Err(Errno::INTR) => continue,
            Ok(_) => return Ok(true),
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::event::PollFlags;
    use std::os::unix::net::UnixStream;
    use std::time::Duration;

    #[test]
    fn ready_or_deadline() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut fds = [PollFd::new(&a, PollFlags::IN)];
        let start = Instant::now();
        let soon = Some(start + Duration::from_millis(30));
        assert_eq!(poll_until(&mut fds, soon), Ok(false));
        assert!(start.elapsed() >= Duration::from_millis(30));
        drop(b);
        let mut fds = [PollFd::new(&a, PollFlags::IN)];
        assert_eq!(
            poll_until(&mut fds, soon.map(|t| t + Duration::from_secs(5))),
            Ok(true)
        );
        assert!(!fds[0].revents().is_empty());
    }
}
