//! A JSON object of config.json being read field by field, with its path for errors
//! ("linux.resources.cpu.quota must be an integer"): `linux.resources` and its parts.

use miniserde::json::{Number, Object, Value};

use crate::bail;
use crate::error::Result;

/// A JSON object being read, with its path for errors.
pub(super) struct Obj<'a> {
    path: String,
    map: &'a Object,
}

impl<'a> Obj<'a> {
    pub(super) fn new(path: &str, v: &'a Value) -> Result<Option<Obj<'a>>> {
        match v {
            Value::Null => Ok(None),
            Value::Object(map) => Ok(Some(Obj {
                path: path.to_string(),
                map,
            })),
            _ => bail!("{path} must be an object"),
        }
    }

    pub(super) fn at(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    pub(super) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !matches!(v, Value::Null))
    }

    pub(super) fn obj(&self, key: &str) -> Result<Option<Obj<'a>>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => Obj::new(&self.at(key), v),
        }
    }

    pub(super) fn int(&self, key: &str) -> Result<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(Number::I64(n))) => Ok(Some(*n)),
            Some(Value::Number(Number::U64(n))) if *n <= i64::MAX as u64 => Ok(Some(*n as i64)),
            Some(_) => bail!("{} must be an integer", self.at(key)),
        }
    }

    pub(super) fn uint(&self, key: &str) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(Number::U64(n))) => Ok(Some(*n)),
            Some(Value::Number(Number::I64(n))) if *n >= 0 => Ok(Some(*n as u64)),
            Some(_) => bail!("{} must be a non-negative integer", self.at(key)),
        }
    }

    pub(super) fn string(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => bail!("{} must be a string", self.at(key)),
        }
    }

    pub(super) fn boolean(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => bail!("{} must be true or false", self.at(key)),
        }
    }

    pub(super) fn array(&self, key: &str) -> Result<&'a [Value]> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(_) => bail!("{} must be an array", self.at(key)),
        }
    }
}
