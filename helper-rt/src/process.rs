//! The container process's own settings: rlimits, user and groups, capabilities,
//! no_new_privs, the executable's path.

use crate::fail::{fail, Context, Failure, Msg};
use rustix::fs::{access, stat, Access, FileType};
use rustix::io::Errno;
use rustix::process::{
    set_dumpable_behavior, set_parent_process_death_signal, setrlimit, DumpableBehavior, Gid,
    Resource, Rlimit, Signal, Uid,
};
use rustix::thread::{
    configure_capability_in_ambient_set, remove_capability_from_bounding_set, set_capabilities,
    set_keep_capabilities, set_no_new_privs, set_thread_groups, set_thread_res_gid,
    set_thread_res_uid, CapabilitySet, CapabilitySets,
};
use wire::limits::MAX_GROUPS;
use wire::{Caps, Process};

use crate::path::PathBuf;

/// The PATH searched when the process's environment has none (runc's default).
const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// RLIMIT_INFINITY as the parent sends it.
const INFINITY: u64 = u64::MAX;

fn failure_n(what: &[u8], n: u64, errno: Errno) -> Failure {
    let mut msg = Msg::new();
    msg.push(what).push_u64(n);
    Failure {
        msg,
        errno: errno.raw_os_error() as u32,
    }
}

fn resource(n: u32) -> Option<Resource> {
    use Resource::*;
    Some(match n {
        0 => Cpu,
        1 => Fsize,
        2 => Data,
        3 => Stack,
        4 => Core,
        5 => Rss,
        6 => Nproc,
        7 => Nofile,
        8 => Memlock,
        9 => As,
        10 => Locks,
        11 => Sigpending,
        12 => Msgqueue,
        13 => Nice,
        14 => Rtprio,
        15 => Rttime,
        _ => return None,
    })
}

pub fn set_rlimits(p: &Process<'_>) -> Result<(), Failure> {
    let lim = |v: u64| (v != INFINITY).then_some(v);
    for r in p.rlimits() {
        let res = resource(r.resource).ok_or_else(|| {
            failure_n(
                b"setrlimit: unknown resource ",
                r.resource.into(),
                Errno::INVAL,
            )
        })?;
        let new = Rlimit {
            current: lim(r.soft),
            maximum: lim(r.hard),
        };
        setrlimit(res, new).map_err(|e| failure_n(b"setrlimit resource ", r.resource.into(), e))?;
    }
    Ok(())
}

/// Groups, gid and uid, and the capabilities around the switch. The bounding set is
/// cut first (that needs CAP_SETPCAP, which a non-root uid loses), PR_SET_KEEPCAPS
/// keeps the permitted set across setresuid, then the sets are set exactly.
pub fn switch_user(p: &Process<'_>) -> Result<(), Failure> {
    change_user(p, true)
}

/// `switch_user` for a process that must outlive its parent (the child of
/// runlet-exec, orphaned on purpose): the parent-death signal a changed uid clears
/// stays off, since it would survive the execve too.
pub fn switch_user_orphan(p: &Process<'_>) -> Result<(), Failure> {
    change_user(p, false)
}

fn change_user(p: &Process<'_>, rearm_pdeathsig: bool) -> Result<(), Failure> {
    if p.uid == u32::MAX || p.gid == u32::MAX {
        return Err(fail(&[b"uid or gid 4294967295 (-1) is not a user"], None));
    }
    if let Some(c) = p.caps {
        drop_bounding(c.bounding)?;
    }
    let mut groups = heapless::Vec::<Gid, MAX_GROUPS>::new();
    for g in p.additional_gids() {
        groups
            .push(Gid::from_raw_unchecked(g))
            .map_err(|_| fail(&[b"too many additional gids"], None))?;
    }
    // Denied in a user namespace whose gid_map an unprivileged runlet wrote: with
    // no groups asked for, there is nothing the namespace would let it set.
    match set_thread_groups(&groups) {
        Err(Errno::PERM) if groups.is_empty() => {}
        r => r.ctx(&[b"setgroups"])?,
    }
    set_keep_capabilities(true).ctx(&[b"set PR_SET_KEEPCAPS"])?;
    let gid = Gid::from_raw_unchecked(p.gid);
    set_thread_res_gid(gid, gid, gid).map_err(|e| failure_n(b"setresgid ", p.gid.into(), e))?;
    let uid = Uid::from_raw_unchecked(p.uid);
    set_thread_res_uid(uid, uid, uid).map_err(|e| failure_n(b"setresuid ", p.uid.into(), e))?;
    set_keep_capabilities(false).ctx(&[b"clear PR_SET_KEEPCAPS"])?;
    if let Some(c) = p.caps {
        apply_caps(c)?;
    }
    // A changed uid/gid resets both: the init still holds host resources until exec.
    if rearm_pdeathsig {
        set_parent_process_death_signal(Some(Signal::KILL)).ctx(&[b"set PR_SET_PDEATHSIG"])?;
    }
    set_dumpable_behavior(DumpableBehavior::NotDumpable).ctx(&[b"set PR_SET_DUMPABLE"])?;
    if p.no_new_privs {
        set_no_new_privs(true).ctx(&[b"set no_new_privs"])?;
    }
    Ok(())
}

fn cap(n: u32) -> CapabilitySet {
    CapabilitySet::from_bits_retain(1 << n)
}

fn drop_bounding(keep: u64) -> Result<(), Failure> {
    for n in 0..64 {
        if keep & (1 << n) != 0 {
            continue;
        }
        match remove_capability_from_bounding_set(cap(n)) {
            Ok(()) => {}
            // Past the kernel's last capability.
            Err(Errno::INVAL) => break,
            Err(e) => {
                return Err(failure_n(
                    b"drop from bounding set capability ",
                    n.into(),
                    e,
                ))
            }
        }
    }
    Ok(())
}

fn apply_caps(c: Caps) -> Result<(), Failure> {
    set_capabilities(
        None,
        CapabilitySets {
            effective: CapabilitySet::from_bits_retain(c.effective),
            permitted: CapabilitySet::from_bits_retain(c.permitted),
            inheritable: CapabilitySet::from_bits_retain(c.inheritable),
        },
    )
    .ctx(&[b"capset"])?;
    // The kernel admits an ambient capability only when it is permitted and
    // inheritable; like runc, others are left out rather than failing the start
    // (`runc spec` lists ambient capabilities without inheritable ones).
    let ambient = c.ambient & c.permitted & c.inheritable;
    for n in 0..64 {
        if ambient & (1 << n) != 0 {
            configure_capability_in_ambient_set(cap(n), true)
                .map_err(|e| failure_n(b"raise ambient capability ", n.into(), e))?;
        }
    }
    Ok(())
}

/// Fills `out` with pointers to `strings` and a final NULL: an argv or envp for
/// execve, pointing into the received frame.
pub fn fill_pointers<'a, const N: usize>(
    out: &mut heapless::Vec<*const core::ffi::c_char, N>,
    strings: impl Iterator<Item = &'a core::ffi::CStr>,
) -> Result<(), Failure> {
    for s in strings
        .map(core::ffi::CStr::as_ptr)
        .chain(core::iter::once(core::ptr::null()))
    {
        out.push(s)
            .map_err(|_| fail(&[b"too many args or env entries"], None))?;
    }
    Ok(())
}

/// The file `args[0]` names: itself when it has a '/', else the first executable
/// regular file of that name in the process's PATH. Done before `Ready`, so a missing
/// program is an error of `create`, not a silent exit after `start`.
pub fn find_executable(p: &Process<'_>) -> Result<PathBuf, Failure> {
    let arg0 = p.args().next().map_or(&b""[..], |a| a.to_bytes());
    if arg0.contains(&b'/') {
        let exe = PathBuf::from_parts(&[arg0])?;
        check(&exe).ctx(&[b"exec ", arg0])?;
        return Ok(exe);
    }
    let path = p
        .env()
        .find_map(|e| e.to_bytes().strip_prefix(b"PATH="))
        .unwrap_or(DEFAULT_PATH);
    let mut err = Errno::NOENT;
    if !arg0.is_empty() {
        for dir in path.split(|&b| b == b':') {
            let dir = if dir.is_empty() { &b"."[..] } else { dir };
            let Ok(exe) = PathBuf::from_parts(&[dir, b"/", arg0]) else {
                continue;
            };
            match check(&exe) {
                Ok(()) => return Ok(exe),
                Err(Errno::ACCESS) => err = Errno::ACCESS,
                Err(_) => {}
            }
        }
    }
    Err(fail(&[b"exec ", arg0], Some(err)))
}

/// A regular file this process may execute.
fn check(exe: &PathBuf) -> Result<(), Errno> {
    let st = stat(exe.as_cstr())?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(Errno::ACCESS);
    }
    access(exe.as_cstr(), Access::EXEC_OK)
}

#[cfg(test)]
mod tests;
