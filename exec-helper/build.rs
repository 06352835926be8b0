// The C library goes last on the link line (musl's crt calls our main), and any heap
// use becomes a link error: malloc and friends are wrapped to symbols nobody defines.
// `-z noseparate-code` and `-z norelro`: code, read-only data and data share pages
// instead of each segment starting on a page of its own (10 KiB of padding in a
// 42 KiB file). A static binary has no dynamic relocations for RELRO to protect
// beyond a few pointers, and runlet-exec lives for a millisecond before it execs.
fn main() {
    for arg in [
        "-lc",
        "-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free",
        "-Wl,-z,noseparate-code",
        "-Wl,-z,norelro",
    ] {
        println!("cargo:rustc-link-arg-bin=runlet-exec={arg}");
    }
    // No unwind tables: panic = "abort" never unwinds (helper-rt/no-unwind-tables.ld).
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../helper-rt/no-unwind-tables.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!(
        "cargo:rustc-link-arg-bin=runlet-exec=-Wl,-T,{}",
        script.display()
    );
}
