//! The initramfs harness (docs/initramfs.md): a newc cpio image holding `/init`
//! (`initramfs-init`), the static `runlet`, bundles of the probe and a scenario, booted
//! with `qemu-system-x86_64` and the Debian kernel on a serial console.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::bundle;
use crate::spec::{Capabilities, Spec};

/// A file in the initramfs root, outside every rootfs: a container must not see it.
pub const MARKER: &str = "initramfs-marker";

/// The Debian packages the harness needs, with a program or file each provides.
pub const PACKAGES: [&str; 2] = ["qemu-system-x86", "linux-image-amd64"];

enum Body {
    Dir,
    File(Vec<u8>),
    CharDev(u32, u32),
}

/// An initramfs being assembled: entries in the order they are written, parents
/// first.
#[derive(Default)]
pub struct Cpio {
    entries: Vec<(String, u32, Body)>,
}

impl Cpio {
    fn has(&self, path: &str) -> bool {
        self.entries.iter().any(|(p, _, _)| p == path)
    }

    fn parents(&mut self, path: &str) {
        let mut acc = String::new();
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        for p in &parts[..parts.len().saturating_sub(1)] {
            acc.push('/');
            acc.push_str(p);
            if !self.has(&acc) {
                self.entries.push((acc.clone(), 0o40755, Body::Dir));
            }
        }
    }

    pub fn dir(&mut self, path: &str) -> &mut Self {
        self.parents(path);
        if !self.has(path) {
            self.entries.push((path.into(), 0o40755, Body::Dir));
        }
        self
    }

    pub fn file(&mut self, path: &str, mode: u32, data: Vec<u8>) -> &mut Self {
        self.parents(path);
        self.entries
            .push((path.into(), 0o100000 | mode, Body::File(data)));
        self
    }

    pub fn char_dev(&mut self, path: &str, major: u32, minor: u32) -> &mut Self {
        self.parents(path);
        self.entries
            .push((path.into(), 0o20600, Body::CharDev(major, minor)));
        self
    }

    /// A host file, with its permission bits.
    pub fn host_file(&mut self, path: &str, host: &Path) -> io::Result<&mut Self> {
        let data = fs::read(host).map_err(|e| named(host, e))?;
        let mode = fs::metadata(host)?.permissions().mode() & 0o7777;
        Ok(self.file(path, mode, data))
    }

    /// A host directory tree (directories and regular files; nothing else is in a
    /// test bundle).
    pub fn host_tree(&mut self, path: &str, host: &Path) -> io::Result<&mut Self> {
        self.dir(path);
        let mut names: Vec<_> = fs::read_dir(host)
            .map_err(|e| named(host, e))?
            .collect::<io::Result<_>>()?;
        names.sort_by_key(|e| e.file_name());
        for e in names {
            let (h, g) = (
                e.path(),
                format!("{path}/{}", e.file_name().to_string_lossy()),
            );
            let m = fs::symlink_metadata(&h)?;
            if m.is_dir() {
                self.host_tree(&g, &h)?;
                let i = self.entries.iter().position(|(p, _, _)| *p == g);
                if let Some(i) = i {
                    self.entries[i].1 = 0o40000 | (m.mode() & 0o7777);
                }
            } else if m.is_file() {
                self.host_file(&g, &h)?;
            }
        }
        Ok(self)
    }

    /// The archive in the kernel's `newc` format (uncompressed).
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let mut w = io::BufWriter::new(out);
        let mut ino = 1;
        let mut put = |w: &mut io::BufWriter<_>, name: &str, mode: u32, data: &[u8], rdev| {
            let (maj, min) = rdev;
            let name = name.trim_start_matches('/');
            let name = if name.is_empty() { "." } else { name };
            let nlink = if mode & 0o170000 == 0o40000 { 2 } else { 1 };
            let fields = [
                ino,
                mode,
                0,
                0,
                nlink,
                0,
                data.len() as u32,
                0,
                0,
                maj,
                min,
                name.len() as u32 + 1,
                0,
            ];
            ino += 1;
            let mut h = String::from("070701");
            for f in fields {
                h.push_str(&format!("{f:08x}"));
            }
            w.write_all(h.as_bytes())?;
            w.write_all(name.as_bytes())?;
            w.write_all(&[0])?;
            w.write_all(&vec![0; pad4(110 + name.len() + 1)])?;
            w.write_all(data)?;
            w.write_all(&vec![0; pad4(data.len())])
        };
        for (path, mode, body) in &self.entries {
            match body {
                Body::Dir => put(&mut w, path, *mode, &[], (0, 0))?,
                Body::File(d) => put(&mut w, path, *mode, d, (0, 0))?,
                Body::CharDev(a, b) => put(&mut w, path, *mode, &[], (*a, *b))?,
            }
        }
        put(&mut w, "TRAILER!!!", 0, &[], (0, 0))?;
        w.flush()
    }
}

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

fn named(p: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", p.display()))
}

/// What goes into an image.
pub struct Parts<'a> {
    pub runlet: &'a Path,
    pub probe: &'a Path,
    pub init: &'a Path,
    pub scenario: &'a str,
    /// More bundles, `(dir, config)`, sharing `/bundle/rootfs` (the config's
    /// `root.path` is set to it).
    pub bundles: &'a [(&'a str, Spec)],
    /// More files for the image: (path, bytes), written after the bundles.
    pub extra: Vec<(String, Vec<u8>)>,
}

/// Builds the image in `work` (bundles staged there first) and returns its path.
/// Bundles: `/bundle` (the probe's report, asked about the marker), and, sharing
/// its rootfs, `/bundle-wait` (`probe wait-signal`) and `/bundle-escape` (`probe
/// root-escape` with CAP_SYS_CHROOT added).
pub fn build_image(work: &Path, p: &Parts<'_>) -> io::Result<PathBuf> {
    let stage = work.join("bundle");
    let _ = fs::remove_dir_all(&stage);
    let marker = format!("/{MARKER}");
    let mut spec = Spec::runc_default();
    spec.probe(&["report", "--stat", &marker, "--ls", "/"]);
    bundle::write_bundle(&stage, p.probe, &spec)?;

    let mut img = Cpio::default();
    for d in ["/dev", "/proc", "/sys", "/run", "/tmp"] {
        img.dir(d);
    }
    img.char_dev("/dev/console", 5, 1);
    img.host_file("/init", p.init)?;
    img.host_file("/runlet", p.runlet)?;
    img.file("/scenario", 0o644, p.scenario.as_bytes().to_vec());
    img.file(&marker, 0o644, b"outside every rootfs\n".to_vec());
    img.host_tree("/bundle", &stage)?;

    let mut shared = Spec::runc_default();
    shared.root_path = "/bundle/rootfs".into();
    shared.probe(&["wait-signal"]);
    img.file(
        "/bundle-wait/config.json",
        0o644,
        shared.to_json().into_bytes(),
    );
    shared.probe(&["root-escape", MARKER]);
    let mut caps = vec!["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
    caps.push("CAP_SYS_CHROOT");
    shared.capabilities = Some(Capabilities::all_sets(&caps));
    img.file(
        "/bundle-escape/config.json",
        0o644,
        shared.to_json().into_bytes(),
    );

    for (dir, spec) in p.bundles {
        let mut spec = spec.clone();
        spec.root_path = "/bundle/rootfs".into();
        let config = format!("{dir}/config.json");
        img.file(&config, 0o644, spec.to_json().into_bytes());
    }
    for (path, data) in &p.extra {
        // Programs go under /bin (a board's benchtime); the rest is data.
        let mode = if path.starts_with("/bin/") {
            0o755
        } else {
            0o644
        };
        img.file(path, mode, data.clone());
    }
    let out = work.join("initramfs.cpio");
    img.write(&mut fs::File::create(&out).map_err(|e| named(&out, e))?)?;
    Ok(out)
}

/// The newest Debian kernel under /boot (or `RUNLET_KERNEL`).
pub fn find_kernel() -> Option<PathBuf> {
    if let Some(k) = std::env::var_os("RUNLET_KERNEL") {
        return Some(PathBuf::from(k));
    }
    let mut k: Vec<PathBuf> = fs::read_dir("/boot")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
        })
        .collect();
    k.sort();
    k.pop()
}

/// `qemu-system-x86_64` on PATH?
pub fn have_qemu() -> bool {
    Command::new("qemu-system-x86_64")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether KVM can be used: /dev/kvm opens read-write.
pub fn kvm_works() -> bool {
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok()
}

/// A finished boot: the serial console's text, and whether the deadline cut it.
pub struct Boot {
    pub console: String,
    pub timed_out: bool,
    pub kvm: bool,
    pub elapsed: Duration,
}

/// What /init prints first: the guest is up.
pub const ALIVE: &str = "@@ initramfs init up";
/// How long a KVM boot may take to reach /init before it counts as not working.
const KVM_ALIVE: Duration = Duration::from_secs(10);

/// Boots `kernel` with `initrd` on a serial console (no network, no display, 256 MiB,
/// one CPU), killed at `timeout`. With `echo`, the console is copied to stdout live.
/// KVM when /dev/kvm opens and the guest reaches /init within 10 s under it (some
/// nested hosts hang there), software emulation (TCG) otherwise;
/// `RUNLET_QEMU_ACCEL=kvm|tcg` forces one.
pub fn boot(kernel: &Path, initrd: &Path, timeout: Duration, echo: bool) -> io::Result<Boot> {
    let forced = std::env::var("RUNLET_QEMU_ACCEL").ok();
    let kvm = match forced.as_deref() {
        Some(a) => a == "kvm",
        None => kvm_works(),
    };
    if kvm {
        let alive = if forced.is_some() {
            None
        } else {
            Some(KVM_ALIVE)
        };
        let b = boot_with(
            &X86_64.with_accel("kvm"),
            kernel,
            initrd,
            timeout,
            alive,
            echo,
        )?;
        if b.console.contains(ALIVE) || alive.is_none() {
            return Ok(b);
        }
        eprintln!(
            "initramfs: no guest /init after {KVM_ALIVE:?} under KVM; using software emulation"
        );
    }
    boot_with(&X86_64, kernel, initrd, timeout, None, echo)
}

/// Boots a board (`crate::machine`) the same way, under software emulation: a
/// foreign architecture has no KVM.
pub fn boot_on(
    m: &crate::machine::Machine,
    kernel: &Path,
    initrd: &Path,
    timeout: Duration,
    echo: bool,
) -> io::Result<Boot> {
    let vm = Vm {
        qemu: m.qemu,
        args: m.args,
        console: m.console,
        accel: "tcg",
    };
    boot_with(&vm, kernel, initrd, timeout, None, echo)
}

/// How qemu is started: which one, its machine and CPU, the console, the accelerator.
struct Vm {
    qemu: &'static str,
    args: &'static [&'static str],
    console: &'static str,
    accel: &'static str,
}

const X86_64: Vm = Vm {
    qemu: "qemu-system-x86_64",
    args: &["-cpu", "max"],
    console: "ttyS0",
    accel: "tcg",
};

impl Vm {
    fn with_accel(&self, accel: &'static str) -> Vm {
        Vm { accel, ..*self }
    }
}

fn boot_with(
    vm: &Vm,
    kernel: &Path,
    initrd: &Path,
    timeout: Duration,
    alive: Option<Duration>,
    echo: bool,
) -> io::Result<Boot> {
    let mut cmd = Command::new(vm.qemu);
    cmd.args([
        "-no-user-config",
        "-nographic",
        "-no-reboot",
        "-nic",
        "none",
    ])
    .args(vm.args)
    .args(["-m", "256M", "-smp", "1", "-accel", vm.accel])
    .arg("-kernel")
    .arg(kernel)
    .arg("-initrd")
    .arg(initrd)
    .arg("-append")
    .arg(format!(
        "console={} quiet panic=-1 rdinit=/init",
        vm.console
    ))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("spawn {}: {e}", vm.qemu)))?;
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    for mut r in [
        Box::new(child.stdout.take().expect("piped")) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().expect("piped")),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let mut console = Vec::new();
    let mut timed_out = false;
    let mut up = alive.is_none();
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(b) => {
                if echo {
                    let mut o = io::stdout().lock();
                    let _ = o.write_all(&b);
                    let _ = o.flush();
                }
                console.extend(b);
                up = up || String::from_utf8_lossy(&console).contains(ALIVE);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        let late = alive.is_some_and(|a| !up && start.elapsed() >= a);
        if late || start.elapsed() >= timeout {
            timed_out = !late;
            let _ = child.kill();
            break;
        }
    }
    let _ = child.wait();
    Ok(Boot {
        console: String::from_utf8_lossy(&console).replace('\r', ""),
        timed_out,
        kvm: vm.accel == "kvm",
        elapsed: start.elapsed(),
    })
}

/// The demo's scenario: one container that prints what it sees.
pub const DEMO_SCENARIO: &str = "\
root
run /runlet --debug run --bundle /bundle demo
";
