//! Packages as every supply-chain domain names them: ecosystems, resolved components and their
//! graph, package URLs, and the packages any CycloneDX or SPDX document lists.
//!
//! The SBOM generator writes these, the vulnerability scanner and the release truth table read
//! them; keeping them here lets those domains meet without importing one another.

pub mod document;
pub mod model;
pub mod purl;

pub use model::{Component, Ecosystem, Hash, Sbom, Scope};
