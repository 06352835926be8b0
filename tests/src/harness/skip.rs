//! Skipped tests, said and counted. libtest counts a test that returns early as
//! passed, so a skip prints `SKIP <binary>::<test>: <reason>` straight to stderr
//! (past libtest's capture) and, when `RUNLET_SKIP_LOG` names a file, appends that
//! line there; .ci/run counts those lines and subtracts them from "passed".
//!
//! Two kinds: the host lacks a kernel feature ([`host_lacks`], a skip everywhere), or
//! the machine lacks something a CI run provides (root, a package: [`ci_fixable`],
//! a failure under `RUNLET_REQUIRE_ROOT=1`).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

/// Whether skips CI could avoid are failures (`RUNLET_REQUIRE_ROOT=1`, set by .ci/run).
pub fn strict() -> bool {
    std::env::var("RUNLET_REQUIRE_ROOT").as_deref() == Ok("1")
}

/// `<binary>::<test>`: libtest names each test's thread after the test.
fn test_name() -> String {
    let bin = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    // Cargo adds "-<hash>" to a test binary's name.
    let bin = bin
        .rsplit_once('-')
        .map_or(bin.as_str(), |(b, _)| b)
        .to_string();
    let thread = std::thread::current();
    format!("{bin}::{}", thread.name().unwrap_or("?"))
}

fn record(reason: &str) {
    let line = line(reason);
    // One write: a whole line even among parallel tests' output.
    let _ = std::io::stderr().write_all(line.as_bytes());
    if let Some(log) = std::env::var_os("RUNLET_SKIP_LOG") {
        append(Path::new(&log), &line);
    }
}

/// `SKIP <binary>::<test>: <reason>\n`.
fn line(reason: &str) -> String {
    format!("SKIP {}: {reason}\n", test_name())
}

fn append(log: &Path, line: &str) {
    let f = OpenOptions::new().create(true).append(true).open(log);
    if let Ok(mut f) = f {
        let _ = f.write_all(line.as_bytes());
    }
}

/// The host lacks what the test's subject needs (a kernel feature, a hierarchy):
/// printed and counted. Callers check runlet's error for that case where there is one.
pub fn host_lacks(reason: &str) {
    record(reason);
}

/// Something a CI run installs or has (root, a package) is missing: a failure under
/// `RUNLET_REQUIRE_ROOT=1`, else printed and counted.
pub fn ci_fixable(reason: &str) {
    if strict() {
        panic!("{reason}, and RUNLET_REQUIRE_ROOT=1 forbids skipping (.ci/run provides it)");
    }
    record(&format!(
        "{reason} (RUNLET_REQUIRE_ROOT=1 makes this a failure)"
    ));
}

/// Skip the calling test: the host lacks a feature (counted, never a failure).
/// `skip!("no BFQ: {}", path)` returns from the test.
#[macro_export]
macro_rules! skip {
    ($($t:tt)*) => {{
        $crate::harness::skip::host_lacks(&format!($($t)*));
        return;
    }};
}

/// Skip the calling test for a reason CI fixes (a missing package): a failure
/// under `RUNLET_REQUIRE_ROOT=1`. Returns from the test.
#[macro_export]
macro_rules! missing {
    ($($t:tt)*) => {{
        $crate::harness::skip::ci_fixable(&format!($($t)*));
        return;
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_is_one_line_naming_the_test() {
        let log = std::env::temp_dir().join(format!("runlet-skiplog-{}", std::process::id()));
        let _ = std::fs::remove_file(&log);
        append(&log, &line("no BFQ"));
        append(&log, &line("no swap accounting"));
        let text = std::fs::read_to_string(&log).unwrap();
        std::fs::remove_file(&log).unwrap();
        let me = "harness::skip::tests::a_skip_is_one_line_naming_the_test";
        let want = format!(
            "SKIP runlet_tests::{me}: no BFQ\nSKIP runlet_tests::{me}: no swap accounting\n"
        );
        assert_eq!(text, want);
    }
}
