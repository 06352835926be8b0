//! Recursive mount attributes (`rro`, `rnosuid`, `rnoexec`, ...; runc's and crun's,
//! issue 18): applied with mount_setattr(AT_RECURSIVE) to a mount and every mount
//! below it, where the plain option covers the top mount alone.

use std::fs;
use std::path::{Path, PathBuf};

use runlet_tests::{fixture, Fixture, Mount};

/// A host tree `DIR/tree` with a tmpfs at `tree/sub`, and the rootfs points /r.
fn tree_with_submount(fx: &mut Fixture) -> PathBuf {
    let src = fx.dir.join("tree");
    fs::create_dir_all(&src).unwrap();
    fx.host_tmpfs(&src.join("sub"));
    fs::create_dir_all(fx.rootfs().join("r")).unwrap();
    src
}

fn writes(fx: &mut Fixture, opts: &[&str]) -> (String, String, String) {
    let src = tree_with_submount(fx);
    fx.spec
        .mounts
        .push(Mount::bind(src.to_str().unwrap(), "/r", opts));
    fx.spec
        .probe(&["report", "--write", "/r/top", "--write", "/r/sub/inner"]);
    let r = fx.run().report();
    let sub = r.must_mount("/r/sub");
    (
        r.answer("write", "/r/top"),
        r.answer("write", "/r/sub/inner"),
        sub.opts.join(","),
    )
}

#[test]
fn rro_makes_the_submounts_read_only_too() {
    let mut fx = fixture!("rro");
    let (top, sub, opts) = writes(&mut fx, &["rbind", "rro", "rnosuid"]);
    assert_eq!(top, "err EROFS");
    assert_eq!(sub, "err EROFS", "the submount is read-only too");
    assert!(opts.split(',').any(|o| o == "ro"), "{opts}");
    assert!(opts.split(',').any(|o| o == "nosuid"), "{opts}");
}

#[test]
fn plain_ro_leaves_the_submounts_writable() {
    let mut fx = fixture!("ro-top");
    let (top, sub, _) = writes(&mut fx, &["rbind", "ro"]);
    assert_eq!(top, "err EROFS");
    assert_eq!(sub, "ok", "ro covers the top mount alone");
    assert!(Path::new(&fx.dir.join("tree/sub/inner")).exists());
}
