//! What ships: three static files, the helpers embedded in `runlet`. No root needed.

use std::path::{Path, PathBuf};

use runlet_tests::harness::{probe_bin, runlet_bin, runlet_debug_bin};
use runlet_tests::missing;

const PT_INTERP: u32 = 3;
const PT_DYNAMIC: u32 = 2;

/// A little-endian ELF executable's machine (`e_machine`) and program header types,
/// 32- or 64-bit.
fn elf(path: &Path) -> (u16, Vec<u32>) {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert_eq!(&b[..4], b"\x7fELF", "{} is not ELF", path.display());
    assert_eq!(b[5], 1, "{} is not little-endian", path.display());
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap()) as usize;
    // ELFCLASS64 (2) or ELFCLASS32 (1): the header fields' offsets differ.
    let (phoff, phentsize, phnum) = match b[4] {
        2 => (u64_at(0x20), u16_at(0x36), u16_at(0x38)),
        1 => (u32_at(0x1c), u16_at(0x2a), u16_at(0x2c)),
        c => panic!("{}: ELF class {c}", path.display()),
    };
    let types = (0..phnum)
        .map(|i| u32_at(phoff + i * phentsize) as u32)
        .collect();
    (u16_at(0x12) as u16, types)
}

fn segment_types(path: &Path) -> Vec<u32> {
    elf(path).1
}

/// `e_machine` of each target's binaries.
const MACHINES: [(&str, u16); 4] = [
    ("x86_64-unknown-linux-musl", 62),
    ("aarch64-unknown-linux-musl", 183),
    ("armv7-unknown-linux-musleabihf", 40),
    ("riscv64gc-unknown-linux-musl", 243),
];

fn release_dir() -> PathBuf {
    runlet_bin().parent().unwrap().to_path_buf()
}

#[test]
fn every_shipped_binary_is_static() {
    let dir = release_dir();
    for p in [
        runlet_bin(),
        dir.join("runlet-init"),
        dir.join("runlet-exec"),
        probe_bin(None),
    ] {
        let types = segment_types(&p);
        assert!(!types.is_empty(), "{}: no program headers", p.display());
        assert!(
            !types.contains(&PT_INTERP) && !types.contains(&PT_DYNAMIC),
            "{} is dynamically linked (program headers {types:?})",
            p.display()
        );
    }
}

/// `runlet` carries the helpers built beside it, byte for byte.
fn assert_embeds_release_helpers(runlet: &Path) {
    let dir = release_dir();
    let bytes = std::fs::read(runlet).unwrap_or_else(|e| panic!("read {}: {e}", runlet.display()));
    for h in ["runlet-init", "runlet-exec"] {
        let helper = std::fs::read(dir.join(h)).unwrap();
        assert!(helper.len() > 1000, "{h} is suspiciously small");
        assert!(
            bytes.windows(helper.len()).any(|w| w == helper.as_slice()),
            "{} does not carry this build of {h}",
            runlet.display()
        );
    }
}

/// Every target built here (`make cross`; `make test` builds all four): its three
/// files are static, of its own machine, and runlet carries that target's helpers,
/// never the build machine's.
#[test]
fn every_cross_build_is_static_and_of_its_own_machine() {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let mut seen = 0;
    for (triple, machine) in MACHINES {
        let dir = target.join(triple).join("release");
        if !dir.join("runlet").exists() {
            // `make test` builds every target first; a test run without them (a
            // plain `cargo test`) checks what there is.
            assert!(
                std::env::var_os("RUNLET_REQUIRE_CROSS").is_none(),
                "{triple}: no build in {} (make cross)",
                dir.display()
            );
            continue;
        }
        seen += 1;
        let runlet = std::fs::read(dir.join("runlet")).unwrap();
        for f in ["runlet", "runlet-init", "runlet-exec", "probe"] {
            let p = dir.join(f);
            let (m, types) = elf(&p);
            assert_eq!(m, machine, "{}: machine {m}, not {triple}'s", p.display());
            assert!(
                !types.contains(&PT_INTERP) && !types.contains(&PT_DYNAMIC),
                "{} is dynamically linked",
                p.display()
            );
            if f.starts_with("runlet-") {
                let helper = std::fs::read(&p).unwrap();
                assert!(
                    runlet.windows(helper.len()).any(|w| w == helper.as_slice()),
                    "{triple}: runlet does not carry its own {f}"
                );
            }
        }
    }
    eprintln!("{seen} of {} targets built and checked", MACHINES.len());
}

#[test]
fn runlet_embeds_both_helpers() {
    assert_embeds_release_helpers(&runlet_bin());
}

/// The debug runlet the reliability tests run their fake helper through
/// (`RUNLET_HELPER_DIR`) runs the same helpers as the release one otherwise.
#[test]
fn debug_runlet_embeds_the_release_helpers() {
    let debug = runlet_debug_bin();
    if !debug.exists() {
        missing!(
            "no debug runlet at {}: `make test` builds it, or set RUNLET_DEBUG_BIN",
            debug.display()
        );
    }
    assert_embeds_release_helpers(&debug);
}
