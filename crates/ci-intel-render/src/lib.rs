//! Reporters: they turn findings, gate verdicts and analyzer reports into text for people and
//! machines. A reporter never decides anything; every number it prints was computed by an
//! analyzer, and every verdict by a gate.

pub mod annotations;
pub mod autopsy;
pub mod findings;
pub mod human;
pub mod markdown;
/// SARIF 2.1.0 types and writer; they live in core so that the SARIF tooling crate (a domain)
/// and the reporters share them without one importing the other.
pub use ci_intel_core::sarif;
pub mod svg;
mod text;
