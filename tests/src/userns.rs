//! Helpers for the user namespace tests (tests/tests/userns*.rs, rootless.rs).

use std::fs;
use std::path::Path;

use crate::harness::Fixture;
use crate::spec::Namespace;

/// A new user namespace with `(inside, outside, size)` ranges as both the uid and the
/// gid maps, and the rootfs given to the container's root (as a userns-remapped
/// engine unpacks an image): the container makes its mount points there.
pub fn add_userns(fx: &mut Fixture, maps: &[(u32, u32, u32)]) {
    fx.spec.namespaces.push(Namespace {
        typ: "user".into(),
        path: None,
    });
    let list = maps
        .iter()
        .map(|(c, h, n)| format!(r#"{{"containerID":{c},"hostID":{h},"size":{n}}}"#))
        .collect::<Vec<_>>()
        .join(",");
    for k in ["uidMappings", "gidMappings"] {
        fx.spec.extra_linux.push((k.into(), format!("[{list}]")));
    }
    if let Some(&(_, root, _)) = maps.iter().find(|m| m.0 == 0) {
        chown_tree(&fx.rootfs(), root);
    }
}

/// `lchown -R id:id p`.
pub fn chown_tree(p: &Path, id: u32) {
    std::os::unix::fs::lchown(p, Some(id), Some(id)).unwrap();
    if fs::symlink_metadata(p).unwrap().is_dir() {
        for e in fs::read_dir(p).unwrap() {
            chown_tree(&e.unwrap().path(), id);
        }
    }
}
