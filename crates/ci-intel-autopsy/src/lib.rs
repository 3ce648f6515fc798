//! Pipeline Autopsy: a red pipeline's logs in, its root causes out, ranked, with the line that
//! says so, a suggested fix and a repro command.
//!
//! Rule-first: rule packs as data (`rules/autopsy/*.toml`) recognise the failures of the tools
//! CI runs (compilers, test runners, package managers, containers, infrastructure tools, the
//! machine itself). What no rule knows is grouped by a log-template miner ([`miner`]) into
//! signatures, shown as candidates for new rules. The crate prints nothing and reads no
//! configuration: the binary wires the secrets redactor in (every text of a report passes
//! through it) and renders the [`AutopsyReport`].

pub mod classifier;
pub mod eval;
pub mod examples;
pub mod findings;
pub mod line;
pub mod miner;
pub mod model;
pub mod rank;
pub mod rules;
pub mod scan;
pub mod source;

use ci_intel_core::InputError;
use serde::{Deserialize, Serialize};

pub use model::{Category, LogLocation, LogSummary, RootCause, Signature, Step};
pub use rules::RuleSet;
pub use source::LogInput;

/// The report's schema id.
pub const SCHEMA: &str = "ci-intel.autopsy/v1";

/// What to read the logs with.
#[derive(Clone, Copy)]
pub struct Settings<'a> {
    pub rules: &'a RuleSet,
    /// Masks secrets: applied to every message, excerpt and example the report holds.
    pub redact: &'a (dyn Fn(&str) -> String + Sync),
    /// Most root causes reported.
    pub max_root_causes: usize,
    /// Most unknown signatures reported.
    pub max_signatures: usize,
    /// Names the category of error lines no rule knows, when it is sure (ML second).
    pub classifier: Option<&'a classifier::Classifier>,
}

impl std::fmt::Debug for Settings<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("rules", &self.rules.rules.len())
            .field("max_root_causes", &self.max_root_causes)
            .field("max_signatures", &self.max_signatures)
            .field("classifier", &self.classifier.is_some())
            .finish_non_exhaustive()
    }
}

/// The autopsy of a set of logs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutopsyReport {
    pub schema: String,
    /// Whether any log shows a failure (a failed step, or a root cause).
    pub failed: bool,
    /// Ranked, best first.
    pub root_causes: Vec<RootCause>,
    /// Error-looking lines no rule knows, grouped: candidates for new rules.
    pub signatures: Vec<Signature>,
    pub logs: Vec<LogSummary>,
    pub stats: Stats,
}

/// How much was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub logs: usize,
    pub bytes: u64,
    pub lines: u64,
    pub rules: usize,
    /// Root causes before the `max_root_causes` cut.
    pub root_causes_total: usize,
}

/// Reads every log and explains the failure.
pub fn analyze(inputs: &[LogInput], s: &Settings<'_>) -> Result<AutopsyReport, InputError> {
    let mut miner = miner::Miner::default();
    let mut scans = Vec::with_capacity(inputs.len());
    for input in inputs {
        let scan = input.read_with(&mut |r| {
            scan::scan(s.rules, &input.name, input.job.as_deref(), r, &mut miner)
        })?;
        scans.push(scan);
    }
    Ok(report(s, &scans, &miner))
}

/// The report of already scanned logs.
pub fn report(s: &Settings<'_>, scans: &[scan::LogScan], miner: &miner::Miner) -> AutopsyReport {
    let mut root_causes = rank::root_causes(s.rules, scans, miner, s.classifier, s.redact);
    let total = root_causes.len();
    root_causes.truncate(s.max_root_causes);
    let signatures: Vec<Signature> = miner
        .signatures()
        .into_iter()
        .take(s.max_signatures)
        .map(|mut sig| {
            sig.template = (s.redact)(&sig.template);
            sig.example = (s.redact)(&sig.example);
            sig
        })
        .collect();
    let logs: Vec<LogSummary> = scans.iter().map(|x| x.summary.clone()).collect();
    let failed = !root_causes.is_empty() || logs.iter().any(LogSummary::shows_failure);
    AutopsyReport {
        schema: SCHEMA.into(),
        failed,
        stats: Stats {
            logs: logs.len(),
            bytes: logs.iter().map(|l| l.bytes).sum(),
            lines: logs.iter().map(|l| l.lines).sum(),
            rules: s.rules.rules.len(),
            root_causes_total: total,
        },
        root_causes,
        signatures,
        logs,
    }
}

impl AutopsyReport {
    /// The root causes as `pipeline_run.autopsy` records them.
    pub fn to_record(&self) -> ci_intel_core::pipeline_run::Autopsy {
        ci_intel_core::pipeline_run::Autopsy {
            root_causes: Some(
                self.root_causes
                    .iter()
                    .map(|c| ci_intel_core::pipeline_run::RootCause {
                        tool: Some(c.tool.clone()),
                        pattern: c.rule_id.clone(),
                        file: c.file.clone(),
                        line: c.line,
                        message: Some(c.message.clone()),
                        suggestion: c.suggestion.clone(),
                        severity: Some(
                            if c.confidence >= 0.6 { "error" } else { "warn" }.to_owned(),
                        ),
                        docs_uri: c.docs_uri.clone(),
                    })
                    .collect(),
            ),
        }
    }
}
