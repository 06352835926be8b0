//! The `Process` frame as `runlet exec` sends it: the process fields, plus what only
//! joining a running container needs (tags 120–129).

use core::ffi::CStr;

use crate::error::WireError;
use crate::fields::{count, Fields, Seen};
use crate::limits::MAX_CGROUP_TASKS;
use crate::process::{strings, Process, ProcessDecoder};
use crate::tag;

const KIND: &str = "Process";

/// A decoded exec request. Repeated fields are read in place from the body.
#[derive(Clone)]
pub struct ExecProcess<'a> {
    body: &'a [u8],
    pub process: Process<'a>,
    /// The child waits for `Resume` (runlet places it in the cgroup2 hierarchy).
    pub wait_resume: bool,
}

impl<'a> ExecProcess<'a> {
    /// Checks every field so the accessors cannot fail.
    pub fn decode(body: &'a [u8]) -> Result<Self, WireError> {
        let mut d = ProcessDecoder::default();
        let mut tasks = 0;
        let mut seen = Seen::default();
        let mut wait_resume = false;
        for f in Fields::new(body) {
            let f = f?;
            if d.accept(KIND, &f)? {
                continue;
            }
            match f.tag {
                tag::EXEC_CGROUP_TASKS => {
                    count(&mut tasks, f.tag, MAX_CGROUP_TASKS)?;
                    if f.cstr()?.to_bytes().first() != Some(&b'/') {
                        return Err(WireError::BadValue { tag: f.tag });
                    }
                }
                tag::EXEC_WAIT_RESUME => {
                    seen.once(KIND, f.tag)?;
                    wait_resume = f.flag()?;
                }
                t => return Err(WireError::UnknownTag { kind: KIND, tag: t }),
            }
        }
        Ok(ExecProcess {
            body,
            process: d.finish(KIND, body)?,
            wait_resume,
        })
    }

    /// The v1 `tasks` files (host paths) the helper enters itself before it joins.
    pub fn cgroup_tasks(&self) -> impl Iterator<Item = &'a CStr> + 'a {
        strings(self.body, tag::EXEC_CGROUP_TASKS)
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;
    use crate::{Encoder, FrameKind, HEADER_LEN};

    fn base() -> Encoder<Vec<u8>> {
        let mut e = Encoder::new(Vec::new(), FrameKind::Process).unwrap();
        e.str(tag::ARG, b"/probe")
            .unwrap()
            .str(tag::CWD, b"/")
            .unwrap();
        e.u32(tag::UID, 0).unwrap().u32(tag::GID, 0).unwrap();
        e
    }

    #[test]
    fn round_trip_with_tasks_files() {
        let mut e = base();
        e.str(tag::EXEC_CGROUP_TASKS, b"/sys/fs/cgroup/cpu/x/tasks")
            .unwrap();
        e.str(tag::EXEC_CGROUP_TASKS, b"/sys/fs/cgroup/pids/x/tasks")
            .unwrap();
        let f = e.finish().unwrap();
        let x = ExecProcess::decode(&f[HEADER_LEN..]).unwrap();
        assert_eq!(x.process.args().count(), 1);
        assert!(!x.wait_resume);
        let t: Vec<&CStr> = x.cgroup_tasks().collect();
        assert_eq!(
            t,
            [
                c"/sys/fs/cgroup/cpu/x/tasks",
                c"/sys/fs/cgroup/pids/x/tasks"
            ]
        );
        // Plain `Process` frames decode too, with no files.
        let mut e = base();
        e.flag(tag::EXEC_WAIT_RESUME, true).unwrap();
        let f = e.finish().unwrap();
        let x = ExecProcess::decode(&f[HEADER_LEN..]).unwrap();
        assert_eq!(x.cgroup_tasks().count(), 0);
        assert!(x.wait_resume);
    }

    #[test]
    fn bad_tasks_fields_are_refused() {
        let mut e = base();
        e.str(tag::EXEC_CGROUP_TASKS, b"relative/tasks").unwrap();
        let f = e.finish().unwrap();
        assert_eq!(
            ExecProcess::decode(&f[HEADER_LEN..]).err(),
            Some(WireError::BadValue {
                tag: tag::EXEC_CGROUP_TASKS
            })
        );
        let mut e = base();
        for _ in 0..=MAX_CGROUP_TASKS {
            e.str(tag::EXEC_CGROUP_TASKS, b"/t").unwrap();
        }
        let f = e.finish().unwrap();
        assert!(matches!(
            ExecProcess::decode(&f[HEADER_LEN..]),
            Err(WireError::OverCapacity { .. })
        ));
        let mut e = base();
        e.flag(tag::EXEC_WAIT_RESUME, true).unwrap();
        e.flag(tag::EXEC_WAIT_RESUME, true).unwrap();
        let f = e.finish().unwrap();
        assert!(matches!(
            ExecProcess::decode(&f[HEADER_LEN..]),
            Err(WireError::DuplicateField { .. })
        ));
        let mut e = base();
        e.str(tag::ROOTFS, b"/r").unwrap();
        let f = e.finish().unwrap();
        assert_eq!(
            ExecProcess::decode(&f[HEADER_LEN..]).err(),
            Some(WireError::UnknownTag {
                kind: "Process",
                tag: tag::ROOTFS
            })
        );
    }
}
