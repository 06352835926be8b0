//! The deprecated kernel memory limits (`memory.kernel`, `memory.kernelTCP`). The spec
//! marks them NOT RECOMMENDED and lets a runtime ignore them, and configs from older
//! tools still carry them: runlet writes them where the host has the v1 file and notes
//! under `--debug` where it does not, or where the kernel accepts but ignores them.

use std::path::Path;

use super::{read_file, write_file};
use crate::config::resources::Memory;
use crate::debug;
use crate::error::Result;

/// v1 memory controller: `memory.kmem.tcp.limit_in_bytes`, `memory.kmem.limit_in_bytes`.
pub(super) fn apply_v1(dir: &Path, m: &Memory) -> Result<()> {
    if let Some(v) = m.kernel_tcp {
        write_if_present(dir, "kernelTCP", "memory.kmem.tcp.limit_in_bytes", v)?;
    }
    if let Some(v) = m.kernel {
        let file = "memory.kmem.limit_in_bytes";
        if write_if_present(dir, "kernel", file, v)? && !honoured(dir, file, v)? {
            // Linux 5.16 deprecated it; newer kernels accept a write and keep "max".
            debug!("linux.resources.memory.kernel: this kernel accepts {file} but does not enforce it; not limited");
        }
    }
    Ok(())
}

/// cgroup2 has no kernel memory limits: kernel memory counts in `memory.max`.
pub(super) fn note_v2(m: &Memory) {
    for (field, v) in [("kernel", m.kernel), ("kernelTCP", m.kernel_tcp)] {
        if v.is_some() {
            debug!("linux.resources.memory.{field}: cgroup v2 has no such limit (kernel memory counts in memory.max); ignored");
        }
    }
}

/// Writes `value` to `file` if the host has it; false (and a debug note) if not.
fn write_if_present(dir: &Path, field: &str, file: &str, value: i64) -> Result<bool> {
    let f = dir.join(file);
    if !f.exists() {
        debug!(
            "linux.resources.memory.{field}: {} does not exist on this host; ignored",
            f.display()
        );
        return Ok(false);
    }
    write_file(&f, &value.to_string())
        .map_err(|e| e.context(format_args!("linux.resources.memory.{field}")))?;
    Ok(true)
}

/// The limit reads back as written, rounded down to a page (up to 64 KiB pages).
fn honoured(dir: &Path, file: &str, want: i64) -> Result<bool> {
    if want < 0 {
        return Ok(true);
    }
    let got: i64 = read_file(&dir.join(file))?.trim().parse().unwrap_or(-1);
    Ok(got <= want && want - got < 65_536)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn written_where_present_and_checked() {
        let d = std::env::temp_dir().join(format!("runlet-kmem-{}", std::process::id()));
        fs::create_dir_all(&d).unwrap();
        let tcp = d.join("memory.kmem.tcp.limit_in_bytes");
        let m = Memory {
            kernel: Some(1 << 20),
            kernel_tcp: Some(1 << 19),
            ..Memory::default()
        };
        // Neither file: nothing written, no error.
        apply_v1(&d, &m).unwrap();
        assert!(!tcp.exists());
        fs::write(&tcp, "").unwrap();
        fs::write(d.join("memory.kmem.limit_in_bytes"), "").unwrap();
        apply_v1(&d, &m).unwrap();
        assert_eq!(fs::read_to_string(&tcp).unwrap(), "524288");
        assert!(honoured(&d, "memory.kmem.limit_in_bytes", 1 << 20).unwrap());
        fs::write(d.join("memory.kmem.limit_in_bytes"), "9223372036854771712").unwrap();
        assert!(!honoured(&d, "memory.kmem.limit_in_bytes", 1 << 20).unwrap());
        fs::remove_dir_all(&d).unwrap();
    }
}
