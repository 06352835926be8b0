//! `initramfs-demo [WORKDIR]`: builds the demo initramfs (runlet, `/init`, a probe
//! bundle) next to the build and boots it with qemu and the Debian kernel; the serial
//! console is printed as it comes. Exit 0 when the guest ran its scenario and
//! powered off. `make initramfs-demo` runs it; docs/initramfs.md.

use runlet_tests::harness::{probe_bin, runlet_bin};
use runlet_tests::initramfs::{self, Parts};
use std::path::PathBuf;
use std::process::exit;
use std::time::Duration;

fn main() {
    let me = std::env::current_exe().unwrap_or_else(|e| {
        eprintln!("initramfs-demo: current_exe: {e}");
        exit(1)
    });
    let work = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| me.with_file_name("initramfs-demo.d"));
    let _ = std::fs::create_dir_all(&work);
    let (runlet, probe, init) = (
        runlet_bin(),
        probe_bin(None),
        me.with_file_name("initramfs-init"),
    );
    let scenario = std::env::var("RUNLET_SCENARIO").unwrap_or(initramfs::DEMO_SCENARIO.into());
    let parts = Parts {
        runlet: &runlet,
        probe: &probe,
        init: &init,
        scenario: &scenario,
        extra: Vec::new(),
        bundles: &[],
    };
    let image = initramfs::build_image(&work, &parts).unwrap_or_else(|e| {
        eprintln!("initramfs-demo: build image: {e}");
        exit(1)
    });
    let Some(kernel) = initramfs::find_kernel() else {
        eprintln!("initramfs-demo: no /boot/vmlinuz-*: install linux-image-amd64 (apt-get install --no-install-recommends linux-image-amd64)");
        exit(1)
    };
    if !initramfs::have_qemu() {
        eprintln!("initramfs-demo: no qemu-system-x86_64: install qemu-system-x86");
        exit(1)
    }
    let size = std::fs::metadata(&image).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "initramfs-demo: {} ({} KiB), kernel {}",
        image.display(),
        size / 1024,
        kernel.display(),
    );
    let b = initramfs::boot(&kernel, &image, Duration::from_secs(300), true).unwrap_or_else(|e| {
        eprintln!("initramfs-demo: {e}");
        exit(1)
    });
    let done = b.console.contains("@@ scenario done");
    eprintln!(
        "initramfs-demo: {} after {:.1} s ({})",
        if b.timed_out {
            "timed out"
        } else if done {
            "guest powered off"
        } else {
            "guest stopped early"
        },
        b.elapsed.as_secs_f64(),
        if b.kvm { "KVM" } else { "software emulation" }
    );
    exit(if done && !b.timed_out { 0 } else { 1 })
}
