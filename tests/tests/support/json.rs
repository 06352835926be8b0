//! Reading runlet's JSON output (state, list, ps, features, logs) in the tests, with
//! a panic that shows the JSON when a key is missing. Included by `#[path]` in each
//! test file that reads JSON; each uses some of these.
#![allow(dead_code)]

use miniserde::json::{self, Value};

pub fn parse(text: &str) -> Value {
    json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text:?}"))
}

pub fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
    match v {
        Value::Object(o) => o
            .get(key)
            .unwrap_or_else(|| panic!("no {key:?} in {}", json::to_string(v))),
        _ => panic!("not an object: {}", json::to_string(v)),
    }
}

pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    match field(v, key) {
        Value::String(s) => s,
        other => panic!("{key} is not a string: {}", json::to_string(other)),
    }
}

pub fn int(v: &Value, key: &str) -> i64 {
    match field(v, key) {
        Value::Number(json::Number::I64(n)) => *n,
        Value::Number(json::Number::U64(n)) => *n as i64,
        other => panic!("{key} is not an integer: {}", json::to_string(other)),
    }
}
