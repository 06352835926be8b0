use super::*;

fn temp_root(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("runlet-state-{name}-{}", std::process::id()))
}

#[test]
fn ids_cannot_escape_the_root() {
    for bad in [
        "", ".", "..", "../x", "a/b", ".hidden", "-x", "a b", "a\0b", "é",
    ] {
        assert!(check_id(bad).is_err(), "{bad:?} accepted");
    }
    for good in ["a", "web-1", "A.b_c-9", "0"] {
        check_id(good).unwrap();
    }
    assert!(check_id(&"a".repeat(1025)).is_err());
}

#[test]
fn state_dir_refuses_duplicates_and_cleans_up() {
    let root = temp_root("dup");
    let a = StateDir::create(&root, "x").unwrap();
    let e = StateDir::create(&root, "x").err().unwrap();
    assert!(e.to_string().contains("container ID already exists"), "{e}");
    let _fifo = a.exec_fifo().unwrap();
    let saved = Saved {
        oci_version: "1.0.2".into(),
        id: "x".into(),
        status: "created".into(),
        pid: 42,
        bundle: "/b".into(),
        start_time: 7,
        cgroup_created: vec!["/sys/fs/cgroup/runlet".into()],
        ..Saved::default()
    };
    a.write(&saved).unwrap();
    let back = a.load().unwrap();
    assert_eq!((back.pid, back.start_time), (42, 7));
    assert_eq!(back.cgroup_created, saved.cgroup_created);
    // The live status of a pid that is not the saved process is `stopped`.
    let live = Live::of(&back, &a.dir);
    assert_eq!(live.status, Status::Stopped);
    assert_eq!(list_ids(&root).unwrap(), vec!["x".to_string()]);
    let dir = a.dir.clone();
    drop(a);
    assert!(!dir.exists());
    assert!(list_ids(&root).unwrap().is_empty());
    fs::remove_dir(&root).unwrap();
}

/// A process that is not runlet-init is running, exec FIFO or not: a FIFO a killed
/// `start` left does not make it `created` (tests/tests/stale_state.rs has the init).
#[test]
fn status_follows_the_process_not_the_fifo() {
    let root = temp_root("live");
    let mut d = StateDir::create(&root, "me").unwrap();
    let me = std::process::id() as i32;
    let saved = Saved {
        pid: me,
        start_time: crate::process::proc::start_time(me).unwrap(),
        ..Saved::default()
    };
    let _fifo = d.exec_fifo().unwrap();
    assert_eq!(Live::of(&saved, &d.dir).status, Status::Running);
    d.started().unwrap();
    let live = Live::of(&saved, &d.dir);
    assert_eq!((live.status, live.pid), (Status::Running, me));
    let reused = Saved {
        start_time: saved.start_time + 1,
        ..saved
    };
    assert_eq!(
        Live::of(&reused, &d.dir),
        Live {
            status: Status::Stopped,
            pid: 0
        }
    );
    d.remove().unwrap();
    fs::remove_dir(&root).unwrap();
}

#[test]
fn open_waits_for_the_lock_and_names_a_missing_id() {
    let root = temp_root("lock");
    let e = StateDir::open(&root, "nope").err().unwrap();
    assert_eq!(e.to_string(), "container nope does not exist");
    let mut held = StateDir::create(&root, "busy").unwrap();
    held.keep();
    let t = std::thread::spawn({
        let root = root.clone();
        move || {
            let started = Instant::now();
            let d = StateDir::open(&root, "busy").unwrap();
            (started.elapsed(), d)
        }
    });
    std::thread::sleep(Duration::from_millis(100));
    drop(held);
    let (waited, mut d) = t.join().unwrap();
    assert!(
        waited >= Duration::from_millis(90),
        "did not wait: {waited:?}"
    );
    d.remove().unwrap();
    fs::remove_dir(&root).unwrap();
}
