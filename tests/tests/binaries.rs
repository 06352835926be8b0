//! What ships: three static files, the helpers embedded in `runlet`. No root needed.

use std::path::{Path, PathBuf};

use runlet_tests::harness::{probe_bin, runlet_bin, runlet_debug_bin};
use runlet_tests::missing;

const PT_INTERP: u32 = 3;
const PT_DYNAMIC: u32 = 2;

/// The program header types of an x86_64 ELF executable.
fn segment_types(path: &Path) -> Vec<u32> {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert_eq!(&b[..4], b"\x7fELF", "{} is not ELF", path.display());
    assert_eq!(b[4], 2, "{} is not 64-bit ELF", path.display());
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap()) as usize;
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    (0..phnum)
        .map(|i| {
            let o = phoff + i * phentsize;
            u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
        })
        .collect()
}

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
