//! `linux.seccomp`: profiles compiled by runlet and enforced by the kernel on the
//! container's process. The probe makes raw syscalls and says what it got.

use runlet_tests::harness::require_root;
use runlet_tests::podman;
use runlet_tests::spec::Mount;
use runlet_tests::{fixture, Fixture};

const EPERM: i32 = 1;
const ENOSYS: i32 = 38;
const SIGSYS: i32 = 31;

fn with_profile(fx: &mut Fixture, profile: &str) {
    fx.spec
        .extra_linux
        .push(("seccomp".into(), profile.to_string()));
}

/// The probe's `<name>=...` line.
fn answer<'a>(stdout: &'a str, name: &str) -> &'a str {
    let key = format!("{name}=");
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&key))
        .unwrap_or_else(|| panic!("no {key} line in the probe's output:\n{stdout}"))
}

/// Runs the probe's `mode arg` under `profile` (None: no filter); returns its answer.
/// Callers have checked `require_root`.
fn probe_answer(name: &str, profile: Option<&str>, nnp: bool, mode: &str, arg: &str) -> String {
    let mut fx = Fixture::new(name, option_env!("CARGO_BIN_EXE_probe")).expect("root");
    fx.spec.no_new_privileges = nnp;
    if let Some(p) = profile {
        with_profile(&mut fx, p);
    }
    fx.spec.probe(&[mode, arg]);
    let out = fx.run();
    out.assert_exit(0);
    assert_eq!(answer(&out.stdout, "after"), "ok", "{}", out.context());
    answer(&out.stdout, mode).to_string()
}

const DENY_MKDIR: &str = r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],
    "syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#;

#[test]
fn errno_action_denies_mkdir_and_the_rest_runs() {
    if !require_root("errno_action_denies_mkdir_and_the_rest_runs") {
        return;
    }
    // /dev is a tmpfs: without a filter the mkdir works.
    assert_eq!(
        probe_answer("sc-ctl", None, true, "mkdir", "/dev/sc"),
        "ok 0"
    );
    for nnp in [true, false] {
        let got = probe_answer("sc-errno", Some(DENY_MKDIR), nnp, "mkdir", "/dev/sc");
        assert_eq!(got, format!("errno {EPERM}"), "noNewPrivileges {nnp}");
    }
}

#[test]
fn kill_process_ends_the_container_by_sigsys() {
    let mut fx = fixture!("sc-kill");
    with_profile(
        &mut fx,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_KILL_PROCESS"}]}"#,
    );
    fx.spec.probe(&["mkdir", "/dev/sc"]);
    let out = fx.run();
    out.assert_exit(128 + SIGSYS);
    assert!(!out.stdout.contains("after="), "{}", out.context());
}

/// personality's rules, in order: MASKED_EQ, a 64-bit GT, EQ 0, LE 8; then the
/// unconditional rule (errno 44) for everything else.
const PERSONALITY: &str = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
    {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":43,
     "args":[{"index":0,"value":16711680,"valueTwo":65536,"op":"SCMP_CMP_MASKED_EQ"}]},
    {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":42,
     "args":[{"index":0,"value":4294967295,"op":"SCMP_CMP_GT"}]},
    {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]},
    {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_LE"}]},
    {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":44}]}"#;

#[test]
fn argument_rules_hold_on_both_sides_of_each_boundary() {
    if !require_root("argument_rules_hold_on_both_sides_of_each_boundary") {
        return;
    }
    let cases: [(u64, &str); 7] = [
        (0, "ok"),
        (8, "ok"),
        (9, "errno 44"),
        // (arg & 0xff0000) == 0x10000
        (0x01_0000, "errno 43"),
        (0x02_0000, "errno 44"),
        (0xffff_ffff, "errno 44"),
        // Above 2^32: only the high half differs from 5, which is allowed.
        (0x1_0000_0005, "errno 42"),
    ];
    for (arg, want) in cases {
        let got = probe_answer(
            "sc-args",
            Some(PERSONALITY),
            true,
            "personality",
            &arg.to_string(),
        );
        assert!(
            got.starts_with(want),
            "personality({arg:#x}): got {got:?}, want {want:?}"
        );
    }
    let got = probe_answer("sc-args5", Some(PERSONALITY), true, "personality", "5");
    assert!(got.starts_with("ok"), "personality(5): {got}");
}

#[test]
fn malformed_profile_is_one_clear_error() {
    let mut fx = fixture!("sc-bad");
    with_profile(
        &mut fx,
        r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},
            {"names":["mkdir"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_FOO"}]}]}"#,
    );
    fx.run().assert_error(&[
        r#"linux.seccomp.syscalls[1].args[0].op: unknown operator "SCMP_CMP_FOO""#,
    ]);
}

/// podman's profile for this kernel; None (a failure under RUNLET_REQUIRE_ROOT=1,
/// where .ci/run installs it) when its package is missing.
fn podman_profile() -> Option<String> {
    match podman::read() {
        Ok(p) => Some(podman::oci(
            &p,
            &podman::DEFAULT_CAPS,
            podman::running_kernel(),
        )),
        Err(why) => {
            runlet_tests::harness::skip::ci_fixable(&why);
            None
        }
    }
}

#[test]
fn podman_default_profile_runs_the_probe() {
    if !require_root("podman_default_profile_runs_the_probe") {
        return;
    }
    let Some(profile) = podman_profile() else {
        return;
    };
    for nnp in [true, false] {
        let mut fx = fixture!("sc-podman");
        fx.spec.no_new_privileges = nnp;
        with_profile(&mut fx, &profile);
        let r = fx.run().report();
        assert_eq!(r.must("Seccomp"), "2", "the probe runs filtered");
    }
    // Its rules hold: personality(1) is not in the profile's list, mkdir is allowed.
    let got = probe_answer("sc-podman1", Some(&profile), true, "personality", "1");
    assert_eq!(got, format!("errno {ENOSYS}"));
    let got = probe_answer("sc-podman2", Some(&profile), true, "mkdir", "/dev/sc");
    assert_eq!(got, "ok 0");
}

#[test]
fn podman_default_profile_runs_a_shell() {
    let mut fx = fixture!("sc-shell");
    let Some(profile) = podman_profile() else {
        return;
    };
    with_profile(&mut fx, &profile);
    // The host's /usr (Debian: /bin, /lib, /lib64 are links into it), read-only.
    fx.spec
        .mounts
        .push(Mount::bind("/usr", "/usr", &["ro", "rbind"]));
    for l in ["bin", "lib", "lib64"] {
        if let Ok(t) = std::fs::read_link(format!("/{l}")) {
            std::os::unix::fs::symlink(t, fx.rootfs().join(l)).unwrap();
        }
    }
    fx.spec.args(&[
        "/bin/sh",
        "-c",
        "echo shell=ok; ls /dev >/dev/null && /probe mkdir /dev/sc",
    ]);
    let out = fx.run();
    out.assert_exit(0);
    assert_eq!(answer(&out.stdout, "shell"), "ok", "{}", out.context());
    assert_eq!(answer(&out.stdout, "mkdir"), "ok 0", "{}", out.context());
}

/// PERSONALITY over all three x86 ABIs: i386 (`int 0x80`) and x32 numbers get the
/// same rules by their own syscall numbers.
fn all_abis(profile: &str) -> String {
    profile.replacen(
        "{",
        r#"{"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],"#,
        1,
    )
}

const I386_PERSONALITY: &str = "136";
const X32_PERSONALITY: u64 = 0x4000_0000 | 135;

#[test]
fn i386_and_x32_syscalls_follow_their_own_rules() {
    if !require_root("i386_and_x32_syscalls_follow_their_own_rules") {
        return;
    }
    if !cfg!(target_arch = "x86_64") {
        runlet_tests::skip!("i386 and x32 are x86_64's compat ABIs; this host has neither");
    }
    let prof = all_abis(PERSONALITY);
    let int80 = |arg: &str| {
        let mut fx = Fixture::new("sc-i386", option_env!("CARGO_BIN_EXE_probe")).expect("root");
        with_profile(&mut fx, &prof);
        fx.spec.probe(&["int80", I386_PERSONALITY, arg]);
        let out = fx.run();
        out.assert_exit(0);
        answer(&out.stdout, "int80").to_string()
    };
    assert!(int80("8").starts_with("ok"), "i386 personality(8)");
    assert_eq!(int80("9"), "errno 44", "i386 personality(9)");
    assert_eq!(int80("65536"), "errno 43", "i386 personality(0x10000)");
    let x32 = |arg: &str| {
        let mut fx = Fixture::new("sc-x32", option_env!("CARGO_BIN_EXE_probe")).expect("root");
        with_profile(&mut fx, &prof);
        fx.spec.probe(&["raw", &X32_PERSONALITY.to_string(), arg]);
        let out = fx.run();
        out.assert_exit(0);
        answer(&out.stdout, "raw").to_string()
    };
    // Allowed by the filter: the kernel runs it, or says ENOSYS without x32 support.
    let allowed = x32("8");
    assert!(
        allowed.starts_with("ok") || allowed == format!("errno {ENOSYS}"),
        "x32 personality(8): {allowed}"
    );
    assert_eq!(x32("9"), "errno 44", "x32 personality(9)");
}

#[test]
fn i386_is_no_way_around_a_deny_list() {
    // x86_64 only, default ALLOW: an i386 syscall is killed rather than allowed.
    let mut fx = fixture!("sc-i386-kill");
    if !cfg!(target_arch = "x86_64") {
        runlet_tests::skip!("i386 and x32 are x86_64's compat ABIs; this host has neither");
    }
    with_profile(&mut fx, DENY_MKDIR);
    fx.spec.probe(&["int80", "39", "0"]);
    fx.run().assert_exit(128 + SIGSYS);
    // The same x32 syscall number.
    let mut fx = fixture!("sc-x32-kill");
    with_profile(&mut fx, DENY_MKDIR);
    let x32_mkdir = (0x4000_0000u64 | 83).to_string();
    fx.spec.probe(&["raw", &x32_mkdir, "0"]);
    fx.run().assert_exit(128 + SIGSYS);
}
