//! The netlink encoder and reply reader: the same bytes into a `Vec` and into a
//! fixed buffer, nested attributes sized and aligned, a request too large refused.

use alloc::vec::Vec;

use crate::netlink::{attrs, ifinfomsg, replies, NlMsg, NLMSG_HDRLEN};
use crate::{ArraySink, WireError};

fn veth_request<S: crate::Sink>(sink: S) -> Result<S, WireError> {
    let mut m = NlMsg::new(sink, 16, 0x605, &ifinfomsg(0, 0, 0));
    m.attr_str(3, b"ab"); // 4 + 3 bytes, padded to 8
    let info = m.begin(18);
    m.attr_str(1, b"veth");
    m.end(info);
    m.attr_u32(4, 1500);
    m.finish(7)
}

#[test]
fn nested_attributes_are_aligned_and_sized() {
    let v = veth_request(Vec::new()).unwrap();
    assert_eq!(v.len() % 4, 0);
    assert_eq!(
        u32::from_ne_bytes(v[0..4].try_into().unwrap()) as usize,
        v.len()
    );
    assert_eq!(u16::from_ne_bytes([v[4], v[5]]), 16);
    assert_eq!(u16::from_ne_bytes([v[6], v[7]]), 0x605);
    assert_eq!(u32::from_ne_bytes(v[8..12].try_into().unwrap()), 7);
    let b = &v[NLMSG_HDRLEN + 16..];
    assert_eq!(&b[0..2], &7u16.to_ne_bytes());
    assert_eq!(&b[8..10], &(4u16 + 12).to_ne_bytes());
    let top: Vec<_> = attrs(b).collect();
    assert_eq!(top.len(), 3);
    assert_eq!(top[0], (3, &b"ab\0"[..]));
    assert_eq!(attrs(top[1].1).collect::<Vec<_>>(), [(1, &b"veth\0"[..])]);
    assert_eq!(top[2], (4, &1500u32.to_ne_bytes()[..]));

    let a = veth_request(ArraySink::<256>::new()).unwrap();
    assert_eq!(a.as_bytes(), &v[..]);
}

#[test]
fn a_request_too_large_is_refused_at_finish() {
    let e = veth_request(ArraySink::<40>::new()).err().unwrap();
    assert!(matches!(e, WireError::NoRoom { .. }), "{e:?}");
}

#[test]
fn replies_are_split_and_checked() {
    let mut ack = Vec::new();
    ack.extend_from_slice(&20u32.to_ne_bytes());
    ack.extend_from_slice(&2u16.to_ne_bytes()); // NLMSG_ERROR
    ack.extend_from_slice(&0u16.to_ne_bytes());
    ack.extend_from_slice(&9u32.to_ne_bytes());
    ack.extend_from_slice(&0u32.to_ne_bytes());
    ack.extend_from_slice(&(-17i32).to_ne_bytes());
    let mut two = ack.clone();
    two.extend_from_slice(&ack);
    let got: Vec<_> = replies(&two).collect::<Result<_, _>>().unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0].ty, got[0].seq, got[0].error_code()),
        (2, 9, Some(-17))
    );
    assert!(!got[1].truncated);

    // Cut by a small receive buffer: what arrived is the body, marked truncated.
    let cut: Vec<_> = replies(&ack[..18]).collect();
    assert_eq!(cut.len(), 1);
    let r = cut[0].unwrap();
    assert!(r.truncated);
    assert_eq!(r.body.len(), 2);
    assert_eq!(r.error_code(), None);

    let mut bad = ack.clone();
    bad[0..4].copy_from_slice(&8u32.to_ne_bytes());
    let e: Vec<_> = replies(&bad).collect();
    assert_eq!(e.len(), 1);
    assert!(e[0].is_err());
}
