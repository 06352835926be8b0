//! Every architecture's filters, compiled and run in the cBPF interpreter on any host:
//! each ABI by its own numbers and audit arch, the native ABI always compiled, compat
//! ABIs only when listed (else foreign), ARM's private syscalls, and the names table
//! against linux-raw-sys's constants for the target these tests were built for.

use linux_raw_sys::ptrace::{self as p, AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_RISCV64};
use miniserde::json::{self, Value};

use super::arch::ARM_NR_BASE;
use super::compile::program;
use super::tests::run;
use super::{names, parse_for, Abi, Action, Arch, Profile};
use runlet_tests::podman;

const ALLOW: u32 = p::SECCOMP_RET_ALLOW;
const KILL_PROCESS: u32 = p::SECCOMP_RET_KILL_PROCESS;
const ERRNO1: u32 = p::SECCOMP_RET_ERRNO | 1;

fn profile(arch: Arch, json: &str) -> Profile {
    parse_for(&json::from_str::<Value>(json).unwrap(), arch).unwrap()
}

fn nr(abi: Abi, name: &str) -> u32 {
    names::number(abi, name).unwrap_or_else(|| panic!("{abi:?} has no {name}"))
}

/// `"SCMP_ARCH_A","SCMP_ARCH_B"` for every ABI of `arch`.
fn all_listed(arch: Arch) -> String {
    let names: Vec<String> = arch
        .abis()
        .iter()
        .map(|a| format!("\"{}\"", a.scmp_name()))
        .collect();
    names.join(",")
}

#[test]
fn every_syscall_of_every_abi_dispatches_to_its_own_rule() {
    for arch in Arch::ALL {
        // One rule per name with a distinct errno (by the name's place in the table):
        // every ABI's search tree must find each of its numbers.
        let mut names_seen: Vec<&str> = Vec::new();
        for &abi in arch.abis() {
            names_seen.extend(names::all(abi).iter().map(|(n, _)| *n));
        }
        names_seen.sort_unstable();
        names_seen.dedup();
        let calls: Vec<String> = (names_seen.iter().enumerate())
            .map(|(i, n)| {
                let e = i + 2;
                format!(r#"{{"names":["{n}"],"action":"SCMP_ACT_ERRNO","errnoRet":{e}}}"#)
            })
            .collect();
        let prof = profile(
            arch,
            &format!(
                r#"{{"defaultAction":"SCMP_ACT_ALLOW","architectures":[{}],"syscalls":[{}]}}"#,
                all_listed(arch),
                calls.join(",")
            ),
        );
        let prog = program(&prof);
        for &abi in arch.abis() {
            let all = names::all(abi);
            for &(name, n) in &all {
                // Names sharing a number (arm's sync_file_range2 and
                // arm_sync_file_range): the first rule naming it decides.
                let i = (all.iter().filter(|(_, m)| *m == n))
                    .map(|(other, _)| names_seen.binary_search(other).unwrap() as u32)
                    .min()
                    .unwrap();
                let got = run(&prog, abi.audit_arch(), n, [0; 6]);
                assert_eq!(
                    got,
                    p::SECCOMP_RET_ERRNO | (i + 2),
                    "{arch:?} {abi:?} {name}"
                );
            }
            // A number no syscall has: the default action.
            assert_eq!(run(&prog, abi.audit_arch(), 0xffff, [0; 6]), ALLOW);
        }
        assert!(prog.len() < 8192, "{arch:?}: {} instructions", prog.len());
    }
}

#[test]
fn native_abi_always_compiled_compat_only_when_listed() {
    for arch in Arch::ALL {
        let native = arch.native_abi();
        let getppid = nr(native, "getppid");
        // No `architectures`, or only another architecture's: the native rules apply.
        for list in ["", r#","architectures":["SCMP_ARCH_S390X"]"#] {
            let prof = profile(
                arch,
                &format!(
                    r#"{{"defaultAction":"SCMP_ACT_ERRNO"{list},"syscalls":[{{"names":["getppid"],"action":"SCMP_ACT_ALLOW"}}]}}"#
                ),
            );
            let prog = program(&prof);
            assert_eq!(run(&prog, native.audit_arch(), getppid, [0; 6]), ALLOW);
            assert_eq!(run(&prog, native.audit_arch(), getppid + 1, [0; 6]), ERRNO1);
            // Compat ABIs not listed: foreign (the default here, which denies).
            for &compat in &arch.abis()[1..] {
                let n = nr(compat, "getppid");
                assert_eq!(
                    run(&prog, compat.audit_arch(), n, [0; 6]),
                    ERRNO1,
                    "{compat:?}"
                );
            }
        }
        // A deny-list without the compat ABIs: a compat syscall is no way around it.
        let prof = profile(
            arch,
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO"}]}"#,
        );
        let prog = program(&prof);
        assert_eq!(run(&prog, native.audit_arch(), getppid, [0; 6]), ERRNO1);
        for &compat in &arch.abis()[1..] {
            let n = nr(compat, "getppid");
            assert_eq!(run(&prog, compat.audit_arch(), n, [0; 6]), KILL_PROCESS);
        }
        // Every other architecture's audit value is foreign.
        for other in Arch::ALL.iter().filter(|o| **o != arch) {
            let audit = other.native_abi().audit_arch();
            if arch.abis().iter().all(|a| a.audit_arch() != audit) {
                assert_eq!(run(&prog, audit, getppid, [0; 6]), KILL_PROCESS);
            }
        }
    }
}

#[test]
fn aarch64_with_arm_compat() {
    let prof = profile(
        Arch::Aarch64,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_AARCH64","SCMP_ARCH_ARM"],
            "syscalls":[{"names":["mkdirat","personality"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":8,"op":"SCMP_CMP_GT"}]},
                        {"names":["mkdir","set_tls"],"action":"SCMP_ACT_KILL_PROCESS"}]}"#,
    );
    assert_eq!(prof.abis, [false, false, false, true, true, false]);
    let prog = program(&prof);
    let a64 = |n: u32, a0: u64| run(&prog, AUDIT_ARCH_AARCH64, n, [a0, 0, 0, 0, 0, 0]);
    let arm = |n: u32, a0: u64| run(&prog, AUDIT_ARCH_ARM, n, [a0, 0, 0, 0, 0, 0]);
    // aarch64: mkdirat 34, personality 92; it has no mkdir or set_tls.
    assert_eq!(a64(34, 9), ERRNO1);
    assert_eq!(a64(34, 8), ALLOW);
    assert_eq!(a64(92, 9), ERRNO1);
    assert_eq!(names::number(Abi::Aarch64, "mkdir"), None);
    // arm: mkdirat 323, personality 136, mkdir 39, set_tls 0xf0005, by arm's numbers.
    assert_eq!(arm(323, 9), ERRNO1);
    assert_eq!(arm(136, 9), ERRNO1);
    assert_eq!(arm(136, 1), ALLOW);
    assert_eq!(arm(39, 0), KILL_PROCESS);
    assert_eq!(arm(ARM_NR_BASE + 5, 0), KILL_PROCESS);
    assert_eq!(arm(34, 9), ALLOW); // aarch64's mkdirat number is arm's chown
}

#[test]
fn arm_private_syscalls() {
    for (name, off) in [
        ("breakpoint", 1),
        ("cacheflush", 2),
        ("usr26", 3),
        ("usr32", 4),
        ("set_tls", 5),
        ("get_tls", 6),
    ] {
        assert_eq!(names::number(Abi::Arm, name), Some(ARM_NR_BASE + off));
    }
    // An allow-list with them and ordinary calls: the tree spans 0 to 0xf0006 without
    // a table of a million entries, and every number in between gets the default.
    let prof = profile(
        Arch::Arm,
        r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
            {"names":["set_tls","cacheflush","getppid"],"action":"SCMP_ACT_ALLOW"},
            {"names":["breakpoint"],"action":"SCMP_ACT_TRAP"},
            {"names":["cacheflush"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":2,"value":0,"op":"SCMP_CMP_NE"}]}]}"#,
    );
    let prog = program(&prof);
    let arm = |n: u32, a2: u64| run(&prog, AUDIT_ARCH_ARM, n, [0, 0, a2, 0, 0, 0]);
    assert_eq!(arm(ARM_NR_BASE + 5, 0), ALLOW);
    assert_eq!(arm(ARM_NR_BASE + 2, 0), ALLOW);
    assert_eq!(arm(ARM_NR_BASE + 2, 1), KILL_PROCESS);
    assert_eq!(arm(ARM_NR_BASE + 1, 0), p::SECCOMP_RET_TRAP);
    assert_eq!(arm(ARM_NR_BASE + 6, 0), ERRNO1);
    assert_eq!(arm(ARM_NR_BASE, 0), ERRNO1);
    assert_eq!(arm(64, 0), ALLOW); // getppid
    assert_eq!(arm(65, 0), ERRNO1);
    assert_eq!(arm(0x8_0000, 0), ERRNO1);
    assert!(prog.len() < 40, "{} instructions", prog.len());
}

#[test]
fn riscv64_alone() {
    let prof = profile(
        Arch::Riscv64,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_RISCV64","SCMP_ARCH_X86_64"],
            "syscalls":[{"names":["riscv_flush_icache","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}"#,
    );
    assert_eq!(prof.abis, [false, false, false, false, false, true]);
    let prog = program(&prof);
    assert_eq!(run(&prog, AUDIT_ARCH_RISCV64, 259, [0; 6]), ERRNO1);
    assert_eq!(run(&prog, AUDIT_ARCH_RISCV64, 34, [0; 6]), ERRNO1);
    assert_eq!(run(&prog, AUDIT_ARCH_RISCV64, 35, [0; 6]), ALLOW);
    assert_eq!(run(&prog, AUDIT_ARCH_AARCH64, 34, [0; 6]), KILL_PROCESS);
}

/// testdata/podman-style.json with an archMap entry for each architecture, as
/// podman's own profile has.
#[test]
fn podman_style_profile_on_every_architecture() {
    let text = include_str!("testdata/podman-style.json").replace(
        r#""archMap": ["#,
        r#""archMap": [{"architecture": "SCMP_ARCH_ARM", "subArchitectures": []},
            {"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": []},"#,
    );
    for (arch, names) in [
        (Arch::X86_64, ("SCMP_ARCH_X86_64", "amd64")),
        (Arch::Aarch64, ("SCMP_ARCH_AARCH64", "arm64")),
        (Arch::Arm, ("SCMP_ARCH_ARM", "arm")),
        (Arch::Riscv64, ("SCMP_ARCH_RISCV64", "riscv64")),
    ] {
        let oci = podman::oci_for(&text, &podman::DEFAULT_CAPS, (6, 1), names);
        let prof = parse_for(&json::from_str::<Value>(&oci).unwrap(), arch).unwrap();
        assert_eq!(prof.default, Action::Errno(38));
        let prog = program(&prof);
        assert!(prog.len() < 200, "{arch:?}: {} instructions", prog.len());
        for &abi in arch.abis().iter().filter(|a| prof.abis[**a as usize]) {
            let run = |name: &str, a0: u64| {
                run(&prog, abi.audit_arch(), nr(abi, name), [a0, 0, 0, 0, 0, 0])
            };
            assert_eq!(run("getppid", 0), ALLOW, "{abi:?}");
            assert_eq!(run("personality", 0), ALLOW, "{abi:?}");
            assert_eq!(run("personality", 1), p::SECCOMP_RET_ERRNO | 38, "{abi:?}");
            assert_eq!(run("kexec_load", 0), ERRNO1, "{abi:?}");
            assert_eq!(run("bpf", 0), ERRNO1, "{abi:?}");
            // `includes.arches: [arm64]` and `excludes.arches: [amd64]`, by GOARCH.
            let (sync, syncfs) = (run("sync", 0), run("syncfs", 0));
            let want = |on: bool| if on { ALLOW } else { p::SECCOMP_RET_ERRNO | 38 };
            assert_eq!(sync, want(arch == Arch::Aarch64), "{abi:?} sync");
            assert_eq!(syncfs, want(arch != Arch::X86_64), "{abi:?} syncfs");
        }
        // podman's archMap gives aarch64 its arm compat ABI.
        if arch == Arch::Aarch64 {
            assert!(prof.abis[Abi::Arm as usize]);
            assert_eq!(run(&prog, AUDIT_ARCH_ARM, 64, [0; 6]), ALLOW); // getppid
            let set_tls = run(&prog, AUDIT_ARCH_ARM, ARM_NR_BASE + 5, [0; 6]);
            assert_eq!(set_tls, p::SECCOMP_RET_ERRNO | 38);
        }
    }
}

/// The names table's column of the target these tests were built for holds the
/// crate's own `__NR_*` constants (the generator copies numbers from its source).
#[test]
fn native_column_agrees_with_linux_raw_sys() {
    use linux_raw_sys::general as g;
    let abi = Arch::NATIVE.native_abi();
    let mut checked = vec![
        ("getppid", g::__NR_getppid),
        ("personality", g::__NR_personality),
        ("mkdirat", g::__NR_mkdirat),
        ("bpf", g::__NR_bpf),
        ("clone3", g::__NR_clone3),
        ("openat2", g::__NR_openat2),
        ("seccomp", g::__NR_seccomp),
        ("pivot_root", g::__NR_pivot_root),
        ("close_range", g::__NR_close_range),
        ("io_uring_setup", g::__NR_io_uring_setup),
        ("read", g::__NR_read),
        ("write", g::__NR_write),
    ];
    #[cfg(any(target_arch = "x86_64", target_arch = "arm"))]
    checked.push(("mkdir", g::__NR_mkdir));
    #[cfg(target_arch = "arm")]
    checked.push(("set_tls", g::__ARM_NR_set_tls));
    for (name, want) in checked {
        assert_eq!(names::number(abi, name), Some(want), "{abi:?} {name}");
    }
    assert_eq!(
        super::compiled_arches(Arch::NATIVE).next(),
        Some(abi.scmp_name())
    );
}
