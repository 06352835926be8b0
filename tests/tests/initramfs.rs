//! runlet in an initramfs (docs/initramfs.md): a real kernel boots an initramfs that
//! holds runlet, a probe bundle and the project's `/init`; the checks read the serial
//! console. The guest's `/` is the initramfs itself, where pivot_root cannot be used:
//! runlet must see that alone, and the container must still see nothing outside its
//! rootfs. Needs qemu and a kernel (.ci/run and `make initramfs-demo` install them); a
//! test never installs anything.

use runlet_tests::guest::{self, check_initramfs, INITRAMFS_SCENARIO};
use runlet_tests::harness::require_root;

#[test]
fn runlet_runs_containers_from_an_initramfs() {
    if !require_root("runlet_runs_containers_from_an_initramfs") {
        return;
    }
    if let Some(why) = guest::missing_packages() {
        runlet_tests::missing!("{why}");
    }
    let init = env!("CARGO_BIN_EXE_initramfs-init");
    let c = guest::run(init, env!("CARGO_BIN_EXE_probe"), INITRAMFS_SCENARIO, &[]);
    check_initramfs(&c);
}
