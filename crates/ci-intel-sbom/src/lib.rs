//! Software bills of materials: what a project ships, read from its lockfiles.
//!
//! - [`lockfiles`]: one reader per lockfile format, each turning the file into [`Component`]s
//!   with their dependency edges, scopes and hashes, exactly as the package manager resolved
//!   them (never guessed from manifests).
//! - [`purl`]: package URLs per the purl specification for each ecosystem.
//! - [`cyclonedx`] and [`spdx`]: deterministic CycloneDX 1.6 and SPDX 2.3 JSON.

pub mod cyclonedx;
pub mod document;
pub mod license;
pub mod lockfiles;
pub mod model;
pub mod purl;
pub mod spdx;

pub use model::{Component, Ecosystem, Hash, Sbom, Scope};
