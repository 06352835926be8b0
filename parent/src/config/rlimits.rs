//! `process.rlimits`: RLIMIT_* names to resource numbers.

use linux_raw_sys::general as g;

use super::spec;
use crate::bail;
use crate::error::Result;

const RLIMITS: [(&str, u32); 16] = [
    ("RLIMIT_CPU", g::RLIMIT_CPU),
    ("RLIMIT_FSIZE", g::RLIMIT_FSIZE),
    ("RLIMIT_DATA", g::RLIMIT_DATA),
    ("RLIMIT_STACK", g::RLIMIT_STACK),
    ("RLIMIT_CORE", g::RLIMIT_CORE),
    ("RLIMIT_RSS", g::RLIMIT_RSS),
    ("RLIMIT_NPROC", g::RLIMIT_NPROC),
    ("RLIMIT_NOFILE", g::RLIMIT_NOFILE),
    ("RLIMIT_MEMLOCK", g::RLIMIT_MEMLOCK),
    ("RLIMIT_AS", g::RLIMIT_AS),
    ("RLIMIT_LOCKS", g::RLIMIT_LOCKS),
    ("RLIMIT_SIGPENDING", g::RLIMIT_SIGPENDING),
    ("RLIMIT_MSGQUEUE", g::RLIMIT_MSGQUEUE),
    ("RLIMIT_NICE", g::RLIMIT_NICE),
    ("RLIMIT_RTPRIO", g::RLIMIT_RTPRIO),
    ("RLIMIT_RTTIME", g::RLIMIT_RTTIME),
];

pub(crate) fn number(name: &str) -> Option<u32> {
    RLIMITS.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
}

/// Checks and converts `process.rlimits` (at most one entry per resource, so never
/// more than runlet-init holds).
pub(crate) fn parse(list: &[spec::Rlimit]) -> Result<Vec<wire::Rlimit>> {
    let mut out: Vec<wire::Rlimit> = Vec::with_capacity(list.len());
    for (i, r) in list.iter().enumerate() {
        let at = format!("process.rlimits[{i}]");
        let Some(name) = &r.r#type else {
            bail!("{at}.type is required");
        };
        let Some(resource) = number(name) else {
            bail!(
                "{at}.type {name:?} is not a known resource limit (RLIMIT_CPU, RLIMIT_NOFILE, ...)"
            );
        };
        if out.iter().any(|o| o.resource == resource) {
            bail!("{at}.type {name} is listed twice");
        }
        let Some(hard) = r.hard else {
            bail!("{at}.hard is required");
        };
        let Some(soft) = r.soft else {
            bail!("{at}.soft is required");
        };
        if soft > hard {
            bail!("{at}: soft limit {soft} is above hard limit {hard} for {name}");
        }
        out.push(wire::Rlimit {
            resource,
            soft,
            hard,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rl(t: Option<&str>, soft: Option<u64>, hard: Option<u64>) -> spec::Rlimit {
        spec::Rlimit {
            r#type: t.map(str::to_string),
            hard,
            soft,
        }
    }

    #[test]
    fn table_matches_the_kernel() {
        for (i, (name, n)) in RLIMITS.iter().enumerate() {
            assert_eq!(*n as usize, i, "{name}");
        }
        assert_eq!(RLIMITS.len(), wire::limits::MAX_RLIMITS);
    }

    #[test]
    fn good_limits_convert() {
        let v = parse(&[
            rl(Some("RLIMIT_NOFILE"), Some(1024), Some(1024)),
            rl(Some("RLIMIT_CORE"), Some(0), Some(u64::MAX)),
        ])
        .unwrap();
        assert_eq!(
            v,
            [
                wire::Rlimit {
                    resource: 7,
                    soft: 1024,
                    hard: 1024
                },
                wire::Rlimit {
                    resource: 4,
                    soft: 0,
                    hard: u64::MAX
                },
            ]
        );
    }

    #[test]
    fn bad_limits_are_named() {
        let e = |l: &[spec::Rlimit]| parse(l).unwrap_err().to_string();
        let ok = rl(Some("RLIMIT_NOFILE"), Some(1), Some(1));
        assert_eq!(
            e(&[rl(None, Some(1), Some(1))]),
            "process.rlimits[0].type is required"
        );
        assert_eq!(
            e(&[ok, rl(Some("RLIMIT_FOO"), Some(1), Some(1))]),
            "process.rlimits[1].type \"RLIMIT_FOO\" is not a known resource limit (RLIMIT_CPU, RLIMIT_NOFILE, ...)"
        );
        let ok = rl(Some("RLIMIT_NOFILE"), Some(1), Some(1));
        let dup = rl(Some("RLIMIT_NOFILE"), Some(2), Some(2));
        assert_eq!(
            e(&[ok, dup]),
            "process.rlimits[1].type RLIMIT_NOFILE is listed twice"
        );
        assert_eq!(
            e(&[rl(Some("RLIMIT_AS"), Some(1), None)]),
            "process.rlimits[0].hard is required"
        );
        assert_eq!(
            e(&[rl(Some("RLIMIT_AS"), None, Some(1))]),
            "process.rlimits[0].soft is required"
        );
        assert_eq!(
            e(&[rl(Some("RLIMIT_AS"), Some(10), Some(5))]),
            "process.rlimits[0]: soft limit 10 is above hard limit 5 for RLIMIT_AS"
        );
    }
}
