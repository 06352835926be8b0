use super::*;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::testing::{process, Spec};

/// A scratch directory, removed when dropped (also when a test fails).
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("helper-rt-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// A file at `rel` with `mode`.
    fn file(&self, rel: &str, mode: u32) -> String {
        let p = self.0.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, b"#!/bin/sh\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
        p.to_str().unwrap().to_string()
    }

    fn path(&self, rel: &str) -> String {
        self.0.join(rel).to_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `find_executable` for `arg0` with `PATH=path` (no PATH variable when None).
fn find(arg0: &str, path: Option<&str>) -> Result<String, Failure> {
    let env = path.map(|p| format!("PATH={p}"));
    let env: Vec<&[u8]> = env.iter().map(|e| e.as_bytes()).collect();
    let p = process(&Spec {
        args: &[arg0.as_bytes()],
        env: &env,
        ..Spec::default()
    });
    find_executable(&p).map(|exe| String::from_utf8(exe.bytes().to_vec()).unwrap())
}

fn text(f: &Failure) -> (String, u32) {
    (
        String::from_utf8_lossy(f.msg.as_bytes()).into_owned(),
        f.errno,
    )
}

const ENOENT: u32 = 2;
const EACCES: u32 = 13;

#[test]
fn a_path_with_a_slash_is_used_as_it_is() {
    let s = Scratch::new("slash");
    let prog = s.file("bin/prog", 0o755);
    assert_eq!(find(&prog, Some("/nowhere")).unwrap(), prog);
    let missing = s.path("bin/missing");
    let e = find(&missing, None).unwrap_err();
    assert_eq!(text(&e), (format!("exec {missing}"), ENOENT));
    let plain = s.file("bin/plain", 0o644);
    assert_eq!(text(&find(&plain, None).unwrap_err()).1, EACCES);
}

#[test]
fn a_bare_name_is_looked_up_in_path_in_order() {
    let s = Scratch::new("lookup");
    let second = s.file("b/prog", 0o755);
    let path = format!("{}:{}:{}", s.path("none"), s.path("a"), s.path("b"));
    assert_eq!(find("prog", Some(&path)).unwrap(), second);
    let first = s.file("a/prog", 0o700);
    assert_eq!(find("prog", Some(&path)).unwrap(), first);
}

#[test]
fn not_executable_or_not_a_file_is_eacces_not_found_is_enoent() {
    let s = Scratch::new("errors");
    s.file("d/plain", 0o644);
    fs::create_dir_all(s.path("d/subdir")).unwrap();
    let path = s.path("d");
    // Root may execute any file with an x bit, but not one with none, nor a directory.
    assert_eq!(
        text(&find("plain", Some(&path)).unwrap_err()),
        ("exec plain".into(), EACCES)
    );
    assert_eq!(text(&find("subdir", Some(&path)).unwrap_err()).1, EACCES);
    assert_eq!(
        text(&find("missing", Some(&path)).unwrap_err()),
        ("exec missing".into(), ENOENT)
    );
    assert_eq!(
        text(&find("", Some(&path)).unwrap_err()),
        ("exec ".into(), ENOENT)
    );
    // A later hit wins over an earlier EACCES.
    let good = s.file("e/plain", 0o755);
    let both = format!("{path}:{}", s.path("e"));
    assert_eq!(find("plain", Some(&both)).unwrap(), good);
}

#[test]
fn a_path_entry_too_long_for_a_pathbuf_is_skipped() {
    let s = Scratch::new("long");
    let prog = s.file("bin/prog", 0o755);
    let long = "/x".repeat(wire::limits::MAX_PATH);
    let path = format!("{long}:{}", s.path("bin"));
    assert_eq!(find("prog", Some(&path)).unwrap(), prog);
}

#[test]
fn resources_are_the_kernel_s_numbers() {
    let want = [
        Resource::Cpu,
        Resource::Fsize,
        Resource::Data,
        Resource::Stack,
        Resource::Core,
        Resource::Rss,
        Resource::Nproc,
        Resource::Nofile,
        Resource::Memlock,
        Resource::As,
        Resource::Locks,
        Resource::Sigpending,
        Resource::Msgqueue,
        Resource::Nice,
        Resource::Rtprio,
        Resource::Rttime,
    ];
    for (n, r) in want.iter().enumerate() {
        assert_eq!(resource(n as u32), Some(*r), "resource {n}");
        // The parent sends linux-raw-sys's RLIMIT_* numbers (config/rlimits.rs).
        assert_eq!(*r as u32, n as u32, "rustix's {r:?}");
    }
    assert_eq!(resource(16), None);
    assert_eq!(resource(u32::MAX), None);
}

#[test]
fn an_unknown_rlimit_is_refused_before_any_is_set() {
    let p = process(&Spec {
        rlimits: &[wire::Rlimit {
            resource: 16,
            soft: 1,
            hard: 1,
        }],
        ..Spec::default()
    });
    let e = set_rlimits(&p).unwrap_err();
    assert_eq!(text(&e), ("setrlimit: unknown resource 16".into(), 22));
}

#[test]
fn uid_or_gid_minus_one_is_refused_before_any_change() {
    for (uid, gid) in [(u32::MAX, 0), (0, u32::MAX)] {
        let p = process(&Spec {
            uid,
            gid,
            ..Spec::default()
        });
        let e = switch_user(&p).unwrap_err();
        assert_eq!(
            text(&e),
            ("uid or gid 4294967295 (-1) is not a user".into(), 0)
        );
        assert!(switch_user_orphan(&p).is_err());
    }
}

#[test]
fn pointer_arrays_end_in_null_and_are_bounded() {
    let strings = [c"a", c"bb"];
    let mut out = heapless::Vec::<*const core::ffi::c_char, 3>::new();
    fill_pointers(&mut out, strings.iter().copied()).unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!(out[0], c"a".as_ptr());
    assert!(out[2].is_null());
    // Two strings and the NULL need three places.
    let mut small = heapless::Vec::<*const core::ffi::c_char, 2>::new();
    let e = fill_pointers(&mut small, strings.iter().copied()).unwrap_err();
    assert_eq!(text(&e), ("too many args or env entries".into(), 0));
}
