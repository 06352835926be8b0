//! A scenario run in a booted guest (the initramfs harness, `crate::initramfs`) and
//! its serial console read back: the steps `/init` ran (`@@ $ COMMAND`) with what
//! each printed. Shared by tests/initramfs.rs and tests/cgroup_v2_vm.rs.

use std::path::PathBuf;
use std::time::Duration;

use crate::harness::{probe_bin, runlet_bin};
use crate::initramfs::{self, Parts, PACKAGES};
use crate::spec::Spec;

/// Software emulation boots in ~15 s on this project's machines; a loaded CI
/// machine gets ample room.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(240);

/// What is missing of qemu and a kernel to boot (packages .ci/run installs), if any.
pub fn missing_packages() -> Option<String> {
    if initramfs::have_qemu() && initramfs::find_kernel().is_some() {
        return None;
    }
    Some(format!(
        "qemu-system-x86_64 and /boot/vmlinuz-* are needed: apt-get install {} (.ci/run does)",
        PACKAGES.join(" ")
    ))
}

/// Boots an image holding `scenario` and `bundles` (see [`Parts`]) and returns the
/// console; fails the test if the guest did not finish its scenario in time.
/// `init` is the test's `env!("CARGO_BIN_EXE_initramfs-init")`, `probe` its probe.
pub fn run(init: &str, probe: &str, scenario: &str, bundles: &[(&str, Spec)]) -> String {
    run_with(init, probe, scenario, bundles, Vec::new())
}

/// [`run`] with `extra` files in the image: (path, bytes).
pub fn run_with(
    init: &str,
    probe: &str,
    scenario: &str,
    bundles: &[(&str, Spec)],
    extra: Vec<(String, Vec<u8>)>,
) -> String {
    let work = std::env::temp_dir().join(format!("runlet-guest-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let (runlet, probe) = (runlet_bin(), probe_bin(Some(probe)));
    let init = PathBuf::from(init);
    let parts = Parts {
        runlet: &runlet,
        probe: &probe,
        init: &init,
        scenario,
        bundles,
        extra,
    };
    let image = initramfs::build_image(&work, &parts).unwrap();
    let kernel = initramfs::find_kernel().unwrap();
    let b = initramfs::boot(&kernel, &image, BOOT_TIMEOUT, false).unwrap();
    let _ = std::fs::remove_dir_all(&work);
    let c = b.console;
    eprintln!(
        "booted {} ({}) in {:.1} s",
        kernel.display(),
        if b.kvm { "KVM" } else { "TCG" },
        b.elapsed.as_secs_f64()
    );
    assert!(
        !b.timed_out,
        "the guest did not finish in {BOOT_TIMEOUT:?}:\n{c}"
    );
    assert!(
        c.contains("@@ scenario done"),
        "the guest stopped early:\n{c}"
    );
    c
}

/// The console split at `@@ $ COMMAND` lines: (command, lines up to the next one).
pub fn sections(console: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = vec![(String::new(), vec![])];
    for l in console.lines() {
        match l.strip_prefix("@@ $ ") {
            Some(c) => out.push((c.to_string(), vec![])),
            None => out.last_mut().unwrap().1.push(l.to_string()),
        }
    }
    out
}

/// The lines of the first step whose command ends with `cmd_end`.
pub fn section<'a>(all: &'a [(String, Vec<String>)], cmd_end: &str) -> &'a [String] {
    &all.iter()
        .find(|(c, _)| c.ends_with(cmd_end))
        .unwrap_or_else(|| panic!("no step ending {cmd_end:?}"))
        .1
}

/// What follows `key` on each line that starts with it.
pub fn values<'a>(lines: &'a [String], key: &str) -> Vec<&'a str> {
    lines.iter().filter_map(|l| l.strip_prefix(key)).collect()
}

/// What follows `key` on the one line that starts with it.
pub fn one<'a>(lines: &'a [String], key: &str) -> &'a str {
    match values(lines, key).as_slice() {
        [v] => v,
        v => panic!("{key}: {v:?} in\n{}", lines.join("\n")),
    }
}
