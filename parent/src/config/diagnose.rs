//! Explaining why `config.json` did not parse. miniserde's error carries no position,
//! so on a failure the text is checked again here: first as JSON syntax (line and
//! column of the first error, `syntax`), then as a `Value` against the shape of `spec::Spec`,
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
    if let Err(at) = super::syntax::check(text) {
        return format!("config.json: invalid JSON at {at}");
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
        (Arr(_), Value::Array(_)) | (Obj(_), Value::Object(_)) | (Map(_), Value::Object(_)) => true,
        _ => false,
    }
}

/// The first place where `v` does not have `shape`, as "path must be ...". `null` is
/// accepted for object fields (they are `Option`), not for array items or map values.
fn walk(v: &Value, shape: &Shape, path: &mut String) -> Option<String> {
    if !fits(v, shape) {
        let at = if path.is_empty() {
            "the top level"
        } else {
            path
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_have_a_position() {
        assert_eq!(
            explain("{\n  \"a\": 1,\n}"),
            "config.json: invalid JSON at line 3 column 1: expected a field name in double quotes"
        );
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
