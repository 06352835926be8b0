//! `process.capabilities`: names to bit masks.

use std::collections::BTreeSet;

use linux_raw_sys::general as g;

use super::spec;

/// The capability names runlet knows (for `runlet features`).
pub fn names() -> impl Iterator<Item = &'static str> {
    CAPS.iter().map(|(n, _)| *n)
}

/// Every capability Linux has (up to CAP_CHECKPOINT_RESTORE = 40), by name.
const CAPS: [(&str, u32); 41] = [
    ("CAP_CHOWN", g::CAP_CHOWN),
    ("CAP_DAC_OVERRIDE", g::CAP_DAC_OVERRIDE),
    ("CAP_DAC_READ_SEARCH", g::CAP_DAC_READ_SEARCH),
    ("CAP_FOWNER", g::CAP_FOWNER),
    ("CAP_FSETID", g::CAP_FSETID),
    ("CAP_KILL", g::CAP_KILL),
    ("CAP_SETGID", g::CAP_SETGID),
    ("CAP_SETUID", g::CAP_SETUID),
    ("CAP_SETPCAP", g::CAP_SETPCAP),
    ("CAP_LINUX_IMMUTABLE", g::CAP_LINUX_IMMUTABLE),
    ("CAP_NET_BIND_SERVICE", g::CAP_NET_BIND_SERVICE),
    ("CAP_NET_BROADCAST", g::CAP_NET_BROADCAST),
    ("CAP_NET_ADMIN", g::CAP_NET_ADMIN),
    ("CAP_NET_RAW", g::CAP_NET_RAW),
    ("CAP_IPC_LOCK", g::CAP_IPC_LOCK),
    ("CAP_IPC_OWNER", g::CAP_IPC_OWNER),
    ("CAP_SYS_MODULE", g::CAP_SYS_MODULE),
    ("CAP_SYS_RAWIO", g::CAP_SYS_RAWIO),
    ("CAP_SYS_CHROOT", g::CAP_SYS_CHROOT),
    ("CAP_SYS_PTRACE", g::CAP_SYS_PTRACE),
    ("CAP_SYS_PACCT", g::CAP_SYS_PACCT),
    ("CAP_SYS_ADMIN", g::CAP_SYS_ADMIN),
    ("CAP_SYS_BOOT", g::CAP_SYS_BOOT),
    ("CAP_SYS_NICE", g::CAP_SYS_NICE),
    ("CAP_SYS_RESOURCE", g::CAP_SYS_RESOURCE),
    ("CAP_SYS_TIME", g::CAP_SYS_TIME),
    ("CAP_SYS_TTY_CONFIG", g::CAP_SYS_TTY_CONFIG),
    ("CAP_MKNOD", g::CAP_MKNOD),
    ("CAP_LEASE", g::CAP_LEASE),
    ("CAP_AUDIT_WRITE", g::CAP_AUDIT_WRITE),
    ("CAP_AUDIT_CONTROL", g::CAP_AUDIT_CONTROL),
    ("CAP_SETFCAP", g::CAP_SETFCAP),
    ("CAP_MAC_OVERRIDE", g::CAP_MAC_OVERRIDE),
    ("CAP_MAC_ADMIN", g::CAP_MAC_ADMIN),
    ("CAP_SYSLOG", g::CAP_SYSLOG),
    ("CAP_WAKE_ALARM", g::CAP_WAKE_ALARM),
    ("CAP_BLOCK_SUSPEND", g::CAP_BLOCK_SUSPEND),
    ("CAP_AUDIT_READ", g::CAP_AUDIT_READ),
    ("CAP_PERFMON", g::CAP_PERFMON),
    ("CAP_BPF", g::CAP_BPF),
    ("CAP_CHECKPOINT_RESTORE", g::CAP_CHECKPOINT_RESTORE),
];

/// The bit number of a capability name ("CAP_SYS_ADMIN" → 21).
pub(crate) fn number(name: &str) -> Option<u32> {
    CAPS.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
}

/// The five sets as masks. Unknown names are skipped, as runc does, and returned
/// (once each) so the caller can warn about them.
pub(crate) fn parse(c: &spec::Capabilities) -> (wire::Caps, Vec<String>) {
    let mut unknown = BTreeSet::new();
    let mut mask = |set: &Option<Vec<String>>| {
        let mut m = 0u64;
        for name in set.iter().flatten() {
            match number(name) {
                Some(n) => m |= 1 << n,
                None => {
                    unknown.insert(name.clone());
                }
            }
        }
        m
    };
    let caps = wire::Caps {
        bounding: mask(&c.bounding),
        effective: mask(&c.effective),
        permitted: mask(&c.permitted),
        inheritable: mask(&c.inheritable),
        ambient: mask(&c.ambient),
    };
    (caps, unknown.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_ordered() {
        for (i, (name, n)) in CAPS.iter().enumerate() {
            assert_eq!(*n as usize, i, "{name}");
        }
        assert_eq!(CAPS.len() as u32, g::CAP_LAST_CAP + 1);
        assert_eq!(number("CAP_SYS_ADMIN"), Some(21));
        assert_eq!(number("CAP_CHECKPOINT_RESTORE"), Some(40));
        assert_eq!(number("cap_sys_admin"), None);
    }

    #[test]
    fn sets_become_masks_and_unknown_names_are_reported() {
        let s = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect());
        let c = spec::Capabilities {
            bounding: s(&["CAP_KILL", "CAP_AUDIT_WRITE", "CAP_X", "CAP_X"]),
            effective: s(&["CAP_KILL", "CAP_Y"]),
            permitted: None,
            inheritable: s(&[]),
            ambient: s(&["CAP_NET_BIND_SERVICE"]),
        };
        let (caps, unknown) = parse(&c);
        assert_eq!(caps.bounding, (1 << 5) | (1 << 29));
        assert_eq!(caps.effective, 1 << 5);
        assert_eq!(caps.permitted, 0);
        assert_eq!(caps.ambient, 1 << 10);
        assert_eq!(unknown, ["CAP_X", "CAP_Y"]);
    }
}
