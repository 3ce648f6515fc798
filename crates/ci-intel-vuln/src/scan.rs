//! Components against the index: every advisory whose ranges include the component's
//! version, aliases merged into one match, risk from CVSS, EPSS and KEV.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use ci_intel_core::packages::Ecosystem;
use serde::Serialize;

use crate::osv::{Advisory, Index};
use crate::version::{self, Event};

/// A package to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    pub purl: String,
}

impl From<&ci_intel_core::packages::Component> for Package {
    fn from(c: &ci_intel_core::packages::Component) -> Self {
        Self {
            ecosystem: c.ecosystem,
            name: c.name.clone(),
            version: c.version.clone(),
            purl: c.purl.clone(),
        }
    }
}

impl From<ci_intel_core::packages::document::Listed> for Package {
    fn from(l: ci_intel_core::packages::document::Listed) -> Self {
        Self {
            ecosystem: l.ecosystem,
            name: l.name,
            version: l.version,
            purl: l.purl,
        }
    }
}

/// Risk inputs besides the advisories.
#[derive(Debug, Default)]
pub struct Intel {
    /// CVE id → EPSS percentile (0..1).
    pub epss: HashMap<String, f64>,
    /// CVE ids in CISA's Known Exploited Vulnerabilities catalogue.
    pub kev: HashSet<String>,
    /// Risk given to a vulnerability with no computable score and no EPSS entry.
    pub unknown_risk: f64,
}

/// One vulnerability of one package (aliases merged).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    /// The advisory id reported (RustSec, GHSA, PYSEC or GO id before a CVE).
    pub id: String,
    /// Every other id of the same vulnerability, sorted.
    pub aliases: Vec<String>,
    pub summary: String,
    pub purl: String,
    pub name: String,
    pub version: String,
    pub ecosystem: &'static str,
    /// Highest CVSS base score (v3.x or v4.0) computed from the records' vectors, with its
    /// vector.
    pub cvss: Option<(f64, String)>,
    /// Highest EPSS percentile of the CVE aliases.
    pub epss_percentile: Option<f64>,
    pub kev: bool,
    /// `max(cvss / 10, epss percentile)`, 1.0 when in KEV, `unknown_risk` without either.
    pub risk: f64,
    /// RustSec's informational kind (`unmaintained`, `unsound`): not a vulnerability.
    pub informational: Option<String>,
    /// Versions that fix it (from the ranges), sorted.
    pub fixed: Vec<String>,
    pub url: Option<String>,
}

/// Whether `a` affects `p` at `v`; `name` is `p`'s name as the index keys it.
fn affects(a: &Advisory, p: &Package, name: &str, v: &version::Version) -> bool {
    a.affected.iter().any(|af| {
        af.ecosystem == p.ecosystem
            && af.name == name
            && (af.versions.iter().any(|x| x == &p.version)
                || af
                    .ranges
                    .iter()
                    .any(|r| version::in_range(p.ecosystem, v, r)))
    })
}

/// Native ids first: they carry the ecosystem's own advice.
fn preference(id: &str) -> u8 {
    match id.split('-').next().unwrap_or("") {
        "RUSTSEC" | "PYSEC" | "GO" => 0,
        "GHSA" => 1,
        "CVE" => 3,
        _ => 2,
    }
}

/// Matches for one package.
pub fn scan_package(index: &Index, p: &Package, intel: &Intel) -> Vec<Match> {
    let Some(v) = version::parse(p.ecosystem, &p.version) else {
        return Vec::new();
    };
    let (_, name) = crate::osv::package_key(p.ecosystem, &p.name);
    let hits: Vec<&Advisory> = index
        .for_package(p.ecosystem, &p.name)
        .filter(|a| affects(a, p, &name, &v))
        .collect();
    // Union the advisories that name each other (or share an alias).
    let mut groups: Vec<(BTreeSet<String>, Vec<&Advisory>)> = Vec::new();
    for a in hits {
        let ids: BTreeSet<String> = std::iter::once(a.id.clone())
            .chain(a.aliases.iter().cloned())
            .collect();
        let mut merged = (ids, vec![a]);
        let mut i = 0;
        while i < groups.len() {
            if groups[i].0.is_disjoint(&merged.0) {
                i += 1;
            } else {
                let (ids, advs) = groups.swap_remove(i);
                merged.0.extend(ids);
                merged.1.extend(advs);
            }
        }
        groups.push(merged);
    }
    let mut out: Vec<Match> = groups
        .into_iter()
        .map(|(ids, advs)| {
            let primary = advs
                .iter()
                .map(|a| a.id.as_str())
                .min_by_key(|id| (preference(id), *id))
                .unwrap_or_default()
                .to_owned();
            let cvss = advs
                .iter()
                .flat_map(|a| &a.severity)
                .filter_map(|(_, vector)| {
                    crate::cvss::v3_base_score(vector).map(|s| (s, vector.clone()))
                })
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let cves: Vec<&String> = ids.iter().filter(|i| i.starts_with("CVE-")).collect();
            let epss = cves
                .iter()
                .filter_map(|c| intel.epss.get(*c).copied())
                .max_by(f64::total_cmp);
            let kev = cves.iter().any(|c| intel.kev.contains(*c));
            let informational = advs.iter().find_map(|a| a.informational.clone());
            let risk = if informational.is_some() {
                0.0
            } else if kev {
                1.0
            } else if cvss.is_none() && epss.is_none() {
                intel.unknown_risk
            } else {
                cvss.as_ref()
                    .map_or(0.0, |c| c.0 / 10.0)
                    .max(epss.unwrap_or(0.0))
            };
            let mut fixed: Vec<String> = advs
                .iter()
                .flat_map(|a| &a.affected)
                .filter(|af| af.ecosystem == p.ecosystem)
                .flat_map(|af| af.ranges.iter().flatten())
                .filter_map(|e| match e {
                    Event::Fixed(f) => Some(f.clone()),
                    _ => None,
                })
                .collect();
            fixed.sort();
            fixed.dedup();
            let main = advs
                .iter()
                .find(|a| a.id == primary)
                .copied()
                .unwrap_or(advs[0]);
            Match {
                aliases: ids.iter().filter(|i| **i != primary).cloned().collect(),
                summary: main.summary.clone(),
                url: main.url.clone(),
                id: primary,
                purl: p.purl.clone(),
                name: p.name.clone(),
                version: p.version.clone(),
                ecosystem: p.ecosystem.osv_name(),
                cvss,
                epss_percentile: epss,
                kev,
                risk,
                informational,
                fixed,
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Matches for every package, in package order.
pub fn scan(index: &Index, packages: &[Package], intel: &Intel) -> Vec<Match> {
    use rayon::prelude::*;
    packages
        .par_iter()
        .flat_map_iter(|p| scan_package(index, p, intel))
        .collect()
}

/// EPSS's CSV (`cve,epss,percentile`, with a `#` comment line first): CVE → percentile.
pub fn parse_epss(text: &str) -> Result<HashMap<String, f64>, (usize, String)> {
    let mut out = HashMap::new();
    let mut col = None;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        match col {
            None => {
                col = cells.iter().position(|c| *c == "percentile");
                if col.is_none() || cells.first() != Some(&"cve") {
                    return Err((i + 1, "expected the header `cve,epss,percentile`".into()));
                }
            }
            Some(c) => {
                let p = cells
                    .get(c)
                    .and_then(|s| s.parse::<f64>().ok())
                    .filter(|p| (0.0..=1.0).contains(p));
                match (cells.first(), p) {
                    (Some(cve), Some(p)) if cve.starts_with("CVE-") => {
                        out.insert((*cve).to_owned(), p);
                    }
                    _ => {
                        return Err((
                            i + 1,
                            format!(
                                "expected `CVE-…,score,percentile` with a percentile in 0..1, found `{line}`"
                            ),
                        ));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// CISA's KEV catalogue JSON (`vulnerabilities[].cveID`).
pub fn parse_kev(doc: &serde_json::Value) -> Result<HashSet<String>, String> {
    let list = doc
        .get("vulnerabilities")
        .and_then(serde_json::Value::as_array)
        .ok_or("expected the KEV catalogue: no `vulnerabilities` array")?;
    Ok(list
        .iter()
        .filter_map(|v| v.get("cveID")?.as_str().map(str::to_owned))
        .collect())
}

/// Counts by kind, for summaries.
pub fn counts(matches: &[Match]) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for x in matches {
        *m.entry(if x.informational.is_some() {
            "informational"
        } else {
            "vulnerabilities"
        })
        .or_insert(0) += 1;
    }
    m
}
