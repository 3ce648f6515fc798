//! SARIF tooling: bring every linter and scanner of a pipeline into one SARIF 2.1.0 bundle that
//! GitHub code scanning (or any SARIF viewer) accepts.
//!
//! - [`convert`] reads the native output of common tools (pylint, flake8, mypy, bandit, ESLint,
//!   Ruff, cargo/clippy, gitleaks, TruffleHog), one registry entry per format, and turns it
//!   into [`Finding`](ci_intel_core::Finding)s rendered by `ci-intel-render`'s SARIF writer, so
//!   converted results carry the same fingerprints, URIs and rule metadata as ci-intel's own.
//! - [`bundle`] merges SARIF logs (converted or written by any tool) into one run per tool and
//!   category, re-indexing rules and artifacts, removes duplicate results, marks results that a
//!   configured suppression covers (an expired suppression becomes a finding) and those a
//!   baseline already knows.
//!
//! This crate sits above the reporters: it post-processes logs, it never analyses code.

pub mod bundle;
pub mod convert;
#[cfg(feature = "official-schema")]
#[doc(hidden)]
pub mod official_schema;
mod source;

pub use bundle::{Bundle, BundleOptions, Summary};
pub use convert::{CONVERTERS, Converted, Converter, detect, find};
pub use source::SourceTree;
