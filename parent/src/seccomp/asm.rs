//! A tiny classic-BPF assembler: instructions with symbolic forward targets, laid out
//! with `JA` trampolines wherever a conditional jump would reach farther than its 8-bit
//! offset allows (255 instructions). The layout is repeated until no new trampoline is
//! needed; trampolines only ever get added, so it ends.

use linux_raw_sys::ptrace as b;

/// `struct sock_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

// Opcodes (linux/bpf_common.h): class | size/op | source.
pub const LD_W_ABS: u16 = (b::BPF_LD | b::BPF_W | b::BPF_ABS) as u16;
pub const ALU_AND_K: u16 = (b::BPF_ALU | b::BPF_AND | b::BPF_K) as u16;
pub const JA: u16 = (b::BPF_JMP | b::BPF_JA) as u16;
pub const JEQ_K: u16 = (b::BPF_JMP | b::BPF_JEQ | b::BPF_K) as u16;
pub const JGT_K: u16 = (b::BPF_JMP | b::BPF_JGT | b::BPF_K) as u16;
pub const JGE_K: u16 = (b::BPF_JMP | b::BPF_JGE | b::BPF_K) as u16;
pub const RET_K: u16 = (b::BPF_RET | b::BPF_K) as u16;

/// A place in the program, bound once with `Asm::bind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(usize);

/// Where a conditional jump goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum To {
    /// The next instruction.
    Next,
    L(Label),
}

#[derive(Debug, Clone, Copy)]
enum Item {
    Stmt(u16, u32),
    Jump { code: u16, k: u32, jt: To, jf: To },
    Bind(Label),
}

#[derive(Default)]
pub struct Asm {
    items: Vec<Item>,
    labels: usize,
}

/// The largest program the kernel loads (BPF_MAXINSNS).
pub const MAX_INSNS: usize = 4096;

impl Asm {
    /// Room for about `n` instructions before the first reallocation.
    pub fn with_capacity(n: usize) -> Self {
        Asm {
            items: Vec::with_capacity(n),
            labels: 0,
        }
    }

    pub fn label(&mut self) -> Label {
        self.labels += 1;
        Label(self.labels - 1)
    }

    pub fn bind(&mut self, l: Label) {
        self.items.push(Item::Bind(l));
    }

    /// `A = seccomp_data[off]` (32 bits).
    pub fn load(&mut self, off: u32) {
        self.items.push(Item::Stmt(LD_W_ABS, off));
    }

    pub fn and(&mut self, k: u32) {
        self.items.push(Item::Stmt(ALU_AND_K, k));
    }

    pub fn ret(&mut self, k: u32) {
        self.items.push(Item::Stmt(RET_K, k));
    }

    pub fn jump(&mut self, code: u16, k: u32, jt: To, jf: To) {
        self.items.push(Item::Jump { code, k, jt, jf });
    }

    /// Lays out and resolves every jump. Targets must come after their jump.
    pub fn finish(self) -> Vec<Insn> {
        let tramp = self.trampolines();
        let (pos, at) = self.layout(&tramp);
        self.emit(&tramp, &pos, &at)
    }

    /// Which branches of each jump need a `JA` trampoline, in one backward pass: every
    /// jump goes forward, so when a jump is reached from the end, everything between it
    /// and its targets already has its final size.
    fn trampolines(&self) -> Vec<(bool, bool)> {
        let mut tramp = vec![(false, false); self.items.len()];
        // Instructions from a label (or item) to the end of the program.
        let mut label_rest = vec![usize::MAX; self.labels];
        let mut rest = 0usize;
        for (i, item) in self.items.iter().enumerate().rev() {
            match *item {
                Item::Bind(l) => label_rest[l.0] = rest,
                Item::Stmt(..) => rest += 1,
                Item::Jump { jt, jf, .. } => {
                    // Instructions between this jump's trampolines and the target.
                    let gap = |t: To| match t {
                        To::Next => 0,
                        To::L(l) => {
                            assert!(
                                label_rest[l.0] != usize::MAX,
                                "seccomp: label {} not after its jump",
                                l.0
                            );
                            rest - label_rest[l.0]
                        }
                    };
                    let (gt, gf) = (gap(jt), gap(jf));
                    let (mut tt, mut tf) = (false, false);
                    // A branch without a trampoline jumps over the other's; adding one
                    // can push the other past 255, so settle the pair (at most twice).
                    for _ in 0..2 {
                        let n = tt as usize + tf as usize;
                        tt |= gt + n > 255;
                        let n = tt as usize + tf as usize;
                        tf |= gf + n > 255;
                    }
                    tramp[i] = (tt, tf);
                    rest += 1 + tt as usize + tf as usize;
                }
            }
        }
        tramp
    }

    /// The position of each item, and of each label.
    fn layout(&self, tramp: &[(bool, bool)]) -> (Vec<usize>, Vec<usize>) {
        let mut pos = Vec::with_capacity(self.items.len());
        let mut at = vec![usize::MAX; self.labels];
        let mut p = 0;
        for (i, item) in self.items.iter().enumerate() {
            pos.push(p);
            match item {
                Item::Bind(l) => at[l.0] = p,
                Item::Stmt(..) => p += 1,
                Item::Jump { .. } => p += 1 + tramp[i].0 as usize + tramp[i].1 as usize,
            }
        }
        (pos, at)
    }

    fn target(&self, t: To, next: usize, at: &[usize]) -> usize {
        match t {
            To::Next => next,
            To::L(l) => {
                assert!(at[l.0] != usize::MAX, "seccomp: label {} never bound", l.0);
                at[l.0]
            }
        }
    }

    fn emit(&self, tramp: &[(bool, bool)], pos: &[usize], at: &[usize]) -> Vec<Insn> {
        let mut out = Vec::new();
        for (i, item) in self.items.iter().enumerate() {
            match *item {
                Item::Bind(_) => {}
                Item::Stmt(code, k) => out.push(Insn {
                    code,
                    jt: 0,
                    jf: 0,
                    k,
                }),
                Item::Jump { code, k, jt, jf } => {
                    let (tt, tf) = tramp[i];
                    let next = pos[i] + 1 + tt as usize + tf as usize;
                    let (t_to, f_to) = (self.target(jt, next, at), self.target(jf, next, at));
                    assert!(t_to > pos[i] && f_to > pos[i], "seccomp: backward jump");
                    let off = |to: usize, slot: usize, via: bool| -> u8 {
                        if via {
                            slot as u8
                        } else {
                            (to - pos[i] - 1) as u8
                        }
                    };
                    out.push(Insn {
                        code,
                        jt: off(t_to, 0, tt),
                        jf: off(f_to, tt as usize, tf),
                        k,
                    });
                    // Each trampoline jumps from its own position + 1.
                    if tt {
                        let here = out.len();
                        out.push(Insn {
                            code: JA,
                            jt: 0,
                            jf: 0,
                            k: (t_to - here - 1) as u32,
                        });
                    }
                    if tf {
                        let here = out.len();
                        out.push(Insn {
                            code: JA,
                            jt: 0,
                            jf: 0,
                            k: (f_to - here - 1) as u32,
                        });
                    }
                }
            }
        }
        out
    }
}

/// The program as the kernel reads it: 8 bytes per instruction, native endian.
pub fn to_bytes(prog: &[Insn]) -> Vec<u8> {
    let mut b = Vec::with_capacity(prog.len() * 8);
    for i in prog {
        b.extend_from_slice(&i.code.to_ne_bytes());
        b.push(i.jt);
        b.push(i.jf);
        b.extend_from_slice(&i.k.to_ne_bytes());
    }
    b
}
