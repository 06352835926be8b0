use super::*;

use std::ffi::CString;

/// `HelperFds` from an argv of these strings (argv[0] first).
fn from(args: &[&str]) -> HelperFds {
    let owned: Vec<CString> = args.iter().map(|a| CString::new(*a).unwrap()).collect();
    let ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
    // SAFETY: `ptrs` holds `len` valid C strings, alive until the call returns.
    unsafe { HelperFds::from_argv(ptrs.len() as c_int, ptrs.as_ptr()) }
}

#[test]
fn without_passed_fds_the_helper_owns_3_4_5() {
    let f = from(&["runlet-init"]);
    assert_eq!(f.extra, 0);
    assert_eq!((f.sync(), f.second(), f.console()), (3, 4, 5));
    assert_eq!(f.first_private(), 3);
    assert_eq!(from(&["runlet-init", "0"]).extra, 0);
}

#[test]
fn passed_fds_come_first() {
    let f = from(&["runlet-exec", "2"]);
    assert_eq!(f.extra, 2);
    assert_eq!((f.sync(), f.second(), f.console()), (5, 6, 7));
    assert_eq!(f.first_private(), 5, "fds 3 and 4 reach the process");
    let f = from(&["runlet-init", "1024"]);
    assert_eq!((f.extra, f.sync()), (1024, 1027));
}

#[test]
fn anything_but_a_count_up_to_max_extra_is_zero() {
    for bad in [
        "1025",
        "99999999999999999999",
        "-1",
        "+2",
        "2x",
        " 2",
        "abc",
    ] {
        assert_eq!(from(&["runlet-init", bad]).extra, 0, "argv[1] = {bad:?}");
    }
    assert_eq!(from(&["runlet-init", ""]).extra, 0);
}
