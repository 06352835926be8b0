//! Writing an OCI bundle: `rootfs/` holding the static probe, and `config.json`.

use crate::spec::Spec;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Directories every test rootfs has (mount points and scratch places).
pub const ROOTFS_DIRS: [&str; 9] = [
    "proc", "dev", "sys", "tmp", "etc", "mnt", "run", "root", "var",
];

/// Make `rootfs` with the standard directories and `/probe` (a copy of `probe`, mode 0755).
pub fn make_rootfs(rootfs: &Path, probe: &Path) -> io::Result<()> {
    fs::create_dir_all(rootfs)?;
    for d in ROOTFS_DIRS {
        fs::create_dir_all(rootfs.join(d))?;
    }
    fs::set_permissions(rootfs.join("tmp"), fs::Permissions::from_mode(0o1777))?;
    let dest = rootfs.join("probe");
    // Replace rather than overwrite in place: the old file may be running (ETXTBSY).
    let _ = fs::remove_file(&dest);
    fs::copy(probe, &dest)
        .map_err(|e| io::Error::new(e.kind(), format!("copy {}: {e}", probe.display())))?;
    fs::set_permissions(&dest, fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// Write `dir/config.json` from `spec`.
pub fn write_config(dir: &Path, spec: &Spec) -> io::Result<()> {
    fs::write(dir.join("config.json"), spec.to_json())
}

/// A whole bundle: `dir/rootfs` (see [`make_rootfs`]) and `dir/config.json`.
pub fn write_bundle(dir: &Path, probe: &Path, spec: &Spec) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    make_rootfs(&dir.join(&spec.root_path), probe)?;
    write_config(dir, spec)
}
