//! `ci-intel sarif convert|merge|dedupe`: one SARIF bundle for code scanning.

use std::path::{Path, PathBuf};

use anyhow::Result;
use ci_intel_core::InputError;
use ci_intel_core::error::exit;
use ci_intel_core::finding::Severity;
use ci_intel_sarif::{Bundle, BundleOptions, Converter, Summary};
use serde_json::json;

use crate::cli::{Level, SarifCommand, SarifOptions};
use crate::context::{self, Workspace};

pub fn run(cmd: SarifCommand) -> Result<i32> {
    let (inputs, from, dedupe, options) = match cmd {
        SarifCommand::Convert(a) => {
            let from = match a.from.as_str() {
                "auto" => None,
                id => ci_intel_sarif::find(id),
            };
            (a.inputs, from, true, a.options)
        }
        SarifCommand::Merge(a) => (a.inputs, None, !a.no_dedupe, a.options),
        SarifCommand::Dedupe(a) => (vec![a.input], None, true, a.options),
    };
    bundle(&inputs, from, dedupe, &options)
}

fn bundle(
    inputs: &[PathBuf],
    from: Option<&'static dyn Converter>,
    dedupe: bool,
    o: &SarifOptions,
) -> Result<i32> {
    let ws = Workspace::discover(o.root.as_deref())?;
    let eff = context::load_config(
        &ws.root,
        o.config.as_deref(),
        o.org_config.as_deref(),
        json!({}),
    )?;
    let baseline = context::load_baseline(
        &ws.root,
        o.baseline.as_deref(),
        eff.config.baseline.as_deref(),
    )?;
    let mut bundle = Bundle::new(&ws.root);
    for input in inputs {
        let text = read_input(input)?;
        let name = input.display().to_string();
        bundle
            .add_input(&text, from, &name)
            .map_err(|e| InputError {
                path: input.clone(),
                position: e.position,
                message: e.message,
            })?;
    }
    let opts = BundleOptions {
        dedupe,
        suppressions: eff.suppressions.clone(),
        baseline,
        today: time::OffsetDateTime::now_utc().date(),
        drop_suppressed: o.drop_suppressed,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let (log, summary) = bundle.finish(&opts);
    let text = serde_json::to_string_pretty(&log)? + "\n";
    context::write_output(o.output.as_deref(), &text)?;
    eprint!("{}", describe(&summary));
    let threshold = o.fail_on.map(|l| match l {
        Level::Error => Severity::Error,
        Level::Warning => Severity::Warning,
        Level::Note => Severity::Note,
    });
    let failing: usize = threshold.map_or(0, |t| summary.runs.iter().map(|r| r.at_least(t)).sum());
    if failing > 0 {
        eprintln!(
            "sarif: DENY — {failing} result(s) at --fail-on level or worse are neither suppressed nor baselined"
        );
        return Ok(exit::GATE_DENIED);
    }
    Ok(exit::PASS)
}

/// Reads a file, or standard input for `-`, as UTF-8 text.
fn read_input(path: &Path) -> Result<String, InputError> {
    let bytes = context::read_input_bytes(path)?;
    String::from_utf8(bytes).map_err(|e| {
        let pos =
            ci_intel_core::error::position_of_offset(e.as_bytes(), e.utf8_error().valid_up_to());
        InputError::at(
            path,
            pos,
            "expected UTF-8 text (a tool's JSON or text output)",
        )
    })
}

/// One line per run, then the notes.
fn describe(s: &Summary) -> String {
    let mut out = String::new();
    for r in &s.runs {
        let mut parts = vec![format!(
            "{} error(s), {} warning(s), {} note(s)",
            r.errors, r.warnings, r.notes
        )];
        if r.suppressed > 0 {
            parts.push(format!("{} suppressed", r.suppressed));
        }
        if r.baselined > 0 {
            parts.push(format!("{} baselined", r.baselined));
        }
        if r.duplicates > 0 {
            parts.push(format!("{} duplicate(s) removed", r.duplicates));
        }
        let category = r
            .category
            .as_ref()
            .map(|c| format!(" [{c}]"))
            .unwrap_or_default();
        out.push_str(&format!(
            "sarif: {}{category}: {} result(s): {}\n",
            r.tool,
            r.results,
            parts.join(", ")
        ));
    }
    if s.expired_suppressions > 0 {
        out.push_str(&format!(
            "sarif: {} expired suppression(s) reported as ci-intel/expired-suppression\n",
            s.expired_suppressions
        ));
    }
    for n in &s.notes {
        out.push_str(&format!("sarif: note: {n}\n"));
    }
    out
}
