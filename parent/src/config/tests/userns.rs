//! A user namespace in the config: `runlet spec --rootless` loads as is, and the
//! frame binds `/sys` and the device nodes instead of mounting and making them.

use super::*;

fn rootless() -> Bundle {
    Bundle::new(&crate::cmd::spec::rootless_spec(1000, 1001))
}

#[test]
fn rootless_spec_loads() {
    let c = rootless().load().unwrap();
    let maps = c.userns.clone().unwrap();
    assert_eq!(crate::config::userns::IdMaps::text(&maps.uid), "0 1000 1\n");
    assert_eq!(crate::config::userns::IdMaps::text(&maps.gid), "0 1001 1\n");
    assert!(c.user_ns());
    assert!(!c.new_namespace(NsKind::Network), "the host's network");
    assert_eq!(c.resources, resources::Resources::default());
}

#[test]
fn user_namespace_binds_sysfs_and_devices() {
    let b = rootless();
    let c = b.load().unwrap();
    let frame = c.bootstrap(&v1_host()).unwrap();
    let bs = decode(&frame);
    let sys = bs.mounts().find(|m| m.dest.to_bytes() == b"/sys").unwrap();
    assert_eq!(sys.kind, MountKind::Bind);
    assert_eq!(sys.source.unwrap().to_bytes(), b"/sys");
    // runlet's default devices: each the host's node bound in; none made.
    assert_eq!(bs.devices().count(), 0);
    let null = bs
        .mounts()
        .find(|m| m.dest.to_bytes() == b"/dev/null")
        .unwrap();
    assert_eq!(null.kind, MountKind::Bind);
    assert_eq!(null.source.unwrap().to_bytes(), b"/dev/null");
    // runlet places the init in the v1 cgroups: the init may not write them.
    assert_eq!(bs.cgroup_tasks().count(), 0);
}

#[test]
fn user_namespace_with_its_own_netns_mounts_sysfs() {
    // runlet's default config (its own network namespace) with a user namespace.
    let maps = r#"[{"containerID": 0, "hostID": 100000, "size": 65536}]"#;
    let text = crate::cmd::spec::DEFAULT_SPEC.replace(
        r#"{"type": "cgroup"}"#,
        r#"{"type": "cgroup"}, {"type": "user"}"#,
    );
    let text = edit(&text, "linux.uidMappings", Some(maps));
    let text = edit(&text, "linux.gidMappings", Some(maps));
    let c = Bundle::new(&text).load().unwrap();
    let frame = c.bootstrap(&[]).unwrap();
    let bs = decode(&frame);
    let sys = bs.mounts().find(|m| m.dest.to_bytes() == b"/sys").unwrap();
    assert_eq!(sys.kind, MountKind::Fs);
    assert_eq!(sys.fstype.unwrap().to_bytes(), b"sysfs");
}
