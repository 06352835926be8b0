//! Round trips and malformed input for the hook fields of `Bootstrap`, and the
//! `HookFailed` frame.

use alloc::vec::Vec;
use core::ffi::CStr;

use crate::*;

fn frame(fill: impl Fn(&mut Encoder<Vec<u8>>) -> Result<(), WireError>) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new(), FrameKind::Bootstrap).unwrap();
    e.str(tag::ARG, b"/probe").unwrap();
    e.str(tag::CWD, b"/").unwrap();
    e.u32(tag::UID, 0).unwrap();
    e.u32(tag::GID, 0).unwrap();
    e.str(tag::ROOTFS, b"/r").unwrap();
    fill(&mut e).unwrap();
    e.finish().unwrap()
}

fn decode(f: &[u8]) -> Result<Bootstrap<'_>, WireError> {
    let (_, len) = parse_header(f).unwrap();
    Bootstrap::decode(&f[HEADER_LEN..HEADER_LEN + len])
}

fn hook(
    e: &mut Encoder<Vec<u8>>,
    when: u8,
    path: &[u8],
    timeout: Option<u32>,
) -> Result<(), WireError> {
    e.group(tag::HOOK, |h| {
        h.u8(tag::H_WHEN, when)?;
        h.str(tag::H_PATH, path)?;
        h.str(tag::H_ARG, b"name")?;
        h.str(tag::H_ARG, b"one")?;
        h.str(tag::H_ENV, b"A=1")?;
        if let Some(t) = timeout {
            h.u32(tag::H_TIMEOUT, t)?;
        }
        Ok(())
    })?;
    Ok(())
}

#[test]
fn hooks_round_trip() {
    let f = frame(|e| {
        hook(e, 0, b"/bin/cc", Some(5))?;
        hook(e, 1, b"/sc", Some(7))?;
        e.str(tag::CREATE_STATE, b"{\"status\":\"creating\"}")?;
        e.str(tag::START_STATE, b"{\"status\":\"created\"}")?;
        e.u32(tag::RESUME_WAIT, 30)?;
        Ok(())
    });
    let bs = decode(&f).unwrap();
    let hooks: Vec<Hook> = bs.hooks().collect();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0].when, HookWhen::CreateContainer);
    assert_eq!(hooks[0].path, c"/bin/cc");
    assert_eq!(hooks[0].timeout_s, 5);
    assert_eq!(hooks[0].args().collect::<Vec<&CStr>>(), [c"name", c"one"]);
    assert_eq!(hooks[0].env().collect::<Vec<&CStr>>(), [c"A=1"]);
    assert_eq!(hooks[1].when, HookWhen::StartContainer);
    assert_eq!(bs.create_state, Some(c"{\"status\":\"creating\"}"));
    assert_eq!(bs.start_state, Some(c"{\"status\":\"created\"}"));
    assert_eq!(bs.resume_wait_s, 30);
    assert_eq!(HookWhen::StartContainer.name(), "startContainer");
}

#[test]
fn bad_hooks_are_refused() {
    let relative = frame(|e| hook(e, 0, b"bin/x", Some(1)));
    assert!(matches!(
        decode(&relative),
        Err(WireError::BadValue { tag: tag::H_PATH })
    ));
    let no_timeout = frame(|e| hook(e, 0, b"/x", None));
    assert!(matches!(
        decode(&no_timeout),
        Err(WireError::MissingField {
            tag: tag::H_TIMEOUT,
            ..
        })
    ));
    let zero = frame(|e| hook(e, 0, b"/x", Some(0)));
    assert!(matches!(
        decode(&zero),
        Err(WireError::BadValue {
            tag: tag::H_TIMEOUT
        })
    ));
    let when = frame(|e| hook(e, 2, b"/x", Some(1)));
    assert!(matches!(
        decode(&when),
        Err(WireError::BadValue { tag: tag::H_WHEN })
    ));
    let twice = frame(|e| {
        e.u32(tag::RESUME_WAIT, 1)?;
        e.u32(tag::RESUME_WAIT, 1)?;
        Ok(())
    });
    assert!(matches!(
        decode(&twice),
        Err(WireError::DuplicateField {
            tag: tag::RESUME_WAIT,
            ..
        })
    ));
    let many = frame(|e| {
        for _ in 0..=limits::MAX_HOOKS {
            hook(e, 0, b"/x", Some(1))?;
        }
        Ok(())
    });
    assert!(matches!(
        decode(&many),
        Err(WireError::OverCapacity { tag: tag::HOOK, .. })
    ));
}

#[test]
fn hook_failed_frames_carry_an_error_body() {
    let mut buf = [0u8; 256];
    let s = ErrorReport::encode_as(
        SliceSink::new(&mut buf),
        FrameKind::HookFailed,
        &[b"startContainer hook 0 ", b"failed"],
        0,
    )
    .unwrap();
    let n = s.written();
    let (k, len) = parse_header(&buf[..n]).unwrap();
    assert_eq!(k, FrameKind::HookFailed);
    let r = ErrorReport::decode(&buf[HEADER_LEN..HEADER_LEN + len]).unwrap();
    assert_eq!(r.message, "startContainer hook 0 failed");
    assert_eq!(FrameKind::from_u8(16).unwrap().name(), "HookFailed");
}
