//! `state`, `list` and `ps`: what runlet knows about containers, in runc's shapes.
//! The status is always computed live (`state::Live`).

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use miniserde::json::{self, Number, Value};

use crate::cli::Global;
use crate::cmd::{cgroups, look};
use crate::error::{Error, Result};
use crate::process::proc;
use crate::state::{self, Live, Saved};

/// A container as `state` and `list` show it.
struct Row {
    saved: Saved,
    live: Live,
    /// The user owning its state directory (runc's `owner`), looked up only here.
    owner: String,
}

impl Row {
    fn new(root: &Path, saved: Saved, live: Live) -> Row {
        let uid = std::fs::metadata(root.join(&saved.id)).map_or(0, |m| m.uid());
        Row {
            owner: proc::user_name(uid),
            saved,
            live,
        }
    }
}

/// The OCI state of a container, with runc's extra fields, keys in runc's order.
fn fields(r: &Row) -> Vec<(&'static str, Value)> {
    let (s, live) = (&r.saved, r.live);
    let text = |v: &str| Value::String(v.to_string());
    let mut f = vec![
        ("ociVersion", text(&s.oci_version)),
        ("id", text(&s.id)),
        ("pid", Value::Number(Number::I64(live.pid.into()))),
        ("status", text(live.status.as_str())),
        ("bundle", text(&s.bundle)),
        ("rootfs", text(&s.rootfs)),
        ("created", text(&s.created)),
        ("owner", text(&r.owner)),
    ];
    if !s.annotations.is_empty() {
        let mut a = json::Object::new();
        for (k, v) in &s.annotations {
            a.insert(k.clone(), text(v));
        }
        f.push(("annotations", Value::Object(a)));
    }
    f
}

/// `{"k": v, ...}` in the given key order; `indent` pretty-prints as runc's `state`.
fn object(fields: &[(&str, Value)], indent: bool) -> String {
    let (open, sep, close, colon) = if indent {
        ("{\n  ", ",\n  ", "\n}", ": ")
    } else {
        ("{", ",", "}", ":")
    };
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| {
            let v = match (v, indent) {
                (Value::Object(o), true) => pretty_map(o),
                _ => json::to_string(v),
            };
            format!("{}{colon}{v}", json::to_string(&k.to_string()))
        })
        .collect();
    format!("{open}{}{close}", body.join(sep))
}

fn pretty_map(o: &json::Object) -> String {
    let items: Vec<String> = o
        .iter()
        .map(|(k, v)| format!("    {}: {}", json::to_string(k), json::to_string(v)))
        .collect();
    format!("{{\n{}\n  }}", items.join(",\n"))
}

/// `runlet state ID`.
pub fn state(g: &Global, id: &str) -> Result<i32> {
    let (saved, live) = look(&g.root, id)?;
    let row = Row::new(&g.root, saved, live);
    print_out(&format!("{}\n", object(&fields(&row), true)))
}

/// `runlet list`: every container under `--root` (read without locks, as runc).
pub fn list(g: &Global, quiet: bool, as_json: bool) -> Result<i32> {
    let mut rows = Vec::new();
    for id in state::list_ids(&g.root)? {
        // A directory without a state file is a create in progress (or cut short).
        let Ok(saved) = state::peek(&g.root, &id) else {
            continue;
        };
        let live = Live::of(&saved, &g.root.join(&id));
        rows.push(Row::new(&g.root, saved, live));
    }
    let out = if quiet {
        rows.iter().map(|r| format!("{}\n", r.saved.id)).collect()
    } else if as_json {
        let items: Vec<String> = rows.iter().map(|r| object(&fields(r), false)).collect();
        format!("[{}]\n", items.join(","))
    } else {
        table(&rows)
    };
    print_out(&out)
}

fn table(rows: &[Row]) -> String {
    let mut cells = vec![["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"].map(String::from)];
    for r in rows {
        cells.push([
            r.saved.id.clone(),
            r.live.pid.to_string(),
            r.live.status.as_str().to_string(),
            r.saved.bundle.clone(),
            r.saved.created.clone(),
            r.owner.clone(),
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|c| cells.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &cells {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect();
        out.push_str(line.join("   ").trim_end());
        out.push('\n');
    }
    out
}

/// `runlet ps ID`: the host pids in the container's cgroup.
pub fn ps(g: &Global, id: &str, as_json: bool) -> Result<i32> {
    let (saved, _) = look(&g.root, id)?;
    let mut pids: Vec<i32> = cgroups(&saved)?
        .pids()
        .into_iter()
        .filter(|p| *p > 0)
        .collect();
    pids.sort_unstable();
    let out = if as_json {
        let list: Vec<String> = pids.iter().map(i32::to_string).collect();
        format!("[{}]\n", list.join(","))
    } else {
        let mut t = String::from("PID     CMD\n");
        for p in &pids {
            t.push_str(&format!("{p:<7} {}\n", proc::cmdline(*p)));
        }
        t
    };
    print_out(&out)
}

/// All of stdout in one write; a closed stdout is an error like any other.
pub fn print_out(text: &str) -> Result<i32> {
    let mut o = std::io::stdout().lock();
    o.write_all(text.as_bytes())
        .and_then(|_| o.flush())
        .map_err(|e| Error::sys("write stdout", e))?;
    Ok(0)
}
