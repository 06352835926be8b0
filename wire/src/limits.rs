//! Capacities of the helpers. The parent checks a config against these before anything
//! starts, and decoding checks them again, so a helper never overruns a fixed array.

/// Largest frame either side accepts (kind byte plus body).
pub const MAX_FRAME: usize = 1 << 20;
/// Largest `Error` frame; error text is short.
pub const MAX_ERROR_FRAME: usize = 4096;
/// Bytes of one path, with its NUL (the kernel's PATH_MAX).
pub const MAX_PATH: usize = 4096;
/// Entries of `process.args`.
pub const MAX_ARGS: usize = 4096;
/// Entries of `process.env`.
pub const MAX_ENV: usize = 4096;
/// Entries of `process.user.additionalGids` (plus none implied).
pub const MAX_GROUPS: usize = 256;
/// Mount operations after the parent has expanded `mounts` (cgroup mounts become several).
pub const MAX_MOUNTS: usize = 512;
/// Device nodes (the defaults plus `linux.devices`).
pub const MAX_DEVICES: usize = 256;
/// Entries of `linux.maskedPaths` and of `linux.readonlyPaths`, each.
pub const MAX_PATH_LIST: usize = 256;
/// Host mount points the init detaches when it moves the rootfs over `/`.
pub const MAX_ROOT_DETACH: usize = 1024;
/// Entries of `linux.sysctl`.
pub const MAX_SYSCTLS: usize = 256;
/// v1 cgroup hierarchies the init enters itself.
pub const MAX_CGROUP_TASKS: usize = 64;
/// Instructions of a seccomp filter (the kernel's BPF_MAXINSNS).
pub const MAX_SECCOMP_INSNS: usize = 4096;
/// Entries of `process.rlimits` (the kernel has 16 resources).
pub const MAX_RLIMITS: usize = 16;
/// veth pairs (`run.runlet.net.vethN`) of one container.
pub const MAX_VETHS: usize = 8;
/// Addresses of one veth.
pub const MAX_VETH_ADDRESSES: usize = 16;
/// Default routes of one veth: one IPv4, one IPv6.
pub const MAX_VETH_GATEWAYS: usize = 2;
/// createContainer and startContainer hooks together, in one `Bootstrap`.
pub const MAX_HOOKS: usize = 64;
/// Entries of one hook's `args`.
pub const MAX_HOOK_ARGS: usize = 256;
/// Entries of one hook's `env`.
pub const MAX_HOOK_ENV: usize = 256;
/// Bytes of a security label (AppArmor profile, SELinux context): the helper writes
/// it from a stack buffer.
pub const MAX_LABEL: usize = 4000;
