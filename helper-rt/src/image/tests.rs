use super::*;

use core::ffi::CStr;

use crate::testing::{process, Spec};

// Each static is handed out once per process, so one test each takes it.

#[test]
fn the_frame_buffer_is_handed_out_once() {
    let buf = frame_buffer().expect("the first call gets the buffer");
    assert_eq!(buf.len(), MAX_FRAME);
    buf[MAX_FRAME - 1] = 7;
    let again = frame_buffer().expect_err("a second call is a bug");
    assert_eq!(again.msg.as_bytes(), b"frame buffer taken twice (a bug)");
    assert_eq!(buf[MAX_FRAME - 1], 7);
}

#[test]
fn argv_and_envp_point_into_the_frame() {
    let p = process(&Spec {
        args: &[b"/bin/sh", b"-c", b"echo hi"],
        env: &[b"PATH=/bin", b"HOME=/root"],
        ..Spec::default()
    });
    let (argv, envp) = pointer_arrays(&p).unwrap();
    let text = |v: &[*const c_char]| -> Vec<String> {
        v.iter()
            // SAFETY: every pointer but the last points into the leaked frame.
            .map(|&s| unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(argv.len(), 4, "three args and the NULL");
    assert!(argv[3].is_null());
    assert_eq!(text(&argv[..3]), ["/bin/sh", "-c", "echo hi"]);
    assert_eq!(envp.len(), 3);
    assert!(envp[2].is_null());
    assert_eq!(text(&envp[..2]), ["PATH=/bin", "HOME=/root"]);
    // The strings are not copied: argv[0] is the frame's own bytes.
    assert_eq!(argv[0], p.args().next().unwrap().as_ptr());
    let again = pointer_arrays(&p).expect_err("a second call is a bug");
    assert_eq!(again.msg.as_bytes(), b"argv/envp built twice (a bug)");
}
