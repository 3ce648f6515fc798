//! Test-results intelligence: JUnit/xUnit and coverage readers, result merging with flaky-test
//! detection, diff coverage, and the gates on them.
//!
//! Readers are streaming and never panic on untrusted input: a malformed report is an
//! [`ci_intel_core::InputError`] naming the file, the line and what was expected.

pub mod analyze;
pub mod coverage;
pub mod diffcov;
pub mod gates;
pub mod junit;
pub mod report;
pub mod results;
pub mod rules;
pub mod trace;
mod xmlutil;
