// The link line of a no_std helper, shared by init-helper/build.rs and
// exec-helper/build.rs (`include!`d: a build script cannot depend on helper-rt).
//
// The C library goes last on the link line (musl's crt calls our main), and any heap
// use becomes a link error: malloc and friends are wrapped to symbols nobody defines.
// `-z noseparate-code` and `-z norelro`: code, read-only data and data share pages
// instead of each segment starting on a page of its own (10 KiB of padding in a
// 42 KiB file; docs/decisions.md). A static, non-PIE binary has no dynamic
// relocations for RELRO to protect beyond a few pointers, and a helper lives for
// milliseconds before it execs. No unwind tables: panic = "abort" never unwinds
// (helper-rt/no-unwind-tables.ld).
fn link_helper(bin: &str) {
    for arg in [
        "-lc",
        "-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free",
        "-Wl,-z,noseparate-code",
        "-Wl,-z,norelro",
    ] {
        println!("cargo:rustc-link-arg-bin={bin}={arg}");
    }
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../helper-rt/no-unwind-tables.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rerun-if-changed=../helper-rt/link.rs");
    println!("cargo:rustc-link-arg-bin={bin}=-Wl,-T,{}", script.display());
}
