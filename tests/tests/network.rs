//! Built-in networking (docs/network.md): `lo` up in a new netns, veth pairs from
//! `run.runlet.net.*` annotations, bridges, TCP both ways, errors leaving nothing.
//! Every interface a test makes carries `tag()` (this process's pid) and a letter of
//! its own; every address is in 10.199.N.0/24 (or fd99:N::/64) with N unique per test.

use runlet_tests::harness::{must_succeed, spawn};
use runlet_tests::spec::quote;
use runlet_tests::{fixture, Fixture, Report};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

/// The host tools these tests drive (iproute2's `ip`, util-linux's `nsenter`), which
/// .ci/run installs: a failure under RUNLET_REQUIRE_ROOT=1 when missing, else a skip.
fn missing_tools() -> Option<String> {
    let lacks = |t: &str| Command::new(t).arg("-V").output().is_err();
    let gone: Vec<&str> = ["ip", "nsenter"].into_iter().filter(|t| lacks(t)).collect();
    (!gone.is_empty()).then(|| format!("needs {} (iproute2, util-linux)", gone.join(" and ")))
}

/// `fixture!`, after checking the tools are there.
macro_rules! net_fixture {
    ($name:expr) => {{
        if let Some(why) = missing_tools() {
            runlet_tests::missing!("{why}");
        }
        fixture!($name)
    }};
}

/// Part of every interface name the tests make: `rn<pid>`.
fn tag() -> String {
    format!("rn{}", std::process::id() % 1_000_000)
}

/// A host interface name unique to this test run: `rn<pid><letter>`.
fn ifname(letter: &str) -> String {
    format!("{}{letter}", tag())
}

/// Host interfaces named exactly `name` (not by prefix: `rn<pid>b` must not match
/// the bridge `rn<pid>br` another test has up at the same time).
fn links_named(name: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir("/sys/class/net")
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n == name)
        .collect();
    v.sort();
    v
}

fn sysfs(dev: &str, what: &str) -> String {
    fs::read_to_string(format!("/sys/class/net/{dev}/{what}"))
        .unwrap_or_else(|e| panic!("read /sys/class/net/{dev}/{what}: {e}"))
        .trim()
        .to_string()
}

fn ip(args: &[&str]) {
    let mut cmd = Command::new("ip");
    cmd.args(args);
    must_succeed(cmd, format_args!("ip {}", args.join(" ")));
}

/// A host interface the test makes (`ip link add NAME type KIND...`), deleted on drop.
struct HostLink(String);

impl HostLink {
    fn new(name: &str, kind: &[&str]) -> HostLink {
        let mut args = vec!["link", "add", name, "type"];
        args.extend_from_slice(kind);
        ip(&args);
        ip(&["link", "set", name, "up"]);
        HostLink(name.to_string())
    }
}

impl Drop for HostLink {
    fn drop(&mut self) {
        let mut cmd = Command::new("ip");
        cmd.args(["link", "del", &self.0]);
        let _ = spawn(cmd).wait();
    }
}

fn annotate(fx: &mut Fixture, kv: &[(&str, &str)]) {
    let members: Vec<String> = kv
        .iter()
        .map(|(k, v)| format!("{}: {}", quote(&format!("run.runlet.net.{k}")), quote(v)))
        .collect();
    fx.spec
        .extra_top
        .push(("annotations".into(), format!("{{{}}}", members.join(", "))));
}

fn flags(r: &Report, dev: &str) -> (u32, String, String) {
    let l = r
        .all("link")
        .into_iter()
        .find(|l| l.split(' ').next() == Some(dev))
        .unwrap_or_else(|| panic!("no link={dev} in\n{}", r.dump()));
    let f: Vec<&str> = l.split(' ').collect();
    let fl = u32::from_str_radix(f[1].trim_start_matches("0x"), 16).unwrap();
    (fl, f[2].to_string(), f[3].to_string())
}

const IFF_UP: u32 = 1;

#[test]
fn loopback_is_up_and_carries_tcp() {
    let mut fx = net_fixture!("lo");
    fx.spec.probe(&["net"]);
    let r = fx.run().report();
    let (fl, _, _) = flags(&r, "lo");
    assert_ne!(fl & IFF_UP, 0, "lo must be up\n{}", r.dump());
    assert!(r.all("addr").contains(&"lo 127.0.0.1/8"), "{}", r.dump());
    assert_eq!(r.must("tcp-self"), "ok");
}

#[test]
fn veth_inside_and_host_to_container() {
    let mut fx = net_fixture!("veth");
    let host = ifname("a");
    annotate(
        &mut fx,
        &[
            ("veth0.host-name", &host),
            ("veth0.address", "10.199.1.2/24,fd99:1::2/64"),
            ("veth0.gateway", "10.199.1.1,fd99:1::1"),
            ("veth0.mtu", "1400"),
            ("veth0.mac", "02:99:00:00:01:02"),
            ("veth0.host-address", "10.199.1.1/24"),
        ],
    );
    fx.spec.probe(&["net"]);
    let r = fx.run().report();
    let (fl, mtu, mac) = flags(&r, "eth0");
    assert_ne!(fl & IFF_UP, 0, "eth0 must be up\n{}", r.dump());
    assert_eq!((mtu.as_str(), mac.as_str()), ("1400", "02:99:00:00:01:02"));
    let addrs = r.all("addr");
    for a in ["eth0 10.199.1.2/24", "eth0 fd99:1::2/64"] {
        assert!(addrs.contains(&a), "missing addr={a}\n{}", r.dump());
    }
    let routes = r.all("route");
    for rt in ["eth0 default via 10.199.1.1", "eth0 default via fd99:1::1"] {
        assert!(routes.contains(&rt), "missing route={rt}\n{}", r.dump());
    }
    // Only what was asked for: no temporary name left inside.
    let mut links: Vec<&str> = r
        .all("link")
        .iter()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    links.sort();
    assert_eq!(links, ["eth0", "lo"]);
    assert!(links_named(&host).is_empty(), "host end left after the run");

    // Now with the container listening: the host end is up with its MTU and address,
    // and a TCP round trip from the host reaches the container over the veth.
    fx.spec.probe(&["listen", "7001"]);
    let mut run = fx.spawn();
    run.wait_line(|l| l == "ready");
    assert_eq!(sysfs(&host, "mtu"), "1400");
    assert_ne!(
        u32::from_str_radix(sysfs(&host, "flags").trim_start_matches("0x"), 16).unwrap() & IFF_UP,
        0
    );
    assert_eq!(sysfs(&host, "operstate"), "up");
    let reply = talk("10.199.1.2:7001".parse().unwrap(), "from-host");
    assert_eq!(reply, "echo:from-host");
    run.wait_line(|l| l == "got=from-host");
    fx.finish(run).assert_exit(0);
    assert!(links_named(&host).is_empty(), "host end left after the run");
}

fn talk(to: SocketAddr, text: &str) -> String {
    let s = TcpStream::connect_timeout(&to, Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("connect {to}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    (&s).write_all(format!("{text}\n").as_bytes()).unwrap();
    let mut line = String::new();
    BufReader::new(&s).read_line(&mut line).unwrap();
    line.trim_end().to_string()
}

#[test]
fn container_to_host_over_ipv6() {
    let mut fx = net_fixture!("veth6");
    let host = ifname("b");
    annotate(
        &mut fx,
        &[
            ("veth0.host-name", &host),
            ("veth0.address", "fd99:2::2/64"),
            ("veth0.host-address", "fd99:2::1/64"),
        ],
    );
    // The host end's address is there before the container's process runs: listen
    // on the host side after creation, while the container is retrying its connect.
    let mut fx4 = net_fixture!("veth4");
    let host4 = ifname("c");
    annotate(
        &mut fx4,
        &[
            ("veth0.host-name", &host4),
            ("veth0.address", "10.199.3.2/24"),
            ("veth0.host-address", "10.199.3.1/24"),
        ],
    );
    for (fx, addr, host) in [
        (&mut fx, "fd99:2::1", &host),
        (&mut fx4, "10.199.3.1", &host4),
    ] {
        let to = SocketAddr::new(addr.parse().unwrap(), 7002);
        fx.spec.probe(&["connect", addr, "7002", "from-container"]);
        let run = fx.spawn();
        let listener = wait_bind(to);
        listener.set_nonblocking(false).unwrap();
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut line = String::new();
        BufReader::new(&s).read_line(&mut line).unwrap();
        assert_eq!(line, "from-container\n");
        (&s).write_all(b"echo:back\n").unwrap();
        let out = fx.finish(run);
        out.assert_exit(0);
        assert!(out.stdout.contains("reply=echo:back"), "{}", out.context());
        assert!(links_named(host).is_empty(), "host end left after the run");
    }
}

/// Binds `addr` once the host end carries it (runlet is bringing the container up).
fn wait_bind(to: SocketAddr) -> TcpListener {
    let end = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match TcpListener::bind(to) {
            Ok(l) => return l,
            Err(e) if std::time::Instant::now() < end => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("bind {to}: {e}"),
        }
    }
}

#[test]
fn two_containers_on_one_bridge() {
    let br = HostLink::new(&ifname("br"), &["bridge"]);
    let mut a = net_fixture!("bra");
    let mut b = net_fixture!("brb");
    let (ha, hb) = (ifname("d"), ifname("e"));
    annotate(
        &mut a,
        &[
            ("veth0.host-name", &ha),
            ("veth0.address", "10.199.4.2/24"),
            ("veth0.bridge", &br.0),
        ],
    );
    annotate(
        &mut b,
        &[
            ("veth0.host-name", &hb),
            ("veth0.peer-name", "net0"),
            ("veth0.address", "10.199.4.3/24"),
            ("veth0.bridge", &br.0),
        ],
    );
    a.spec.probe(&["listen", "7004"]);
    b.spec.probe(&["connect", "10.199.4.2", "7004", "from-b"]);
    let mut ra = a.spawn();
    ra.wait_line(|l| l == "ready");
    let master =
        fs::read_link(format!("/sys/class/net/{ha}/master")).expect("host end in a bridge");
    assert_eq!(master.file_name().unwrap().to_string_lossy(), br.0);
    let out = b.run();
    out.assert_exit(0);
    assert!(
        out.stdout.contains("reply=echo:from-b"),
        "{}",
        out.context()
    );
    ra.wait_line(|l| l == "got=from-b");
    a.finish(ra).assert_exit(0);
    assert!(
        links_named(&ha).is_empty() && links_named(&hb).is_empty(),
        "a host end was left"
    );
}

#[test]
fn joined_netns_gets_a_veth_when_asked() {
    let mut fx = net_fixture!("vjoin");
    let ns = fx.make_netns();
    fx.spec.join_namespace("network", &ns.to_string_lossy());
    let host = ifname("f");
    annotate(
        &mut fx,
        &[
            ("veth0.host-name", &host),
            ("veth0.address", "10.199.5.2/24"),
        ],
    );
    fx.spec.probe(&["net"]);
    let r = fx.run().report();
    let (fl, _, _) = flags(&r, "eth0");
    assert_ne!(fl & IFF_UP, 0);
    assert!(
        r.all("addr").contains(&"eth0 10.199.5.2/24"),
        "{}",
        r.dump()
    );
    // A joined namespace's lo is its owner's business: left as it was (down).
    let (lo, _, _) = flags(&r, "lo");
    assert_eq!(lo & IFF_UP, 0, "{}", r.dump());
    assert!(links_named(&host).is_empty(), "host end left after the run");
}

/// (key under run.runlet.net., value) pairs.
type Annotations = Vec<(&'static str, String)>;

#[test]
fn bad_input_is_one_clear_error_and_leaves_nothing() {
    // A veth pair of the test's own (this kernel may lack the dummy driver).
    let peer = ifname("gp");
    let taken = HostLink::new(&ifname("g"), &["veth", "peer", "name", &peer]);
    let (h, i) = (ifname("h"), ifname("i"));
    let cases: Vec<(Annotations, Vec<String>)> = vec![
        (
            vec![("veth0.host-name", h.clone()), ("veth0.address", "10.199.6.2/24".into()), ("veth0.gateway", "10.199.7.1".into())],
            vec!["annotation run.runlet.net.veth0.gateway: 10.199.7.1 is in no subnet of run.runlet.net.veth0.address".into()],
        ),
        (
            vec![("veth0.host-name", h.clone()), ("veth0.address", "10.199.6.300/24".into())],
            vec!["annotation run.runlet.net.veth0.address: \"10.199.6.300/24\" is not a CIDR".into()],
        ),
        (
            vec![("veth0.host-name", h.clone()), ("veth0.bridge", ifname("nobr"))],
            vec![format!("run.runlet.net.veth0.bridge {}: no such interface on the host", ifname("nobr"))],
        ),
        (
            vec![("veth0.host-name", h.clone()), ("veth0.bridge", taken.0.clone())],
            vec!["not a bridge (its kind is veth)".into()],
        ),
        (
            vec![("veth0.host-name", h.clone()), ("veth1.host-name", taken.0.clone())],
            vec![format!("run.runlet.net.veth1.host-name {}: the host already has an interface of that name", taken.0)],
        ),
        (
            vec![("veth0.host-name", h.clone()), ("veth1.host-name", i.clone()), ("veth1.colour", "red".into())],
            vec!["annotation run.runlet.net.veth1.colour: unknown key".into()],
        ),
    ];
    for (n, (kv, want)) in cases.iter().enumerate() {
        let mut fx = net_fixture!("verr");
        let kv: Vec<(&str, &str)> = kv.iter().map(|(k, v)| (*k, v.as_str())).collect();
        annotate(&mut fx, &kv);
        let w: Vec<&str> = want.iter().map(String::as_str).collect();
        fx.run().assert_error(&w);
        assert!(
            links_named(&h).is_empty() && links_named(&i).is_empty(),
            "case {n}: a host end was left"
        );
        assert!(
            !links_named(&taken.0).is_empty(),
            "case {n}: the host's own interface must stay"
        );
    }
}

#[test]
fn a_failure_inside_removes_the_host_ends() {
    // The joined netns already has an eth1: the init's rename fails after the parent
    // made both pairs; both host ends must go.
    let mut fx = net_fixture!("vfail");
    let ns = fx.make_netns();
    let mut cmd = Command::new("nsenter");
    cmd.arg(format!("--net={}", ns.display()))
        .args(["ip", "link", "add", "eth1", "type", "bridge"]);
    must_succeed(cmd, "add eth1 in the netns");
    fx.spec.join_namespace("network", &ns.to_string_lossy());
    let (h, i) = (ifname("j"), ifname("k"));
    annotate(&mut fx, &[("veth0.host-name", &h), ("veth1.host-name", &i)]);
    fx.run()
        .assert_error(&["RTM_SETLINK rename rlp", " to eth1: File exists"]);
    assert!(
        links_named(&h).is_empty() && links_named(&i).is_empty(),
        "a host end was left"
    );
}
