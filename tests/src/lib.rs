//! Test support for runlet: the OCI config model and bundle writer (also used by
//! the `mkbundle` tool), the parser of the probe's report, and the harness that
//! runs real containers with a deadline and checks that nothing leaked.
//! std only. See docs/testing.md.

pub mod aftermath;
pub mod bundle;
pub mod clients;
pub mod console;
pub mod faults;
pub mod guest;
pub mod harness;
pub mod hooks;
pub mod initramfs;
pub mod podman;
pub mod report;
pub mod spec;
pub mod sys;
pub mod userns;

pub use harness::{Fixture, Outcome, Running};
pub use report::{MountFact, Report};
pub use spec::{Capabilities, Mount, Namespace, Rlimit, Spec};
