//! `ci-intel autopsy`: a failed job's logs in, ranked root causes out; `autopsy rules test`
//! checks the rule packs, `autopsy eval` measures accuracy on labelled logs.

mod github;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ci_intel_autopsy::classifier::Classifier;
use ci_intel_autopsy::{self as autopsy, AutopsyReport, LogInput, RuleSet, Settings};
use ci_intel_core::config::Effective;
use ci_intel_core::{InputError, discover, exit};
use ci_intel_render::{autopsy as render, human, sarif};

use crate::cli::{
    AutopsyArgs, AutopsyCommand, AutopsyEvalArgs, AutopsyRulesCommand, AutopsyRulesTestArgs, Format,
};
use crate::context::{self, Workspace};

/// Environment variables whose values are masked in every output, whatever their content:
/// names that say they hold a credential.
const SECRET_NAME_PARTS: [&str; 7] = [
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "API_KEY",
    "PRIVATE_KEY",
    "CREDENTIALS",
];

pub fn run(args: &AutopsyArgs) -> Result<i32> {
    match &args.command {
        Some(AutopsyCommand::Rules(AutopsyRulesCommand::Test(t))) => rules_test(t),
        Some(AutopsyCommand::Eval(e)) => eval(e),
        None => explain(args),
    }
}

/// The built-in packs plus the configured and given ones.
pub fn rule_set(root: &Path, configured: &[String], given: &[PathBuf]) -> Result<RuleSet> {
    let mut paths: Vec<PathBuf> = configured.iter().map(|p| root.join(p)).collect();
    paths.extend(given.iter().cloned());
    if paths.is_empty() {
        return Ok(RuleSet::builtin()?);
    }
    RuleSet::builtin_and(&paths).map_err(|e| InputError::new(&e.pack, e.message).into())
}

/// Masks secrets: the secret scanner's rules, plus the values of environment variables named
/// like credentials (and their base64 and URL-encoded forms).
pub fn redactor() -> impl Fn(&str) -> String + Sync {
    let values: Vec<String> = std::env::vars()
        .filter(|(name, value)| {
            let upper = name.to_ascii_uppercase();
            value.len() >= 8 && SECRET_NAME_PARTS.iter().any(|p| upper.contains(p))
        })
        .map(|(_, v)| v)
        .collect();
    let redactor =
        ci_intel_secrets::redact::Redactor::new(ci_intel_secrets::RuleSet::builtin(), &values);
    move |s: &str| String::from_utf8_lossy(&redactor.redact(s.as_bytes())).into_owned()
}

/// The logs the configuration names, relative to the root.
pub fn configured_logs(root: &Path, eff: &Effective) -> Result<Vec<LogInput>> {
    let patterns = &eff.config.autopsy.logs;
    if patterns.is_empty() {
        return Ok(Vec::new());
    }
    let (files, _) = discover::expand(root, patterns)?;
    Ok(autopsy::source::discover(&files)?)
}

/// Whether the CI says this job failed: `CI_INTEL_JOB_STATUS` (pass `${{ job.status }}` in
/// GitHub Actions) or GitLab's `CI_JOB_STATUS` in `after_script`.
pub fn job_failed_from_env() -> bool {
    let failed = |v: &str| {
        matches!(
            v.to_ascii_lowercase().as_str(),
            "failure" | "failed" | "cancelled" | "canceled"
        )
    };
    std::env::var("CI_INTEL_JOB_STATUS").is_ok_and(|v| failed(&v))
        || std::env::var("CI_JOB_STATUS").is_ok_and(|v| failed(&v))
}

/// The autopsy `check` and `run emit` include: the configured logs, read when the job failed
/// (`job_failed`: a gate denied, or the CI says so) or when the logs themselves show a failed
/// step. `None` when disabled, no log is configured or found, or nothing failed.
pub fn for_check(
    ws: &Workspace,
    eff: &Effective,
    job_failed: bool,
) -> Result<Option<AutopsyReport>> {
    let cfg = &eff.config.autopsy;
    if !cfg.enabled || cfg.logs.is_empty() {
        return Ok(None);
    }
    let inputs = configured_logs(&ws.root, eff)?;
    if inputs.is_empty() {
        return Ok(None);
    }
    let rules = rule_set(&ws.root, &cfg.rules, &[])?;
    let report = analyze(&inputs, &rules, cfg.max_root_causes, cfg.classifier)?;
    let steps_failed = report.logs.iter().any(autopsy::LogSummary::shows_failure);
    Ok((job_failed || job_failed_from_env() || steps_failed).then_some(report))
}

/// Reads `inputs` and explains the failure; `classifier` turns on ML second.
pub fn analyze(
    inputs: &[LogInput],
    rules: &RuleSet,
    max_root_causes: usize,
    classifier: bool,
) -> Result<AutopsyReport> {
    let redact = redactor();
    let model = classifier.then(|| Classifier::from_rules(rules)).flatten();
    let settings = Settings {
        rules,
        redact: &redact,
        max_root_causes,
        max_signatures: 20,
        classifier: model.as_ref(),
    };
    Ok(autopsy::analyze(inputs, &settings)?)
}

fn explain(args: &AutopsyArgs) -> Result<i32> {
    let common = &args.common;
    let (ws, eff) = context::open(common)?;
    let cfg = &eff.config.autopsy;
    let rules = rule_set(&ws.root, &cfg.rules, &args.rules)?;
    // Keeps a downloaded zip on disk while it is read.
    let mut _download = None;
    let inputs = if let Some(run) = args.github_run {
        let repo = args
            .repo
            .clone()
            .or_else(|| ws.ci.repo.clone())
            .context("--github-run needs --repo OWNER/NAME (or GITHUB_REPOSITORY)")?;
        let zip = github::download_run_logs(&repo, run)?;
        let inputs = autopsy::source::discover(&[zip.path().to_owned()])?
            .into_iter()
            .map(|mut i| {
                i.name = i.name.replacen(
                    &zip.path().to_string_lossy().into_owned(),
                    &format!("run-{run}.zip"),
                    1,
                );
                i
            })
            .collect();
        _download = Some(zip);
        inputs
    } else if args.logs.is_empty() {
        let found = configured_logs(&ws.root, &eff)?;
        if found.is_empty() {
            bail!(
                "no logs to read: pass log files or directories, `-` for standard input, --github-run RUN_ID, or set `autopsy.logs` in the configuration"
            );
        }
        found
    } else {
        autopsy::source::discover(&args.logs)?
    };
    let report = analyze(
        &inputs,
        &rules,
        args.max.unwrap_or(cfg.max_root_causes),
        !args.no_classifier && (args.classifier || cfg.classifier),
    )?;
    let findings = autopsy::findings::findings(&report.root_causes);
    if let Some(path) = &common.write_baseline {
        context::write_baseline(path, &findings)?;
        return Ok(exit::PASS);
    }
    let title = issue_title(&report, args.github_run);
    let md = render::markdown(&report, &title);
    let text = match common.out.format {
        Format::Human => render::human(
            &report,
            human::Style {
                color: common.out.output.is_none() && context::color(),
            },
        ),
        Format::Json => serde_json::to_string_pretty(&report)? + "\n",
        Format::Sarif => sarif::to_json(&sarif::log(
            env!("CARGO_PKG_VERSION"),
            &autopsy::findings::rule_docs(&rules),
            &findings,
        )),
        Format::Markdown => md.clone(),
    };
    context::Delivery {
        text: &text,
        markdown: &md,
        findings: &findings,
    }
    .send(&ws, &eff, common, || {
        render::human(&report, human::Style { color: false })
    })?;
    Ok(exit::PASS)
}

/// The issue title: the top root cause, or that nothing was found.
fn issue_title(r: &AutopsyReport, run: Option<u64>) -> String {
    let run = run.map(|r| format!("run {r}: ")).unwrap_or_default();
    match r.root_causes.first() {
        Some(c) => {
            let msg: String = c.message.chars().take(100).collect();
            format!("Pipeline Autopsy: {run}{} — {msg}", c.category)
        }
        None => format!("Pipeline Autopsy: {run}no failure found"),
    }
}

fn rules_test(args: &AutopsyRulesTestArgs) -> Result<i32> {
    let cwd = std::env::current_dir()?;
    let rules = rule_set(&cwd, &[], &args.rules)?;
    let (failures, count) = autopsy::examples::check(&rules);
    for f in &failures {
        println!(
            "FAIL {} ({}): {}\n     {}",
            f.rule,
            f.pack,
            f.problem,
            f.example.lines().next().unwrap_or_default()
        );
    }
    println!(
        "{} rule(s), {count} example(s): {}",
        rules.rules.len(),
        if failures.is_empty() {
            "all pass".to_owned()
        } else {
            format!("{} failed", failures.len())
        }
    );
    Ok(if failures.is_empty() {
        exit::PASS
    } else {
        exit::GATE_DENIED
    })
}

fn eval(args: &AutopsyEvalArgs) -> Result<i32> {
    let cwd = std::env::current_dir()?;
    let rules = rule_set(&cwd, &[], &args.rules)?;
    let labels = autopsy::eval::read_labels(&args.labels)?;
    let redact = redactor();
    let model = Classifier::from_rules(&rules);
    let settings = Settings {
        rules: &rules,
        redact: &redact,
        max_root_causes: 5,
        max_signatures: 0,
        classifier: None,
    };
    // Scored once without the classifier and (when there is one) once with it: the main table
    // is the one asked for, the comparison is between the two.
    let without = autopsy::eval::evaluate(&labels, &settings)?;
    let with = model
        .as_ref()
        .map(|m| {
            autopsy::eval::evaluate(
                &labels,
                &Settings {
                    classifier: Some(m),
                    ..settings
                },
            )
        })
        .transpose()?;
    let effect = with
        .as_ref()
        .map(|w| autopsy::eval::ClassifierEffect::between(&without, w));
    let report = match with {
        Some(w) if !args.no_classifier => w,
        _ => without,
    };
    let cross_validation = model.is_some().then(|| {
        autopsy::classifier::cross_validate(
            &autopsy::classifier::samples(&rules),
            autopsy::classifier::FOLDS,
            &[autopsy::classifier::MIN_PROBABILITY],
        )[0]
    });
    let text = match args.out.format {
        Format::Json => {
            let mut v = serde_json::to_value(&report)?;
            v["classifier"] = serde_json::json!({
                "effect": effect,
                "cross_validation": cross_validation,
            });
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Format::Human | Format::Markdown => {
            let classifier = effect
                .zip(cross_validation)
                .map(|(e, cv)| classifier_table(&e, &cv));
            eval_table(&report) + &classifier.unwrap_or_default()
        }
        Format::Sarif => bail!("`autopsy eval` writes human, markdown or json"),
    };
    context::write_output(args.out.output.as_deref(), &text)?;
    let below = args.min_top1.is_some_and(|m| report.top1_accuracy < m);
    if below {
        eprintln!(
            "top-1 accuracy {:.3} is below --min-top1 {:.3}",
            report.top1_accuracy,
            args.min_top1.unwrap_or_default()
        );
    }
    Ok(if below { exit::GATE_DENIED } else { exit::PASS })
}

/// What the classifier adds, as a short Markdown section.
fn classifier_table(
    e: &autopsy::eval::ClassifierEffect,
    cv: &autopsy::classifier::CrossValidation,
) -> String {
    format!(
        "\nClassifier (ML second, used only when no rule explains the failure):\n\n\
         | | Top-1 | Precision of a named category | Left unknown |\n|---|---|---|---|\n\
         | rules only | {:.1}% | {:.2} | {} |\n| rules + classifier | {:.1}% | {:.2} | {} |\n\n\
         Cross-validation on {} rule examples, whole rules held out ({} folds), at p ≥ {:.2}: named {} ({:.1}%), \
         right {:.1}% of those. {}\n",
        e.without.top1_accuracy * 100.0,
        e.without.named_precision,
        e.without.unknown,
        e.with.top1_accuracy * 100.0,
        e.with.named_precision,
        e.with.unknown,
        cv.lines,
        autopsy::classifier::FOLDS,
        cv.min_probability,
        cv.named,
        100.0 * cv.named as f64 / cv.lines.max(1) as f64,
        cv.precision * 100.0,
        if e.helps {
            "On these logs it raises top-1 without losing precision."
        } else {
            "On these logs it does not raise top-1 without losing precision (`autopsy.classifier: false` turns it off)."
        }
    )
}

/// The evaluation as a Markdown table (readable in a terminal too).
fn eval_table(r: &autopsy::eval::EvalReport) -> String {
    let mut out = format!(
        "{} labelled log(s): top-1 category accuracy {:.1}% · log line {}/{} · source file:line {}/{}\n\n",
        r.logs,
        r.top1_accuracy * 100.0,
        r.log_line.correct,
        r.log_line.checked,
        r.source_location.correct,
        r.source_location.checked
    );
    out.push_str(
        "| Category | Logs | Predicted | Precision | Recall | F1 |\n|---|---|---|---|---|---|\n",
    );
    for c in &r.categories {
        out.push_str(&format!(
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} |\n",
            c.category, c.support, c.predicted, c.precision, c.recall, c.f1
        ));
    }
    if !r.misses.is_empty() {
        out.push_str("\nMisses:\n");
        for m in &r.misses {
            out.push_str(&format!(
                "- {}: expected {}, got {} ({})\n",
                m.log,
                m.expected,
                m.got.map_or("nothing".to_owned(), |c| c.to_string()),
                m.message.as_deref().unwrap_or("")
            ));
        }
    }
    out
}
