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
#[allow(dead_code)] // the parent's build.rs uses only `linker_args`
fn link_helper(bin: &str) {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../helper-rt/no-unwind-tables.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rerun-if-changed=../helper-rt/link.rs");
    println!("cargo:rustc-link-arg-bin={bin}=-lc");
    let script = script.display().to_string();
    let args = [
        "--wrap=malloc",
        "--wrap=calloc",
        "--wrap=realloc",
        "--wrap=free",
        "-z",
        "noseparate-code",
        "-z",
        "norelro",
        "-T",
        &script,
    ];
    for arg in linker_args(&args) {
        println!("cargo:rustc-link-arg-bin={bin}={arg}");
    }
}

// Arguments for the linker itself, in the form the configured linker takes them: a C
// compiler driver (`cc`, the default) wants `-Wl,a,b`; rust-lld, which links the
// cross targets with Rust's own musl start files (.cargo/config.toml), takes them
// as they are and rejects `-Wl,`.
fn linker_args(args: &[&str]) -> Vec<String> {
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let linker = std::env::var("RUSTC_LINKER").unwrap_or_default();
    if linker.ends_with("lld") || linker.ends_with("ld") {
        args.iter().map(|a| a.to_string()).collect()
    } else {
        vec![format!("-Wl,{}", args.join(","))]
    }
}
