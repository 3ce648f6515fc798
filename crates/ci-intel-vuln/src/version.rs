//! Version ordering per ecosystem, and whether a version falls in an OSV range.

use std::cmp::Ordering;
use std::str::FromStr as _;

use ci_intel_core::packages::Ecosystem;

/// A parsed version: what the ecosystem's own tools compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    Semver(semver::Version),
    Pep440(pep440_rs::Version),
    /// `0` as OSV's "from the beginning"; below every version.
    Zero,
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Self::Zero, Self::Zero) => Some(Ordering::Equal),
            (Self::Zero, _) => Some(Ordering::Less),
            (_, Self::Zero) => Some(Ordering::Greater),
            (Self::Semver(a), Self::Semver(b)) => Some(a.cmp_precedence(b)),
            (Self::Pep440(a), Self::Pep440(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// Lenient SemVer: `v` prefix (Go), missing minor/patch (`1.2`), as OSV's SemVer ranges use.
fn semver(s: &str) -> Option<semver::Version> {
    let s = s.trim().trim_start_matches('v');
    if let Ok(v) = semver::Version::parse(s) {
        return Some(v);
    }
    // Pad `1` / `1.2` (keeping any `-pre` / `+build`).
    let split = s.find(['-', '+']).unwrap_or(s.len());
    let (core, rest) = s.split_at(split);
    let parts = core.split('.').count();
    if parts == 0
        || parts > 3
        || !core
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let padded = format!("{core}{}{rest}", ".0".repeat(3 - parts));
    semver::Version::parse(&padded).ok()
}

/// Parses `s` as `eco` orders it; `None` when it is not a valid version there.
pub fn parse(eco: Ecosystem, s: &str) -> Option<Version> {
    if s == "0" {
        return Some(Version::Zero);
    }
    match eco {
        Ecosystem::PyPI => pep440_rs::Version::from_str(s.trim())
            .ok()
            .map(Version::Pep440),
        Ecosystem::Cargo | Ecosystem::Npm | Ecosystem::Go => semver(s).map(Version::Semver),
    }
}

/// One OSV range event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// Whether `v` is affected by a SEMVER or ECOSYSTEM range with `events` (OSV's evaluation:
/// events in version order; `introduced` opens, `fixed` and `limit` close at the version,
/// `last_affected` closes after it). Unparseable event versions are ignored, never matched.
pub fn in_range(eco: Ecosystem, v: &Version, events: &[Event]) -> bool {
    let mut parsed: Vec<(Version, &Event)> = events
        .iter()
        .filter_map(|e| {
            let s = match e {
                Event::Introduced(s)
                | Event::Fixed(s)
                | Event::LastAffected(s)
                | Event::Limit(s) => s,
            };
            parse(eco, s).map(|p| (p, e))
        })
        .collect();
    parsed.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal));
    let mut affected = false;
    for (at, e) in &parsed {
        let Some(ord) = v.partial_cmp(at) else {
            continue;
        };
        match e {
            Event::Introduced(_) if ord != Ordering::Less => affected = true,
            Event::Fixed(_) | Event::Limit(_) if ord != Ordering::Less => affected = false,
            Event::LastAffected(_) if ord == Ordering::Greater => affected = false,
            _ => {}
        }
    }
    affected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(list: &[(&str, &str)]) -> Vec<Event> {
        list.iter()
            .map(|(k, v)| match *k {
                "introduced" => Event::Introduced((*v).into()),
                "fixed" => Event::Fixed((*v).into()),
                "last_affected" => Event::LastAffected((*v).into()),
                _ => Event::Limit((*v).into()),
            })
            .collect()
    }

    fn hit(eco: Ecosystem, v: &str, e: &[(&str, &str)]) -> bool {
        in_range(eco, &parse(eco, v).unwrap(), &ev(e))
    }

    #[test]
    fn semver_ranges() {
        let r = [("introduced", "0"), ("fixed", "1.2.3")];
        assert!(hit(Ecosystem::Cargo, "1.2.2", &r));
        assert!(!hit(Ecosystem::Cargo, "1.2.3", &r));
        assert!(
            hit(Ecosystem::Cargo, "1.2.3-rc.1", &r),
            "a pre-release sorts before its release"
        );
        let two = [
            ("introduced", "1.0.0"),
            ("fixed", "1.0.5"),
            ("introduced", "2.0.0"),
            ("fixed", "2.1.0"),
        ];
        assert!(!hit(Ecosystem::Npm, "0.9.0", &two));
        assert!(hit(Ecosystem::Npm, "1.0.4", &two));
        assert!(!hit(Ecosystem::Npm, "1.5.0", &two));
        assert!(hit(Ecosystem::Npm, "2.0.9", &two));
        assert!(!hit(Ecosystem::Npm, "2.1.0", &two));
        let last = [("introduced", "0"), ("last_affected", "3.1.4")];
        assert!(hit(Ecosystem::Go, "v3.1.4", &last));
        assert!(!hit(Ecosystem::Go, "v3.1.5", &last));
        assert!(hit(
            Ecosystem::Go,
            "v0.0.0-20200101000000-abcdef012345",
            &last
        ));
        assert!(hit(Ecosystem::Cargo, "1.2", &r), "1.2 is 1.2.0");
    }

    #[test]
    fn pep440_ranges() {
        let r = [("introduced", "0"), ("fixed", "2.0.0")];
        assert!(hit(Ecosystem::PyPI, "2.0rc1", &r));
        assert!(hit(Ecosystem::PyPI, "1.9.post1", &r));
        assert!(!hit(Ecosystem::PyPI, "2.0", &r), "2.0 == 2.0.0 in PEP 440");
        assert!(!hit(Ecosystem::PyPI, "2.0.0.post1", &r));
        assert!(hit(Ecosystem::PyPI, "1!0.5", &[("introduced", "1!0.1")]));
        assert!(
            !hit(Ecosystem::PyPI, "3.0", &[("introduced", "1!0.1")]),
            "epoch 0 < epoch 1"
        );
    }

    #[test]
    fn garbage_versions_never_match() {
        assert!(parse(Ecosystem::Cargo, "not a version").is_none());
        let v = parse(Ecosystem::Cargo, "1.0.0").unwrap();
        assert!(!in_range(
            Ecosystem::Cargo,
            &v,
            &ev(&[("introduced", "garbage")])
        ));
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,40}") {
            for eco in [Ecosystem::Cargo, Ecosystem::Npm, Ecosystem::PyPI, Ecosystem::Go] {
                let _ = parse(eco, &s);
            }
        }
    }
}
