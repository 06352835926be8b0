use super::*;

#[test]
fn decimal_digits() {
    let mut out = [0u8; 20];
    assert_eq!(decimal(0, &mut out), b"0");
    assert_eq!(decimal(7, &mut out), b"7");
    assert_eq!(decimal(10, &mut out), b"10");
    assert_eq!(decimal(1234567890, &mut out), b"1234567890");
    assert_eq!(decimal(u64::MAX, &mut out), b"18446744073709551615");
}

#[test]
fn msg_appends_in_order() {
    let mut m = Msg::new();
    m.push(b"setresuid ").push_u64(1000).push(b"").push(b"!");
    assert_eq!(m.as_bytes(), b"setresuid 1000!");
    assert_eq!(Msg::default().as_bytes(), b"");
}

#[test]
fn msg_keeps_the_first_512_bytes() {
    let mut m = Msg::new();
    m.push(&[b'a'; 500]).push(&[b'b'; 20]).push(b"dropped");
    assert_eq!(m.as_bytes().len(), 512);
    assert_eq!(&m.as_bytes()[500..], &[b'b'; 12]);
    // Full: nothing more goes in, and nothing panics.
    m.push_u64(42);
    assert_eq!(m.as_bytes().len(), 512);
}

#[test]
fn msg_cuts_on_a_utf8_boundary() {
    // 511 bytes leave room for one byte: 'é' (2 bytes) must not be split.
    let mut m = Msg::new();
    m.push(&[b'x'; 511]).push("é".as_bytes());
    assert_eq!(m.as_bytes().len(), 511);
    assert!(core::str::from_utf8(m.as_bytes()).is_ok());
    // 509 leave three: '€' (3 bytes) fits exactly, a following one does not.
    let mut m = Msg::new();
    m.push(&[b'x'; 509]).push("€€".as_bytes());
    assert_eq!(m.as_bytes().len(), 512);
    assert!(m.as_bytes().ends_with("€".as_bytes()));
    // 4-byte characters cut after the first whole one.
    let mut m = Msg::new();
    m.push(&[b'x'; 506]).push("😀😀".as_bytes());
    assert_eq!(m.as_bytes().len(), 510);
    assert!(core::str::from_utf8(m.as_bytes()).is_ok());
}

#[test]
fn fail_joins_parts_and_keeps_the_errno() {
    let f = fail(&[b"mount ", b"proc", b" on ", b"/proc"], Some(Errno::PERM));
    assert_eq!(f.msg.as_bytes(), b"mount proc on /proc");
    assert_eq!(f.errno, 1);
    let f = fail(&[b"refused"], None);
    assert_eq!(f.errno, 0, "no errno is 0 on the wire");
}

#[test]
fn ctx_names_the_call() {
    let r: Result<(), Errno> = Err(Errno::NOENT);
    let f = r.ctx(&[b"open ", b"/dev/null"]).unwrap_err();
    assert_eq!(f.msg.as_bytes(), b"open /dev/null");
    assert_eq!(f.errno, 2);
    let ok: Result<u8, Errno> = Ok(5);
    assert_eq!(ok.ctx(&[b"unused"]).ok(), Some(5));
}
