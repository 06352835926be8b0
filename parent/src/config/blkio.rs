//! `linux.resources.blockIO` beyond `weight`: the leaf weight, per-device weights and
//! the four per-device throttles (docker's `--device-read-bps` and friends). The
//! cgroup module writes them to v1 `blkio.*` or v2 `io.max` / `io.weight`.

use super::obj::Obj;
use crate::bail;
use crate::error::Result;

/// `weightDevice[]`: a device's weight and (v1 CFQ only) leaf weight, 10–1000.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightDevice {
    pub major: u32,
    pub minor: u32,
    pub weight: Option<u64>,
    pub leaf_weight: Option<u64>,
}

/// One throttle: a device and its rate (bytes or I/O operations per second; 0 lifts
/// the limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttle {
    pub major: u32,
    pub minor: u32,
    pub rate: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockIo {
    pub leaf_weight: Option<u64>,
    pub weight_devices: Vec<WeightDevice>,
    pub read_bps: Vec<Throttle>,
    pub write_bps: Vec<Throttle>,
    pub read_iops: Vec<Throttle>,
    pub write_iops: Vec<Throttle>,
}

impl BlockIo {
    /// The throttles with their spec names, v1 files and v2 `io.max` keys.
    pub fn throttles(&self) -> [(&'static str, &'static str, &'static str, &[Throttle]); 4] {
        [
            (
                "throttleReadBpsDevice",
                "blkio.throttle.read_bps_device",
                "rbps",
                &self.read_bps,
            ),
            (
                "throttleWriteBpsDevice",
                "blkio.throttle.write_bps_device",
                "wbps",
                &self.write_bps,
            ),
            (
                "throttleReadIOPSDevice",
                "blkio.throttle.read_iops_device",
                "riops",
                &self.read_iops,
            ),
            (
                "throttleWriteIOPSDevice",
                "blkio.throttle.write_iops_device",
                "wiops",
                &self.write_iops,
            ),
        ]
    }
}

/// A weight of 10–1000; 0 means unset (as runc).
fn weight(o: &Obj<'_>, key: &str) -> Result<Option<u64>> {
    match o.uint(key)?.filter(|&w| w != 0) {
        Some(w) if !(10..=1000).contains(&w) => {
            bail!("{} {w} is out of range (10-1000)", o.at(key))
        }
        w => Ok(w),
    }
}

fn dev_number(o: &Obj<'_>, key: &str) -> Result<u32> {
    match o.int(key)? {
        None => bail!("{} is required", o.at(key)),
        Some(n) if (0..=u32::MAX as i64).contains(&n) => Ok(n as u32),
        Some(n) => bail!("{} {n} is not a device number", o.at(key)),
    }
}

fn each<'a, T>(
    b: &Obj<'a>,
    key: &str,
    mut one: impl FnMut(&Obj<'a>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for (i, v) in b.array(key)?.iter().enumerate() {
        let at = format!("{}[{i}]", b.at(key));
        let Some(o) = Obj::new(&at, v)? else {
            bail!("{at} must be an object")
        };
        out.push(one(&o)?);
    }
    Ok(out)
}

fn throttle(o: &Obj<'_>) -> Result<Throttle> {
    let Some(rate) = o.uint("rate")? else {
        bail!("{} is required", o.at("rate"))
    };
    Ok(Throttle {
        major: dev_number(o, "major")?,
        minor: dev_number(o, "minor")?,
        rate,
    })
}

/// Parses the `blockIO` object `b` (its `weight` is read by the caller).
pub(super) fn parse(b: &Obj<'_>) -> Result<BlockIo> {
    Ok(BlockIo {
        leaf_weight: weight(b, "leafWeight")?,
        weight_devices: each(b, "weightDevice", |o| {
            Ok(WeightDevice {
                major: dev_number(o, "major")?,
                minor: dev_number(o, "minor")?,
                weight: weight(o, "weight")?,
                leaf_weight: weight(o, "leafWeight")?,
            })
        })?,
        read_bps: each(b, "throttleReadBpsDevice", throttle)?,
        write_bps: each(b, "throttleWriteBpsDevice", throttle)?,
        read_iops: each(b, "throttleReadIOPSDevice", throttle)?,
        write_iops: each(b, "throttleWriteIOPSDevice", throttle)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::config::resources::parse as resources;
    use miniserde::json::{from_str, Value};

    fn p(json: &str) -> crate::error::Result<super::BlockIo> {
        let v: Value = from_str(json).unwrap();
        resources("linux.resources", Some(&v)).map(|r| r.blkio)
    }

    #[test]
    fn docker_s_device_limits_parse() {
        let b = p(r#"{"blockIO":{"leafWeight":300,
            "weightDevice":[{"major":8,"minor":0,"weight":200}],
            "throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1048576}],
            "throttleWriteIOPSDevice":[{"major":254,"minor":16,"rate":100}]}}"#)
        .unwrap();
        assert_eq!(b.leaf_weight, Some(300));
        assert_eq!(b.weight_devices[0].weight, Some(200));
        assert_eq!(b.weight_devices[0].leaf_weight, None);
        assert_eq!((b.read_bps[0].major, b.read_bps[0].rate), (8, 1048576));
        assert_eq!(b.write_iops[0].minor, 16);
        let none = p(r#"{"blockIO":{"leafWeight":0,"weightDevice":[]}}"#).unwrap();
        assert_eq!(none, super::BlockIo::default());
    }

    #[test]
    fn errors_name_the_entry() {
        for (json, want) in [
            (
                r#"{"blockIO":{"weightDevice":[{"major":8,"minor":0,"weight":5}]}}"#,
                "linux.resources.blockIO.weightDevice[0].weight 5 is out of range (10-1000)",
            ),
            (
                r#"{"blockIO":{"throttleWriteBpsDevice":[{"major":8,"minor":0}]}}"#,
                "linux.resources.blockIO.throttleWriteBpsDevice[0].rate is required",
            ),
            (
                r#"{"blockIO":{"throttleReadIOPSDevice":[{"major":-2,"minor":0,"rate":1}]}}"#,
                "linux.resources.blockIO.throttleReadIOPSDevice[0].major -2 is not a device number",
            ),
            (
                r#"{"blockIO":{"leafWeight":2000}}"#,
                "linux.resources.blockIO.leafWeight 2000 is out of range (10-1000)",
            ),
        ] {
            assert_eq!(p(json).err().unwrap().to_string(), want, "{json}");
        }
    }
}
