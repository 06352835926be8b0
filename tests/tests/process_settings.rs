//! process.user, capabilities, rlimits, noNewPrivileges, oomScoreAdj.

use runlet_tests::{fixture, Capabilities, Rlimit};

const CAP_CHOWN: u64 = 1 << 0;
const CAP_KILL: u64 = 1 << 5;
const CAP_NET_BIND_SERVICE: u64 = 1 << 10;
const CAP_NET_RAW: u64 = 1 << 13;
const CAP_AUDIT_WRITE: u64 = 1 << 29;

#[test]
fn user_uid_gid_and_additional_gids() {
    let mut fx = fixture!("user");
    fx.spec.uid = 1000;
    fx.spec.gid = 1001;
    fx.spec.additional_gids = Some(vec![10, 20]);
    let r = fx.run().report();
    assert_eq!((r.num("uid"), r.num("euid")), (1000, 1000));
    assert_eq!((r.num("gid"), r.num("egid")), (1001, 1001));
    let mut g = r.groups();
    g.sort();
    assert_eq!(
        g,
        vec![10, 20],
        "supplementary groups are exactly additionalGids"
    );
    // Not root: with the default (runc) capabilities nothing is effective, and
    // nothing beyond the configured set is permitted.
    assert_eq!(
        r.caps("CapEff") & !(CAP_AUDIT_WRITE | CAP_KILL | CAP_NET_BIND_SERVICE),
        0
    );
}

#[test]
fn default_capabilities_are_runcs_three() {
    let fx = fixture!("capsdefault");
    let r = fx.run().report();
    let want = CAP_AUDIT_WRITE | CAP_KILL | CAP_NET_BIND_SERVICE;
    for set in ["CapBnd", "CapEff", "CapPrm"] {
        assert_eq!(
            r.caps(set),
            want,
            "{set} = {:#x}, want {want:#x}",
            r.caps(set)
        );
    }
    // runc's spec lists no inheritable set; ambient ones then cannot be raised.
    assert_eq!(r.caps("CapInh"), 0);
}

#[test]
fn all_five_capability_sets() {
    let mut fx = fixture!("capsall");
    fx.spec.capabilities = Some(Capabilities::all_sets(&["CAP_CHOWN", "CAP_NET_RAW"]));
    let r = fx.run().report();
    let want = CAP_CHOWN | CAP_NET_RAW;
    for set in ["CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"] {
        assert_eq!(
            r.caps(set),
            want,
            "{set} = {:#x}, want {want:#x}",
            r.caps(set)
        );
    }
}

#[test]
fn capabilities_survive_the_switch_to_a_non_root_user() {
    let mut fx = fixture!("capsuser");
    fx.spec.uid = 1000;
    fx.spec.gid = 1000;
    fx.spec.capabilities = Some(Capabilities::all_sets(&["CAP_NET_BIND_SERVICE"]));
    let r = fx.run().report();
    assert_eq!(r.num("uid"), 1000);
    for set in ["CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"] {
        assert_eq!(
            r.caps(set),
            CAP_NET_BIND_SERVICE,
            "{set} = {:#x}",
            r.caps(set)
        );
    }
}

#[test]
fn rlimits() {
    let mut fx = fixture!("rlimits");
    // Lower than the host's hard limits: the host lacks CAP_SYS_RESOURCE to raise them.
    fx.spec.rlimits = vec![
        Rlimit {
            typ: "RLIMIT_NOFILE".into(),
            soft: 512,
            hard: 1024,
        },
        Rlimit {
            typ: "RLIMIT_CORE".into(),
            soft: 0,
            hard: 0,
        },
        Rlimit {
            typ: "RLIMIT_MSGQUEUE".into(),
            soft: 4096,
            hard: 8192,
        },
    ];
    let r = fx.run().report();
    assert_eq!(r.rlimit("NOFILE"), (512, 1024));
    assert_eq!(r.rlimit("CORE"), (0, 0));
    assert_eq!(r.rlimit("MSGQUEUE"), (4096, 8192));
}

#[test]
fn no_new_privileges_on() {
    let fx = fixture!("nnpon");
    let r = fx.run().report();
    assert_eq!(r.must("no_new_privs"), "1");
    assert_eq!(r.must("NoNewPrivs"), "1");
}

#[test]
fn no_new_privileges_off() {
    let mut fx = fixture!("nnpoff");
    fx.spec.no_new_privileges = false;
    let r = fx.run().report();
    assert_eq!(r.must("no_new_privs"), "0");
}

#[test]
fn oom_score_adj() {
    let mut fx = fixture!("oom");
    // Raising needs no privilege; lowering would need CAP_SYS_RESOURCE, which this host lacks.
    fx.spec.oom_score_adj = Some(500);
    assert_eq!(fx.run().report().must("oom_score_adj"), "500");
}

#[test]
fn process_is_not_dumpable_only_if_asked() {
    // The helpers are non-dumpable while they hold host resources; the user's
    // process, after exec, is dumpable again (uid 0, no setuid involved).
    let fx = fixture!("dumpable");
    assert_eq!(fx.run().report().must("dumpable"), "1");
}

#[test]
fn init_is_a_session_leader() {
    // runc and crun both setsid() the container's first process. Left in runlet's
    // session, a container given the caller's terminal as stdio (terminal: false
    // run from a shell) keeps it as its controlling tty and could push input into
    // the host shell with TIOCSTI after it exits.
    let fx = fixture!("setsid");
    let r = fx.run().report();
    assert_eq!(
        r.num("sid"),
        r.num("pid"),
        "the init must lead its own session (sid={})",
        r.must("sid")
    );
    assert_eq!(r.num("pgid"), r.num("pid"));
}
