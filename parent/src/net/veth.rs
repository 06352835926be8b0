//! The host ends of veth pairs: checked, created (peer straight into the container's
//! netns), attached or addressed, brought up; deleted when the container goes.

use std::net::IpAddr;
use std::os::fd::{AsRawFd, OwnedFd};

use rustix::fs::{Mode, OFlags};

use linux_raw_sys::netlink as nl;

use super::netlink::{
    flags, ifinfomsg, msg, Netlink, RTM_DELLINK, RTM_NEWADDR, RTM_NEWLINK, RTM_SETLINK,
};
use super::{Cidr, Plan, VethPlan, PREFIX};
use crate::bail;
use crate::error::{Error, Result};

/// `VETH_INFO_PEER` (linux-raw-sys lacks it).
const VETH_INFO_PEER: u16 = 1;
/// `IFF_UP` (linux-raw-sys has it only behind its `net` feature).
const IFF_UP: u32 = linux_raw_sys::net::net_device_flags::IFF_UP as u32;
const ENODEV: i32 = linux_raw_sys::errno::ENODEV as i32;

/// Before anything is made: no host end's name is taken, and every bridge asked for
/// exists and is a bridge.
pub fn check_host(plan: &Plan) -> Result<()> {
    if plan.veths.is_empty() {
        return Ok(());
    }
    let mut nl = Netlink::open()?;
    for v in &plan.veths {
        if nl.get_link(&v.host_name)?.is_some() {
            bail!(
                "annotation {PREFIX}veth{}.host-name {}: the host already has an interface of that name",
                v.index,
                v.host_name
            );
        }
        if let Some(b) = &v.bridge {
            bridge_index(&mut nl, v, b)?;
        }
    }
    Ok(())
}

fn bridge_index(nl: &mut Netlink, v: &VethPlan, b: &str) -> Result<i32> {
    match nl.get_link(b)? {
        None => bail!(
            "annotation {PREFIX}veth{}.bridge {b}: no such interface on the host (create the bridge first)",
            v.index
        ),
        Some(l) if l.kind.as_deref() != Some("bridge") => bail!(
            "annotation {PREFIX}veth{}.bridge {b}: not a bridge (its kind is {})",
            v.index,
            l.kind.as_deref().unwrap_or("none")
        ),
        Some(l) => Ok(l.index),
    }
}

/// Host ends runlet made; deleted on drop unless `keep` was called.
#[derive(Default)]
pub struct Veths {
    /// (name, ifindex): deleted by index, so a name taken over later is left alone
    /// (by name while the index is not known yet: 0).
    ends: Vec<(String, i32)>,
}

impl Veths {
    /// The host ends' names (to record in state.json for `runlet delete`).
    pub fn host_names(&self) -> Vec<String> {
        self.ends.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The container outlives this runlet: leave the host ends; returns their names.
    pub fn keep(&mut self) -> Vec<String> {
        let names = self.host_names();
        self.ends.clear();
        names
    }

    /// Deletes every host end (its peer goes with it). One already gone (its
    /// namespace died with the container) is fine.
    pub fn remove(&mut self) -> Result<()> {
        if self.ends.is_empty() {
            return Ok(());
        }
        let mut nl = Netlink::open()?;
        let mut first_err = None;
        for (name, index) in std::mem::take(&mut self.ends) {
            let mut m = msg(RTM_DELLINK, flags(0), &ifinfomsg(index, 0, 0));
            if index == 0 {
                m.attr_str(nl::IFLA_IFNAME as u16, name.as_bytes());
            }
            match nl.try_request(m) {
                Ok(Ok(())) | Ok(Err(ENODEV)) => wait_gone(&mut nl, &name)?,
                Ok(Err(e)) => {
                    first_err.get_or_insert(Error::sys(
                        &format!("RTM_DELLINK {name}"),
                        std::io::Error::from_raw_os_error(e),
                    ));
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

impl Drop for Veths {
    fn drop(&mut self) {
        let _ = self.remove();
    }
}

/// Makes every pair of the plan; the peers land in the netns of `pid` (the init).
/// On failure, what was made is deleted again.
pub fn create(plan: &Plan, pid: i32) -> Result<Veths> {
    let mut made = Veths::default();
    if plan.veths.is_empty() {
        return Ok(made);
    }
    let mut nl = Netlink::open()?;
    // A new netns exists from the clone on, so the init's pid names it. A joined one
    // is entered by the clone child before it execs the init, maybe after this runs:
    // name it by an fd of its own.
    let target = match &plan.join {
        Some(p) => Target::Fd(
            rustix::fs::open(p, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
                .map_err(|e| Error::io("open network namespace", p, e.into()))?,
        ),
        None => Target::Pid(pid),
    };
    for v in &plan.veths {
        let bridge = match &v.bridge {
            Some(b) => Some(bridge_index(&mut nl, v, b)?),
            None => None,
        };
        make_pair(&mut nl, v, &target)?;
        // Recorded at once (by name until its index is known), so any later failure
        // deletes it.
        made.ends.push((v.host_name.clone(), 0));
        let Some(link) = nl.get_link(&v.host_name)? else {
            bail!("RTM_GETLINK {}: gone right after it was made", v.host_name);
        };
        let idx = link.index;
        if let Some(end) = made.ends.last_mut() {
            end.1 = idx;
        }
        if let Some(b) = bridge {
            let mut m = msg(RTM_SETLINK, flags(0), &ifinfomsg(idx, 0, 0));
            m.attr_u32(nl::IFLA_MASTER as u16, b as u32);
            nl.request(m, || {
                format!(
                    "RTM_SETLINK {} master {}",
                    v.host_name,
                    v.bridge.as_deref().unwrap_or("")
                )
            })?;
        }
        if let Some(a) = &v.host_address {
            add_address(&mut nl, idx, a, &v.host_name)?;
        }
        let m = msg(RTM_SETLINK, flags(0), &ifinfomsg(idx, IFF_UP, IFF_UP));
        nl.request(m, || format!("RTM_SETLINK {} up", v.host_name))?;
        crate::debug!("veth {} made, peer in the container's netns", v.host_name);
    }
    Ok(made)
}

/// Where the peers go.
enum Target {
    Pid(i32),
    Fd(OwnedFd),
}

/// One `RTM_NEWLINK`: the host end (with its MTU) and, in `IFLA_INFO_DATA`, the peer
/// with its temporary name and `IFLA_NET_NS_PID` (or `_FD`), so it is born in the
/// container's netns.
fn make_pair(nl: &mut Netlink, v: &VethPlan, target: &Target) -> Result<()> {
    let mut m = msg(
        RTM_NEWLINK,
        flags(nl::NLM_F_CREATE | nl::NLM_F_EXCL),
        &ifinfomsg(0, 0, 0),
    );
    m.attr_str(nl::IFLA_IFNAME as u16, v.host_name.as_bytes());
    if let Some(mtu) = v.mtu {
        m.attr_u32(nl::IFLA_MTU as u16, mtu);
    }
    let info = m.begin(nl::IFLA_LINKINFO as u16);
    m.attr_str(nl::IFLA_INFO_KIND as u16, b"veth");
    let data = m.begin(nl::IFLA_INFO_DATA as u16);
    let peer = m.begin(VETH_INFO_PEER);
    m.raw(&ifinfomsg(0, 0, 0));
    m.attr_str(nl::IFLA_IFNAME as u16, v.temp_name.as_bytes());
    match target {
        Target::Pid(pid) => m.attr_u32(nl::IFLA_NET_NS_PID as u16, *pid as u32),
        Target::Fd(fd) => m.attr_u32(nl::IFLA_NET_NS_FD as u16, fd.as_raw_fd() as u32),
    };
    m.end(peer);
    m.end(data);
    m.end(info);
    nl.request(m, || {
        format!(
            "RTM_NEWLINK {} (veth, peer {} in the container's netns)",
            v.host_name, v.temp_name
        )
    })
}

/// `RTM_NEWADDR` on interface `idx`. IPv6 addresses skip duplicate address detection
/// (`IFA_F_NODAD`): they are usable at once, and the link is the container's own.
fn add_address(nl: &mut Netlink, idx: i32, a: &Cidr, dev: &str) -> Result<()> {
    let (family, bytes, nodad) = match a.addr {
        IpAddr::V4(v) => (libc_af(false), v.octets().to_vec(), 0u8),
        IpAddr::V6(v) => (libc_af(true), v.octets().to_vec(), nl::IFA_F_NODAD as u8),
    };
    let mut hdr = [0u8; 8];
    hdr[0] = family;
    hdr[1] = a.prefix;
    hdr[2] = nodad;
    hdr[4..8].copy_from_slice(&(idx as u32).to_ne_bytes());
    let mut m = msg(RTM_NEWADDR, flags(nl::NLM_F_CREATE | nl::NLM_F_EXCL), &hdr);
    m.attr(nl::IFA_LOCAL as u16, &bytes);
    m.attr(nl::IFA_ADDRESS as u16, &bytes);
    nl.request(m, || format!("RTM_NEWADDR {} dev {dev}", a.text()))
}

/// AF_INET or AF_INET6.
fn libc_af(v6: bool) -> u8 {
    if v6 {
        rustix::net::AddressFamily::INET6.as_raw() as u8
    } else {
        rustix::net::AddressFamily::INET.as_raw() as u8
    }
}

/// For `runlet delete` in a later process: deletes the host ends recorded for a
/// container, by name. Only a veth is deleted (a name reused by something else is left
/// alone); one already gone is fine.
pub fn remove_host_ends(names: &[String]) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let mut nl = Netlink::open()?;
    for name in names {
        let Some(link) = nl.get_link(name)? else {
            continue;
        };
        if link.kind.as_deref() != Some("veth") {
            continue;
        }
        let m = msg(RTM_DELLINK, flags(0), &ifinfomsg(link.index, 0, 0));
        match nl.try_request(m)? {
            Ok(()) | Err(ENODEV) => wait_gone(&mut nl, name)?,
            Err(e) => {
                return Err(Error::sys(
                    &format!("RTM_DELLINK {name}"),
                    std::io::Error::from_raw_os_error(e),
                ))
            }
        }
    }
    Ok(())
}

/// Waits (up to 2 s) until the link `name` is gone. The kernel finishes removing a
/// veth whose peer's namespace is being torn down in the background; a caller that
/// makes the same name again right after (the next run of the container) must not
/// find it taken.
fn wait_gone(nl: &mut Netlink, name: &str) -> Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    // netlink stops listing a link before the kernel has finished with it; its sysfs
    // entry goes last (when sysfs shows this netns: the host's).
    let sysfs = std::path::Path::new("/sys/class/net").join(name);
    while nl.get_link(name)?.is_some() || sysfs.exists() {
        if std::time::Instant::now() >= deadline {
            return Err(Error::msg(format!(
                "RTM_DELLINK {name}: still there 2 s after it was deleted"
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    Ok(())
}
