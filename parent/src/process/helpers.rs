//! The helpers `runlet` runs, embedded in its own file and run from sealed memfds:
//! one file to ship, and no host binary a container could reach through
//! /proc/<pid>/exe and overwrite (the CVE-2019-5736 class).

use std::ffi::CStr;
use std::fs::File;
use std::io::Write;
use std::os::fd::OwnedFd;

use rustix::fs::{fcntl_add_seals, memfd_create, MemfdFlags, SealFlags};

use crate::error::{Error, Result};

static INIT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/runlet-init"));
static EXEC: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/runlet-exec"));

/// The name of runlet-init's memfd: `/proc/<pid>/exe` of an init that has not
/// exec'd the container's program yet is `/memfd:runlet-init (deleted)`.
pub const INIT_MEMFD_NAME: &str = "runlet-init";

/// Which helper.
#[derive(Clone, Copy)]
pub enum Helper {
    Init,
    Exec,
}

impl Helper {
    pub fn name(self) -> &'static str {
        match self {
            Helper::Init => INIT_MEMFD_NAME,
            Helper::Exec => "runlet-exec",
        }
    }

    /// The name as the helper's argv[0].
    pub fn argv0(self) -> &'static CStr {
        match self {
            Helper::Init => c"runlet-init",
            Helper::Exec => c"runlet-exec",
        }
    }

    /// What the running helper is called in messages ("signal init 42").
    pub fn what(self) -> &'static str {
        match self {
            Helper::Init => "init",
            Helper::Exec => "runlet-exec",
        }
    }

    fn embedded(self) -> &'static [u8] {
        match self {
            Helper::Init => INIT,
            Helper::Exec => EXEC,
        }
    }
}

/// A sealed, close-on-exec memfd holding the helper, ready for execveat.
pub fn memfd(h: Helper) -> Result<OwnedFd> {
    let owned = override_file(h)?;
    let bytes: &[u8] = owned.as_deref().unwrap_or(h.embedded());
    if bytes.is_empty() {
        return Err(Error::msg(format!(
            "this runlet was built without {}; build it with `make`{}",
            h.name(),
            if cfg!(debug_assertions) {
                " (or set RUNLET_HELPER_DIR)"
            } else {
                ""
            }
        )));
    }
    let fd = memfd_create(h.name(), MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)
        .map_err(|e| Error::sys("memfd_create", e))?;
    let mut f = File::from(fd);
    f.write_all(bytes)
        .map_err(|e| Error::sys("write helper memfd", e))?;
    let seals = SealFlags::SEAL | SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE;
    fcntl_add_seals(&f, seals).map_err(|e| Error::sys("seal helper memfd", e))?;
    Ok(f.into())
}

/// Debug builds only: `RUNLET_HELPER_DIR` names a directory whose helper files are
/// run instead of the embedded ones (a helper rebuilt without relinking runlet, or
/// the reliability suite's fake helper that cuts a frame short; docs/testing.md).
/// A release runlet runs only what it embeds: a stray variable must not swap the
/// sealed helpers for files on the host (docs/decisions.md).
fn override_file(h: Helper) -> Result<Option<Vec<u8>>> {
    let Some(dir) = std::env::var_os("RUNLET_HELPER_DIR") else {
        return Ok(None);
    };
    if !cfg!(debug_assertions) {
        crate::debug!("RUNLET_HELPER_DIR ignored: a release runlet runs only its embedded helpers");
        return Ok(None);
    }
    let p = std::path::Path::new(&dir).join(h.name());
    crate::debug!("{} from {} (RUNLET_HELPER_DIR)", h.name(), p.display());
    std::fs::read(&p)
        .map(Some)
        .map_err(|e| Error::io("read helper", &p, e))
}
