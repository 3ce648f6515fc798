//! The SBOM model every reader produces and every writer consumes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A package ecosystem, as purl and OSV name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ecosystem {
    Cargo,
    Npm,
    PyPI,
    Go,
}

impl Ecosystem {
    /// The OSV ecosystem name.
    pub fn osv_name(self) -> &'static str {
        match self {
            Self::Cargo => "crates.io",
            Self::Npm => "npm",
            Self::PyPI => "PyPI",
            Self::Go => "Go",
        }
    }

    /// The purl type.
    pub fn purl_type(self) -> &'static str {
        match self {
            Self::Cargo => "cargo",
            Self::Npm => "npm",
            Self::PyPI => "pypi",
            Self::Go => "golang",
        }
    }
}

/// Whether the shipped software needs the component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Needed at run time.
    Required,
    /// Needed only with an optional feature or extra.
    Optional,
    /// Needed only to develop, build or test (dev and build dependencies, dev groups).
    Dev,
}

/// A digest the lockfile records for the component's distribution.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Hash {
    /// `SHA-1`, `SHA-256`, `SHA-384` or `SHA-512` (CycloneDX's names).
    pub alg: &'static str,
    /// Lower-case hex.
    pub hex: String,
}

/// One resolved package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    /// Package URL; also the component's identity (`bom-ref`).
    pub purl: String,
    pub hashes: Vec<Hash>,
    pub scope: Scope,
    /// A dependency the project itself declares (not only pulled in by another).
    pub direct: bool,
    /// SPDX licence expressions, from the lockfile or locally available package metadata;
    /// empty when neither says (never guessed).
    pub licenses: Vec<String>,
    /// purls of the components this one depends on.
    pub depends_on: Vec<String>,
    /// The lockfile it was read from, relative to the scanned directory.
    pub source: String,
}

/// Components keyed by purl, and the project's own direct dependencies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sbom {
    /// The project's name (the directory or the root package).
    pub name: String,
    pub version: Option<String>,
    pub components: BTreeMap<String, Component>,
    /// purls the project depends on directly.
    pub root_depends_on: Vec<String>,
    /// Lockfiles read, relative paths.
    pub lockfiles: Vec<String>,
    /// What a reader could not list, and why (unpinned requirements, …).
    pub notes: Vec<String>,
}

impl Sbom {
    /// Adds `c`, merging with a component of the same purl (npm installs one version in several
    /// places): the widest scope wins, hashes, licences and edges are unioned.
    pub fn add(&mut self, c: Component) {
        match self.components.get_mut(&c.purl) {
            None => {
                self.components.insert(c.purl.clone(), c);
            }
            Some(have) => {
                have.scope = have.scope.min(c.scope);
                have.direct |= c.direct;
                for h in c.hashes {
                    if !have.hashes.contains(&h) {
                        have.hashes.push(h);
                    }
                }
                for l in c.licenses {
                    if !have.licenses.contains(&l) {
                        have.licenses.push(l);
                    }
                }
                for d in c.depends_on {
                    if !have.depends_on.contains(&d) {
                        have.depends_on.push(d);
                    }
                }
            }
        }
    }

    /// Sorts every list so that output is deterministic, and drops edges to unknown purls.
    pub fn normalize(&mut self) {
        let known: std::collections::BTreeSet<String> = self.components.keys().cloned().collect();
        for c in self.components.values_mut() {
            c.hashes.sort();
            c.hashes.dedup();
            c.licenses.sort();
            c.licenses.dedup();
            c.depends_on.retain(|d| known.contains(d) && d != &c.purl);
            c.depends_on.sort();
            c.depends_on.dedup();
        }
        self.root_depends_on.retain(|d| known.contains(d));
        self.root_depends_on.sort();
        self.root_depends_on.dedup();
        self.lockfiles.sort();
        self.lockfiles.dedup();
    }
}
