//! Per-container state under `--root`: the directory, its `state.json`, the exec FIFO.
//! IDs are checked so that they cannot name anything outside the root.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use miniserde::json::{self, Value};
use rustix::fs::{mkfifoat, open, Mode, OFlags, CWD};

use crate::error::{Error, Result};

pub const DEFAULT_ROOT: &str = "/run/runlet";
const EXEC_FIFO: &str = "exec.fifo";
const STATE_FILE: &str = "state.json";

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

/// A container's state directory. Removed on drop unless `keep` was called.
pub struct StateDir {
    pub dir: PathBuf,
    keep: bool,
}

/// What `state.json` records: the OCI state plus what runlet needs to find the
/// container again (start time against pid reuse, cgroup paths).
pub struct Record<'a> {
    pub oci_version: &'a str,
    pub id: &'a str,
    pub status: &'a str,
    pub pid: i32,
    pub bundle: &'a Path,
    pub annotations: &'a BTreeMap<String, String>,
    pub start_time: u64,
    pub cgroup_paths: &'a [PathBuf],
    pub stdio: &'a [String],
}

impl StateDir {
    /// Creates `<root>/<id>` (mode 0700). An existing one means the ID is taken.
    pub fn create(root: &Path, id: &str) -> Result<StateDir> {
        check_id(id)?;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o711)
            .create(root)
            .map_err(|e| Error::io("mkdir", root, e))?;
        let dir = root.join(id);
        match fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => Ok(StateDir { dir, keep: false }),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::msg(format!(
                "container {id} already exists (state in {})",
                dir.display()
            ))),
            Err(e) => Err(Error::io("mkdir", &dir, e)),
        }
    }

    /// Makes the exec FIFO and opens it read-write: the init blocks reading it until
    /// `start` (or `run`) writes one byte. Read-write so neither side's open blocks.
    pub fn exec_fifo(&self) -> Result<OwnedFd> {
        let p = self.dir.join(EXEC_FIFO);
        mkfifoat(CWD, &p, Mode::from_raw_mode(0o600))
            .map_err(|e| Error::io("mkfifo", &p, e.into()))?;
        open(&p, OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| Error::io("open", &p, e.into()))
    }

    /// Marks the container started: the exec FIFO goes, as runc's `start` removes it.
    pub fn started(&self) -> Result<()> {
        let p = self.dir.join(EXEC_FIFO);
        fs::remove_file(&p).map_err(|e| Error::io("remove", &p, e))
    }

    /// Writes state.json atomically (a temporary file renamed over it).
    pub fn write(&self, r: &Record<'_>) -> Result<()> {
        let tmp = self.dir.join(".state.json.tmp");
        let path = self.dir.join(STATE_FILE);
        let text = render(r);
        let write = || -> io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| Error::io("write", &path, e))
    }

    /// Removes the directory and what is in it.
    pub fn remove(&mut self) -> Result<()> {
        self.keep = true;
        match fs::remove_dir_all(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("remove", &self.dir, e)),
        }
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn render(r: &Record<'_>) -> String {
    let mut m = json::Object::new();
    let s = |v: &str| Value::String(v.to_string());
    m.insert("ociVersion".into(), s(r.oci_version));
    m.insert("id".into(), s(r.id));
    m.insert("status".into(), s(r.status));
    m.insert("pid".into(), Value::Number(json::Number::I64(r.pid.into())));
    m.insert("bundle".into(), s(&r.bundle.to_string_lossy()));
    let mut ann = json::Object::new();
    for (k, v) in r.annotations {
        ann.insert(k.clone(), s(v));
    }
    m.insert("annotations".into(), Value::Object(ann));
    m.insert(
        "runletStartTime".into(),
        Value::Number(json::Number::U64(r.start_time)),
    );
    let list = |v: Vec<String>| Value::Array(v.into_iter().map(Value::String).collect());
    m.insert(
        "runletCgroupPaths".into(),
        list(
            r.cgroup_paths
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
        ),
    );
    m.insert("runletStdio".into(), list(r.stdio.to_vec()));
    json::to_string(&Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_escape_the_root() {
        for bad in [
            "", ".", "..", "../x", "a/b", ".hidden", "-x", "a b", "a\0b", "é",
        ] {
            assert!(check_id(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["a", "web-1", "A.b_c-9", "0"] {
            check_id(good).unwrap();
        }
        assert!(check_id(&"a".repeat(1025)).is_err());
    }

    #[test]
    fn state_dir_refuses_duplicates_and_cleans_up() {
        let root = std::env::temp_dir().join(format!("runlet-state-test-{}", std::process::id()));
        let a = StateDir::create(&root, "x").unwrap();
        let e = StateDir::create(&root, "x").err().unwrap();
        assert!(e.to_string().contains("container x already exists"), "{e}");
        let _fifo = a.exec_fifo().unwrap();
        let ann = BTreeMap::new();
        let rec = Record {
            oci_version: "1.0.2",
            id: "x",
            status: "created",
            pid: 42,
            bundle: Path::new("/b"),
            annotations: &ann,
            start_time: 7,
            cgroup_paths: &[],
            stdio: &[],
        };
        a.write(&rec).unwrap();
        let text = fs::read_to_string(a.dir.join(STATE_FILE)).unwrap();
        assert!(
            text.contains(r#""status":"created""#) && text.contains(r#""pid":42"#),
            "{text}"
        );
        let dir = a.dir.clone();
        drop(a);
        assert!(!dir.exists());
        fs::remove_dir(&root).unwrap();
    }
}
