//! The boards' virtual machines (docs/building.md, docs/testing.md): for each
//! architecture runlet is built for besides the host's, the qemu that emulates it, how,
//! the Debian kernel `make vm-kernels` unpacks under `target/vm/<debian arch>`, and
//! where that target's build (`make cross`) left runlet, the probe and /init.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One emulated board.
#[derive(Debug, Clone, Copy)]
pub struct Machine {
    /// The name tests print and key things by.
    pub arch: &'static str,
    /// The Rust target whose build it boots.
    pub triple: &'static str,
    pub qemu: &'static str,
    /// The machine and CPU.
    pub args: &'static [&'static str],
    /// The kernel's serial console device.
    pub console: &'static str,
    /// Debian's name of the architecture: `target/vm/<this>`.
    pub debian: &'static str,
}

/// aarch64 and armv7 on qemu's `virt` board (a PL011 UART), riscv64 on its `virt`
/// board with OpenSBI (qemu's default firmware; an NS16550 UART).
pub const BOARDS: [Machine; 3] = [
    Machine {
        arch: "aarch64",
        triple: "aarch64-unknown-linux-musl",
        qemu: "qemu-system-aarch64",
        args: &["-M", "virt", "-cpu", "cortex-a57"],
        console: "ttyAMA0",
        debian: "arm64",
    },
    Machine {
        arch: "armv7",
        triple: "armv7-unknown-linux-musleabihf",
        qemu: "qemu-system-arm",
        args: &["-M", "virt,highmem=off", "-cpu", "cortex-a15"],
        console: "ttyAMA0",
        debian: "armhf",
    },
    Machine {
        arch: "riscv64",
        triple: "riscv64gc-unknown-linux-musl",
        qemu: "qemu-system-riscv64",
        args: &["-M", "virt"],
        console: "ttyS0",
        debian: "riscv64",
    },
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

impl Machine {
    pub fn by_arch(arch: &str) -> Machine {
        *BOARDS.iter().find(|m| m.arch == arch).expect("a board")
    }

    /// `target/vm/<debian>`: the unpacked kernel package.
    fn root(&self) -> PathBuf {
        workspace().join("target/vm").join(self.debian)
    }

    /// The kernel image (`boot/vmlinuz-*`; riscv64's is `boot/vmlinux-*`).
    pub fn kernel(&self) -> Option<PathBuf> {
        let mut k: Vec<PathBuf> = std::fs::read_dir(self.root().join("boot"))
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let n = p.file_name().unwrap_or_default().to_string_lossy();
                n.starts_with("vmlinuz-") || n.starts_with("vmlinux-")
            })
            .collect();
        k.sort();
        k.pop()
    }

    /// A module of that kernel, by its path under `kernel/` (`drivers/net/veth.ko`),
    /// compressed or not; trixie's modules live under usr/lib.
    pub fn module(&self, rel: &str) -> Option<PathBuf> {
        let kernel = self.kernel()?;
        let name = kernel.file_name()?.to_string_lossy();
        let version = &name[name.find('-')? + 1..];
        ["lib/modules", "usr/lib/modules"]
            .iter()
            .flat_map(|d| ["", ".xz"].map(|ext| (d, ext)))
            .map(|(d, ext)| {
                let p = self.root().join(d).join(version).join("kernel");
                p.join(format!("{rel}{ext}"))
            })
            .find(|p| p.exists())
    }

    /// A binary of this target's release build.
    pub fn bin(&self, name: &str) -> PathBuf {
        workspace()
            .join("target")
            .join(self.triple)
            .join("release")
            .join(name)
    }

    pub fn have_qemu(&self) -> bool {
        Command::new(self.qemu)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// What is missing to boot it, said as what installs it; None when nothing is.
    pub fn missing(&self) -> Option<String> {
        let mut what = Vec::new();
        if !self.have_qemu() {
            what.push(format!(
                "{} (qemu-system-arm / qemu-system-misc)",
                self.qemu
            ));
        }
        if self.kernel().is_none() {
            what.push(format!(
                "a kernel in {} (make vm-kernels)",
                self.root().display()
            ));
        }
        for b in ["runlet", "probe", "initramfs-init"] {
            if !self.bin(b).exists() {
                what.push(format!("{} (make cross)", self.bin(b).display()));
            }
        }
        (!what.is_empty()).then(|| format!("{}: needs {}", self.arch, what.join(", ")))
    }
}
