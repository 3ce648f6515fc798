//! The shared vocabulary of ci-intel.
//!
//! Every domain crate (tests, audit, secrets, sbom, …) speaks these types and nothing else to
//! the others: a [`finding::Finding`] for a problem, a [`suppression::Suppression`] for an
//! accepted one, a [`gate::GateVerdict`] for a decision, and a [`pipeline_run::PipelineRun`] for
//! the record of a run. Configuration, CI-environment detection, git access, path resolution and
//! error types live here too, so no analyzer has to write them again.

pub mod ci_env;
pub mod config;
pub mod discover;
pub mod error;
pub mod finding;
pub mod format;
pub mod fsutil;
pub mod gate;
pub mod git;
pub mod packages;
pub mod pipeline_run;
pub mod repo_paths;
pub mod sarif;
pub mod suppression;
#[cfg(feature = "test-support")]
pub mod testsupport;
pub mod yaml;

pub use error::{InputError, InputErrors, Position, exit};
pub use finding::{Confidence, Finding, Location, Severity};
pub use gate::{GateResult, GateVerdict};
