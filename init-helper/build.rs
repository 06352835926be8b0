// The C library goes last on the link line (musl's crt calls our main), and any heap
// use becomes a link error: malloc and friends are wrapped to symbols nobody defines.
// `-z noseparate-code` and `-z norelro`, as for runlet-exec (docs/decisions.md): the
// segments share pages instead of each being padded to one of its own. A static,
// non-PIE binary has no dynamic relocations for RELRO to protect.
fn main() {
    for arg in [
        "-lc",
        "-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free",
        "-Wl,-z,noseparate-code",
        "-Wl,-z,norelro",
    ] {
        println!("cargo:rustc-link-arg-bin=runlet-init={arg}");
    }
    // No unwind tables: panic = "abort" never unwinds (helper-rt/no-unwind-tables.ld).
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../helper-rt/no-unwind-tables.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!(
        "cargo:rustc-link-arg-bin=runlet-init=-Wl,-T,{}",
        script.display()
    );
}
