//! Processes runlet starts and holds: the helpers embedded in runlet (`helpers`),
//! their birth by clone3 (`spawn`), the sync socket to them (`channel`), a running
//! init reached by a later command (`handle`), the caller's fds passed on (`fds`),
//! signal names (`signals`), what /proc says about a process (`proc`) and the
//! `--pid-file` a caller reads (`pid_file`).

pub mod channel;
pub mod fds;
pub mod handle;
pub mod helpers;
pub mod pid_file;
pub mod proc;
pub mod signals;
pub mod spawn;
