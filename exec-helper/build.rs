// The C library goes last on the link line (musl's crt calls our main), and any heap
// use becomes a link error: malloc and friends are wrapped to symbols nobody defines.
fn main() {
    for arg in [
        "-lc",
        "-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free",
    ] {
        println!("cargo:rustc-link-arg-bin=runlet-exec={arg}");
    }
}
