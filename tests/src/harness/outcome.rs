//! What a finished runlet command did, and the assertions tests make on it.

use crate::report::Report;

/// What a finished runlet command did.
#[derive(Debug)]
pub struct Outcome {
    pub what: String,
    /// Exit code, or None when runlet itself was killed by a signal.
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Set when runlet's stdout or stderr stayed open after it exited.
    pub held_open: Option<String>,
}

impl Outcome {
    pub fn context(&self) -> String {
        let st = match (self.code, self.signal) {
            (Some(c), _) => format!("exit status {c}"),
            (None, Some(s)) => format!("killed by signal {s}"),
            _ => "no status".into(),
        };
        let held = self
            .held_open
            .as_deref()
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        format!(
            "`{}`: {st}{held}\n--- stdout ---\n{}--- stderr ---\n{}--------------",
            self.what, self.stdout, self.stderr
        )
    }

    /// Runlet's exit code (a panic if runlet itself died of a signal).
    pub fn code(&self) -> i32 {
        match self.code {
            Some(c) => c,
            None => panic!("runlet did not exit normally\n{}", self.context()),
        }
    }

    pub fn assert_exit(&self, want: i32) {
        assert_eq!(
            self.code(),
            want,
            "unexpected exit status\n{}",
            self.context()
        );
    }

    /// Exit 0 and a complete probe report.
    pub fn report(&self) -> Report {
        self.assert_exit(0);
        let r = Report::parse(&self.stdout);
        assert!(
            r.complete(),
            "the probe's report is incomplete\n{}",
            self.context()
        );
        r
    }

    /// A clean failure: non-zero status, nothing on stdout, exactly one line on
    /// stderr, starting with `runlet: ` and containing each of `fragments`.
    pub fn assert_error(&self, fragments: &[&str]) {
        let code = self.code();
        assert_ne!(code, 0, "expected a failure\n{}", self.context());
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "expected exactly one line on stderr\n{}",
            self.context()
        );
        assert!(
            lines[0].starts_with("runlet: "),
            "the error line must start with `runlet: `\n{}",
            self.context()
        );
        for f in fragments {
            assert!(
                lines[0].contains(f),
                "the error line should contain {f:?}\n{}",
                self.context()
            );
        }
        assert!(
            self.stdout.is_empty(),
            "expected nothing on stdout\n{}",
            self.context()
        );
    }
}
