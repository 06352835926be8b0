//! Embeds the two helper binaries. They are built first, in a cargo invocation of
//! their own (the Makefile does it); this script copies them into OUT_DIR. A build
//! without them (e.g. `cargo test` before `make`) embeds nothing, and `runlet` then
//! says how to build them when it needs one.

use std::path::PathBuf;

// `linker_args`: linker arguments in the form the configured linker takes them.
include!("../helper-rt/link.rs");

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    let dir = helper_dir();
    for name in ["runlet-init", "runlet-exec"] {
        let src = dir.join(name);
        println!("cargo:rerun-if-changed={}", src.display());
        let bytes = std::fs::read(&src).unwrap_or_default();
        std::fs::write(out.join(name), bytes).unwrap();
    }
    // Code, read-only data and data share pages rather than each segment starting on
    // a page of its own: about 12 KiB of padding (docs/decisions.md).
    for arg in linker_args(&["-z", "noseparate-code"]) {
        println!("cargo:rustc-link-arg-bin=runlet={arg}");
    }
    // No unwind tables in a release build: built with panic = "abort", runlet never
    // unwinds; std's panic message still prints (a backtrace with RUST_BACKTRACE set
    // would not). Not in debug builds: the test harness of this binary unwinds.
    let script = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap())
        .join("../helper-rt/no-unwind-tables.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        for arg in linker_args(&["-T", &script.display().to_string()]) {
            println!("cargo:rustc-link-arg-bin=runlet={arg}");
        }
    }
    println!("cargo:rerun-if-env-changed=RUNLET_HELPERS_DIR");
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");
}

fn helper_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("RUNLET_HELPERS_DIR") {
        return PathBuf::from(d);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("../target")
        });
    // The helpers of the target being built: a cross-built runlet must never embed the
    // build machine's.
    target
        .join(std::env::var("TARGET").unwrap())
        .join("release")
}
