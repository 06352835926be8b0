//! The sync protocol between `runlet` and its helpers.
//!
//! A frame is `u32 LE length | u8 kind | body`; the length counts kind and body.
//! A body is a flat list of fields `u16 LE tag | u32 LE len | bytes`. Strings carry
//! their trailing NUL so a helper can hand them to the kernel in place. This crate is
//! the only code that encodes or decodes frames; docs/protocol.md describes them.
//! It also holds the one rtnetlink encoder (`netlink`), which both the parent and
//! runlet-init build their requests with.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(any(feature = "alloc", test))]
extern crate alloc;
#[cfg(test)]
extern crate std;

mod bootstrap;
mod encode;
mod error;
mod exec;
mod fields;
mod frame;
mod hooks;
pub mod limits;
mod messages;
mod net;
pub mod netlink;
mod process;
pub mod tag;

pub use bootstrap::{Bootstrap, Device, Mount, MountKind, SharedMount, Sysctl};
pub use encode::{empty_frame, ArraySink, Encoder, Sink, SliceSink};
pub use error::WireError;
pub use exec::ExecProcess;
pub use fields::{Field, Fields};
pub use frame::{parse_header, FrameKind, HEADER_LEN};
pub use hooks::{Hook, HookWhen};
pub use messages::{ErrorReport, ExecPid};
pub use net::{Ip, IpNet, Veth};
pub use process::{Caps, Process, Rlimit, Seccomp};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_hooks;
#[cfg(test)]
mod tests_netlink;
#[cfg(test)]
mod tests_seccomp;
#[cfg(test)]
mod tests_terminal;
