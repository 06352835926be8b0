//! Network modes of the probe:
//!
//! - `net`: `link=<name> <flags hex> <mtu> <mac>` per interface (from /sys/class/net),
//!   `addr=<name> <ip>/<prefix>` per address (getifaddrs), `route=<name> default via
//!   <gw>` per default route (/proc/net/route, /proc/net/ipv6_route), then
//!   `tcp-self=ok` when a TCP connection to a listener of its own on 127.0.0.1 carried
//!   a line both ways (`tcp-self=err <ERRNO>` otherwise), then `end=ok`.
//! - `listen PORT [COUNT]`: listens on [::]:PORT (IPv4 too), prints `ready`, and for
//!   each of COUNT (default 1) connections reads one line and sends back `echo:<line>`,
//!   printing `got=<line>`. Gives up after 20 s.
//! - `connect ADDR PORT TEXT`: connects (retrying for 10 s while refused), sends TEXT,
//!   prints `reply=<line>`; `error=connect <ERRNO>` and exit 1 on failure.

use crate::report::errname;
use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::fs;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

#[repr(C)]
struct IfAddrs {
    next: *mut IfAddrs,
    name: *const c_char,
    flags: c_uint,
    addr: *const u8,
    netmask: *const u8,
    ifu: *const c_void,
    data: *const c_void,
}

extern "C" {
    fn getifaddrs(out: *mut *mut IfAddrs) -> c_int;
    fn freeifaddrs(p: *mut IfAddrs);
}

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

pub fn net(o: &mut impl Write) -> i32 {
    links(o);
    addresses(o);
    routes(o);
    let _ = match tcp_self() {
        Ok(()) => writeln!(o, "tcp-self=ok"),
        Err(e) => writeln!(o, "tcp-self=err {}", errname(&e)),
    };
    let _ = writeln!(o, "end=ok");
    0
}

fn links(o: &mut impl Write) {
    let mut names: Vec<String> = fs::read_dir("/sys/class/net")
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    for n in names {
        let f = |x: &str| {
            fs::read_to_string(format!("/sys/class/net/{n}/{x}"))
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "?".into())
        };
        let _ = writeln!(o, "link={n} {} {} {}", f("flags"), f("mtu"), f("address"));
    }
}

/// The IP in a `struct sockaddr_in`/`sockaddr_in6`.
///
/// # Safety
/// `sa` is NULL or points to a sockaddr of the family it states.
unsafe fn ip_of(sa: *const u8) -> Option<IpAddr> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: the caller's guarantee; family is the first u16, then port, then the address.
    unsafe {
        match (sa as *const u16).read_unaligned() {
            AF_INET => Some(IpAddr::V4(Ipv4Addr::from(
                (sa.add(4) as *const [u8; 4]).read_unaligned(),
            ))),
            AF_INET6 => Some(IpAddr::V6(Ipv6Addr::from(
                (sa.add(8) as *const [u8; 16]).read_unaligned(),
            ))),
            _ => None,
        }
    }
}

fn prefix(mask: Option<IpAddr>) -> u32 {
    match mask {
        Some(IpAddr::V4(m)) => m.to_bits().count_ones(),
        Some(IpAddr::V6(m)) => m.to_bits().count_ones(),
        None => 0,
    }
}

fn addresses(o: &mut impl Write) {
    let mut list: *mut IfAddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a list freed below.
    if unsafe { getifaddrs(&mut list) } != 0 {
        let _ = writeln!(
            o,
            "error=getifaddrs {}",
            errname(&io::Error::last_os_error())
        );
        return;
    }
    let mut lines = Vec::new();
    let mut p = list;
    while !p.is_null() {
        // SAFETY: p is an element of the list getifaddrs made; its strings and
        // sockaddrs are valid until freeifaddrs.
        unsafe {
            let e = &*p;
            if let Some(ip) = ip_of(e.addr) {
                let name = CStr::from_ptr(e.name).to_string_lossy();
                lines.push(format!("addr={name} {ip}/{}", prefix(ip_of(e.netmask))));
            }
            p = e.next;
        }
    }
    // SAFETY: the list from getifaddrs, freed once.
    unsafe { freeifaddrs(list) };
    lines.sort();
    for l in lines {
        let _ = writeln!(o, "{l}");
    }
}

fn routes(o: &mut impl Write) {
    if let Ok(s) = fs::read_to_string("/proc/net/route") {
        for l in s.lines().skip(1) {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() > 7 && f[1] == "00000000" && f[7] == "00000000" {
                if let Ok(gw) = u32::from_str_radix(f[2], 16) {
                    let gw = Ipv4Addr::from(gw.to_le_bytes());
                    let _ = writeln!(o, "route={} default via {gw}", f[0]);
                }
            }
        }
    }
    if let Ok(s) = fs::read_to_string("/proc/net/ipv6_route") {
        for l in s.lines() {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 10 || f[0] != "0".repeat(32) || f[1] != "00" {
                continue;
            }
            if let Ok(gw) = u128::from_str_radix(f[4], 16) {
                if gw != 0 {
                    let _ = writeln!(o, "route={} default via {}", f[9], Ipv6Addr::from(gw));
                }
            }
        }
    }
}

fn tcp_self() -> io::Result<()> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    let mut c = TcpStream::connect_timeout(&l.local_addr()?, Duration::from_secs(5))?;
    c.set_read_timeout(Some(Duration::from_secs(5)))?;
    let (mut s, _) = l.accept()?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    c.write_all(b"ping\n")?;
    let mut line = String::new();
    BufReader::new(&s).read_line(&mut line)?;
    s.write_all(format!("echo:{line}").as_bytes())?;
    let mut back = String::new();
    BufReader::new(&c).read_line(&mut back)?;
    if back != "echo:ping\n" {
        return Err(io::Error::other(format!("got {back:?}")));
    }
    Ok(())
}

pub fn listen(rest: &[String]) -> i32 {
    let port: u16 = rest.first().and_then(|p| p.parse().ok()).unwrap_or(0);
    let count: usize = rest.get(1).and_then(|p| p.parse().ok()).unwrap_or(1);
    let l = match TcpListener::bind(SocketAddr::from((Ipv6Addr::UNSPECIFIED, port))) {
        Ok(l) => l,
        Err(e) => {
            println!("error=listen {}", errname(&e));
            return 1;
        }
    };
    let _ = l.set_nonblocking(true);
    println!("ready");
    let _ = io::stdout().flush();
    let end = Instant::now() + Duration::from_secs(20);
    let mut served = 0;
    while served < count {
        match l.accept() {
            Ok((s, _)) => {
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let mut line = String::new();
                let _ = BufReader::new(&s).read_line(&mut line);
                let line = line.trim_end();
                let _ = (&s).write_all(format!("echo:{line}\n").as_bytes());
                println!("got={line}");
                let _ = io::stdout().flush();
                served += 1;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < end => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => {
                println!("error=accept {}", errname(&e));
                return 1;
            }
        }
    }
    0
}

pub fn connect(rest: &[String]) -> i32 {
    let (Some(addr), Some(port), Some(text)) = (
        rest.first().and_then(|a| a.parse::<IpAddr>().ok()),
        rest.get(1).and_then(|p| p.parse::<u16>().ok()),
        rest.get(2),
    ) else {
        eprintln!("probe: connect ADDR PORT TEXT");
        return 2;
    };
    match talk(SocketAddr::new(addr, port), text) {
        Ok(reply) => {
            println!("reply={reply}");
            0
        }
        Err(e) => {
            println!("error=connect {}", errname(&e));
            1
        }
    }
}

/// Connects (retrying while refused: the listener may not be up yet), sends one line,
/// returns the line that comes back.
pub fn talk(to: SocketAddr, text: &str) -> io::Result<String> {
    let end = Instant::now() + Duration::from_secs(10);
    let s = loop {
        match TcpStream::connect_timeout(&to, Duration::from_secs(5)) {
            Ok(s) => break s,
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused && Instant::now() < end => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    };
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    (&s).write_all(format!("{text}\n").as_bytes())?;
    let mut line = String::new();
    BufReader::new(&s).read_line(&mut line)?;
    Ok(line.trim_end().to_string())
}
