//! A profile to a classic BPF program for seccomp(SECCOMP_SET_MODE_FILTER).
//!
//! ```text
//!   A = arch;  A == audit arch of the native ABI ? NATIVE : go on
//!              A == audit arch of a listed compat ABI ? COMPAT : go on   (each)
//!              ret FOREIGN
//! NATIVE: A = nr;  (x86_64: A >= X32_SYSCALL_BIT ? X32 or FOREIGN : go on)
//!   <tree of the native ABI's rules>
//! X32:    <tree over the x32 numbers>                  (x86_64, when x32 is listed)
//! COMPAT: A = nr; <tree of that ABI's rules>           (i386 on x86_64, arm on aarch64)
//!   A tree over syscall numbers: `A >= k` splits ranges in halves until one
//!   range is left; a range is either `ret <action>` (a run of numbers with one
//!   unconditional action, the default filling the gaps) or one syscall's rules:
//!     rule 1: each comparison, 64-bit values as hi/lo 32-bit halves; all hold → ret
//!     rule 2: ...
//!     ret <unconditional action of that syscall, or the default>
//!   FOREIGN: ret <default, or KILL_PROCESS when the default lets syscalls run>
//! ```
//!
//! The path to a syscall without argument rules loads only `arch` and `nr` and uses
//! only `jeq`/`jge` and `ret`: the kernel's constant-action cache (5.11+) can then skip
//! the filter for every always-allowed syscall, as it does for libseccomp's.

use super::arch::X32_SYSCALL_BIT;
use super::asm::{self, Asm, Insn, To, JEQ_K, JGE_K, JGT_K, MAX_INSNS};
use super::{Abi, Action, Cond, Filter, Op, Profile};
use crate::error::{Error, Result};

/// Offsets in `struct seccomp_data`.
const NR: u32 = 0;
const ARCH: u32 = 4;
const ARGS: u32 = 16;

/// One syscall's rules after merging every entry that names it.
struct Leaf<'a> {
    /// Tried in order; the first whose comparisons all hold decides.
    conditional: Vec<(Action, &'a [Cond])>,
    /// The first rule without comparisons; else the default action.
    unconditional: Option<Action>,
}

/// What a range of syscall numbers does.
enum Range<'a> {
    Ret(Action),
    Rules(Leaf<'a>),
}

pub(crate) fn compile(p: &Profile) -> Result<Filter> {
    let prog = program(p);
    if prog.len() > MAX_INSNS {
        return Err(Error::msg(format!(
            "linux.seccomp compiles to {} BPF instructions; the kernel loads at most {MAX_INSNS}",
            prog.len()
        )));
    }
    Ok(Filter {
        program: asm::to_bytes(&prog),
        flags: p.flags,
        len: prog.len(),
    })
}

/// The instructions, unchecked against the kernel's limit.
pub(crate) fn program(p: &Profile) -> Vec<Insn> {
    let foreign_ret = p.foreign().ret();
    let listed = |abi: &&Abi| p.abis[**abi as usize];
    // x32 shares x86_64's audit arch: its numbers are a branch of x86_64's tree.
    let blocks: Vec<(Abi, Vec<(u32, Range)>)> = (p.arch.abis().iter().filter(listed))
        .filter(|abi| **abi != Abi::X32)
        .map(|&abi| (abi, ranges(p, abi)))
        .collect();
    let x32 = p.abis[Abi::X32 as usize].then(|| ranges(p, Abi::X32));
    // About a comparison and a return per range; rules add a few more.
    let n: usize =
        blocks.iter().map(|b| b.1.len()).sum::<usize>() + x32.as_ref().map_or(0, Vec::len);
    let mut a = Asm::with_capacity(3 * n + 16);
    let foreign = a.label();
    let labels: Vec<_> = blocks.iter().map(|_| a.label()).collect();
    a.load(ARCH);
    for ((abi, _), l) in blocks.iter().zip(&labels) {
        a.jump(JEQ_K, abi.audit_arch(), To::L(*l), To::Next);
    }
    a.ret(foreign_ret);
    for ((abi, r), l) in blocks.iter().zip(&labels) {
        a.bind(*l);
        a.load(NR);
        if *abi == Abi::X86_64 {
            // An x32 number is no way around x86_64's rules.
            let lx32 = a.label();
            let to = if x32.is_some() { lx32 } else { foreign };
            a.jump(JGE_K, X32_SYSCALL_BIT, To::L(to), To::Next);
            tree(&mut a, r, p.default);
            if let Some(r) = &x32 {
                a.bind(lx32);
                tree(&mut a, r, p.default);
            }
        } else {
            tree(&mut a, r, p.default);
        }
    }
    a.bind(foreign);
    a.ret(foreign_ret);
    a.finish()
}

fn repeats_an_index(args: &[Cond]) -> bool {
    args.iter()
        .enumerate()
        .any(|(i, c)| args[..i].iter().any(|d| d.index == c.index))
}

/// The numbers of `abi` as ranges: (first number, what it does), sorted, neighbours
/// with the same plain action merged. Per syscall named, a slot in tables indexed by
/// its place among the named numbers (sparse: ARM's private calls sit at 0xf0000);
/// only syscalls with argument rules get a list.
fn ranges(p: &Profile, abi: Abi) -> Vec<(u32, Range<'_>)> {
    let (start, end) = abi.numbers();
    let mut nrs: Vec<u32> = (p.rules.iter())
        .flat_map(|r| r.nrs[abi as usize].iter().copied())
        .collect();
    nrs.sort_unstable();
    nrs.dedup();
    let index = |n: &u32| nrs.binary_search(n).unwrap_or_default();
    let size = nrs.len();
    let mut unconditional: Vec<Option<Action>> = vec![None; size];
    // (syscall, action, comparisons that must all hold), in profile order.
    let mut conditional: Vec<(usize, Action, &[Cond])> = Vec::new();
    for r in &p.rules {
        for i in r.nrs[abi as usize].iter().map(index) {
            if r.args.is_empty() {
                unconditional[i].get_or_insert(r.action);
            } else if repeats_an_index(&r.args) {
                // runc's reading (libseccomp refuses two comparisons of one argument in
                // a rule): each comparison is a rule of its own, so any may match.
                for c in &r.args {
                    conditional.push((i, r.action, std::slice::from_ref(c)));
                }
            } else {
                conditional.push((i, r.action, &r.args));
            }
        }
    }
    conditional.sort_by_key(|c| c.0); // stable: profile order within a syscall

    let mut out: Vec<(u32, Range)> = Vec::with_capacity(64);
    fn push<'a>(out: &mut Vec<(u32, Range<'a>)>, lo: u32, r: Range<'a>) {
        // Runs of one plain action merge; a syscall with rules stands alone.
        match (out.last(), &r) {
            (Some((_, Range::Ret(last))), Range::Ret(a)) if last == a => {}
            _ => out.push((lo, r)),
        }
    }
    let mut next = start;
    let mut c = 0;
    for (i, &nr) in nrs.iter().enumerate() {
        let fallback = unconditional[i].unwrap_or(p.default);
        let mut rules = Vec::new();
        while c < conditional.len() && conditional[c].0 == i {
            // A conditional rule with the fallback's own action changes nothing.
            if conditional[c].1 != fallback {
                rules.push((conditional[c].1, conditional[c].2));
            }
            c += 1;
        }
        if u64::from(nr) > next {
            push(&mut out, next as u32, Range::Ret(p.default));
        }
        let r = if rules.is_empty() {
            Range::Ret(fallback)
        } else {
            Range::Rules(Leaf {
                conditional: rules,
                unconditional: unconditional[i],
            })
        };
        push(&mut out, nr, r);
        next = u64::from(nr) + 1;
    }
    if next < end {
        push(&mut out, next as u32, Range::Ret(p.default));
    }
    out
}

/// A balanced search over `ranges` (A holds the syscall number).
fn tree(a: &mut Asm, ranges: &[(u32, Range<'_>)], default: Action) {
    if ranges.len() == 1 {
        match &ranges[0].1 {
            Range::Ret(act) => a.ret(act.ret()),
            Range::Rules(leaf) => rules(a, leaf, default),
        }
        return;
    }
    let mid = ranges.len() / 2;
    let right = a.label();
    a.jump(JGE_K, ranges[mid].0, To::L(right), To::Next);
    tree(a, &ranges[..mid], default);
    a.bind(right);
    tree(a, &ranges[mid..], default);
}

fn rules(a: &mut Asm, leaf: &Leaf<'_>, default: Action) {
    for (act, conds) in &leaf.conditional {
        let fail = a.label();
        for c in conds.iter() {
            compare(a, c, fail);
        }
        a.ret(act.ret());
        a.bind(fail);
    }
    a.ret(leaf.unconditional.unwrap_or(default).ret());
}

/// Falls through when `c` holds, jumps to `fail` otherwise. The kernel's cBPF compares
/// 32 bits at a time: the high half decides unless it is equal, then the low half.
fn compare(a: &mut Asm, c: &Cond, fail: asm::Label) {
    let lo_off = ARGS + 8 * u32::from(c.index);
    let hi_off = lo_off + 4;
    let (vh, vl) = ((c.value >> 32) as u32, c.value as u32);
    let pass = a.label();
    let (f, p, n) = (To::L(fail), To::L(pass), To::Next);
    match c.op {
        Op::Eq => {
            a.load(hi_off);
            a.jump(JEQ_K, vh, n, f);
            a.load(lo_off);
            a.jump(JEQ_K, vl, n, f);
        }
        Op::Ne => {
            a.load(hi_off);
            a.jump(JEQ_K, vh, n, p);
            a.load(lo_off);
            a.jump(JEQ_K, vl, f, n);
        }
        Op::Gt | Op::Ge => {
            a.load(hi_off);
            a.jump(JGT_K, vh, p, n);
            a.jump(JEQ_K, vh, n, f);
            a.load(lo_off);
            a.jump(if c.op == Op::Gt { JGT_K } else { JGE_K }, vl, n, f);
        }
        Op::Lt | Op::Le => {
            a.load(hi_off);
            a.jump(JGT_K, vh, f, n);
            a.jump(JEQ_K, vh, n, p);
            a.load(lo_off);
            a.jump(if c.op == Op::Le { JGT_K } else { JGE_K }, vl, f, n);
        }
        Op::MaskedEq => {
            let (mh, ml) = ((c.value >> 32) as u32, c.value as u32);
            let (wh, wl) = ((c.value_two >> 32) as u32, c.value_two as u32);
            a.load(hi_off);
            a.and(mh);
            a.jump(JEQ_K, wh, n, f);
            a.load(lo_off);
            a.and(ml);
            a.jump(JEQ_K, wl, n, f);
        }
    }
    a.bind(pass);
}
