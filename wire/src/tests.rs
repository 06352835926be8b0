//! Round trips and malformed input for every frame kind.

use alloc::vec::Vec;
use core::ffi::CStr;

use crate::*;

fn sample_bootstrap() -> Vec<u8> {
    let mut e = Encoder::new(Vec::new(), FrameKind::Bootstrap).unwrap();
    e.str(tag::ARG, b"/probe").unwrap();
    e.str(tag::ARG, b"report").unwrap();
    e.str(tag::ENV, b"PATH=/bin").unwrap();
    e.str(tag::CWD, b"/").unwrap();
    e.u32(tag::UID, 1000).unwrap();
    e.u32(tag::GID, 1001).unwrap();
    e.u32(tag::ADDITIONAL_GID, 5).unwrap();
    e.u32(tag::ADDITIONAL_GID, 7).unwrap();
    e.bytes(
        tag::RLIMIT,
        &Rlimit {
            resource: 7,
            soft: 1024,
            hard: 4096,
        }
        .to_bytes(),
    )
    .unwrap();
    e.flag(tag::NO_NEW_PRIVS, true).unwrap();
    e.u64s(tag::CAPS, &[1, 2, 3, 4, 5]).unwrap();
    e.str(tag::ROOTFS, b"/run/b/rootfs").unwrap();
    e.flag(tag::ROOTFS_READONLY, true).unwrap();
    e.str(tag::HOSTNAME, b"box").unwrap();
    e.group(tag::MOUNT, |m| {
        m.u8(tag::M_KIND, MountKind::Fs as u8)?;
        m.str(tag::M_SOURCE, b"proc")?;
        m.str(tag::M_DEST, b"/proc")?;
        m.str(tag::M_FSTYPE, b"proc")?;
        m.u64(tag::M_FLAGS, 14)?;
        Ok(())
    })
    .unwrap();
    e.group(tag::MOUNT, |m| {
        m.u8(tag::M_KIND, MountKind::Bind as u8)?;
        m.str(tag::M_SOURCE, b"/etc/hosts")?;
        m.str(tag::M_DEST, b"/etc/hosts")?;
        m.flag(tag::M_AFTER_PLACEMENT, true)?;
        Ok(())
    })
    .unwrap();
    e.group(tag::DEVICE, |d| {
        d.str(tag::D_PATH, b"/dev/null")?;
        d.u8(tag::D_TYPE, b'c')?;
        d.u32(tag::D_MAJOR, 1)?;
        d.u32(tag::D_MINOR, 3)?;
        d.u32(tag::D_MODE, 0o666)?;
        Ok(())
    })
    .unwrap();
    e.str(tag::MASKED_PATH, b"/proc/kcore").unwrap();
    e.str(tag::READONLY_PATH, b"/proc/sys").unwrap();
    e.str(tag::CGROUP_TASKS, b"/sys/fs/cgroup/cpu/runlet/x/tasks")
        .unwrap();
    e.group(tag::SYSCTL, |s| {
        s.str(tag::S_KEY, b"net/ipv4/ip_forward")?;
        s.str(tag::S_VALUE, b"1")?;
        Ok(())
    })
    .unwrap();
    e.finish().unwrap()
}

fn body(frame: &[u8]) -> (FrameKind, &[u8]) {
    let (k, len) = parse_header(frame).unwrap();
    assert_eq!(frame.len(), HEADER_LEN + len);
    (k, &frame[HEADER_LEN..])
}

#[test]
fn bootstrap_round_trip() {
    let f = sample_bootstrap();
    let (k, b) = body(&f);
    assert_eq!(k, FrameKind::Bootstrap);
    let bs = Bootstrap::decode(b).unwrap();
    let args: Vec<&CStr> = bs.process.args().collect();
    assert_eq!(args, [c"/probe", c"report"]);
    assert_eq!(bs.process.env().collect::<Vec<_>>(), [c"PATH=/bin"]);
    assert_eq!((bs.process.uid, bs.process.gid), (1000, 1001));
    assert_eq!(bs.process.additional_gids().collect::<Vec<_>>(), [5, 7]);
    assert_eq!(
        bs.process.rlimits().next(),
        Some(Rlimit {
            resource: 7,
            soft: 1024,
            hard: 4096
        })
    );
    assert!(bs.process.no_new_privs);
    assert_eq!(bs.process.caps.unwrap().to_array(), [1, 2, 3, 4, 5]);
    assert_eq!(bs.rootfs, c"/run/b/rootfs");
    assert!(bs.rootfs_readonly);
    assert_eq!(bs.hostname, Some(c"box"));
    let mounts: Vec<Mount> = bs.mounts().collect();
    assert_eq!(mounts.len(), 2);
    assert_eq!(mounts[0].kind, MountKind::Fs);
    assert_eq!(mounts[0].fstype, Some(c"proc"));
    assert_eq!(mounts[0].flags, 14);
    assert!(!mounts[0].after_placement);
    assert_eq!(mounts[1].kind, MountKind::Bind);
    assert_eq!(mounts[1].source, Some(c"/etc/hosts"));
    assert!(mounts[1].after_placement);
    let d = bs.devices().next().unwrap();
    assert_eq!(
        (d.path, d.kind, d.major, d.minor, d.mode),
        (c"/dev/null", b'c', 1, 3, 0o666)
    );
    assert_eq!(bs.masked_paths().collect::<Vec<_>>(), [c"/proc/kcore"]);
    assert_eq!(bs.readonly_paths().collect::<Vec<_>>(), [c"/proc/sys"]);
    assert_eq!(
        bs.cgroup_tasks().collect::<Vec<_>>(),
        [c"/sys/fs/cgroup/cpu/runlet/x/tasks"]
    );
    let s = bs.sysctls().next().unwrap();
    assert_eq!((s.key, s.value), (c"net/ipv4/ip_forward", c"1"));
}

#[test]
fn process_round_trip() {
    let mut e = Encoder::new(Vec::new(), FrameKind::Process).unwrap();
    e.str(tag::ARG, b"sh")
        .unwrap()
        .str(tag::CWD, b"/tmp")
        .unwrap();
    e.u32(tag::UID, 0).unwrap().u32(tag::GID, 0).unwrap();
    let f = e.finish().unwrap();
    let (k, b) = body(&f);
    assert_eq!(k, FrameKind::Process);
    let p = Process::decode(b).unwrap();
    assert_eq!(p.cwd, c"/tmp");
    assert_eq!(p.args().count(), 1);
    assert!(p.caps.is_none());
}

#[test]
fn error_and_pid_round_trip() {
    let mut buf = [0u8; 128];
    let n = ErrorReport::encode(SliceSink::new(&mut buf), &[b"exec ", b"/nope"], 2)
        .unwrap()
        .written();
    let (k, b) = body(&buf[..n]);
    assert_eq!(k, FrameKind::Error);
    assert_eq!(
        ErrorReport::decode(b).unwrap(),
        ErrorReport {
            message: "exec /nope",
            errno: 2
        }
    );

    let n = ExecPid { pid: 4242 }
        .encode(SliceSink::new(&mut buf))
        .unwrap()
        .written();
    let (k, b) = body(&buf[..n]);
    assert_eq!(k, FrameKind::ExecPid);
    assert_eq!(ExecPid::decode(b).unwrap().pid, 4242);

    for kind in [FrameKind::Prestart, FrameKind::Resume, FrameKind::Ready] {
        let f = empty_frame(kind);
        assert_eq!(parse_header(&f).unwrap(), (kind, 0));
    }
}

#[test]
fn long_error_is_cut_on_a_char_boundary() {
    let long = "é".repeat(5000);
    let f = ErrorReport::encode(Vec::new(), &[long.as_bytes()], 0).unwrap();
    let (_, b) = body(&f);
    let r = ErrorReport::decode(b).unwrap();
    assert!(r.message.len() < limits::MAX_ERROR_FRAME);
    assert!(r.message.chars().all(|c| c == 'é'));
}

#[test]
fn slice_encoder_reports_no_room() {
    let mut buf = [0u8; 8];
    let e = ErrorReport::encode(SliceSink::new(&mut buf), &[b"too long for eight bytes"], 1);
    assert!(matches!(e, Err(WireError::NoRoom { .. })));
}

#[test]
fn truncated_header_and_fields() {
    assert!(matches!(
        parse_header(&[1, 0, 0]),
        Err(WireError::Truncated { .. })
    ));
    let f = sample_bootstrap();
    let (_, b) = body(&f);
    // A cut inside a field is refused, never read past; a cut between fields is a
    // shorter body, which the frame header's length catches (see read tests in parent).
    let mut boundaries = Vec::new();
    let mut at = 0;
    for f in Fields::new(b) {
        at += 6 + f.unwrap().bytes.len();
        boundaries.push(at);
    }
    for cut in 1..b.len() {
        if !boundaries.contains(&cut) {
            assert!(
                Bootstrap::decode(&b[..cut]).is_err(),
                "cut at {cut} accepted"
            );
        }
    }
}

#[test]
fn oversized_and_zero_lengths() {
    let mut h = [0u8; 5];
    h[..4].copy_from_slice(&((limits::MAX_FRAME + 1) as u32).to_le_bytes());
    h[4] = FrameKind::Bootstrap as u8;
    assert!(matches!(
        parse_header(&h),
        Err(WireError::BadFrameLength { .. })
    ));
    // A Ready frame may not carry a body.
    assert!(matches!(
        parse_header(&[2, 0, 0, 0, 4]),
        Err(WireError::BadFrameLength { .. })
    ));
    assert!(matches!(
        parse_header(&[0, 0, 0, 0, 4]),
        Err(WireError::BadFrameLength { .. })
    ));
    // The encoder refuses to build what the reader would refuse.
    let mut e = Encoder::new(Vec::new(), FrameKind::Error).unwrap();
    e.bytes(tag::ERR_MESSAGE, &[b'x'; 5000]).unwrap();
    assert!(matches!(e.finish(), Err(WireError::BadFrameLength { .. })));
}

#[test]
fn unknown_kind_and_tag() {
    assert_eq!(
        parse_header(&[1, 0, 0, 0, 99]),
        Err(WireError::UnknownKind(99))
    );
    let mut e = Encoder::new(Vec::new(), FrameKind::Process).unwrap();
    e.str(tag::ARG, b"x").unwrap().str(tag::CWD, b"/").unwrap();
    e.u32(tag::UID, 0).unwrap().u32(tag::GID, 0).unwrap();
    e.str(tag::ROOTFS, b"/r").unwrap(); // a Bootstrap tag is unknown in Process
    let f = e.finish().unwrap();
    assert_eq!(
        Process::decode(&f[HEADER_LEN..]).err(),
        Some(WireError::UnknownTag {
            kind: "Process",
            tag: tag::ROOTFS
        })
    );
    let mut f = sample_bootstrap();
    f.extend_from_slice(&[0xff, 0x7f, 0, 0, 0, 0]);
    assert!(matches!(
        Bootstrap::decode(&f[HEADER_LEN..]),
        Err(WireError::UnknownTag { tag: 0x7fff, .. })
    ));
}

#[test]
fn missing_required_fields() {
    let mut e = Encoder::new(Vec::new(), FrameKind::Bootstrap).unwrap();
    e.str(tag::ARG, b"/probe")
        .unwrap()
        .str(tag::CWD, b"/")
        .unwrap();
    e.u32(tag::UID, 0).unwrap().u32(tag::GID, 0).unwrap();
    let f = e.finish().unwrap();
    assert_eq!(
        Bootstrap::decode(&f[HEADER_LEN..]).err(),
        Some(WireError::MissingField {
            kind: "Bootstrap",
            tag: tag::ROOTFS
        })
    );
    let mut e = Encoder::new(Vec::new(), FrameKind::Process).unwrap();
    e.str(tag::CWD, b"/")
        .unwrap()
        .u32(tag::UID, 0)
        .unwrap()
        .u32(tag::GID, 0)
        .unwrap();
    let f = e.finish().unwrap();
    assert_eq!(
        Process::decode(&f[HEADER_LEN..]).err(),
        Some(WireError::MissingField {
            kind: "Process",
            tag: tag::ARG
        })
    );
    assert_eq!(
        ErrorReport::decode(&[]).err(),
        Some(WireError::MissingField {
            kind: "Error",
            tag: tag::ERR_MESSAGE
        })
    );
}

#[test]
fn bad_strings_utf8_values_and_duplicates() {
    let mut e = Encoder::new(Vec::new(), FrameKind::Error).unwrap();
    e.bytes(tag::ERR_MESSAGE, b"no nul").unwrap();
    let f = e.finish().unwrap();
    assert_eq!(
        ErrorReport::decode(&f[HEADER_LEN..]).err(),
        Some(WireError::BadString {
            tag: tag::ERR_MESSAGE
        })
    );

    let mut e = Encoder::new(Vec::new(), FrameKind::Error).unwrap();
    e.bytes(tag::ERR_MESSAGE, b"bad \xff\0").unwrap();
    let f = e.finish().unwrap();
    assert_eq!(
        ErrorReport::decode(&f[HEADER_LEN..]).err(),
        Some(WireError::BadUtf8 {
            tag: tag::ERR_MESSAGE
        })
    );

    assert!(Encoder::new(Vec::new(), FrameKind::Error)
        .unwrap()
        .str(tag::ERR_MESSAGE, b"a\0b")
        .is_err());

    let mut e = Encoder::new(Vec::new(), FrameKind::Process).unwrap();
    e.str(tag::ARG, b"x")
        .unwrap()
        .str(tag::CWD, b"relative")
        .unwrap();
    e.u32(tag::UID, 0).unwrap().u32(tag::GID, 0).unwrap();
    let f = e.finish().unwrap();
    assert_eq!(
        Process::decode(&f[HEADER_LEN..]).err(),
        Some(WireError::BadValue { tag: tag::CWD })
    );

    let mut e = Encoder::new(Vec::new(), FrameKind::Process).unwrap();
    e.str(tag::ARG, b"x").unwrap().str(tag::CWD, b"/").unwrap();
    e.u32(tag::UID, 0)
        .unwrap()
        .u32(tag::UID, 1)
        .unwrap()
        .u32(tag::GID, 0)
        .unwrap();
    let f = e.finish().unwrap();
    assert_eq!(
        Process::decode(&f[HEADER_LEN..]).err(),
        Some(WireError::DuplicateField {
            kind: "Process",
            tag: tag::UID
        })
    );

    let mut e = Encoder::new(Vec::new(), FrameKind::Process).unwrap();
    e.str(tag::ARG, b"x").unwrap().str(tag::CWD, b"/").unwrap();
    e.u16_bad_len().u32(tag::GID, 0).unwrap();
    let f = e.finish().unwrap();
    assert!(matches!(
        Process::decode(&f[HEADER_LEN..]),
        Err(WireError::BadFieldLength { tag: tag::UID, .. })
    ));
}

#[test]
fn sysctl_keys_cannot_leave_proc_sys() {
    for key in [
        &b"../../etc/passwd"[..],
        b"/abs",
        b"net//x",
        b"net/./x",
        b"",
    ] {
        let mut e = Encoder::new(Vec::new(), FrameKind::Bootstrap).unwrap();
        e.str(tag::ARG, b"x").unwrap().str(tag::CWD, b"/").unwrap();
        e.u32(tag::UID, 0)
            .unwrap()
            .u32(tag::GID, 0)
            .unwrap()
            .str(tag::ROOTFS, b"/r")
            .unwrap();
        e.group(tag::SYSCTL, |s| {
            s.str(tag::S_KEY, key)?;
            s.str(tag::S_VALUE, b"1")?;
            Ok(())
        })
        .unwrap();
        let f = e.finish().unwrap();
        assert_eq!(
            Bootstrap::decode(&f[HEADER_LEN..]).err(),
            Some(WireError::BadValue { tag: tag::S_KEY })
        );
    }
}

#[test]
fn over_capacity_is_refused() {
    let mut e = Encoder::new(Vec::new(), FrameKind::Process).unwrap();
    e.str(tag::CWD, b"/")
        .unwrap()
        .u32(tag::UID, 0)
        .unwrap()
        .u32(tag::GID, 0)
        .unwrap();
    for _ in 0..=limits::MAX_ENV {
        e.str(tag::ENV, b"A=1").unwrap();
    }
    e.str(tag::ARG, b"x").unwrap();
    let f = e.finish().unwrap();
    assert_eq!(
        Process::decode(&f[HEADER_LEN..]).err(),
        Some(WireError::OverCapacity {
            tag: tag::ENV,
            limit: limits::MAX_ENV
        })
    );
}

/// Pseudo-random mutations of a valid frame never panic and never read out of bounds.
#[test]
fn mutated_frames_never_panic() {
    let base = sample_bootstrap();
    let mut seed: u32 = 0x1234_5678;
    for _ in 0..20_000 {
        let mut f = base.clone();
        for _ in 0..1 + (seed % 4) {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let i = HEADER_LEN + (seed as usize % (f.len() - HEADER_LEN));
            f[i] = (seed >> 24) as u8;
        }
        if let Ok(b) = Bootstrap::decode(&f[HEADER_LEN..]) {
            let _ = b.mounts().count() + b.devices().count() + b.process.args().count();
        }
    }
}

trait BadLen {
    fn u16_bad_len(&mut self) -> &mut Self;
}
impl BadLen for Encoder<Vec<u8>> {
    fn u16_bad_len(&mut self) -> &mut Self {
        self.bytes(tag::UID, &[1, 2]).unwrap()
    }
}
