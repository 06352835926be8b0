//! `blockIO`'s per-device parts and leaf weight: v1 `blkio.*` files as runc writes
//! them, v2 `io.max` / `io.bfq.weight` / `io.weight` as runc and crun translate them.
//! One device per write, as the kernel takes them.

use super::v2::blkio_to_io_weight;
use super::Write;
use crate::bail;
use crate::config::blkio::BlockIo;
use crate::error::Result;

fn dev_line(major: u32, minor: u32, value: impl std::fmt::Display) -> String {
    format!("{major}:{minor} {value}")
}

/// v1: leaf weight, per-device (leaf) weights (BFQ's file where CFQ is gone), throttles.
pub(super) fn v1_writes(b: &BlockIo, w: &mut Vec<Write>) {
    if let Some(l) = b.leaf_weight {
        w.push(Write::new(
            "blockIO.leafWeight",
            "blkio.leaf_weight",
            l.to_string(),
        ));
    }
    for d in &b.weight_devices {
        if let Some(x) = d.weight {
            let line = dev_line(d.major, d.minor, x);
            let mut wr = Write::new("blockIO.weightDevice", "blkio.weight_device", line.clone());
            wr.fallback = Some(("blkio.bfq.weight_device".into(), line));
            w.push(wr);
        }
        if let Some(x) = d.leaf_weight {
            let line = dev_line(d.major, d.minor, x);
            w.push(Write::new(
                "blockIO.weightDevice",
                "blkio.leaf_weight_device",
                line,
            ));
        }
    }
    for (field, file, _, list) in b.throttles() {
        for t in list {
            let line = dev_line(t.major, t.minor, t.rate);
            w.push(Write::new(static_field(field), file, line));
        }
    }
}

/// v2: throttles into `io.max` (a rate of 0 is `max`), per-device weights into
/// `io.bfq.weight` (same range) or else `io.weight` (translated). v2 has no leaf weight.
pub(super) fn v2_writes(b: &BlockIo, w: &mut Vec<Write>) -> Result<()> {
    let leaf = b.leaf_weight.is_some() || b.weight_devices.iter().any(|d| d.leaf_weight.is_some());
    if leaf {
        bail!("linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weight");
    }
    for d in &b.weight_devices {
        if let Some(x) = d.weight {
            let mut wr = Write::new(
                "blockIO.weightDevice",
                "io.bfq.weight",
                dev_line(d.major, d.minor, x),
            );
            let v2 = dev_line(d.major, d.minor, blkio_to_io_weight(x));
            wr.fallback = Some(("io.weight".into(), v2));
            w.push(wr);
        }
    }
    for (field, _, key, list) in b.throttles() {
        for t in list {
            let rate = if t.rate == 0 {
                "max".to_string()
            } else {
                t.rate.to_string()
            };
            let line = dev_line(t.major, t.minor, format_args!("{key}={rate}"));
            w.push(Write::new(static_field(field), "io.max", line));
        }
    }
    Ok(())
}

/// "blockIO.<field>" for the four throttle names (errors carry a static path).
fn static_field(field: &str) -> &'static str {
    match field {
        "throttleReadBpsDevice" => "blockIO.throttleReadBpsDevice",
        "throttleWriteBpsDevice" => "blockIO.throttleWriteBpsDevice",
        "throttleReadIOPSDevice" => "blockIO.throttleReadIOPSDevice",
        _ => "blockIO.throttleWriteIOPSDevice",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::blkio::{Throttle, WeightDevice};

    fn files(w: &[Write]) -> Vec<(String, String)> {
        w.iter()
            .map(|w| (w.file.clone(), w.value.clone()))
            .collect()
    }

    fn sample() -> BlockIo {
        BlockIo {
            weight_devices: vec![WeightDevice {
                major: 8,
                minor: 0,
                weight: Some(500),
                leaf_weight: None,
            }],
            read_bps: vec![Throttle {
                major: 8,
                minor: 0,
                rate: 1 << 20,
            }],
            write_iops: vec![Throttle {
                major: 254,
                minor: 0,
                rate: 0,
            }],
            ..BlockIo::default()
        }
    }

    #[test]
    fn v1_and_v2_lines() {
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        let mut w = Vec::new();
        v1_writes(&sample(), &mut w);
        assert_eq!(
            files(&w),
            [
                s("blkio.weight_device", "8:0 500"),
                s("blkio.throttle.read_bps_device", "8:0 1048576"),
                s("blkio.throttle.write_iops_device", "254:0 0"),
            ]
        );
        assert_eq!(w[0].fallback.as_ref().unwrap().0, "blkio.bfq.weight_device");
        let mut w = Vec::new();
        v2_writes(&sample(), &mut w).unwrap();
        assert_eq!(
            files(&w),
            [
                s("io.bfq.weight", "8:0 500"),
                s("io.max", "8:0 rbps=1048576"),
                s("io.max", "254:0 wiops=max"),
            ]
        );
        assert_eq!(w[0].fallback.as_ref().unwrap().1, "8:0 4950");
        let mut leaf = sample();
        leaf.leaf_weight = Some(100);
        let e = v2_writes(&leaf, &mut Vec::new()).err().unwrap().to_string();
        assert_eq!(
            e,
            "linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weight"
        );
    }
}
