//! The questions `probe report` answers after its facts, in the order asked:
//! `--read P`, `--write P`, `--overwrite P`, `--exec P`, `--stat P`, `--cat P`, `--ls P`, each
//! answered by one line `<question>=P <answer>`, an error as `err <ERRNO>`.

use crate::report::{errname, esc};
use std::fs;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::process::Command;

/// The line answering `opt p` (`read=/x ok 12`), or None for an unknown option.
pub fn answer(opt: &str, p: &str) -> Option<String> {
    let (key, ask): (&str, fn(&str) -> io::Result<String>) = match opt {
        "--read" => ("read", ask_read),
        "--write" => ("write", ask_write),
        "--overwrite" => ("overwrite", ask_overwrite),
        "--exec" => ("exec", ask_exec),
        "--stat" => ("stat", ask_stat),
        "--cat" => ("cat", ask_cat),
        "--ls" => ("ls", ask_ls),
        _ => return None,
    };
    let a = ask(p).unwrap_or_else(|e| format!("err {}", errname(&e)));
    Some(format!("{key}={p} {a}"))
}

/// `ok <bytes>` (at most 64 KiB read) or `dir <entries>`.
fn ask_read(p: &str) -> io::Result<String> {
    if fs::metadata(p).is_ok_and(|m| m.is_dir()) {
        return Ok(format!("dir {}", fs::read_dir(p)?.count()));
    }
    let mut f = fs::File::open(p)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0;
    while total < buf.len() {
        match f.read(&mut buf[total..])? {
            0 => break,
            n => total += n,
        }
    }
    Ok(format!("ok {total}"))
}

/// Open for writing (creating it if missing, never truncating): `ok`.
fn ask_write(p: &str) -> io::Result<String> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(p)?;
    Ok("ok".to_string())
}

/// Open an existing file for writing and write 0x7f at offset 0 (an ELF file's first
/// byte, so an executable stays as it was even when this succeeds): `ok`.
fn ask_overwrite(p: &str) -> io::Result<String> {
    use std::io::Write;
    let mut f = fs::OpenOptions::new().write(true).open(p)?;
    f.write_all(&[0x7f])?;
    Ok("ok".to_string())
}

/// Run `P noop` (P is expected to be a probe): `ok <status>`.
fn ask_exec(p: &str) -> io::Result<String> {
    let s = Command::new(p).arg("noop").status()?;
    Ok(format!("ok {}", s.code().unwrap_or(-1)))
}

/// `<type> <mode octal> <uid> <gid> <major:minor>` and `-> target` for links.
fn ask_stat(p: &str) -> io::Result<String> {
    let m = fs::symlink_metadata(p)?;
    let ft = m.file_type();
    let kind = if ft.is_symlink() {
        let t = fs::read_link(p)
            .map(|t| t.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(format!("link {}", esc(&t)));
    } else if ft.is_dir() {
        "dir"
    } else if ft.is_char_device() {
        "char"
    } else if ft.is_block_device() {
        "block"
    } else if ft.is_fifo() {
        "fifo"
    } else if ft.is_socket() {
        "socket"
    } else {
        "file"
    };
    let rdev = m.rdev();
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & 0xffff_f000);
    let minor = (rdev & 0xff) | ((rdev >> 12) & 0xffff_ff00);
    Ok(format!(
        "{kind} {:04o} {} {} {major}:{minor}",
        m.mode() & 0o7777,
        m.uid(),
        m.gid()
    ))
}

/// `ok <content>` (escaped, at most 4 KiB).
fn ask_cat(p: &str) -> io::Result<String> {
    let mut f = fs::File::open(p)?;
    let mut buf = Vec::new();
    Read::by_ref(&mut f).take(4096).read_to_end(&mut buf)?;
    Ok(format!(
        "ok {}",
        esc(String::from_utf8_lossy(&buf).trim_end())
    ))
}

/// `ok <name>,<name>...` sorted.
fn ask_ls(p: &str) -> io::Result<String> {
    let mut v: Vec<String> = fs::read_dir(p)?
        .flatten()
        .map(|e| String::from_utf8_lossy(e.file_name().as_bytes()).into_owned())
        .collect();
    v.sort();
    Ok(format!("ok {}", v.join(",")))
}
