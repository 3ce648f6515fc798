//! Software bills of materials: what a project ships, read from its lockfiles.
//!
//! - [`lockfiles`]: one reader per lockfile format, each turning the file into [`Component`]s
//!   with their dependency edges, scopes and hashes, exactly as the package manager resolved
//!   them (never guessed from manifests).
//! - [`purl`]: package URLs per the purl specification for each ecosystem.
//! - [`cyclonedx`] and [`spdx`]: deterministic CycloneDX 1.6 and SPDX 2.3 JSON.

pub mod cyclonedx;
pub mod license;
pub mod lockfiles;
pub mod project;
pub mod spdx;

// The package model lives in core, where the vulnerability scanner and the release truth table
// read it too; these names keep `ci_intel_sbom::Component` and friends where users look.
pub use ci_intel_core::packages::{Component, Ecosystem, Hash, Sbom, Scope, document, model, purl};
