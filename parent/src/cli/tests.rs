use super::*;

fn p(args: &[&str]) -> Result<(Global, Command)> {
    parse(
        std::iter::once("runlet")
            .chain(args.iter().copied())
            .map(String::from)
            .collect(),
    )
}

fn cmd(args: &[&str]) -> Command {
    p(args).unwrap().1
}

fn err(args: &[&str]) -> String {
    p(args).expect_err("accepted").to_string()
}

#[test]
fn run_with_globals() {
    let (g, c) = p(&[
        "--root=/tmp/r",
        "--log-format",
        "json",
        "run",
        "-b",
        "/b",
        "--pid-file=/p",
        "x",
    ])
    .unwrap();
    assert_eq!(g.root, PathBuf::from("/tmp/r"));
    assert_eq!(g.log_format, LogFormat::Json);
    let want = CreateArgs {
        id: "x".into(),
        bundle: "/b".into(),
        pid_file: Some("/p".into()),
        no_new_keyring: false,
        no_pivot: false,
        console_socket: None,
        preserve_fds: 0,
    };
    assert_eq!(
        c,
        Command::Run {
            c: want,
            detach: false
        }
    );
}

#[test]
fn containerd_shim_calls() {
    // The shapes containerd's runc shim uses, Go single-dash long options included.
    let (g, c) = p(&[
        "--root",
        "/run/containerd/runc/k8s.io",
        "--log",
        "/b/log.json",
        "--log-format",
        "json",
        "create",
        "--bundle",
        "/b",
        "--pid-file",
        "/b/init.pid",
        "abc",
    ])
    .unwrap();
    assert_eq!(g.log, Some(PathBuf::from("/b/log.json")));
    assert!(matches!(c, Command::Create(CreateArgs { ref id, .. }) if id == "abc"));
    assert_eq!(cmd(&["start", "abc"]), Command::Start { id: "abc".into() });
    assert_eq!(
        cmd(&["kill", "--all", "abc", "9"]),
        Command::Kill {
            id: "abc".into(),
            signal: 9,
            all: true
        }
    );
    assert_eq!(
        cmd(&["kill", "abc", "SIGKILL"]),
        Command::Kill {
            id: "abc".into(),
            signal: 9,
            all: false
        }
    );
    assert_eq!(
        cmd(&["kill", "abc"]),
        Command::Kill {
            id: "abc".into(),
            signal: 15,
            all: false
        }
    );
    assert_eq!(
        cmd(&["delete", "-force", "abc"]),
        Command::Delete {
            id: "abc".into(),
            force: true
        }
    );
    assert_eq!(
        cmd(&["ps", "--format", "json", "abc"]),
        Command::Ps {
            id: "abc".into(),
            json: true
        }
    );
    assert_eq!(
        cmd(&["list", "-q"]),
        Command::List {
            quiet: true,
            json: false
        }
    );
    assert_eq!(
        cmd(&["run", "-d", "--detach=false", "x"]),
        Command::Run {
            c: CreateArgs {
                id: "x".into(),
                bundle: ".".into(),
                pid_file: None,
                no_new_keyring: false,
                no_pivot: false,
                console_socket: None,
                preserve_fds: 0,
            },
            detach: false
        }
    );
}

#[test]
fn errors_name_the_problem() {
    assert!(err(&["run"]).contains("missing container ID"));
    assert!(err(&["--root"]).contains("--root needs a value"));
    assert!(err(&["frobnicate"]).contains("unknown command"));
    assert!(err(&["run", "--bogus", "x"]).contains("unknown option --bogus"));
    assert!(err(&["kill", "x", "SIGNOPE"]).contains("SIGNOPE"));
    assert!(err(&["kill", "x", "9", "extra"]).contains("unexpected argument \"extra\""));
    assert!(err(&["list", "--format", "yaml"]).contains("expected table or json"));
    assert!(err(&["--systemd-cgroup", "list"]).contains("--systemd-cgroup"));
    assert!(err(&["spec", "--rootless", "x"]).contains("unexpected argument"));
    assert!(err(&["create", "--preserve-fds", "-1", "x"]).contains("--preserve-fds"));
    assert!(err(&["create", "--detach", "x"]).contains("--detach"));
}

#[test]
fn no_pivot_is_taken_by_create_and_run() {
    for c in ["create", "run"] {
        let got = match cmd(&[c, "--no-pivot", "x"]) {
            Command::Create(a) | Command::Run { c: a, .. } => a,
            other => panic!("{other:?}"),
        };
        assert!(got.no_pivot, "{c}");
    }
}
