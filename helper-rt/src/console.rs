//! The process's terminal (`process.terminal`): a pty of the container's own devpts
//! (its `/dev/ptmx`, opened after pivot_root or chroot), the master sent over the
//! console socket as runc sends it, the slave made the controlling terminal and
//! stdin, stdout and stderr. docs/terminal.md.

use core::mem::MaybeUninit;

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::{dup2, Errno, IoSlice};
use rustix::net::{sendmsg, SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
use rustix::pty::{openpt, unlockpt, OpenptFlags};

use crate::fail::{fail, Context, Failure};
use crate::path::{FdPath, PathBuf};

/// `TIOCGPTN`: the pty's number (`_IOR('T', 0x30, unsigned int)`). rustix reads it
/// only through `ptsname`, which allocates.
const TIOCGPTN: rustix::ioctl::Opcode = 0x8004_5430;

/// The name runc gives the master when it sends it (`/dev/ptmx`); conmon and
/// containerd's shim read it with the fd and ignore it.
const MASTER_NAME: &[u8] = b"/dev/ptmx";

/// Opens the pty, sends its master over `socket`, and makes the slave this process's
/// controlling terminal and stdio. The caller is a session leader without a
/// controlling terminal. With `console_mount`, the slave is also bound over
/// `/dev/console` (runc does so for a container with a mount namespace of its own).
pub fn setup(
    socket: BorrowedFd<'_>,
    size: Option<(u32, u32)>,
    console_mount: bool,
) -> Result<(), Failure> {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
        .ctx(&[b"open /dev/ptmx (the container's devpts)"])?;
    unlockpt(&master).ctx(&[b"unlock pty"])?;
    // SAFETY: TIOCGPTN writes one unsigned int, which the Getter provides.
    let n: u32 =
        unsafe { rustix::ioctl::ioctl(&master, rustix::ioctl::Getter::<TIOCGPTN, u32>::new()) }
            .ctx(&[b"ioctl TIOCGPTN"])?;
    let mut slave_path = PathBuf::from_parts(&[b"/dev/pts/"])?;
    slave_path.push(crate::fail::decimal(n.into(), &mut [0; 20]))?;
    if let Some((rows, cols)) = size {
        let ws = rustix::termios::Winsize {
            ws_row: rows.min(u16::MAX.into()) as u16,
            ws_col: cols.min(u16::MAX.into()) as u16,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        rustix::termios::tcsetwinsize(&master, ws).ctx(&[b"ioctl TIOCSWINSZ"])?;
    }
    // The slave straight from the master (TIOCGPTPEER), not by its /dev/pts path:
    // nothing in the rootfs can put something else at that path (CVE-2025-52565).
    let slave = rustix::pty::ioctl_tiocgptpeer(
        &master,
        OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC,
    )
    .ctx(&[b"open ", slave_path.bytes(), b" (TIOCGPTPEER)"])?;
    if console_mount {
        mount_console(&slave, &slave_path)?;
    }
    send_master(socket, &master)?;
    drop(master);
    for fd in 0..3 {
        // SAFETY: 0, 1 and 2 are replaced in place; nothing else holds them as owned.
        let mut target = unsafe { <OwnedFd as rustix::fd::FromRawFd>::from_raw_fd(fd) };
        let r = dup2(&slave, &mut target);
        core::mem::forget(target);
        r.ctx(&[b"dup2 the pty onto stdio"])?;
    }
    rustix::process::ioctl_tiocsctty(&slave).ctx(&[b"ioctl TIOCSCTTY"])?;
    Ok(())
}

/// `/dev/console` made (an empty file, when missing) and the slave bound over it,
/// from its fd onto the file opened without following links. A rootfs whose
/// /dev/console is a symlink (to /proc/sys/kernel/core_pattern, say) must not get
/// the pty bound over the link's target (CVE-2025-52565): the link is replaced.
fn mount_console(slave: &OwnedFd, name: &PathBuf) -> Result<(), Failure> {
    let target = console_file()?;
    crate::sys::mount(
        Some(FdPath::new(slave).as_cstr()),
        FdPath::new(&target).as_cstr(),
        None,
        rustix::mount::MountFlags::BIND.bits() as u64,
        None,
    )
    .ctx(&[b"bind ", name.bytes(), b" over /dev/console"])
}

/// `/dev/console` as an `O_PATH` fd of a regular file or device: made when
/// missing, a symlink (or anything else) in its place removed first.
fn console_file() -> Result<OwnedFd, Failure> {
    use rustix::fs::{mknodat, open, unlinkat, AtFlags, FileType, CWD};
    let console = c"/dev/console";
    let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let is_file = |fd: &OwnedFd| {
        rustix::fs::fstat(fd).is_ok_and(|st| {
            matches!(
                FileType::from_raw_mode(st.st_mode),
                FileType::RegularFile | FileType::CharacterDevice
            )
        })
    };
    match open(console, flags, Mode::empty()) {
        Ok(fd) if is_file(&fd) => return Ok(fd),
        Ok(_) => unlinkat(CWD, console, AtFlags::empty()).ctx(&[b"remove /dev/console"])?,
        Err(_) => {}
    }
    match mknodat(
        CWD,
        console,
        FileType::RegularFile,
        Mode::from_raw_mode(0o666),
        0,
    ) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(fail(&[b"create /dev/console"], Some(e))),
    }
    match open(console, flags, Mode::empty()) {
        Ok(fd) if is_file(&fd) => Ok(fd),
        r => Err(fail(&[b"open /dev/console"], r.err())),
    }
}

/// The master over the console socket: the name as data, the fd as SCM_RIGHTS.
fn send_master(socket: BorrowedFd<'_>, master: &OwnedFd) -> Result<(), Failure> {
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds = [master.as_fd()];
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(fail(&[b"console socket: control buffer too small"], None));
    }
    let iov = [IoSlice::new(MASTER_NAME)];
    loop {
        match sendmsg(socket, &iov, &mut control, SendFlags::NOSIGNAL) {
            Ok(_) => return Ok(()),
            Err(Errno::INTR) => {}
            Err(e) => {
                return Err(fail(
                    &[b"send the pty master over the console socket"],
                    Some(e),
                ))
            }
        }
    }
}
