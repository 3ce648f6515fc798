//! Reporters: they turn findings, gate verdicts and analyzer reports into text for people and
//! machines. A reporter never decides anything; every number it prints was computed by an
//! analyzer, and every verdict by a gate.

pub mod annotations;
pub mod findings;
pub mod human;
pub mod markdown;
pub mod sarif;
pub mod svg;
mod text;
