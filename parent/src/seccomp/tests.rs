//! The compiler, checked by running its programs in a small cBPF interpreter against
//! synthetic `seccomp_data`: exact answers at every boundary, without a kernel.

use std::time::Instant;

use linux_raw_sys::ptrace::{self as p, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64};
use miniserde::json::{self, Value};

use super::arch::X32_SYSCALL_BIT;
use super::asm::{Asm, Insn, To, ALU_AND_K, JA, JEQ_K, JGE_K, JGT_K, LD_W_ABS, RET_K};
use super::compile::program;
use super::{load, names, parse, parse_for, Abi, Action, Arch, Profile, OPERATORS};

use runlet_tests::podman;

// These tests compile x86_64 filters on any host (the other architectures':
// tests_arch.rs), so x86_64's numbers are spelled out (linux-raw-sys's x86_64 table).
const X64_GETPPID: u32 = 110;
const X64_MKDIR: u32 = 83;
const X64_PERSONALITY: u32 = 135;

const ALLOW: u32 = p::SECCOMP_RET_ALLOW;
const KILL_PROCESS: u32 = p::SECCOMP_RET_KILL_PROCESS;

/// Runs `prog` on (arch, nr, args); checks every jump lands inside the program.
pub(super) fn run(prog: &[Insn], arch: u32, nr: u32, args: [u64; 6]) -> u32 {
    let mut data = [0u8; 64];
    data[0..4].copy_from_slice(&nr.to_le_bytes());
    data[4..8].copy_from_slice(&arch.to_le_bytes());
    for (i, a) in args.iter().enumerate() {
        data[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_le_bytes());
    }
    let (mut pc, mut acc) = (0usize, 0u32);
    loop {
        let i = prog[pc];
        pc += 1;
        let jump = |taken: bool| usize::from(if taken { i.jt } else { i.jf });
        match i.code {
            LD_W_ABS => {
                let k = i.k as usize;
                acc = u32::from_le_bytes(data[k..k + 4].try_into().unwrap());
            }
            ALU_AND_K => acc &= i.k,
            JA => pc += i.k as usize,
            JEQ_K => pc += jump(acc == i.k),
            JGT_K => pc += jump(acc > i.k),
            JGE_K => pc += jump(acc >= i.k),
            RET_K => return i.k,
            c => panic!("unexpected opcode {c:#x}"),
        }
        assert!(pc < prog.len(), "jump out of the program");
    }
}

/// An x86_64 filter's profile.
fn profile(json: &str) -> Profile {
    parse_for(&json::from_str::<Value>(json).unwrap(), Arch::X86_64).unwrap()
}

fn nr_run(prog: &[Insn], nr: u32, args: [u64; 6]) -> u32 {
    run(prog, AUDIT_ARCH_X86_64, nr, args)
}

/// Values around `v` on both halves: the interesting inputs for a comparison.
fn around(v: u64) -> Vec<u64> {
    let mut out = vec![0, 1, u64::MAX, u64::MAX - 1, 1 << 32, (1 << 32) - 1];
    for d in [0u64, 1, 1 << 32] {
        out.push(v.wrapping_add(d));
        out.push(v.wrapping_sub(d));
    }
    out.push(v ^ 0xffff_ffff);
    out.push(v & 0xffff_ffff);
    out.push(v | 0xffff_ffff_0000_0000);
    out
}

#[test]
fn every_operator_on_both_halves() {
    let values = [
        0u64,
        1,
        5,
        0xffff_ffff,
        1 << 32,
        0x1_0000_0005,
        0x8000_0000_0000_0000,
        u64::MAX,
    ];
    type Check = fn(u64, u64, u64) -> bool;
    let ops: [(&str, Check); 7] = [
        ("SCMP_CMP_NE", |a, v, _| a != v),
        ("SCMP_CMP_LT", |a, v, _| a < v),
        ("SCMP_CMP_LE", |a, v, _| a <= v),
        ("SCMP_CMP_EQ", |a, v, _| a == v),
        ("SCMP_CMP_GE", |a, v, _| a >= v),
        ("SCMP_CMP_GT", |a, v, _| a > v),
        ("SCMP_CMP_MASKED_EQ", |a, m, w| a & m == w),
    ];
    for (op, check) in ops {
        for &v in &values {
            for two in [0u64, v & 0xf0f0_f0f0_f0f0_f0f0, v] {
                for index in [0usize, 3, 5] {
                    let prof = profile(&format!(
                        r#"{{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{{"names":["personality"],"action":"SCMP_ACT_ALLOW",
                        "args":[{{"index":{index},"value":{v},"valueTwo":{two},"op":"{op}"}}]}}]}}"#
                    ));
                    let prog = program(&prof);
                    for a in around(v).into_iter().chain(around(two)) {
                        let mut args = [0x5555u64; 6];
                        args[index] = a;
                        let want = if check(a, v, two) {
                            ALLOW
                        } else {
                            p::SECCOMP_RET_ERRNO | 1
                        };
                        assert_eq!(
                            nr_run(&prog, X64_PERSONALITY, args),
                            want,
                            "{op} arg{index}={a:#x} value={v:#x} valueTwo={two:#x}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn every_action() {
    let cases = [
        ("SCMP_ACT_KILL", "", p::SECCOMP_RET_KILL_THREAD),
        ("SCMP_ACT_KILL_THREAD", "", p::SECCOMP_RET_KILL_THREAD),
        ("SCMP_ACT_KILL_PROCESS", "", KILL_PROCESS),
        ("SCMP_ACT_TRAP", "", p::SECCOMP_RET_TRAP),
        ("SCMP_ACT_ERRNO", "", p::SECCOMP_RET_ERRNO | 1),
        (
            "SCMP_ACT_ERRNO",
            r#","errnoRet":38"#,
            p::SECCOMP_RET_ERRNO | 38,
        ),
        ("SCMP_ACT_TRACE", "", p::SECCOMP_RET_TRACE | 1),
        (
            "SCMP_ACT_TRACE",
            r#","errnoRet":7"#,
            p::SECCOMP_RET_TRACE | 7,
        ),
        ("SCMP_ACT_ALLOW", "", ALLOW),
        ("SCMP_ACT_LOG", "", p::SECCOMP_RET_LOG),
    ];
    for (act, extra, want) in cases {
        let prof = profile(&format!(
            r#"{{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{{"names":["mkdir"],"action":"{act}"{extra}}}]}}"#
        ));
        let prog = program(&prof);
        assert_eq!(nr_run(&prog, X64_MKDIR, [0; 6]), want, "{act}{extra}");
        assert_eq!(nr_run(&prog, X64_MKDIR + 1, [0; 6]), ALLOW);
        // As the default action, with defaultErrnoRet.
        let prof = profile(&format!(
            r#"{{"defaultAction":"{act}"{}}}"#,
            extra.replace("errnoRet", "defaultErrnoRet")
        ));
        assert_eq!(
            nr_run(&program(&prof), X64_GETPPID, [0; 6]),
            want,
            "default {act}{extra}"
        );
    }
}

/// i386 and x32 numbers of getppid and mkdir (linux-raw-sys's x86 and x32 tables).
const I386_GETPPID: u32 = 64;
const I386_MKDIR: u32 = 39;
const X32_GETPPID: u32 = X32_SYSCALL_BIT | 110;
const X32_MKDIR: u32 = X32_SYSCALL_BIT | 83;

#[test]
fn architectures_i386_and_x32() {
    let errno = p::SECCOMP_RET_ERRNO | 1;
    // Allow-list over all three ABIs: each by its own numbers.
    let prof = profile(
        r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
            "syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ALLOW"}]}"#,
    );
    let prog = program(&prof);
    assert_eq!(nr_run(&prog, X64_GETPPID, [0; 6]), ALLOW);
    assert_eq!(nr_run(&prog, X32_GETPPID, [0; 6]), ALLOW);
    assert_eq!(run(&prog, AUDIT_ARCH_I386, I386_GETPPID, [0; 6]), ALLOW);
    assert_eq!(run(&prog, AUDIT_ARCH_I386, X64_GETPPID, [0; 6]), errno);
    // x32 has its own ioctl (514): the x86_64 number with the x32 bit is not it.
    assert_eq!(nr_run(&prog, X32_SYSCALL_BIT | 16, [0; 6]), errno);
    assert_eq!(nr_run(&prog, u32::MAX, [0; 6]), errno);
    assert_eq!(run(&prog, 0xc000_00b7, X64_GETPPID, [0; 6]), errno); // aarch64
                                                                     // Only x86_64 listed: the others get the default action.
    let prof = profile(
        r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],
            "syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ALLOW"}]}"#,
    );
    let prog = program(&prof);
    assert_eq!(nr_run(&prog, X32_GETPPID, [0; 6]), errno);
    assert_eq!(run(&prog, AUDIT_ARCH_I386, I386_GETPPID, [0; 6]), errno);
    // Deny-list with x86_64 only: neither x32 nor i386 is a way around: killed.
    let prof = profile(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}"#,
    );
    let prog = program(&prof);
    assert_eq!(nr_run(&prog, X64_MKDIR, [0; 6]), errno);
    assert_eq!(nr_run(&prog, X32_MKDIR, [0; 6]), KILL_PROCESS);
    assert_eq!(
        run(&prog, AUDIT_ARCH_I386, I386_MKDIR, [0; 6]),
        KILL_PROCESS
    );
    // Deny-list over all three: each ABI's mkdir denied, the rest allowed.
    let prof = profile(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
            "syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}"#,
    );
    let prog = program(&prof);
    assert_eq!(nr_run(&prog, X32_MKDIR, [0; 6]), errno);
    assert_eq!(run(&prog, AUDIT_ARCH_I386, I386_MKDIR, [0; 6]), errno);
    assert_eq!(run(&prog, AUDIT_ARCH_I386, X64_MKDIR, [0; 6]), ALLOW);
    assert_eq!(nr_run(&prog, X32_GETPPID, [0; 6]), ALLOW);
    assert_eq!(run(&prog, 0xc000_00b7, X64_GETPPID, [0; 6]), KILL_PROCESS);
    // x32 alone: x86_64, the native ABI, is compiled too (as libseccomp's filter
    // always holds its native architecture), and x32's numbers.
    let prof = profile(
        r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X32"],
            "syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ALLOW"}]}"#,
    );
    let prog = program(&prof);
    assert_eq!(nr_run(&prog, X64_GETPPID, [0; 6]), ALLOW);
    assert_eq!(nr_run(&prog, X32_GETPPID, [0; 6]), ALLOW);
    assert_eq!(run(&prog, AUDIT_ARCH_I386, I386_GETPPID, [0; 6]), errno);
    // Only another architecture listed: x86_64's rules still apply; aarch64's
    // syscalls cannot reach an x86_64 kernel, and get the foreign action.
    let prof = profile(
        r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_AARCH64"],
            "syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ALLOW"}]}"#,
    );
    assert_eq!(prof.abis, [true, false, false, false, false, false]);
    let prog = program(&prof);
    assert_eq!(nr_run(&prog, X64_GETPPID, [0; 6]), ALLOW);
    assert_eq!(run(&prog, 0xc000_00b7, 173, [0; 6]), errno);
}

#[test]
fn abi_tables_agree_with_linux_raw_sys() {
    for (abi, name, nr) in [
        (Abi::X86_64, "getppid", X64_GETPPID),
        (Abi::X86, "getppid", I386_GETPPID),
        (Abi::X86, "mkdir", I386_MKDIR),
        (Abi::X86, "socketcall", 102),
        (Abi::X32, "getppid", X32_GETPPID),
        (Abi::X32, "ioctl", X32_SYSCALL_BIT | 514),
    ] {
        assert_eq!(names::number(abi, name), Some(nr), "{abi:?} {name}");
    }
    assert_eq!(names::number(Abi::X86_64, "socketcall"), None);
    assert_eq!(names::number(Abi::X32, "no_such_call"), None);
}

#[test]
fn rule_order_repeated_indexes_and_unknown_names() {
    // Conditional rules come first (in order), then the unconditional one.
    let prof = profile(
        r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
            {"names":["personality","no_such_syscall","arm_fadvise64_64"],"action":"SCMP_ACT_ALLOW"},
            {"names":["personality"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":0,"value":7,"op":"SCMP_CMP_EQ"}]},
            {"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[
                {"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]},
            {"names":["mkdir"],"action":"SCMP_ACT_ALLOW","args":[
                {"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":1,"value":2,"op":"SCMP_CMP_EQ"}]}]}"#,
    );
    assert_eq!(prof.rules[0].nrs[0], vec![X64_PERSONALITY]);
    let prog = program(&prof);
    assert_eq!(
        nr_run(&prog, X64_PERSONALITY, [7, 0, 0, 0, 0, 0]),
        KILL_PROCESS
    );
    assert_eq!(nr_run(&prog, X64_PERSONALITY, [8, 0, 0, 0, 0, 0]), ALLOW);
    // Two comparisons of one argument: either may match (runc's reading).
    let socket = names::number(Abi::X86_64, "socket").unwrap();
    let errno = p::SECCOMP_RET_ERRNO | 1;
    for (a0, want) in [(1, ALLOW), (2, ALLOW), (3, errno)] {
        assert_eq!(nr_run(&prog, socket, [a0, 0, 0, 0, 0, 0]), want);
    }
    // Different arguments: all must hold.
    assert_eq!(nr_run(&prog, X64_MKDIR, [1, 2, 0, 0, 0, 0]), ALLOW);
    assert_eq!(nr_run(&prog, X64_MKDIR, [1, 3, 0, 0, 0, 0]), errno);
}

#[test]
fn every_syscall_dispatches_to_its_own_rule() {
    // One rule per syscall with a distinct errno: the search tree must find each.
    let all = names::all(Abi::X86_64);
    let all = &all[..];
    let calls: Vec<String> = all
        .iter()
        .enumerate()
        .map(|(i, (n, _))| {
            format!(
                r#"{{"names":["{n}"],"action":"SCMP_ACT_ERRNO","errnoRet":{}}}"#,
                i + 2
            )
        })
        .collect();
    let prof = profile(&format!(
        r#"{{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{}]}}"#,
        calls.join(",")
    ));
    let prog = program(&prof);
    for (i, (_, nr)) in all.iter().enumerate() {
        assert_eq!(
            nr_run(&prog, *nr, [0; 6]),
            p::SECCOMP_RET_ERRNO | (i as u32 + 2)
        );
    }
    assert_eq!(nr_run(&prog, 1000, [0; 6]), ALLOW);
    // A balanced tree: a handful of comparisons, not hundreds.
    assert!(prog.len() < 3 * all.len(), "{} instructions", prog.len());
}

#[test]
fn far_jumps_go_through_trampolines() {
    let mut a = Asm::default();
    let far = a.label();
    a.load(0);
    a.jump(JEQ_K, 1, To::L(far), To::Next);
    a.jump(JEQ_K, 2, To::Next, To::L(far));
    for i in 0..600 {
        a.ret(i);
    }
    a.bind(far);
    a.ret(ALLOW);
    let prog = a.finish();
    assert_eq!(prog.len(), 1 + 2 + 2 + 600 + 1);
    assert_eq!(nr_run(&prog, 1, [0; 6]), ALLOW);
    assert_eq!(nr_run(&prog, 2, [0; 6]), 0);
    assert_eq!(nr_run(&prog, 3, [0; 6]), ALLOW);
    // A rule chain longer than 255 instructions: conditions jump over it.
    let args: Vec<String> = (0..200)
        .map(|i| format!(r#"{{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{{"index":0,"value":{},"op":"SCMP_CMP_EQ"}}]}}"#, i * 3))
        .collect();
    let prof = profile(&format!(
        r#"{{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{}]}}"#,
        args.join(",")
    ));
    let prog = program(&prof);
    assert!(prog.len() > 800);
    assert_eq!(nr_run(&prog, X64_PERSONALITY, [597, 0, 0, 0, 0, 0]), ALLOW);
    assert_eq!(
        nr_run(&prog, X64_PERSONALITY, [598, 0, 0, 0, 0, 0]),
        p::SECCOMP_RET_ERRNO | 1
    );
}

#[test]
fn malformed_profiles_name_the_entry() {
    let s = |calls: &str| {
        format!(
            r#"{{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{{"names":["mkdir"],"action":"SCMP_ACT_ALLOW"}},{calls}]}}"#
        )
    };
    let table: Vec<(String, &str)> = vec![
        ("[]".into(), "linux.seccomp: must be an object"),
        ("{\"architectures\":[]}".into(), "linux.seccomp.defaultAction: is required"),
        (r#"{"defaultAction":"SCMP_ACT_FOO"}"#.into(), r#"linux.seccomp.defaultAction: unknown action "SCMP_ACT_FOO""#),
        (r#"{"defaultAction":"SCMP_ACT_NOTIFY"}"#.into(), "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY (seccomp user notification) is not supported yet"),
        (r#"{"defaultAction":"SCMP_ACT_ERRNO","listenerPath":"/run/x.sock"}"#.into(), "linux.seccomp.listenerPath: seccomp user notification (SCMP_ACT_NOTIFY) is not supported yet"),
        (r#"{"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":1}"#.into(), "linux.seccomp.defaultErrnoRet: applies only to a defaultAction of SCMP_ACT_ERRNO or SCMP_ACT_TRACE"),
        (r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":70000}"#.into(), "linux.seccomp.defaultErrnoRet: 70000 does not fit the kernel's 16-bit return data"),
        (r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_Z80"]}"#.into(), r#"linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_Z80""#),
        (r#"{"defaultAction":"SCMP_ACT_ERRNO","flags":["SECCOMP_FILTER_FLAG_BOGUS"]}"#.into(), r#"linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_BOGUS""#),
        (r#"{"defaultAction":"SCMP_ACT_ERRNO","flags":["SECCOMP_FILTER_FLAG_NEW_LISTENER"]}"#.into(), "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_NEW_LISTENER is not supported"),
        (r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":{}}"#.into(), "linux.seccomp.syscalls: must be an array"),
        (s(r#"{"action":"SCMP_ACT_ALLOW"}"#), "linux.seccomp.syscalls[1].names: is required"),
        (s(r#"{"names":[],"action":"SCMP_ACT_ALLOW"}"#), "linux.seccomp.syscalls[1].names: must name at least one syscall"),
        (s(r#"{"names":["read",3],"action":"SCMP_ACT_ALLOW"}"#), "linux.seccomp.syscalls[1].names[1]: must be a string"),
        (s(r#"{"names":["read"]}"#), "linux.seccomp.syscalls[1].action: is required"),
        (s(r#"{"names":["read"],"action":"SCMP_ACT_NOTIFY"}"#), "linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY"),
        (s(r#"{"names":["read"],"action":"SCMP_ACT_ALLOW","errnoRet":1}"#), "linux.seccomp.syscalls[1].errnoRet: applies only to SCMP_ACT_ERRNO or SCMP_ACT_TRACE"),
        (s(r#"{"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":-1}"#), "linux.seccomp.syscalls[1].errnoRet: must be a non-negative integer"),
        (s(r#"{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_FOO"}]}"#), r#"linux.seccomp.syscalls[1].args[0].op: unknown operator "SCMP_CMP_FOO""#),
        (s(r#"{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}"#), "linux.seccomp.syscalls[1].args[0].index: 6 is not an argument index (0 to 5)"),
        (s(r#"{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"op":"SCMP_CMP_EQ"}]}"#), "linux.seccomp.syscalls[1].args[0].value: is required"),
        (s(r#"{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1.5,"op":"SCMP_CMP_EQ"}]}"#), "linux.seccomp.syscalls[1].args[0].value: must be a non-negative integer"),
        (s(r#"{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1}]}"#), "linux.seccomp.syscalls[1].args[0].op: is required"),
        (s(r#"{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[7]}"#), "linux.seccomp.syscalls[1].args[0]: must be an object"),
    ];
    for (text, want) in table {
        let v = json::from_str::<Value>(&text).unwrap();
        let e = load(Some(&v)).expect_err(&text);
        assert!(
            e.as_str().starts_with(want),
            "{text}\n got: {}\nwant: {want}",
            e.as_str()
        );
    }
    // Absent, null and {} ask for no filter.
    assert!(load(None).unwrap().is_none());
    assert!(load(Some(&Value::Null)).unwrap().is_none());
    assert!(load(Some(&json::from_str::<Value>("{}").unwrap()))
        .unwrap()
        .is_none());
}

#[test]
fn flags_and_the_encoded_program() {
    let v = json::from_str::<Value>(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_LOG","SECCOMP_FILTER_FLAG_SPEC_ALLOW","SECCOMP_FILTER_FLAG_TSYNC"]}"#,
    )
    .unwrap();
    let f = load(Some(&v)).unwrap().unwrap();
    assert_eq!(
        f.flags,
        p::SECCOMP_FILTER_FLAG_LOG
            | p::SECCOMP_FILTER_FLAG_SPEC_ALLOW
            | p::SECCOMP_FILTER_FLAG_TSYNC
    );
    assert_eq!(f.program.len(), f.len * 8);
    // The first instruction loads the architecture: ld [4].
    assert_eq!(&f.program[..8], &[0x20, 0, 0, 0, 4, 0, 0, 0]);
    assert!(OPERATORS.contains(&"SCMP_CMP_MASKED_EQ"));
}

/// A profile in podman's format (testdata/podman-style.json, written for this test:
/// the kinds of entries podman's default profile has), converted as podman does for
/// a default container on a given kernel version.
fn podman_style(kernel: (u64, u64)) -> (Profile, Vec<Insn>) {
    let text = include_str!("testdata/podman-style.json");
    let amd64 = ("SCMP_ARCH_X86_64", "amd64");
    let oci = podman::oci_for(text, &podman::DEFAULT_CAPS, kernel, amd64);
    let prof = parse_for(&json::from_str::<Value>(&oci).unwrap(), Arch::X86_64).unwrap();
    let prog = program(&prof);
    (prof, prog)
}

#[test]
fn podman_style_profile() {
    let (prof, prog) = podman_style((6, 1));
    assert_eq!(prof.default, Action::Errno(38));
    let errno1 = p::SECCOMP_RET_ERRNO | 1;
    assert_eq!(nr_run(&prog, X64_GETPPID, [0; 6]), ALLOW);
    assert_eq!(nr_run(&prog, X64_MKDIR, [0; 6]), ALLOW);
    assert_eq!(nr_run(&prog, X64_PERSONALITY, [0; 6]), ALLOW);
    assert_eq!(
        nr_run(&prog, X64_PERSONALITY, [1, 0, 0, 0, 0, 0]),
        p::SECCOMP_RET_ERRNO | 38
    );
    assert_eq!(
        nr_run(
            &prog,
            names::number(Abi::X86_64, "kexec_load").unwrap(),
            [0; 6]
        ),
        errno1
    );
    // Not in the default capability set: CAP_SYS_ADMIN's, CAP_AUDIT_WRITE's rules.
    assert_eq!(
        nr_run(&prog, names::number(Abi::X86_64, "bpf").unwrap(), [0; 6]),
        errno1
    );
    let socket = names::number(Abi::X86_64, "socket").unwrap();
    assert_eq!(
        nr_run(&prog, socket, [16, 3, 9, 0, 0, 0]),
        p::SECCOMP_RET_ERRNO | 22
    );
    assert_eq!(nr_run(&prog, socket, [16, 3, 0, 0, 0, 0]), ALLOW);
    assert_eq!(nr_run(&prog, socket, [2, 1, 0, 0, 0, 0]), ALLOW);
    // A syscall the profile does not name: the default action.
    assert_eq!(nr_run(&prog, 335, [0; 6]), p::SECCOMP_RET_ERRNO | 38);
    // minKernel 5.8: included from 5.8 on, excluded before (both ways round).
    let getpid = names::number(Abi::X86_64, "getpid").unwrap();
    let gettid = names::number(Abi::X86_64, "gettid").unwrap();
    assert_eq!(nr_run(&prog, getpid, [0; 6]), ALLOW);
    assert_eq!(nr_run(&prog, gettid, [0; 6]), p::SECCOMP_RET_ERRNO | 38);
    let (_, old) = podman_style((5, 4));
    assert_eq!(nr_run(&old, getpid, [0; 6]), p::SECCOMP_RET_ERRNO | 38);
    assert_eq!(nr_run(&old, gettid, [0; 6]), ALLOW);
    // Entries for other arches only are dropped.
    for name in ["sync", "syncfs"] {
        let nr = names::number(Abi::X86_64, name).unwrap();
        assert_eq!(
            nr_run(&prog, nr, [0; 6]),
            p::SECCOMP_RET_ERRNO | 38,
            "{name}"
        );
    }
    // archMap lists i386 and x32 with x86_64: their rules are compiled too.
    assert_eq!(prof.abis, [true, true, true, false, false, false]);
    assert_eq!(run(&prog, AUDIT_ARCH_I386, I386_GETPPID, [0; 6]), ALLOW);
    assert_eq!(nr_run(&prog, X32_GETPPID, [0; 6]), ALLOW);
    assert_eq!(run(&prog, AUDIT_ARCH_I386, I386_MKDIR, [0; 6]), ALLOW);
    assert_eq!(
        run(&prog, AUDIT_ARCH_I386, 136, [1, 0, 0, 0, 0, 0]),
        p::SECCOMP_RET_ERRNO | 38
    );
    assert_eq!(run(&prog, AUDIT_ARCH_I386, 136, [8, 0, 0, 0, 0, 0]), ALLOW);
}

/// A benchmark, not a test: `cargo test --release -p runlet compile_time -- --ignored --nocapture`
/// (scripts/bench-seccomp.sh runs it). With `RUNLET_SECCOMP_OCI_OUT=FILE`, it also
/// writes podman's profile in OCI form there, for the benchmark's containers.
#[test]
#[ignore]
fn compile_time() {
    let profile = podman::read().unwrap_or_else(|e| panic!("{e}"));
    let oci = podman::oci(&profile, &podman::DEFAULT_CAPS, podman::running_kernel());
    if let Ok(out) = std::env::var("RUNLET_SECCOMP_OCI_OUT") {
        std::fs::write(&out, &oci).unwrap_or_else(|e| panic!("write {out}: {e}"));
    }
    let v = json::from_str::<Value>(&oci).unwrap();
    let rounds = 2000;
    let median = |f: &mut dyn FnMut()| {
        let mut times: Vec<f64> = (0..rounds)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        times.sort_by(f64::total_cmp);
        (
            times[rounds / 2],
            times[rounds / 10],
            times[rounds * 9 / 10],
        )
    };
    let len = load(Some(&v)).unwrap().unwrap().len;
    let (m, p10, p90) = median(&mut || {
        std::hint::black_box(load(Some(&v)).unwrap());
    });
    let (json_m, ..) = median(&mut || {
        std::hint::black_box(json::from_str::<Value>(&oci).unwrap());
    });
    let prof = parse(&v).unwrap();
    let (prog_m, ..) = median(&mut || {
        std::hint::black_box(program(&prof));
    });
    println!(
        "seccomp-compile instructions={len} median_us={m:.1} p10_us={p10:.1} p90_us={p90:.1} rounds={rounds} (check+compile from parsed JSON; compile alone median_us={prog_m:.1}; JSON text to value median_us={json_m:.1})"
    );
}
