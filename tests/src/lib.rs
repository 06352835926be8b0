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
pub mod machine;
pub mod podman;
pub mod report;
pub mod spec;
pub mod sys;
pub mod userns;

pub use harness::{Fixture, Outcome, Running};
pub use report::{MountFact, Report};
pub use spec::{Capabilities, Mount, Namespace, Rlimit, Spec};

/// The target triple runlet is built for on this test host's architecture (the
/// Makefile's TARGET for it): where `target/<triple>/release` holds its binaries.
pub fn host_triple() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-musl",
        "arm" => "armv7-unknown-linux-musleabihf",
        "riscv64" => "riscv64gc-unknown-linux-musl",
        _ => "x86_64-unknown-linux-musl",
    }
}
