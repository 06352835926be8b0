//! runlet's one error type: a line that says what was wrong and where.

use std::fmt;
use std::io;
use std::path::Path;

#[derive(Debug)]
pub struct Error(String);

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn msg(m: impl Into<String>) -> Self {
        Error(m.into())
    }

    /// "`op` `path`: `strerror`", e.g. "mkdir /run/runlet/x: Permission denied".
    pub fn io(op: &str, path: impl AsRef<Path>, e: io::Error) -> Self {
        Error(format!(
            "{op} {}: {}",
            path.as_ref().display(),
            strerror(&e)
        ))
    }

    /// "`what`: `strerror`" for a call without a path.
    pub fn sys(what: &str, e: impl Into<io::Error>) -> Self {
        Error(format!("{what}: {}", strerror(&e.into())))
    }

    /// Adds what was being done in front: "create container x: ...".
    pub fn context(self, what: impl fmt::Display) -> Self {
        Error(format!("{what}: {}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The C library's text for an errno, without std's " (os error N)" suffix.
pub fn strerror(e: &io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Text for a raw errno number.
pub fn errno_text(errno: i32) -> String {
    strerror(&io::Error::from_raw_os_error(errno))
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<wire::WireError> for Error {
    fn from(e: wire::WireError) -> Self {
        Error(format!("sync protocol: {e}"))
    }
}

/// `bail!("...")` returns an `Error` built with `format!`.
#[macro_export]
macro_rules! bail {
    ($($t:tt)*) => { return Err($crate::error::Error::msg(format!($($t)*))) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_name_the_call_and_path() {
        let e = Error::io("open", "/x/y", io::Error::from_raw_os_error(2));
        assert_eq!(e.to_string(), "open /x/y: No such file or directory");
        assert_eq!(errno_text(1), "Operation not permitted");
    }
}
