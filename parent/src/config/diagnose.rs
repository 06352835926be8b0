//! Explaining why `config.json` did not parse. miniserde's error carries no position,
//! so on a failure the text is checked again here: first as JSON syntax (line and
//! column of the first error), then as a `Value` against the shape of `spec::Spec`,
//! naming the first field of the wrong type by its JSON path.

use miniserde::json::{Number, Value};

/// The JSON type a field of `spec::Spec` has.
pub(crate) enum Shape {
    Str,
    Bool,
    U32,
    U64,
    I64,
    Arr(&'static Shape),
    Obj(&'static [(&'static str, Shape)]),
    /// An object whose values all have one shape.
    Map(&'static Shape),
    /// Held as a `json::Value`: anything goes.
    Any,
}

use Shape::*;

const STRS: Shape = Arr(&Str);
const HOOKS: Shape = Arr(&Obj(&[
    ("path", Str),
    ("args", STRS),
    ("env", STRS),
    ("timeout", I64),
]));

/// Mirrors `spec::Spec`.
pub(crate) const SPEC: Shape = Obj(&[
    ("ociVersion", Str),
    ("root", Obj(&[("path", Str), ("readonly", Bool)])),
    (
        "process",
        Obj(&[
            ("terminal", Bool),
            (
                "user",
                Obj(&[("uid", U32), ("gid", U32), ("additionalGids", Arr(&U32))]),
            ),
            ("args", STRS),
            ("env", STRS),
            ("cwd", Str),
            (
                "capabilities",
                Obj(&[
                    ("bounding", STRS),
                    ("effective", STRS),
                    ("permitted", STRS),
                    ("inheritable", STRS),
                    ("ambient", STRS),
                ]),
            ),
            (
                "rlimits",
                Arr(&Obj(&[("type", Str), ("hard", U64), ("soft", U64)])),
            ),
            ("noNewPrivileges", Bool),
            ("apparmorProfile", Str),
            ("oomScoreAdj", I64),
            ("selinuxLabel", Str),
        ]),
    ),
    ("hostname", Str),
    ("domainname", Str),
    (
        "mounts",
        Arr(&Obj(&[
            ("destination", Str),
            ("source", Str),
            ("options", STRS),
            ("type", Str),
            ("uidMappings", Any),
            ("gidMappings", Any),
        ])),
    ),
    (
        "hooks",
        Obj(&[
            ("prestart", HOOKS),
            ("createRuntime", HOOKS),
            ("createContainer", HOOKS),
            ("startContainer", HOOKS),
            ("poststart", HOOKS),
            ("poststop", HOOKS),
        ]),
    ),
    ("annotations", Map(&Str)),
    (
        "linux",
        Obj(&[
            ("namespaces", Arr(&Obj(&[("type", Str), ("path", Str)]))),
            ("uidMappings", Any),
            ("gidMappings", Any),
            (
                "devices",
                Arr(&Obj(&[
                    ("type", Str),
                    ("path", Str),
                    ("major", I64),
                    ("minor", I64),
                    ("fileMode", U32),
                    ("uid", U32),
                    ("gid", U32),
                ])),
            ),
            ("cgroupsPath", Str),
            ("resources", Any),
            ("rootfsPropagation", Str),
            ("seccomp", Any),
            ("sysctl", Map(&Str)),
            ("maskedPaths", STRS),
            ("readonlyPaths", STRS),
            ("mountLabel", Str),
            ("intelRdt", Any),
            ("netDevices", Any),
        ]),
    ),
]);

/// The message for a `config.json` that miniserde refused.
pub(crate) fn explain(text: &str) -> String {
    if let Err((at, why)) = Syntax::check(text.as_bytes()) {
        let (line, col) = line_col(text, at);
        return format!("config.json: invalid JSON at line {line} column {col}: {why}");
    }
    let value: Value = match miniserde::json::from_str(text) {
        Ok(v) => v,
        Err(_) => return "config.json: invalid JSON".to_string(),
    };
    let mut path = String::new();
    match walk(&value, &SPEC, &mut path) {
        Some(msg) => format!("config.json: {msg}"),
        None => "config.json: does not match the OCI runtime spec".to_string(),
    }
}

fn describe(shape: &Shape) -> &'static str {
    match shape {
        Str => "a string",
        Bool => "true or false",
        U32 => "an integer from 0 to 4294967295",
        U64 => "an integer from 0 to 18446744073709551615",
        I64 => "an integer",
        Arr(Str) => "an array of strings",
        Arr(U32) => "an array of integers from 0 to 4294967295",
        Arr(Obj(_)) => "an array of objects",
        Arr(_) => "an array",
        Obj(_) => "an object",
        Map(Str) => "an object with string values",
        Map(_) => "an object",
        Any => "any value",
    }
}

fn fits(v: &Value, shape: &Shape) -> bool {
    match (shape, v) {
        (Any, _) => true,
        (Str, Value::String(_)) | (Bool, Value::Bool(_)) => true,
        (U32, Value::Number(Number::U64(n))) => *n <= u32::MAX as u64,
        (U64, Value::Number(Number::U64(_))) => true,
        (I64, Value::Number(Number::U64(n))) => *n <= i64::MAX as u64,
        (I64, Value::Number(Number::I64(_))) => true,
        (Arr(_), Value::Array(_)) | (Obj(_), Value::Object(_)) | (Map(_), Value::Object(_)) => {
            true
        }
        _ => false,
    }
}

/// The first place where `v` does not have `shape`, as "path must be ...". `null` is
/// accepted for object fields (they are `Option`), not for array items or map values.
fn walk(v: &Value, shape: &Shape, path: &mut String) -> Option<String> {
    if !fits(v, shape) {
        let at = if path.is_empty() { "the top level" } else { path };
        // A whole array of the wrong type reads better than its first item.
        return Some(format!("{at} must be {}", describe(shape)));
    }
    let len = path.len();
    let mut found = None;
    match (shape, v) {
        (Arr(item), Value::Array(items)) => {
            for (i, it) in items.iter().enumerate() {
                if !fits(it, item) && !matches!(item, Obj(_) | Arr(_) | Map(_)) {
                    return Some(format!("{path} must be {}", describe(shape)));
                }
                path.push_str(&format!("[{i}]"));
                found = walk(it, item, path);
                path.truncate(len);
                if found.is_some() {
                    break;
                }
            }
        }
        (Obj(fields), Value::Object(map)) => {
            for (name, fshape) in fields.iter() {
                match map.get(*name) {
                    None | Some(Value::Null) => continue,
                    Some(fv) => {
                        if !path.is_empty() {
                            path.push('.');
                        }
                        path.push_str(name);
                        found = walk(fv, fshape, path);
                        path.truncate(len);
                        if found.is_some() {
                            break;
                        }
                    }
                }
            }
        }
        (Map(item), Value::Object(map)) => {
            for (k, it) in map.iter() {
                path.push_str(&format!("[{k:?}]"));
                found = walk(it, item, path);
                path.truncate(len);
                if found.is_some() {
                    break;
                }
            }
        }
        _ => {}
    }
    found
}

fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..at.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, col)
}

/// A JSON syntax checker that reports where the first error is.
struct Syntax<'a> {
    b: &'a [u8],
    i: usize,
}

type Fail = (usize, &'static str);

/// Deeper nesting than any OCI config has; keeps the recursion bounded.
const MAX_DEPTH: usize = 256;

impl Syntax<'_> {
    fn check(b: &[u8]) -> Result<(), Fail> {
        let mut s = Syntax { b, i: 0 };
        s.ws();
        s.value(0)?;
        s.ws();
        if s.i < b.len() {
            return Err((s.i, "unexpected text after the end of the document"));
        }
        Ok(())
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), Fail> {
        if depth > MAX_DEPTH {
            return Err((self.i, "nested too deeply"));
        }
        match self.peek() {
            None => Err((self.i, "unexpected end of the document")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.word("true"),
            Some(b'f') => self.word("false"),
            Some(b'n') => self.word("null"),
            Some(_) => Err((self.i, "expected a value")),
        }
    }

    fn word(&mut self, w: &'static str) -> Result<(), Fail> {
        if self.b[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(())
        } else {
            Err((self.i, "expected a value"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), Fail> {
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err((self.i, "expected a field name in double quotes"));
            }
            self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err((self.i, "expected ':'"));
            }
            self.i += 1;
            self.ws();
            self.value(depth + 1)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err((self.i, "expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), Fail> {
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            self.value(depth + 1)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err((self.i, "expected ',' or ']'")),
            }
        }
    }

    fn string(&mut self) -> Result<(), Fail> {
        let start = self.i;
        self.i += 1;
        loop {
            match self.peek() {
                None => return Err((start, "string not closed")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            let hex = self.b.get(self.i + 1..self.i + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return Err((self.i - 1, "bad \\u escape"));
                            }
                            self.i += 5;
                        }
                        _ => return Err((self.i - 1, "bad escape")),
                    }
                }
                Some(c) if c < 0x20 => return Err((self.i, "control character in a string")),
                Some(_) => self.i += 1,
            }
        }
    }

    fn number(&mut self) -> Result<(), Fail> {
        let digits = |s: &mut Self| {
            let from = s.i;
            while matches!(s.peek(), Some(b'0'..=b'9')) {
                s.i += 1;
            }
            s.i > from
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let int_at = self.i;
        if !digits(self) {
            return Err((self.i, "expected a digit"));
        }
        if self.b[int_at] == b'0' && self.i - int_at > 1 {
            return Err((int_at, "a number must not start with 0"));
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return Err((self.i, "expected a digit"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return Err((self.i, "expected a digit"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_have_a_position() {
        let e = explain("{\n  \"a\": 1,\n}");
        assert_eq!(
            e,
            "config.json: invalid JSON at line 3 column 1: expected a field name in double quotes"
        );
        let e = explain("{\"a\": [1 2]}");
        assert_eq!(e, "config.json: invalid JSON at line 1 column 10: expected ',' or ']'");
        assert!(explain("").contains("unexpected end"));
        assert!(explain("{} x").contains("after the end"));
        assert!(explain("{\"a\": tru}").contains("column 7"));
        assert!(explain("{\"a\": \"x\\q\"}").contains("bad escape"));
        assert!(explain("{\"a\": 01}").contains("must not start with 0"));
        assert!(explain(&"[".repeat(1000)).contains("nested too deeply"));
    }

    #[test]
    fn type_errors_name_the_field() {
        let cases = [
            (r#"[]"#, "the top level must be an object"),
            (r#"{"ociVersion": 1}"#, "ociVersion must be a string"),
            (
                r#"{"process": {"args": "sh"}}"#,
                "process.args must be an array of strings",
            ),
            (
                r#"{"process": {"args": ["sh", 1]}}"#,
                "process.args must be an array of strings",
            ),
            (
                r#"{"process": {"user": {"uid": -1}}}"#,
                "process.user.uid must be an integer from 0 to 4294967295",
            ),
            (
                r#"{"process": {"user": {"uid": 1.5}}}"#,
                "process.user.uid must be an integer from 0 to 4294967295",
            ),
            (
                r#"{"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": "1024"}]}}"#,
                "process.rlimits[0].hard must be an integer from 0 to 18446744073709551615",
            ),
            (
                r#"{"process": {"terminal": "false"}}"#,
                "process.terminal must be true or false",
            ),
            (
                r#"{"mounts": [{"destination": "/a"}, {"options": "ro"}]}"#,
                "mounts[1].options must be an array of strings",
            ),
            (
                r#"{"annotations": {"a": 1}}"#,
                "annotations[\"a\"] must be a string",
            ),
            (
                r#"{"linux": {"sysctl": {"net.ipv4.ip_forward": 1}}}"#,
                "linux.sysctl[\"net.ipv4.ip_forward\"] must be a string",
            ),
            (
                r#"{"linux": {"namespaces": ["pid"]}}"#,
                "linux.namespaces[0] must be an object",
            ),
            (
                r#"{"hooks": {"prestart": [{"path": "/x", "timeout": "5"}]}}"#,
                "hooks.prestart[0].timeout must be an integer",
            ),
        ];
        for (text, want) in cases {
            // Each case is one miniserde refuses, and the message names the field.
            assert!(
                miniserde::json::from_str::<crate::config::spec::Spec>(text).is_err(),
                "{text}"
            );
            assert_eq!(explain(text), format!("config.json: {want}"), "{text}");
        }
    }

    #[test]
    fn nulls_and_unknown_fields_are_fine() {
        let text = r#"{"process": null, "linux": {"resources": {"x": 1}}, "other": [1]}"#;
        assert!(miniserde::json::from_str::<crate::config::spec::Spec>(text).is_ok());
        assert_eq!(
            explain(text),
            "config.json: does not match the OCI runtime spec"
        );
    }
}
