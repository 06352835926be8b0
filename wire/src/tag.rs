//! Field tags. One namespace for all frames; each frame kind admits its own subset.

// Process fields: in `Bootstrap` (the container's process) and `Process` (exec).
pub const ARG: u16 = 1;
pub const ENV: u16 = 2;
pub const CWD: u16 = 3;
pub const UID: u16 = 4;
pub const GID: u16 = 5;
pub const ADDITIONAL_GID: u16 = 6;
/// 20 bytes: u32 resource, u64 soft, u64 hard.
pub const RLIMIT: u16 = 7;
/// u8, 1 = set no_new_privs.
pub const NO_NEW_PRIVS: u16 = 8;
/// 40 bytes: u64 bounding, effective, permitted, inheritable, ambient.
pub const CAPS: u16 = 9;
/// Decimal text written to /proc/self/oom_score_adj.
pub const OOM_SCORE_ADJ: u16 = 10;
/// An AppArmor profile the helper sets for its exec (`/proc/self/attr/apparmor/exec`,
/// else `attr/exec`: "exec <profile>"), sent only where AppArmor is enabled.
pub const APPARMOR_PROFILE: u16 = 11;
/// An SELinux context for the exec (`/proc/self/attr/exec`) and, in the init, for the
/// keys it creates (`attr/keycreate`), sent only where SELinux is enabled.
pub const SELINUX_LABEL: u16 = 12;

// Container fields, `Bootstrap` only.
pub const ROOTFS: u16 = 20;
pub const ROOTFS_READONLY: u16 = 21;
/// u64 mount flags for `/` of the new mount namespace (MS_SLAVE|MS_REC by default).
pub const ROOT_PROPAGATION: u16 = 22;
pub const HOSTNAME: u16 = 23;
pub const MOUNT: u16 = 24;
pub const DEVICE: u16 = 25;
pub const MASKED_PATH: u16 = 26;
pub const READONLY_PATH: u16 = 27;
pub const SYSCTL: u16 = 28;
/// u8, 1 = unshare a cgroup namespace once the parent confirmed placement.
pub const NEW_CGROUPNS: u16 = 29;
/// A v1 `tasks` file (host path) the init writes "0" into, entering that cgroup itself
/// when the parent says `Resume`. Repeated.
pub const CGROUP_TASKS: u16 = 30;
/// u8, 1 = join a new anonymous session keyring (runc's default; `--no-new-keyring`
/// leaves the caller's).
pub const NEW_KEYRING: u16 = 31;

// Inside MOUNT.
pub const M_SOURCE: u16 = 40;
pub const M_DEST: u16 = 41;
pub const M_FSTYPE: u16 = 42;
/// u64 MS_* flags.
pub const M_FLAGS: u16 = 43;
pub const M_DATA: u16 = 44;
/// u64 MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC), applied after mounting.
pub const M_PROPAGATION: u16 = 45;
/// u8, see `MountKind`.
pub const M_KIND: u16 = 46;
/// u8, 1 = wait for `Resume` (cgroup placement) and enter the cgroup namespace first.
pub const M_AFTER_PLACEMENT: u16 = 47;
/// u64 `MOUNT_ATTR_*` set on the mount and all below it (mount_setattr, AT_RECURSIVE).
pub const M_ATTR_SET: u16 = 48;
/// u64 `MOUNT_ATTR_*` cleared the same way.
pub const M_ATTR_CLR: u16 = 49;

// Inside DEVICE.
pub const D_PATH: u16 = 50;
/// u8: b'c', b'b', b'u' (char, unbuffered char) or b'p' (fifo).
pub const D_TYPE: u16 = 51;
pub const D_MAJOR: u16 = 52;
pub const D_MINOR: u16 = 53;
pub const D_MODE: u16 = 54;
pub const D_UID: u16 = 55;
pub const D_GID: u16 = 56;

// Inside SYSCTL.
/// Path below /proc/sys, e.g. `net/ipv4/ip_forward`.
pub const S_KEY: u16 = 60;
pub const S_VALUE: u16 = 61;

// Networking (`Bootstrap`).
/// u8, 1 = bring `lo` up (the container has a network namespace of its own).
pub const NET_LOOPBACK: u16 = 90;
/// Group: the inside end of a veth pair. Repeated.
pub const VETH: u16 = 91;

// Inside VETH.
/// The peer's name inside the container's netns as the parent created it.
pub const V_TEMP_NAME: u16 = 92;
/// The name the init gives it.
pub const V_NAME: u16 = 93;
/// u32 MTU.
pub const V_MTU: u16 = 94;
/// 6 bytes.
pub const V_MAC: u16 = 95;
/// u8 prefix length, then 4 (IPv4) or 16 (IPv6) address bytes. Repeated.
pub const V_ADDRESS: u16 = 96;
/// 4 or 16 bytes: a default route via this gateway. At most one per family.
pub const V_GATEWAY: u16 = 97;
// Process fields (seccomp), in `Bootstrap` and `Process`.
/// The seccomp filter: `struct sock_filter` array (8 bytes each, native endian),
/// 1..=4096 instructions, installed with SECCOMP_SET_MODE_FILTER before exec.
pub const SECCOMP: u16 = 80;
/// u32 `SECCOMP_FILTER_FLAG_*` for that install (only with `SECCOMP`).
pub const SECCOMP_FLAGS: u16 = 81;

// Small frames.
pub const ERR_MESSAGE: u16 = 70;
pub const ERR_ERRNO: u16 = 71;
pub const PID: u16 = 72;

// Hooks the init runs (`Bootstrap` only; docs/hooks.md).
/// Group: one createContainer or startContainer hook. Repeated, in config order.
pub const HOOK: u16 = 130;
/// Inside HOOK: u8, see `HookWhen`.
pub const H_WHEN: u16 = 131;
/// Inside HOOK: absolute path of the program.
pub const H_PATH: u16 = 132;
/// Inside HOOK: argv, args[0] as given. Repeated.
pub const H_ARG: u16 = 133;
/// Inside HOOK: `K=V`. Repeated.
pub const H_ENV: u16 = 134;
/// Inside HOOK: u32 seconds (> 0) before the init kills the hook.
pub const H_TIMEOUT: u16 = 135;
/// Text: the OCI state JSON createContainer hooks read on stdin.
pub const CREATE_STATE: u16 = 136;
/// Text: the OCI state JSON startContainer hooks read on stdin.
pub const START_STATE: u16 = 137;
/// u32 seconds the init waits for `Resume` beyond its own 10 min (the parent's
/// prestart and createRuntime hooks run meanwhile).
pub const RESUME_WAIT: u16 = 138;
// The root switch (docs/initramfs.md), 140–149.
/// u8, 1 = no pivot_root: move the rootfs over `/` and chroot into it (`--no-pivot`,
/// or a host root pivot_root cannot leave, such as an initramfs).
pub const ROOT_MOVE: u16 = 140;
/// A host mount point (below the host's root mount) the init detaches after moving
/// the rootfs over `/`. Repeated; only with `ROOT_MOVE`.
pub const ROOT_DETACH: u16 = 141;
/// u8, see `SharedMount`: the container has no mount namespace of its own (it shares
/// runlet's, or joins one by path). The init makes its mounts below the rootfs there,
/// changes nothing above it, and chroots instead of pivoting.
pub const SHARED_MNTNS: u16 = 142;
// `runlet exec`'s own fields in its `Process` frame (120–129).
/// A v1 `tasks` file (host path) runlet-exec writes "0" into, entering that cgroup
/// itself (a thread moving itself skips the kernel's threadgroup lock), before it
/// joins the container and forks. Repeated.
pub const EXEC_CGROUP_TASKS: u16 = 120;
/// u8, 1 = the child waits for `Resume` before it goes on: runlet still has to place
/// it in the cgroup2 hierarchy (the kernel refused CLONE_INTO_CGROUP for the helper).
pub const EXEC_WAIT_RESUME: u16 = 121;

// Terminals (process fields, `Bootstrap` and `Process`; 150–169).
/// u8, 1 = the process gets a pty: the init (or exec child) opens the container's
/// `/dev/ptmx`, sends the master over the console fd and makes the slave its
/// controlling terminal and stdio.
pub const TERMINAL: u16 = 150;
/// u32 rows of the pty (`process.consoleSize.height`), only with `TERMINAL`.
pub const CONSOLE_HEIGHT: u16 = 151;
/// u32 columns of the pty (`process.consoleSize.width`), only with `TERMINAL`.
pub const CONSOLE_WIDTH: u16 = 152;

/// A name for messages.
pub fn name(tag: u16) -> &'static str {
    match tag {
        ARG => "ARG",
        ENV => "ENV",
        CWD => "CWD",
        UID => "UID",
        GID => "GID",
        ADDITIONAL_GID => "ADDITIONAL_GID",
        RLIMIT => "RLIMIT",
        NO_NEW_PRIVS => "NO_NEW_PRIVS",
        CAPS => "CAPS",
        OOM_SCORE_ADJ => "OOM_SCORE_ADJ",
        APPARMOR_PROFILE => "APPARMOR_PROFILE",
        SELINUX_LABEL => "SELINUX_LABEL",
        ROOTFS => "ROOTFS",
        ROOTFS_READONLY => "ROOTFS_READONLY",
        ROOT_PROPAGATION => "ROOT_PROPAGATION",
        HOSTNAME => "HOSTNAME",
        MOUNT => "MOUNT",
        DEVICE => "DEVICE",
        MASKED_PATH => "MASKED_PATH",
        READONLY_PATH => "READONLY_PATH",
        SYSCTL => "SYSCTL",
        NEW_CGROUPNS => "NEW_CGROUPNS",
        CGROUP_TASKS => "CGROUP_TASKS",
        NEW_KEYRING => "NEW_KEYRING",
        M_SOURCE => "M_SOURCE",
        M_DEST => "M_DEST",
        M_FSTYPE => "M_FSTYPE",
        M_FLAGS => "M_FLAGS",
        M_DATA => "M_DATA",
        M_PROPAGATION => "M_PROPAGATION",
        M_KIND => "M_KIND",
        M_AFTER_PLACEMENT => "M_AFTER_PLACEMENT",
        M_ATTR_SET => "M_ATTR_SET",
        M_ATTR_CLR => "M_ATTR_CLR",
        D_PATH => "D_PATH",
        D_TYPE => "D_TYPE",
        D_MAJOR => "D_MAJOR",
        D_MINOR => "D_MINOR",
        D_MODE => "D_MODE",
        D_UID => "D_UID",
        D_GID => "D_GID",
        S_KEY => "S_KEY",
        S_VALUE => "S_VALUE",
        NET_LOOPBACK => "NET_LOOPBACK",
        VETH => "VETH",
        V_TEMP_NAME => "V_TEMP_NAME",
        V_NAME => "V_NAME",
        V_MTU => "V_MTU",
        V_MAC => "V_MAC",
        V_ADDRESS => "V_ADDRESS",
        V_GATEWAY => "V_GATEWAY",
        ERR_MESSAGE => "ERR_MESSAGE",
        ERR_ERRNO => "ERR_ERRNO",
        PID => "PID",
        HOOK => "HOOK",
        H_WHEN => "H_WHEN",
        H_PATH => "H_PATH",
        H_ARG => "H_ARG",
        H_ENV => "H_ENV",
        H_TIMEOUT => "H_TIMEOUT",
        CREATE_STATE => "CREATE_STATE",
        START_STATE => "START_STATE",
        RESUME_WAIT => "RESUME_WAIT",
        SECCOMP => "SECCOMP",
        SECCOMP_FLAGS => "SECCOMP_FLAGS",
        ROOT_MOVE => "ROOT_MOVE",
        SHARED_MNTNS => "SHARED_MNTNS",
        ROOT_DETACH => "ROOT_DETACH",
        EXEC_CGROUP_TASKS => "EXEC_CGROUP_TASKS",
        EXEC_WAIT_RESUME => "EXEC_WAIT_RESUME",
        TERMINAL => "TERMINAL",
        CONSOLE_HEIGHT => "CONSOLE_HEIGHT",
        CONSOLE_WIDTH => "CONSOLE_WIDTH",
        _ => "unknown",
    }
}
