//! Vulnerability matching, offline.
//!
//! - [`osv`]: OSV records, loaded from a directory of JSON files or OSV's per-ecosystem zip
//!   archives, and compiled into a compact index ([`osv::Index`]) keyed by ecosystem and name.
//! - [`version`]: version ordering per ecosystem (SemVer for crates.io, npm and Go; PEP 440
//!   for PyPI) and OSV's range semantics (`introduced`, `fixed`, `last_affected`, `limit`,
//!   explicit `versions`).
//! - [`cvss`]: CVSS v3.x base scores computed from vectors.
//! - [`scan`]: components against the index, aliases merged, risk from CVSS, EPSS and KEV.
//! - [`vex`]: OpenVEX and CycloneDX VEX statements, with expiry.
//! - [`policy`]: matches to findings and the `vuln.risk` gate, with the rules they name.

pub mod version;

pub mod cvss;
pub mod osv;
pub mod policy;
pub mod scan;
pub mod vex;
