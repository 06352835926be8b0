//! Paths: lexical cleaning and the checks every path handed to runlet-init passes.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use wire::limits::MAX_PATH;

use crate::bail;
use crate::error::Result;

/// Cleans an absolute path lexically: collapses `//` and `.`, resolves `..`, never
/// climbing above `/`, and drops a trailing `/` ("/a//b/../c/" → "/a/c").
pub(crate) fn clean(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = String::with_capacity(p.len());
    for c in &parts {
        out.push('/');
        out.push_str(c);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The same for a host path (which need not be UTF-8); `p` is absolute.
pub(crate) fn clean_host(p: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// A path inside the container: absolute, no NUL, short enough; returned cleaned.
pub(crate) fn container_path(field: &str, p: &str) -> Result<String> {
    if p.is_empty() {
        bail!("{field} is empty");
    }
    if !p.starts_with('/') {
        bail!("{field} {p:?} must be an absolute path");
    }
    no_nul(field, p)?;
    let c = clean(p);
    fits(field, c.len())?;
    Ok(c)
}

/// A string handed to the kernel must not contain NUL.
pub(crate) fn no_nul(field: &str, s: &str) -> Result<()> {
    if s.contains('\0') {
        bail!("{field} contains a NUL byte");
    }
    Ok(())
}

/// A path of `len` bytes fits runlet-init's buffers (PATH_MAX with its NUL).
pub(crate) fn fits(field: &str, len: usize) -> Result<()> {
    if len + 1 > MAX_PATH {
        bail!(
            "{field} is {len} bytes long; runlet-init holds paths of at most {} bytes",
            MAX_PATH - 1
        );
    }
    Ok(())
}

pub(crate) fn host_fits(field: &str, p: &Path) -> Result<()> {
    let b = p.as_os_str().as_bytes();
    if b.contains(&0) {
        bail!("{field} contains a NUL byte");
    }
    fits(field, b.len())
}

/// `p` resolved against `base` when relative, then cleaned.
pub(crate) fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(OsStr::new(p));
    if p.is_absolute() {
        clean_host(p)
    } else {
        clean_host(&base.join(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning() {
        for (i, o) in [
            ("/", "/"),
            ("//", "/"),
            ("/a//b/./c/", "/a/b/c"),
            ("/a/../../..", "/"),
            ("/../etc/passwd", "/etc/passwd"),
            ("/a/b/../c", "/a/c"),
            ("/proc/./sys/..", "/proc"),
            ("/a/..b/...", "/a/..b/..."),
        ] {
            assert_eq!(clean(i), o, "{i}");
        }
        assert_eq!(clean_host(Path::new("/x/./y/../z//")), Path::new("/x/z"));
        assert_eq!(clean_host(Path::new("/../..")), Path::new("/"));
        assert_eq!(resolve(Path::new("/b"), "r/../s"), Path::new("/b/s"));
        assert_eq!(resolve(Path::new("/b"), "/abs/./x"), Path::new("/abs/x"));
    }

    #[test]
    fn container_paths_are_checked() {
        let e = |p: &str| container_path("f", p).unwrap_err().to_string();
        assert_eq!(e(""), "f is empty");
        assert_eq!(e("dev"), "f \"dev\" must be an absolute path");
        assert_eq!(e("/a\0b"), "f contains a NUL byte");
        let long = format!("/{}", "a".repeat(MAX_PATH));
        assert_eq!(
            e(&long),
            format!(
                "f is {} bytes long; runlet-init holds paths of at most 4095 bytes",
                MAX_PATH + 1
            )
        );
        assert_eq!(container_path("f", "/x/../y").unwrap(), "/y");
    }
}
