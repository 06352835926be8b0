//! Per-container state under `--root`: the directory (mode 0700), its lock, its
//! `state.json`, the exec FIFO. IDs are checked so that they cannot name anything
//! outside the root. Every command that acts on a container holds the directory's
//! lock (flock) while it does, so two commands on one ID cannot interleave.

mod record;
mod saved;
mod status;

use std::fs;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{flock, mkfifoat, open, FlockOperation, Mode, OFlags, CWD};

use crate::error::{Error, Kind, Result};

pub use record::Record;
pub use saved::Saved;
pub use status::{Live, Status};

pub const DEFAULT_ROOT: &str = "/run/runlet";
pub const EXEC_FIFO: &str = "exec.fifo";
const STATE_FILE: &str = "state.json";
/// How long a command waits for another one on the same container to finish.
const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// `[A-Za-z0-9][A-Za-z0-9_.-]*`, at most 1024 bytes: no '/', no "..", no leading dot.
pub fn check_id(id: &str) -> Result<()> {
    let ok_first = id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
    let ok_rest = id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !ok_first || !ok_rest || id.len() > 1024 {
        return Err(Error::msg(format!(
            "invalid container id {id:?}: it must match [A-Za-z0-9][A-Za-z0-9_.-]* (at most 1024 bytes)"
        )));
    }
    Ok(())
}

/// The error for an ID with no state directory (containerd matches "does not exist").
pub fn not_found(id: &str) -> Error {
    Error::of(Kind::NotFound, format!("container {id} does not exist"))
}

/// A container's state directory, locked. One made by `create` is removed on drop
/// unless `keep` was called; one opened by another command never is.
pub struct StateDir {
    pub dir: PathBuf,
    lock: Option<OwnedFd>,
    remove_on_drop: bool,
}

impl StateDir {
    /// Creates `<root>/<id>` (mode 0700) and locks it. An existing one means the ID
    /// is taken: of two concurrent creates, mkdir lets exactly one win.
    pub fn create(root: &Path, id: &str) -> Result<StateDir> {
        check_id(id)?;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o711)
            .create(root)
            .map_err(|e| Error::io("mkdir", root, e))?;
        let dir = root.join(id);
        match fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(Error::of(
                    Kind::Exists,
                    format!(
                        "container {id} already exists (container ID already exists; state in {})",
                        dir.display()
                    ),
                ))
            }
            Err(e) => return Err(Error::io("mkdir", &dir, e)),
        }
        // Nobody else can hold the lock yet: the directory is ours since the mkdir.
        let lock = lock_dir(&dir).inspect_err(|_| {
            let _ = fs::remove_dir(&dir);
        })?;
        Ok(StateDir {
            dir,
            lock: Some(lock),
            remove_on_drop: true,
        })
    }

    /// Opens and locks an existing container's directory, waiting (with a deadline)
    /// while another command holds it.
    pub fn open(root: &Path, id: &str) -> Result<StateDir> {
        check_id(id)?;
        let dir = root.join(id);
        let lock = match lock_dir(&dir) {
            Err(e) if e.is_errno(linux_raw_sys::errno::ENOENT) => return Err(not_found(id)),
            other => other?,
        };
        // A create that failed removed the directory while we waited for its lock.
        if !dir.join(STATE_FILE).exists() && !dir.exists() {
            return Err(not_found(id));
        }
        Ok(StateDir {
            dir,
            lock: Some(lock),
            remove_on_drop: false,
        })
    }

    /// Lets other commands at the container while this one waits on it (`run` in the
    /// foreground: `state`, `kill`, `exec` must work meanwhile).
    pub fn unlock(&mut self) {
        self.lock = None;
    }

    /// Takes the lock again (to tear the container down).
    pub fn relock(&mut self) -> Result<()> {
        if self.lock.is_none() {
            self.lock = Some(lock_dir(&self.dir)?);
        }
        Ok(())
    }

    /// The container outlives this command: leave the directory in place.
    pub fn keep(&mut self) {
        self.remove_on_drop = false;
    }

    /// Makes the exec FIFO and opens it read-write: the init blocks reading it until
    /// `start` (or `run`) writes one byte. Read-write so neither side's open blocks.
    pub fn exec_fifo(&self) -> Result<OwnedFd> {
        let p = self.fifo_path();
        mkfifoat(CWD, &p, Mode::from_raw_mode(0o600))
            .map_err(|e| Error::io("mkfifo", &p, e.into()))?;
        open(&p, OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| Error::io("open", &p, e.into()))
    }

    pub fn fifo_path(&self) -> PathBuf {
        self.dir.join(EXEC_FIFO)
    }

    /// Marks the container started: the exec FIFO goes, as runc's `start` removes it.
    pub fn started(&self) -> Result<()> {
        let p = self.fifo_path();
        fs::remove_file(&p).map_err(|e| Error::io("remove", &p, e))
    }

    /// Writes state.json atomically (a temporary file renamed over it), after the
    /// redundant record `delete --force` falls back on (record.rs).
    pub fn write(&self, s: &Saved) -> Result<()> {
        Record::of(s).write(&self.dir)?;
        let tmp = self.dir.join(".state.json.tmp");
        let path = self.dir.join(STATE_FILE);
        let text = miniserde::json::to_string(s);
        let write = || -> io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| Error::io("write", &path, e))
    }

    /// Reads state.json. A directory without one is a create that was cut short
    /// (runlet killed): reported as such, so `delete` can still remove it.
    pub fn load(&self) -> Result<Saved> {
        Saved::read(&self.dir.join(STATE_FILE)).map_err(|e| match e.kind() {
            Kind::Sys if e.is_errno(linux_raw_sys::errno::ENOENT) => {
                Error::of(Kind::Incomplete, e.as_str())
            }
            _ => e,
        })
    }

    /// Removes the directory and what is in it.
    pub fn remove(&mut self) -> Result<()> {
        self.remove_on_drop = false;
        match fs::remove_dir_all(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("remove", &self.dir, e)),
        }
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        if self.remove_on_drop {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// An exclusive flock on the directory, waited for up to LOCK_TIMEOUT.
fn lock_dir(dir: &Path) -> Result<OwnedFd> {
    let fd = open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::io("open", dir, e.into()))?;
    let deadline = Instant::now() + LOCK_TIMEOUT;
    loop {
        match flock(&fd, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(fd),
            Err(rustix::io::Errno::WOULDBLOCK) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(rustix::io::Errno::WOULDBLOCK) => {
                return Err(Error::msg(format!(
                    "{}: another runlet command has held this container's lock for {}s",
                    dir.display(),
                    LOCK_TIMEOUT.as_secs()
                )))
            }
            Err(e) => return Err(Error::io("flock", dir, e.into())),
        }
    }
}

/// The IDs with a state directory under `root`, sorted.
pub fn list_ids(root: &Path) -> Result<Vec<String>> {
    let entries = match fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("read directory", root, e)),
    };
    let mut ids: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|id| check_id(id).is_ok())
        .collect();
    ids.sort();
    Ok(ids)
}

/// Reads a container's state.json without taking its lock (for `list`, as runc's).
pub fn peek(root: &Path, id: &str) -> Result<Saved> {
    check_id(id)?;
    Saved::read(&root.join(id).join(STATE_FILE))
}

#[cfg(test)]
mod tests;
