//! The architectures runlet runs on and the syscall ABIs each one's kernel takes: a
//! filter has rules for every ABI of the architecture it runs on (the native one
//! always, as libseccomp's filters do; its compat ABIs when a profile lists them).
//! Everything here is a value, not a `cfg`, so unit tests compile and run the filters
//! of every architecture on any host.

use linux_raw_sys::ptrace::{
    AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_I386, AUDIT_ARCH_RISCV64, AUDIT_ARCH_X86_64,
};

/// x32 syscalls are x86_64's `AUDIT_ARCH_X86_64` with this bit in the number
/// (linux-raw-sys defines `__X32_SYSCALL_BIT` only when built for x86 targets).
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;
/// ARM's private syscalls (`set_tls`, `cacheflush`...) are numbered from here.
pub const ARM_NR_BASE: u32 = 0x000f_0000;

/// A syscall ABI: a column of the names table (`Abi as usize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abi {
    /// `AUDIT_ARCH_X86_64`, numbers below `X32_SYSCALL_BIT`.
    X86_64 = 0,
    /// `AUDIT_ARCH_I386` (32-bit programs, and `int 0x80`).
    X86 = 1,
    /// `AUDIT_ARCH_X86_64` with `X32_SYSCALL_BIT` set in the number.
    X32 = 2,
    Aarch64 = 3,
    /// `AUDIT_ARCH_ARM`: armv7 programs, and 32-bit programs on an aarch64 kernel.
    Arm = 4,
    Riscv64 = 5,
}

/// How many ABIs there are (the length of per-ABI arrays).
pub const ABIS: usize = 6;

impl Abi {
    /// The `SCMP_ARCH_*` name a profile uses.
    pub fn scmp_name(self) -> &'static str {
        match self {
            Abi::X86_64 => "SCMP_ARCH_X86_64",
            Abi::X86 => "SCMP_ARCH_X86",
            Abi::X32 => "SCMP_ARCH_X32",
            Abi::Aarch64 => "SCMP_ARCH_AARCH64",
            Abi::Arm => "SCMP_ARCH_ARM",
            Abi::Riscv64 => "SCMP_ARCH_RISCV64",
        }
    }

    pub fn from_scmp_name(name: &str) -> Option<Abi> {
        ALL.iter().copied().find(|a| a.scmp_name() == name)
    }

    /// `seccomp_data.arch` of its syscalls.
    pub fn audit_arch(self) -> u32 {
        match self {
            Abi::X86_64 | Abi::X32 => AUDIT_ARCH_X86_64,
            Abi::X86 => AUDIT_ARCH_I386,
            Abi::Aarch64 => AUDIT_ARCH_AARCH64,
            Abi::Arm => AUDIT_ARCH_ARM,
            Abi::Riscv64 => AUDIT_ARCH_RISCV64,
        }
    }

    /// The syscall numbers `start..end` that are this ABI's under its `audit_arch`.
    pub fn numbers(self) -> (u64, u64) {
        match self {
            Abi::X86_64 => (0, X32_SYSCALL_BIT.into()),
            Abi::X32 => (X32_SYSCALL_BIT.into(), 1 << 32),
            _ => (0, 1 << 32),
        }
    }
}

const ALL: [Abi; ABIS] = [
    Abi::X86_64,
    Abi::X86,
    Abi::X32,
    Abi::Aarch64,
    Abi::Arm,
    Abi::Riscv64,
];

/// An architecture runlet is built for. A build constructs only its own (`NATIVE`);
/// the unit tests construct them all.
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Aarch64,
    Arm,
    Riscv64,
}

impl Arch {
    /// The architecture this runlet was built for.
    #[cfg(target_arch = "x86_64")]
    pub const NATIVE: Arch = Arch::X86_64;
    #[cfg(target_arch = "aarch64")]
    pub const NATIVE: Arch = Arch::Aarch64;
    #[cfg(target_arch = "arm")]
    pub const NATIVE: Arch = Arch::Arm;
    #[cfg(target_arch = "riscv64")]
    pub const NATIVE: Arch = Arch::Riscv64;

    #[cfg(test)]
    pub const ALL: [Arch; 4] = [Arch::X86_64, Arch::Aarch64, Arch::Arm, Arch::Riscv64];

    /// The ABIs its kernel takes syscalls in, the native one first: x86_64 also runs
    /// i386 and x32 programs, aarch64 also 32-bit ARM ones (CONFIG_COMPAT).
    pub fn abis(self) -> &'static [Abi] {
        match self {
            Arch::X86_64 => &[Abi::X86_64, Abi::X86, Abi::X32],
            Arch::Aarch64 => &[Abi::Aarch64, Abi::Arm],
            Arch::Arm => &[Abi::Arm],
            Arch::Riscv64 => &[Abi::Riscv64],
        }
    }

    pub fn native_abi(self) -> Abi {
        self.abis()[0]
    }
}
