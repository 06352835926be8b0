//! Security labels for the next exec, written to the process's own /proc attributes
//! as libapparmor (`aa_change_onexec`) and libselinux (`setexeccon`, `setkeycreatecon`)
//! do: there is no syscall for them. The parent sends a label only where the host's
//! LSM enforces it; a label that LSM refuses (a profile not loaded) is an error.

use core::ffi::CStr;

use rustix::fs::{open, Mode, OFlags};
use rustix::io::{write, Errno};
use wire::Process;

use crate::{fail, Failure};

/// The longest label (the parent checks it against the same limit).
pub const MAX_LABEL: usize = wire::limits::MAX_LABEL;

/// Sets the exec labels of `p`; the next execve (and a fork's) runs under them.
/// Through `/proc`, which must be the host's or the container's own.
pub fn set_exec_labels(p: &Process) -> Result<(), Failure> {
    if let Some(profile) = p.apparmor_profile {
        // Linux 5.8 gave AppArmor a directory of its own (LSM stacking); older
        // kernels have only the shared file.
        let mut buf = [0u8; MAX_LABEL + 5];
        let text = join(&mut buf, b"exec ", profile)?;
        match write_attr(c"/proc/self/attr/apparmor/exec", text) {
            Err(Errno::NOENT) => write_attr(c"/proc/self/attr/exec", text),
            r => r,
        }
        .map_err(|e| {
            fail(
                &[b"set AppArmor profile ", profile.to_bytes(), b" for exec"],
                Some(e),
            )
        })?;
    }
    if let Some(label) = p.selinux_label {
        write_attr(c"/proc/self/attr/exec", label.to_bytes())
            .map_err(|e| fail(&[b"set SELinux exec label ", label.to_bytes()], Some(e)))?;
    }
    Ok(())
}

/// The SELinux label for the keys this process creates (its session keyring), set
/// before it joins a new one.
pub fn set_key_label(p: &Process) -> Result<(), Failure> {
    if let Some(label) = p.selinux_label {
        write_attr(c"/proc/self/attr/keycreate", label.to_bytes()).map_err(|e| {
            fail(
                &[b"set SELinux keycreate label ", label.to_bytes()],
                Some(e),
            )
        })?;
    }
    Ok(())
}

fn join<'b>(buf: &'b mut [u8], prefix: &[u8], label: &CStr) -> Result<&'b [u8], Failure> {
    let l = label.to_bytes();
    let n = prefix.len() + l.len();
    if n > buf.len() {
        return Err(fail(&[b"security label too long"], None));
    }
    buf[..prefix.len()].copy_from_slice(prefix);
    buf[prefix.len()..n].copy_from_slice(l);
    Ok(&buf[..n])
}

/// One write: the LSMs take an attribute only whole, in a single call.
fn write_attr(path: &CStr, value: &[u8]) -> Result<(), Errno> {
    let fd = open(path, OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty())?;
    loop {
        match write(&fd, value) {
            Ok(n) if n == value.len() => return Ok(()),
            Ok(_) => return Err(Errno::IO),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}
