//! Device rules on cgroup v2: a `BPF_PROG_TYPE_CGROUP_DEVICE` program, built here
//! instruction by instruction (no libbpf), loaded with `bpf(BPF_PROG_LOAD)` and
//! attached to the container's cgroup2 directory with `bpf(BPF_PROG_ATTACH)`.
//!
//! The kernel runs the program on every mknod and open of a device node by a process
//! in the cgroup, with `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major;
//! u32 minor; }` in r1 (`access_type` = access << 16 | type). The program tests the
//! rules from the last to the first (the last matching rule wins, as with v1's
//! files) and returns 1 (allow) or 0 (deny); no rule matching is a deny.
//!
//! rustix has no `bpf()` wrapper: the two raw calls go through `os::sys::bpf`. The attached program stays with the cgroup after runlet exits.

use std::ffi::c_long;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use linux_raw_sys::ptrace as c;
use rustix::fs::{open, Mode, OFlags};

use crate::config::resources::DeviceRule;
use crate::error::{Error, Result};
use crate::os::sys;

// From the kernel's uapi/linux/bpf.h (linux-raw-sys has no bpf module).
const BPF_PROG_LOAD: c_long = 5;
const BPF_PROG_ATTACH: c_long = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
const BPF_CGROUP_DEVICE: u32 = 6;
const BPF_F_ALLOW_MULTI: u32 = 2;
const DEVCG_DEV_BLOCK: i32 = 1;
const DEVCG_DEV_CHAR: i32 = 2;
const DEVCG_ACC_MKNOD: i32 = 1;
const DEVCG_ACC_READ: i32 = 2;
const DEVCG_ACC_WRITE: i32 = 4;

/// `struct bpf_insn`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Insn {
    code: u8,
    /// dst_reg in the low nibble, src_reg in the high one.
    regs: u8,
    off: i16,
    imm: i32,
}

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs: dst | (src << 4),
        off,
        imm,
    }
}

// Opcodes: class | op | source. The classic BPF parts come from linux-raw-sys
// (linux/bpf_common.h); eBPF's own (BPF_ALU64, BPF_MOV, BPF_JNE, BPF_EXIT, from
// linux/bpf.h) it does not have.
const BPF_ALU64: u8 = 0x07;
const BPF_MOV: u8 = 0xb0;
const BPF_JNE: u8 = 0x50;
const BPF_EXIT: u8 = 0x90;
const LDX_MEM_W: u8 = (c::BPF_LDX | c::BPF_MEM | c::BPF_W) as u8; // dst = *(u32 *)(src + off)
const ALU64_AND_K: u8 = BPF_ALU64 | (c::BPF_AND | c::BPF_K) as u8;
const ALU64_RSH_K: u8 = BPF_ALU64 | (c::BPF_RSH | c::BPF_K) as u8;
const ALU64_MOV_K: u8 = BPF_ALU64 | BPF_MOV | c::BPF_K as u8;
const ALU64_MOV_X: u8 = BPF_ALU64 | BPF_MOV | c::BPF_X as u8;
const JMP_JEQ_K: u8 = (c::BPF_JMP | c::BPF_JEQ | c::BPF_K) as u8;
const JMP_JNE_K: u8 = c::BPF_JMP as u8 | BPF_JNE | c::BPF_K as u8;
const JMP_JNE_X: u8 = c::BPF_JMP as u8 | BPF_JNE | c::BPF_X as u8;
const JMP_EXIT: u8 = c::BPF_JMP as u8 | BPF_EXIT;

/// The program for `rules` (in the order they apply; a later one wins).
pub(super) fn program(rules: &[DeviceRule]) -> Vec<Insn> {
    // r2 = type, r3 = access, r4 = major, r5 = minor.
    let mut p = vec![
        insn(LDX_MEM_W, 2, 1, 0, 0),
        insn(ALU64_AND_K, 2, 0, 0, 0xffff),
        insn(LDX_MEM_W, 3, 1, 0, 0),
        insn(ALU64_RSH_K, 3, 0, 0, 16),
        insn(LDX_MEM_W, 4, 1, 4, 0),
        insn(LDX_MEM_W, 5, 1, 8, 0),
    ];
    for r in rules.iter().rev() {
        // Each test jumps past the block (to the next rule) when it does not match;
        // the offsets are filled in once the block's length is known.
        let mut b: Vec<Insn> = Vec::new();
        match r.kind {
            'c' => b.push(insn(JMP_JNE_K, 2, 0, 0, DEVCG_DEV_CHAR)),
            'b' => b.push(insn(JMP_JNE_K, 2, 0, 0, DEVCG_DEV_BLOCK)),
            _ => {}
        }
        let acc = r.access.chars().fold(0, |a, c| {
            a | match c {
                'r' => DEVCG_ACC_READ,
                'w' => DEVCG_ACC_WRITE,
                _ => DEVCG_ACC_MKNOD,
            }
        });
        if acc != DEVCG_ACC_READ | DEVCG_ACC_WRITE | DEVCG_ACC_MKNOD {
            b.push(insn(ALU64_MOV_X, 6, 3, 0, 0));
            b.push(insn(ALU64_AND_K, 6, 0, 0, acc));
            if r.allow {
                // An allow rule covers a request all of whose accesses it allows.
                b.push(insn(JMP_JNE_X, 6, 3, 0, 0));
            } else {
                // A deny rule applies to a request asking for any access it denies.
                b.push(insn(JMP_JEQ_K, 6, 0, 0, 0));
            }
        }
        if let Some(m) = r.major {
            b.push(insn(JMP_JNE_K, 4, 0, 0, m as i32));
        }
        if let Some(m) = r.minor {
            b.push(insn(JMP_JNE_K, 5, 0, 0, m as i32));
        }
        let tests = b.len();
        b.push(insn(ALU64_MOV_K, 0, 0, 0, r.allow as i32));
        b.push(insn(JMP_EXIT, 0, 0, 0, 0));
        let len = b.len();
        for (i, x) in b.iter_mut().enumerate().take(tests) {
            if x.code & 0x07 == 0x05 {
                // A conditional jump (class BPF_JMP); the others must keep off 0.
                x.off = (len - i - 1) as i16;
            }
        }
        p.extend(b);
        if tests == 0 {
            // It matches everything: the rules before it and the final deny can
            // never be reached, and the verifier refuses unreachable instructions.
            return p;
        }
    }
    p.push(insn(ALU64_MOV_K, 0, 0, 0, 0));
    p.push(insn(JMP_EXIT, 0, 0, 0, 0));
    p
}

/// The first fields of `union bpf_attr` for BPF_PROG_LOAD.
#[repr(C)]
#[derive(Default)]
struct ProgLoad {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
}

/// The fields of `union bpf_attr` for BPF_PROG_ATTACH.
#[repr(C)]
struct ProgAttach {
    target_fd: u32,
    attach_bpf_fd: u32,
    attach_type: u32,
    attach_flags: u32,
    replace_bpf_fd: u32,
}

fn bpf<T>(cmd: c_long, attr: &mut T) -> io::Result<c_long> {
    // SAFETY: `attr` is a ProgLoad or ProgAttach, laid out as the kernel's bpf_attr
    // prefix for `cmd`; every pointer in it is to memory that outlives the call.
    unsafe { sys::bpf(cmd, attr) }
}

/// Loads the program for `rules` and attaches it to the cgroup2 directory `dir`.
pub(super) fn attach(dir: &Path, rules: &[DeviceRule]) -> Result<()> {
    let prog = program(rules);
    let license = b"Apache\0";
    let mut log = vec![0u8; 65536];
    let mut name = [0u8; 16];
    name[..13].copy_from_slice(b"runlet_device");
    let mut load = ProgLoad {
        prog_type: BPF_PROG_TYPE_CGROUP_DEVICE,
        insn_cnt: prog.len() as u32,
        insns: prog.as_ptr() as u64,
        license: license.as_ptr() as u64,
        log_level: 1,
        log_size: log.len() as u32,
        log_buf: log.as_mut_ptr() as u64,
        prog_name: name,
        ..ProgLoad::default()
    };
    let fd = bpf(BPF_PROG_LOAD, &mut load).map_err(|e| {
        let text = String::from_utf8_lossy(&log);
        // The verifier's complaint is the line before its closing statistics.
        let lines: Vec<&str> = text.trim_end_matches('\0').lines().collect();
        let last = lines[lines.len().saturating_sub(2)..].join("; ");
        let mut err = Error::sys("bpf BPF_PROG_LOAD (cgroup device program)", e);
        if !last.is_empty() {
            err = Error::msg(format!("{err}: verifier: {last}"));
        }
        err
    })?;
    // SAFETY: the kernel just returned this fd to us; nothing else owns it.
    let prog_fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let cg = open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::io("open", dir, e.into()))?;
    let mut at = ProgAttach {
        target_fd: cg.as_raw_fd() as u32,
        attach_bpf_fd: prog_fd.as_raw_fd() as u32,
        attach_type: BPF_CGROUP_DEVICE,
        attach_flags: BPF_F_ALLOW_MULTI,
        replace_bpf_fd: 0,
    };
    bpf(BPF_PROG_ATTACH, &mut at)
        .map_err(|e| Error::io("bpf BPF_PROG_ATTACH BPF_CGROUP_DEVICE to", dir, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the program on one request, as the kernel would (only the instructions
    /// `program` emits).
    fn run(p: &[Insn], kind: i32, access: i32, major: u32, minor: u32) -> u64 {
        let ctx = [((access << 16) | kind) as u32, major, minor];
        let mut r = [0u64; 11];
        let mut pc = 0usize;
        loop {
            let i = p[pc];
            let (d, s) = ((i.regs & 0xf) as usize, (i.regs >> 4) as usize);
            let k = i.imm as i64 as u64;
            pc += 1;
            let jump = |c: bool, pc: &mut usize| {
                if c {
                    *pc = (*pc as i64 + i.off as i64) as usize
                }
            };
            match i.code {
                LDX_MEM_W => r[d] = ctx[i.off as usize / 4] as u64,
                ALU64_AND_K => r[d] &= k,
                ALU64_RSH_K => r[d] >>= k,
                ALU64_MOV_K => r[d] = k,
                ALU64_MOV_X => r[d] = r[s],
                JMP_JEQ_K => jump(r[d] == k, &mut pc),
                JMP_JNE_K => jump(r[d] != k, &mut pc),
                JMP_JNE_X => jump(r[d] != r[s], &mut pc),
                JMP_EXIT => return r[0],
                c => panic!("opcode {c:#x}"),
            }
        }
    }

    #[test]
    fn rules_decide_as_the_last_match() {
        let deny_all = DeviceRule {
            allow: false,
            kind: 'a',
            major: None,
            minor: None,
            access: "rwm".into(),
        };
        let rules = [
            deny_all.clone(),
            DeviceRule::allow('c', None, None, "m"),
            DeviceRule::allow('b', None, None, "m"),
            DeviceRule::allow('c', Some(1), Some(3), "rwm"),
            DeviceRule::allow('c', Some(136), None, "rw"),
            DeviceRule {
                allow: false,
                kind: 'c',
                major: Some(1),
                minor: Some(3),
                access: "w".into(),
            },
        ];
        let p = program(&rules);
        let (r, w, m) = (DEVCG_ACC_READ, DEVCG_ACC_WRITE, DEVCG_ACC_MKNOD);
        let (c, b) = (DEVCG_DEV_CHAR, DEVCG_DEV_BLOCK);
        assert_eq!(run(&p, c, r, 1, 3), 1, "read /dev/null");
        assert_eq!(
            run(&p, c, r | w, 1, 3),
            0,
            "write /dev/null denied by the last rule"
        );
        assert_eq!(run(&p, b, m, 8, 0), 1, "mknod of a block device");
        assert_eq!(run(&p, b, r, 8, 0), 0, "read of a block device");
        assert_eq!(run(&p, b, r | w, 8, 0), 0, "open rw of a block device");
        assert_eq!(run(&p, c, r | w, 136, 4), 1, "a pty");
        assert_eq!(run(&p, c, m, 136, 4), 1, "mknod a pty (the c *:* m rule)");
        assert_eq!(run(&p, c, r, 10, 229), 0, "fuse, not allowed");
        // Nothing but the default: everything denied; allow-all: everything allowed.
        assert_eq!(run(&program(&[]), c, r, 1, 3), 0);
        let all = DeviceRule::allow('a', None, None, "rwm");
        let p = program(&[deny_all, all]);
        assert_eq!(run(&p, b, r | w, 8, 0), 1);
        assert_eq!(p.len(), 6 + 2, "nothing after a rule matching everything");
    }
}
