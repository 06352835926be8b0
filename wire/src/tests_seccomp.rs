//! The seccomp process fields (tags 80, 81).

use alloc::vec::Vec;

use crate::{tag, Encoder, FrameKind, Process, Seccomp, WireError, HEADER_LEN};

fn process(extra: impl FnOnce(&mut Encoder<Vec<u8>>)) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new(), FrameKind::Process).unwrap();
    e.str(tag::ARG, b"sh").unwrap().str(tag::CWD, b"/").unwrap();
    e.u32(tag::UID, 0).unwrap().u32(tag::GID, 0).unwrap();
    extra(&mut e);
    e.finish().unwrap()
}

#[test]
fn seccomp_round_trip() {
    let prog = [6u8, 0, 0, 0, 0, 0, 0xff, 0x7f]; // ret ALLOW
    let f = process(|e| {
        e.bytes(tag::SECCOMP, &prog).unwrap();
        e.u32(tag::SECCOMP_FLAGS, 4).unwrap();
    });
    let p = Process::decode(&f[HEADER_LEN..]).unwrap();
    assert_eq!(
        p.seccomp,
        Some(Seccomp {
            program: &prog,
            flags: 4
        })
    );
    let f = process(|_| {});
    assert!(Process::decode(&f[HEADER_LEN..]).unwrap().seccomp.is_none());
}

#[test]
fn seccomp_sizes_and_pairing_are_checked() {
    let bad = WireError::BadValue { tag: tag::SECCOMP };
    for len in [0usize, 7, 9, 4097 * 8] {
        let prog = alloc::vec![0u8; len];
        let f = process(|e| {
            e.bytes(tag::SECCOMP, &prog).unwrap();
        });
        assert_eq!(Process::decode(&f[HEADER_LEN..]).err(), Some(bad), "{len}");
    }
    let f = process(|e| {
        e.u32(tag::SECCOMP_FLAGS, 0).unwrap();
    });
    assert_eq!(
        Process::decode(&f[HEADER_LEN..]).err(),
        Some(WireError::MissingField {
            kind: "Process",
            tag: tag::SECCOMP
        })
    );
    assert_eq!(tag::name(tag::SECCOMP), "SECCOMP");
    assert_eq!(tag::name(tag::SECCOMP_FLAGS), "SECCOMP_FLAGS");
}
