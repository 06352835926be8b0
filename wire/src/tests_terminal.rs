//! The terminal process fields (tags 150–152).

use alloc::vec::Vec;

use crate::{tag, Encoder, FrameKind, Process, WireError, HEADER_LEN};

fn process(extra: impl FnOnce(&mut Encoder<Vec<u8>>)) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new(), FrameKind::Process).unwrap();
    e.str(tag::ARG, b"sh").unwrap().str(tag::CWD, b"/").unwrap();
    e.u32(tag::UID, 0).unwrap().u32(tag::GID, 0).unwrap();
    extra(&mut e);
    e.finish().unwrap()
}

#[test]
fn terminal_and_console_size_round_trip() {
    let f = process(|e| {
        e.flag(tag::TERMINAL, true).unwrap();
        e.u32(tag::CONSOLE_HEIGHT, 30).unwrap();
        e.u32(tag::CONSOLE_WIDTH, 100).unwrap();
    });
    let p = Process::decode(&f[HEADER_LEN..]).unwrap();
    assert!(p.terminal);
    assert_eq!(p.console_size, Some((30, 100)));
    let p_plain = process(|_| {});
    let p = Process::decode(&p_plain[HEADER_LEN..]).unwrap();
    assert!(!p.terminal);
    assert_eq!(p.console_size, None);
    assert_eq!(tag::name(tag::TERMINAL), "TERMINAL");
    assert_eq!(tag::name(tag::CONSOLE_WIDTH), "CONSOLE_WIDTH");
}

#[test]
fn a_console_size_needs_both_halves_and_a_terminal() {
    let half = process(|e| {
        e.flag(tag::TERMINAL, true).unwrap();
        e.u32(tag::CONSOLE_WIDTH, 100).unwrap();
    });
    assert_eq!(
        Process::decode(&half[HEADER_LEN..]).err(),
        Some(WireError::BadValue {
            tag: tag::CONSOLE_WIDTH
        })
    );
    let no_tty = process(|e| {
        e.u32(tag::CONSOLE_HEIGHT, 30).unwrap();
        e.u32(tag::CONSOLE_WIDTH, 100).unwrap();
    });
    assert_eq!(
        Process::decode(&no_tty[HEADER_LEN..]).err(),
        Some(WireError::BadValue {
            tag: tag::CONSOLE_HEIGHT
        })
    );
}
