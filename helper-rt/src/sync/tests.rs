use super::*;

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use wire::{ErrorReport, ExecPid, Sink};

use crate::fail::Failure;
use crate::testing::{pair, Pair};

/// The helper's channel on the pair's helper end.
fn channel(p: &Pair) -> Channel {
    // SAFETY: the pair keeps the fd open until `close`, after the channel's last use.
    unsafe { Channel::from_fd(p.helper) }
}

fn message(f: &Failure) -> String {
    String::from_utf8_lossy(f.msg.as_bytes()).into_owned()
}

/// An `ExecPid` frame: a kind with a body (11 bytes with its kind byte).
fn exec_pid(pid: u32) -> Vec<u8> {
    let mut buf = vec![0u8; 64];
    let n = ExecPid { pid }
        .encode(SliceSink::new(&mut buf))
        .unwrap()
        .written();
    buf.truncate(n);
    buf
}

const SILENT: &str = "sync socket: runlet sent nothing before the deadline";
const CLOSED: &str = "sync socket: runlet closed it mid-frame or before sending";

#[test]
fn a_frame_arriving_in_pieces_is_read_whole() {
    let p = pair();
    let frame = exec_pid(4242);
    let mut parent = p.parent().try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        for byte in frame {
            parent.write_all(&[byte]).unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    let mut buf = [0u8; 64];
    let (kind, body) = channel(&p).recv(&mut buf, 5_000).unwrap();
    writer.join().unwrap();
    assert_eq!(kind, FrameKind::ExecPid);
    assert_eq!(ExecPid::decode(body).unwrap().pid, 4242);
    p.close();
}

#[test]
fn silence_ends_at_the_deadline() {
    let p = pair();
    let start = Instant::now();
    let e = channel(&p).recv(&mut [0u8; 16], 150).unwrap_err();
    let took = start.elapsed();
    assert_eq!(message(&e), SILENT);
    assert!(
        took >= Duration::from_millis(140),
        "gave up early: {took:?}"
    );
    assert!(took < Duration::from_secs(5), "waited too long: {took:?}");
    // Half a frame, then silence: the one deadline covers the whole frame.
    p.parent().write_all(&exec_pid(1)[..7]).unwrap();
    let e = channel(&p).recv(&mut [0u8; 16], 100).unwrap_err();
    assert_eq!(message(&e), SILENT);
    p.close();
}

#[test]
fn eof_before_or_inside_a_frame_ends_at_once() {
    for sent in [0, 8] {
        let mut p = pair();
        p.parent().write_all(&exec_pid(9)[..sent]).unwrap();
        p.hang_up();
        let start = Instant::now();
        let e = channel(&p).recv(&mut [0u8; 16], 10_000).unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{sent} bytes sent"
        );
        assert_eq!(message(&e), CLOSED, "{sent} bytes sent");
        p.close();
    }
}

#[test]
fn bad_headers_and_oversized_frames_are_refused_before_the_body() {
    let headers: &[&[u8]] = &[
        &[1, 0, 0, 0, 99],   // unknown kind
        &[0, 0, 0, 0, 3],    // zero length
        &[2, 0, 0, 0, 3],    // Resume has no body: 2 is over its maximum
        &[0, 0, 0x20, 0, 1], // Bootstrap of 2 MiB, over MAX_FRAME
    ];
    for head in headers {
        let p = pair();
        p.parent().write_all(head).unwrap();
        let e = channel(&p).recv(&mut [0u8; 16], 1_000).unwrap_err();
        assert_eq!(message(&e), "sync socket: bad frame header", "{head:?}");
        p.close();
    }
    // A valid ExecPid does not fit a 4-byte buffer.
    let p = pair();
    p.parent().write_all(&exec_pid(1)).unwrap();
    let e = channel(&p).recv(&mut [0u8; 4], 1_000).unwrap_err();
    assert_eq!(
        message(&e),
        "sync socket: frame larger than the helper's buffer"
    );
    p.close();
}

#[test]
fn expect_names_both_kinds() {
    let p = pair();
    p.parent()
        .write_all(&empty_frame(FrameKind::Ready))
        .unwrap();
    p.parent()
        .write_all(&empty_frame(FrameKind::Resume))
        .unwrap();
    let c = channel(&p);
    let e = c.expect(FrameKind::Resume, &mut [], 1_000).unwrap_err();
    assert_eq!(message(&e), "sync socket: expected Resume, got Ready");
    assert_eq!(c.expect(FrameKind::Resume, &mut [], 1_000).unwrap(), b"");
    p.close();
}

#[test]
fn a_report_goes_to_the_socket_and_the_fifo_alike() {
    let p = pair();
    let (fifo, mut fifo_reader) = UnixStream::pair().unwrap();
    let f = fail(&[b"mount tmpfs on /dev"], Some(Errno::PERM));
    let c = channel(&p);
    c.send_empty(FrameKind::Prestart).unwrap();
    // SAFETY: `fifo` is open until after the call.
    let also = unsafe { BorrowedFd::borrow_raw(fifo.as_raw_fd()) };
    c.report_as(FrameKind::HookFailed, &f, Some(also));
    drop(fifo);
    let mut got = Vec::new();
    p.close().unwrap().read_to_end(&mut got).unwrap();
    assert_eq!(&got[..HEADER_LEN], &empty_frame(FrameKind::Prestart));
    let frame = &got[HEADER_LEN..];
    let (kind, len) = parse_header(frame).unwrap();
    assert_eq!(kind, FrameKind::HookFailed);
    assert_eq!(frame.len(), HEADER_LEN + len, "one frame, nothing after it");
    let r = ErrorReport::decode(&frame[HEADER_LEN..]).unwrap();
    assert_eq!((r.message, r.errno), ("mount tmpfs on /dev", 1));
    let mut copy = Vec::new();
    fifo_reader.read_to_end(&mut copy).unwrap();
    assert_eq!(copy, frame, "the FIFO gets the same frame");
}

#[test]
fn sending_to_a_closed_peer_is_epipe() {
    let mut p = pair();
    p.hang_up();
    let e = channel(&p).send(&exec_pid(1)).unwrap_err();
    assert_eq!(message(&e), "write to sync socket");
    assert_eq!(e.errno, Errno::PIPE.raw_os_error() as u32);
    // A report to nobody is dropped quietly.
    channel(&p).report(&e);
    p.close();
}
