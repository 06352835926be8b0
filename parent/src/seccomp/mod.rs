//! `linux.seccomp`: the OCI profile parsed, checked and compiled to a classic BPF
//! program by runlet itself (no libseccomp). docs/seccomp.md says what is supported.
//!
//! - `mod.rs`: the profile's types and its parsing; every error names the entry.
//! - `compile.rs`: the cBPF program (arch check, search tree, argument comparisons).
//! - `asm.rs`: labels, forward jumps and trampolines for jumps over 255 instructions.
//! - `arch.rs`: the architectures runlet runs on and the ABIs each one's kernel takes.
//! - `names.rs` (+ the generated `names_table.rs`): syscall names to numbers for
//!   x86_64, i386, x32, aarch64, arm and riscv64, from linux-raw-sys.
//! - `features.rs`: the lists `runlet features` shows.

mod arch;
mod asm;
mod compile;
mod features;
mod names;
mod names_table;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_arch;

use std::fmt::Display;

use miniserde::json::{Number, Object, Value};

pub use arch::{Abi, Arch, ABIS};
pub(crate) use compile::compile;
pub use features::{compiled_arches, ACTIONS, FLAGS, OPERATORS};

use crate::error::{Error, Result};
use linux_raw_sys::ptrace as p;

/// What the kernel does with a syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    KillThread,
    KillProcess,
    Trap,
    /// The errno returned.
    Errno(u16),
    /// The value the tracer sees (PTRACE_GETEVENTMSG).
    Trace(u16),
    Allow,
    Log,
}

impl Action {
    /// The `SECCOMP_RET_*` value a filter returns.
    pub fn ret(self) -> u32 {
        match self {
            Action::KillThread => p::SECCOMP_RET_KILL_THREAD,
            Action::KillProcess => p::SECCOMP_RET_KILL_PROCESS,
            Action::Trap => p::SECCOMP_RET_TRAP,
            Action::Errno(e) => p::SECCOMP_RET_ERRNO | u32::from(e),
            Action::Trace(m) => p::SECCOMP_RET_TRACE | u32::from(m),
            Action::Allow => p::SECCOMP_RET_ALLOW,
            Action::Log => p::SECCOMP_RET_LOG,
        }
    }

    /// Lets the syscall run.
    fn permissive(self) -> bool {
        matches!(self, Action::Allow | Action::Log)
    }
}

/// `SCMP_CMP_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Ne,
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
    /// `(arg & value) == value_two`.
    MaskedEq,
}

/// One argument comparison; all of a rule's must hold (but see `Rule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cond {
    /// 0..=5.
    pub index: u8,
    pub value: u64,
    pub value_two: u64,
    pub op: Op,
}

/// One entry of `syscalls[]`: for each ABI (`Abi as usize`), the numbers of the names
/// that exist there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub nrs: [Vec<u32>; ABIS],
    pub action: Action,
    pub args: Vec<Cond>,
}

/// A parsed profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The architecture the filter is for (the one runlet was built for, but for tests).
    pub arch: Arch,
    pub default: Action,
    /// Which of `arch`'s ABIs (`Abi as usize`) get rules: the native one always, its
    /// compat ABIs when `architectures` lists them. Syscalls of any other ABI are
    /// foreign.
    pub abis: [bool; ABIS],
    /// `SECCOMP_FILTER_FLAG_*`.
    pub flags: u32,
    /// In profile order.
    pub rules: Vec<Rule>,
}

impl Profile {
    /// What a syscall from an architecture the profile does not list (or runlet does
    /// not know) gets: the default action, unless that would let it run (a deny-list
    /// profile), where it is killed, as libseccomp kills an architecture the filter
    /// does not know.
    pub fn foreign(&self) -> Action {
        if self.default.permissive() {
            Action::KillProcess
        } else {
            self.default
        }
    }
}

/// The compiled filter the `Bootstrap` frame carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// `struct sock_filter` array, native (little) endian, 8 bytes each.
    pub program: Vec<u8>,
    /// `SECCOMP_FILTER_FLAG_*` for seccomp(SECCOMP_SET_MODE_FILTER).
    pub flags: u32,
    /// Instructions in `program`.
    pub len: usize,
}

const WHERE: &str = "linux.seccomp";

/// `linux.seccomp` to a filter; `None` when absent or null.
/// The filter of a container's saved config.json (for `runlet exec`: an exec'd
/// process gets the container's filter, as with runc).
pub fn from_config_text(text: &str) -> Result<Option<Filter>> {
    #[derive(miniserde::Deserialize)]
    struct Linux {
        seccomp: Option<Value>,
    }
    #[derive(miniserde::Deserialize)]
    struct Only {
        linux: Option<Linux>,
    }
    let only: Only = miniserde::json::from_str(text)
        .map_err(|_| Error::msg("the saved config.json has a malformed linux.seccomp"))?;
    load(only.linux.and_then(|l| l.seccomp).as_ref())
}

pub(crate) fn load(v: Option<&Value>) -> Result<Option<Filter>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        // `{}` asks for nothing (accepted before runlet had seccomp).
        Some(Value::Object(o)) if o.is_empty() => Ok(None),
        Some(v) => {
            let profile = parse(v)?;
            Ok(Some(compile(&profile)?))
        }
    }
}

fn err(at: impl Display, why: impl Display) -> Error {
    Error::msg(format!("{at}: {why}"))
}

/// Where a value is in the profile (`base[index].field`), formatted only for an error:
/// the parse builds no string while the profile is fine.
#[derive(Clone, Copy)]
struct At<'a> {
    base: &'a dyn Display,
    index: Option<usize>,
    field: &'static str,
}

impl<'a> At<'a> {
    fn index(base: &'a dyn Display, i: usize) -> Self {
        At {
            base,
            index: Some(i),
            field: "",
        }
    }
    fn field(base: &'a dyn Display, field: &'static str) -> Self {
        At {
            base,
            index: None,
            field,
        }
    }
}

impl Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.base)?;
        if let Some(i) = self.index {
            write!(f, "[{i}]")?;
        }
        if !self.field.is_empty() {
            write!(f, ".{}", self.field)?;
        }
        Ok(())
    }
}

fn obj<'a>(at: &dyn Display, v: &'a Value) -> Result<&'a Object> {
    match v {
        Value::Object(o) => Ok(o),
        _ => Err(err(at, "must be an object")),
    }
}

fn string<'a>(at: &dyn Display, v: &'a Value) -> Result<&'a str> {
    match v {
        Value::String(s) => Ok(s),
        _ => Err(err(at, "must be a string")),
    }
}

fn uint(at: &dyn Display, v: &Value) -> Result<u64> {
    match v {
        Value::Number(Number::U64(n)) => Ok(*n),
        Value::Number(Number::I64(n)) if *n >= 0 => Ok(*n as u64),
        _ => Err(err(at, "must be a non-negative integer")),
    }
}

/// A present, non-null field.
fn field<'a>(o: &'a Object, key: &str) -> Option<&'a Value> {
    o.get(key).filter(|v| !matches!(v, Value::Null))
}

fn array<'a>(at: &dyn Display, v: &'a Value) -> Result<&'a [Value]> {
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(err(at, "must be an array")),
    }
}

/// Parses and checks a profile for the architecture runlet runs on.
pub fn parse(v: &Value) -> Result<Profile> {
    parse_for(v, Arch::NATIVE)
}

/// Parses and checks a profile for `host`. A name an ABI does not have is dropped
/// there.
pub fn parse_for(v: &Value, host: Arch) -> Result<Profile> {
    let o = obj(&WHERE, v)?;
    for key in ["listenerPath", "listenerMetadata"] {
        if let Some(v) = field(o, key) {
            if !matches!(v, Value::String(s) if s.is_empty()) {
                return Err(err(
                    format_args!("{WHERE}.{key}"),
                    "seccomp user notification (SCMP_ACT_NOTIFY) is not supported yet",
                ));
            }
        }
    }
    let default_errno = match field(o, "defaultErrnoRet") {
        Some(v) => Some(errno(&format!("{WHERE}.defaultErrnoRet"), v)?),
        None => None,
    };
    let default = match field(o, "defaultAction") {
        Some(v) => action(&format!("{WHERE}.defaultAction"), v, default_errno)?,
        None => return Err(err(format_args!("{WHERE}.defaultAction"), "is required")),
    };
    if default_errno.is_some() && !matches!(default, Action::Errno(_) | Action::Trace(_)) {
        return Err(err(
            format_args!("{WHERE}.defaultErrnoRet"),
            "applies only to a defaultAction of SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
        ));
    }

    // The native ABI always has rules, as with libseccomp (whose filter holds its
    // native architecture whatever else is added).
    let mut abis = [false; ABIS];
    abis[host.native_abi() as usize] = true;
    if let Some(a) = field(o, "architectures") {
        let at = format!("{WHERE}.architectures");
        for (i, v) in array(&at, a)?.iter().enumerate() {
            if let Some(abi) = arch(&format!("{at}[{i}]"), v, host)? {
                abis[abi as usize] = true;
            }
        }
    }

    let mut flags = 0;
    if let Some(f) = field(o, "flags") {
        let at = format!("{WHERE}.flags");
        for (i, v) in array(&at, f)?.iter().enumerate() {
            flags |= flag(&format!("{at}[{i}]"), v)?;
        }
    }

    let mut rules = Vec::new();
    if let Some(s) = field(o, "syscalls") {
        let at = format!("{WHERE}.syscalls");
        for (i, v) in array(&at, s)?.iter().enumerate() {
            rules.push(rule(&At::index(&at, i), v, abis)?);
        }
    }
    Ok(Profile {
        arch: host,
        default,
        abis,
        flags,
        rules,
    })
}

fn errno(at: &dyn Display, v: &Value) -> Result<u16> {
    let n = uint(at, v)?;
    u16::try_from(n).map_err(|_| {
        err(
            at,
            format_args!("{n} does not fit the kernel's 16-bit return data"),
        )
    })
}

fn action(at: &dyn Display, v: &Value, errno: Option<u16>) -> Result<Action> {
    let eperm = linux_raw_sys::errno::EPERM as u16;
    Ok(match string(at, v)? {
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => Action::KillThread,
        "SCMP_ACT_KILL_PROCESS" => Action::KillProcess,
        "SCMP_ACT_TRAP" => Action::Trap,
        "SCMP_ACT_ERRNO" => Action::Errno(errno.unwrap_or(eperm)),
        // runc's default for a tracer's message, too.
        "SCMP_ACT_TRACE" => Action::Trace(errno.unwrap_or(eperm)),
        "SCMP_ACT_ALLOW" => Action::Allow,
        "SCMP_ACT_LOG" => Action::Log,
        "SCMP_ACT_NOTIFY" => {
            return Err(err(
                at,
                "SCMP_ACT_NOTIFY (seccomp user notification) is not supported yet",
            ))
        }
        other => return Err(err(at, format_args!("unknown action {other:?}"))),
    })
}

/// An ABI of `host`'s, `None` for another known architecture (its syscalls can never
/// reach this kernel's filter: listing it changes nothing, as with libseccomp).
fn arch(at: &dyn Display, v: &Value, host: Arch) -> Result<Option<Abi>> {
    match string(at, v)? {
        n if !features::ARCHES.contains(&n) => {
            Err(err(at, format_args!("unknown architecture {n:?}")))
        }
        n => Ok(Abi::from_scmp_name(n).filter(|a| host.abis().contains(a))),
    }
}

fn flag(at: &dyn Display, v: &Value) -> Result<u32> {
    Ok(match string(at, v)? {
        "SECCOMP_FILTER_FLAG_TSYNC" => p::SECCOMP_FILTER_FLAG_TSYNC,
        "SECCOMP_FILTER_FLAG_LOG" => p::SECCOMP_FILTER_FLAG_LOG,
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => p::SECCOMP_FILTER_FLAG_SPEC_ALLOW,
        f @ ("SECCOMP_FILTER_FLAG_NEW_LISTENER"
        | "SECCOMP_FILTER_FLAG_TSYNC_ESRCH"
        | "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") => {
            return Err(err(
                at,
                format_args!("{f} is not supported (it belongs to seccomp user notification)"),
            ))
        }
        f => return Err(err(at, format_args!("unknown flag {f:?}"))),
    })
}

fn rule(at: &dyn Display, v: &Value, abis: [bool; ABIS]) -> Result<Rule> {
    let o = obj(at, v)?;
    let errno = match field(o, "errnoRet") {
        Some(v) => Some(errno(&At::field(at, "errnoRet"), v)?),
        None => None,
    };
    let action = match field(o, "action") {
        Some(v) => action(&At::field(at, "action"), v, errno)?,
        None => return Err(err(At::field(at, "action"), "is required")),
    };
    if errno.is_some() && !matches!(action, Action::Errno(_) | Action::Trace(_)) {
        return Err(err(
            At::field(at, "errnoRet"),
            "applies only to SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
        ));
    }
    let names_at = At::field(at, "names");
    let names = match field(o, "names") {
        Some(v) => array(&names_at, v)?,
        None => return Err(err(names_at, "is required")),
    };
    if names.is_empty() {
        return Err(err(names_at, "must name at least one syscall"));
    }
    let mut nrs: [Vec<u32>; ABIS] = Default::default();
    for (i, n) in names.iter().enumerate() {
        let name = match n {
            Value::String(s) if !s.is_empty() => s,
            Value::String(_) => return Err(err(At::index(&names_at, i), "is empty")),
            _ => return Err(err(At::index(&names_at, i), "must be a string")),
        };
        // A name an ABI does not have is skipped there, as libseccomp does.
        for (i, nr) in names::numbers(name).into_iter().enumerate() {
            if let Some(nr) = nr.filter(|_| abis[i]) {
                nrs[i].push(nr);
            }
        }
    }
    let mut args = Vec::new();
    if let Some(a) = field(o, "args") {
        let args_at = At::field(at, "args");
        for (i, v) in array(&args_at, a)?.iter().enumerate() {
            args.push(cond(&At::index(&args_at, i), v)?);
        }
    }
    Ok(Rule { nrs, action, args })
}

fn cond(at: &dyn Display, v: &Value) -> Result<Cond> {
    let o = obj(at, v)?;
    let get =
        |key: &'static str| field(o, key).ok_or_else(|| err(At::field(at, key), "is required"));
    let index = uint(&At::field(at, "index"), get("index")?)?;
    if index > 5 {
        return Err(err(
            At::field(at, "index"),
            format_args!("{index} is not an argument index (0 to 5)"),
        ));
    }
    let value = uint(&At::field(at, "value"), get("value")?)?;
    let value_two = match field(o, "valueTwo") {
        Some(v) => uint(&At::field(at, "valueTwo"), v)?,
        None => 0,
    };
    let op_at = At::field(at, "op");
    let op = match string(&op_at, get("op")?)? {
        "SCMP_CMP_NE" => Op::Ne,
        "SCMP_CMP_LT" => Op::Lt,
        "SCMP_CMP_LE" => Op::Le,
        "SCMP_CMP_EQ" => Op::Eq,
        "SCMP_CMP_GE" => Op::Ge,
        "SCMP_CMP_GT" => Op::Gt,
        "SCMP_CMP_MASKED_EQ" => Op::MaskedEq,
        other => return Err(err(op_at, format_args!("unknown operator {other:?}"))),
    };
    Ok(Cond {
        index: index as u8,
        value,
        value_two,
        op,
    })
}
