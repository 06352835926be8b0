use super::*;

use rustix::net::{socketpair, AddressFamily, SocketFlags, SocketType};

#[test]
fn push_keeps_a_nul_after_the_bytes() {
    let mut p = PathBuf::new();
    p.push(b"/sys/fs/cgroup").unwrap().push(b"/cpu").unwrap();
    assert_eq!(p.bytes(), b"/sys/fs/cgroup/cpu");
    assert_eq!(p.as_cstr(), c"/sys/fs/cgroup/cpu");
    let q = PathBuf::from_parts(&[b"/usr/bin", b"/", b"sh"]).unwrap();
    assert_eq!(q.as_cstr(), c"/usr/bin/sh");
    assert_eq!(PathBuf::default().as_cstr(), c"");
}

#[test]
fn a_nul_inside_is_refused() {
    let mut p = PathBuf::from_parts(&[b"/etc"]).unwrap();
    let e = p.push(b"/pass\0wd").err().expect("a NUL must be refused");
    assert!(e.msg.as_bytes().starts_with(b"path too long: /etc"));
    assert_eq!(e.errno, 0);
    // The path is unchanged.
    assert_eq!(p.as_cstr(), c"/etc");
}

#[test]
fn length_is_bounded_by_max_path_with_its_nul() {
    let mut p = PathBuf::new();
    p.push(&vec![b'a'; MAX_PATH - 1]).unwrap();
    assert_eq!(p.bytes().len(), MAX_PATH - 1);
    assert_eq!(p.as_cstr().to_bytes().len(), MAX_PATH - 1);
    // Not one byte more: the NUL needs the last place.
    let e = p.push(b"b").err().expect("past MAX_PATH");
    assert!(e.msg.as_bytes().starts_with(b"path too long: aaa"));
    assert_eq!(p.bytes().len(), MAX_PATH - 1);
    assert!(PathBuf::from_parts(&[&vec![b'a'; MAX_PATH][..]]).is_err());
}

#[test]
fn truncate_only_shortens() {
    let mut p = PathBuf::from_parts(&[b"/a/b/c"]).unwrap();
    p.truncate(10);
    assert_eq!(p.as_cstr(), c"/a/b/c");
    p.truncate(4);
    assert_eq!(p.as_cstr(), c"/a/b");
    p.push(b"/d").unwrap();
    assert_eq!(p.as_cstr(), c"/a/b/d");
    p.truncate(0);
    assert_eq!(p.as_cstr(), c"");
}

#[test]
fn fd_path_names_the_fd() {
    let (a, _b) = socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    let want = format!("/proc/self/fd/{}", a.as_raw_fd());
    assert_eq!(FdPath::new(&a).as_cstr().to_str().unwrap(), want);
}

#[test]
fn split_last_component() {
    let cases: &[(&[u8], usize, &[u8])] = &[
        (b"/dev/null", 4, b"null"),
        (b"/x", 1, b"x"),
        (b"/a/b/c", 4, b"c"),
        (b"/a/b/", 2, b"b"),
        (b"/a//b", 2, b"b"),
        (b"/a/b///", 2, b"b"),
        (b"name", 0, b"name"),
        (b"dir/name", 3, b"name"),
        // The root keeps its slash and has no last component.
        (b"/", 1, b""),
        (b"", 0, b""),
    ];
    for (path, dir, last) in cases {
        let got = split_last(path);
        assert_eq!(
            got,
            (*dir, *last),
            "split_last({:?})",
            String::from_utf8_lossy(path)
        );
    }
}
