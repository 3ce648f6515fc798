//! One SARIF bundle out of many logs: one run per tool (and category), duplicates removed,
//! suppressions and the baseline applied.
//!
//! Logs are handled as JSON values, not typed structs, so that whatever a tool wrote (taxonomies,
//! code flows, fixes, properties) passes through untouched. What changes is only what merging
//! requires: indexes into a run's `rules`, `extensions` and `artifacts` are resolved before runs
//! are combined and rebuilt afterwards; absolute `file://` URIs inside the repository become
//! relative to `%SRCROOT%`; every result gets a `ciIntelFingerprint/v1` partial fingerprint.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use ci_intel_core::finding::{self, Finding, Location, RULES as CORE_RULES, Severity};
use ci_intel_core::sarif::{self as writer, FINGERPRINT_KEY};
use ci_intel_core::suppression::{self, Baseline, CompiledSuppression};
use serde_json::{Map, Value, json};
use time::Date;

use crate::convert::{self, Converted, Converter, ParseError, Sample};
use crate::source::SourceTree;

mod normalize;

use normalize::{array_mut, normalize_run, percent_decode};

/// GitHub code scanning rejects files with more runs, or runs with more results, than this.
const MAX_RUNS: usize = 20;
const MAX_RESULTS_PER_RUN: usize = 25_000;
/// Code scanning keeps only this many results of a run.
const KEPT_RESULTS_PER_RUN: usize = 5_000;

/// What to do to the merged runs.
#[derive(Debug, Clone)]
pub struct BundleOptions {
    /// Remove results identical in rule, fingerprint, place and message.
    pub dedupe: bool,
    /// Configured suppressions; live ones mark results, expired ones become findings.
    pub suppressions: Vec<CompiledSuppression>,
    pub baseline: Option<Baseline>,
    pub today: Date,
    /// Leave suppressed results out instead of marking them.
    pub drop_suppressed: bool,
    /// The version of ci-intel, for the run that reports expired suppressions.
    pub version: String,
}

/// Per-tool counts after processing, for the command's summary and its gate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub tool: String,
    pub category: Option<String>,
    pub results: usize,
    pub duplicates: usize,
    pub suppressed: usize,
    pub baselined: usize,
    /// Results that count (not suppressed, not baselined), by level.
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

impl RunSummary {
    /// Results at `level` or worse that count.
    pub fn at_least(&self, level: Severity) -> usize {
        match level {
            Severity::Error => self.errors,
            Severity::Warning => self.errors + self.warnings,
            Severity::Note => self.errors + self.warnings + self.notes,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub runs: Vec<RunSummary>,
    /// Expired suppressions reported as findings.
    pub expired_suppressions: usize,
    /// Things the user should know (skipped lines, code scanning limits).
    pub notes: Vec<String>,
}

/// Logs being merged.
#[derive(Debug)]
pub struct Bundle {
    runs: Vec<Map<String, Value>>,
    /// (tool name, category) → index in `runs`.
    by_tool: HashMap<(String, Option<String>), usize>,
    tree: SourceTree,
    notes: Vec<String>,
}

impl Bundle {
    pub fn new(root: &Path) -> Self {
        Self {
            runs: Vec::new(),
            by_tool: HashMap::new(),
            tree: SourceTree::new(root),
            notes: Vec::new(),
        }
    }

    /// Adds one input: a SARIF log, or a tool's output converted by `from` (detected when
    /// `None`). Errors name what was expected and where.
    pub fn add_input(
        &mut self,
        text: &str,
        from: Option<&dyn Converter>,
        name: &str,
    ) -> Result<(), ParseError> {
        let converter = if let Some(c) = from {
            c
        } else {
            let sample = Sample::new(text);
            if sample.is_sarif() {
                let log = sample.json.unwrap_or_default();
                return self.add_log(log);
            }
            convert::detect(&sample).map_err(|e| ParseError::new(e.to_string()))?
        };
        let converted = converter.convert(text, &mut self.tree)?;
        for n in &converted.notes {
            self.notes.push(format!("{name}: {n}"));
        }
        self.add_converted(&converted);
        Ok(())
    }

    /// Adds a converted tool output as a run.
    pub fn add_converted(&mut self, converted: &Converted) {
        let log = writer::log_of(vec![converted.to_run()]);
        let value = serde_json::to_value(&log).unwrap_or_default();
        for run in take_runs(value) {
            self.merge_run(run);
        }
    }

    /// Adds every run of a SARIF 2.1.0 log.
    pub fn add_log(&mut self, log: Value) -> Result<(), ParseError> {
        let Value::Object(mut log) = log else {
            return Err(ParseError::new("expected a SARIF log (a JSON object)"));
        };
        match log.get("version").and_then(Value::as_str) {
            Some("2.1.0") => {}
            Some(v) => {
                return Err(ParseError::new(format!(
                    "expected SARIF version 2.1.0, found `{v}` (convert older logs with `sarif-multitool transform`)"
                )));
            }
            None => return Err(ParseError::new("expected a SARIF `version` string")),
        }
        let Some(Value::Array(runs)) = log.remove("runs") else {
            return Err(ParseError::new("expected a SARIF `runs` array"));
        };
        for (i, run) in runs.into_iter().enumerate() {
            let Value::Object(mut run) = run else {
                return Err(ParseError::new(format!("runs[{i}]: expected an object")));
            };
            if run
                .get("tool")
                .and_then(|t| t.get("driver"))
                .and_then(|d| d.get("name"))
                .and_then(Value::as_str)
                .is_none()
            {
                return Err(ParseError::new(format!(
                    "runs[{i}]: expected `tool.driver.name`"
                )));
            }
            if run.get("results").is_some_and(|r| !r.is_array()) {
                return Err(ParseError::new(format!(
                    "runs[{i}]: expected `results` to be an array"
                )));
            }
            normalize_run(&mut run, &self.tree);
            self.merge_run(run);
        }
        Ok(())
    }

    /// Appends `run`, or folds it into the earlier run of the same tool and category.
    fn merge_run(&mut self, run: Map<String, Value>) {
        // `ruff` (its own SARIF) and `Ruff` (converted JSON) are one tool.
        let key = (driver_name(&run).to_lowercase(), category(&run));
        match self.by_tool.get(&key) {
            None => {
                self.by_tool.insert(key, self.runs.len());
                self.runs.push(run);
            }
            Some(&i) => fold_run(&mut self.runs[i], run),
        }
    }

    /// Dedupes, fingerprints, applies suppressions and the baseline; returns the log.
    pub fn finish(mut self, opts: &BundleOptions) -> (Value, Summary) {
        let mut summary = Summary {
            notes: std::mem::take(&mut self.notes),
            ..Summary::default()
        };
        // Expired suppressions are findings of ci-intel's own run.
        let expired = suppression::apply(Vec::new(), &opts.suppressions, None, opts.today).active;
        if !expired.is_empty() {
            summary.expired_suppressions = expired.len();
            let log = writer::log(&opts.version, CORE_RULES, &expired);
            let value = serde_json::to_value(log).unwrap_or_default();
            for run in take_runs(value) {
                self.merge_run(run);
            }
        }
        let live: Vec<&CompiledSuppression> = opts
            .suppressions
            .iter()
            .filter(|s| !s.is_expired(opts.today))
            .collect();
        let mut runs = Vec::with_capacity(self.runs.len());
        for mut run in std::mem::take(&mut self.runs) {
            let s = process_run(&mut run, &mut self.tree, opts, &live);
            if s.results > MAX_RESULTS_PER_RUN {
                summary.notes.push(format!(
                    "{}: {} results; code scanning rejects runs with more than {MAX_RESULTS_PER_RUN}",
                    s.tool, s.results
                ));
            } else if s.results > KEPT_RESULTS_PER_RUN {
                summary.notes.push(format!(
                    "{}: {} results; code scanning keeps only {KEPT_RESULTS_PER_RUN} of a run",
                    s.tool, s.results
                ));
            }
            summary.runs.push(s);
            runs.push(Value::Object(run));
        }
        if runs.len() > MAX_RUNS {
            summary.notes.push(format!(
                "{} runs; code scanning rejects files with more than {MAX_RUNS}",
                runs.len()
            ));
        }
        let log = json!({
            "$schema": writer::SARIF_SCHEMA,
            "version": writer::SARIF_VERSION,
            "runs": runs,
        });
        (log, summary)
    }
}

fn take_runs(log: Value) -> Vec<Map<String, Value>> {
    match log {
        Value::Object(mut o) => match o.remove("runs") {
            Some(Value::Array(runs)) => runs
                .into_iter()
                .filter_map(|r| match r {
                    Value::Object(r) => Some(r),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn driver_name(run: &Map<String, Value>) -> String {
    run.get("tool")
        .and_then(|t| t.get("driver"))
        .and_then(|d| d.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The run's category (`automationDetails.id`): code scanning keeps one analysis per tool and
/// category, so runs of different categories stay apart.
fn category(run: &Map<String, Value>) -> Option<String> {
    run.get("automationDetails")
        .and_then(|a| a.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Folds `other` into `into` (same tool and category): rules, extensions, results,
/// invocations and URI bases are combined.
fn fold_run(into: &mut Map<String, Value>, mut other: Map<String, Value>) {
    let mut other_tool = other.remove("tool").unwrap_or_default();
    let tool = into
        .entry("tool")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    if let Some(tool) = tool {
        if let Some(Value::Object(driver)) = tool.get_mut("driver")
            && let Some(Value::Array(rules)) =
                other_tool["driver"].get_mut("rules").map(Value::take)
        {
            union_by(array_mut(driver, "rules"), rules, "id");
        }
        if let Some(Value::Array(exts)) = other_tool.get_mut("extensions").map(Value::take) {
            let mine = array_mut(tool, "extensions");
            for mut ext in exts {
                let name = ext.get("name").cloned();
                match mine.iter_mut().find(|e| e.get("name") == name.as_ref()) {
                    Some(Value::Object(existing)) => {
                        if let Some(Value::Array(rules)) = ext.get_mut("rules").map(Value::take) {
                            union_by(array_mut(existing, "rules"), rules, "id");
                        }
                    }
                    _ => mine.push(ext),
                }
            }
        }
    }
    for key in ["results", "invocations"] {
        if let Some(Value::Array(items)) = other.remove(key) {
            array_mut(into, key).extend(items);
        }
    }
    if let Some(Value::Object(bases)) = other.remove("originalUriBaseIds") {
        let Some(mine) = into
            .entry("originalUriBaseIds")
            .or_insert_with(|| json!({}))
            .as_object_mut()
        else {
            return;
        };
        for (k, v) in bases {
            mine.entry(k).or_insert(v);
        }
    }
}

/// Appends the items of `more` whose `key` is not in `into` yet.
fn union_by(into: &mut Vec<Value>, more: Vec<Value>, key: &str) {
    let mut seen: HashSet<String> = into
        .iter()
        .filter_map(|v| v.get(key).and_then(Value::as_str).map(str::to_owned))
        .collect();
    for v in more {
        match v.get(key).and_then(Value::as_str) {
            Some(k) if !seen.insert(k.to_owned()) => {}
            _ => into.push(v),
        }
    }
}

/// What we know about one result while processing it.
struct Probe {
    rule_id: String,
    fingerprint: String,
    path: Option<String>,
    line: u64,
    column: u64,
    message: String,
}

fn probe(r: &Map<String, Value>, tool: &str, tree: &mut SourceTree) -> Probe {
    let rule_id = r
        .get("ruleId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let message = r
        .get("message")
        .and_then(|m| m.get("text").or_else(|| m.get("id")))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let physical = r
        .get("locations")
        .and_then(|l| l.get(0))
        .and_then(|l| l.get("physicalLocation"));
    let artifact = physical.and_then(|p| p.get("artifactLocation"));
    // Only repository-relative URIs name a file we can match globs and read snippets against.
    let path = artifact.and_then(|a| {
        let uri = a.get("uri").and_then(Value::as_str)?;
        let relative = a.get("uriBaseId").is_some() || !uri.contains(':') && !uri.starts_with('/');
        relative.then(|| percent_decode(uri))
    });
    let region = physical.and_then(|p| p.get("region"));
    let line = region
        .and_then(|g| g.get("startLine"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let column = region
        .and_then(|g| g.get("startColumn"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let existing = r
        .get("partialFingerprints")
        .and_then(|p| p.get(FINGERPRINT_KEY))
        .and_then(Value::as_str)
        .map(|f| f.split(':').next().unwrap_or(f).to_owned());
    let fingerprint = existing.unwrap_or_else(|| {
        let snippet = region
            .and_then(|g| g.get("snippet"))
            .and_then(|s| s.get("text"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| {
                let p = path.as_deref()?;
                let l = u32::try_from(line).ok()?;
                tree.line(p, l)
                    .filter(|s| !s.trim().is_empty())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| message.clone());
        finding::fingerprint(&rule_id, tool, path.as_deref().unwrap_or(""), &snippet)
    });
    Probe {
        rule_id,
        fingerprint,
        path,
        line,
        column,
        message,
    }
}

/// The level a result counts at: its own, else its rule's default, else SARIF's `warning`;
/// results that are not failures (`kind` pass, review, …) count at none.
fn effective_level(
    r: &Map<String, Value>,
    default_levels: &HashMap<String, String>,
) -> Option<Severity> {
    if r.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k != "fail")
    {
        return None;
    }
    let level = r
        .get("level")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            r.get("ruleId")
                .and_then(Value::as_str)
                .and_then(|id| default_levels.get(id).cloned())
        })
        .unwrap_or_else(|| "warning".into());
    match level.as_str() {
        "error" => Some(Severity::Error),
        "warning" => Some(Severity::Warning),
        "note" => Some(Severity::Note),
        _ => None,
    }
}

/// Whether the tool or an earlier pass already suppressed the result (a suppression that is
/// under review or rejected does not count).
fn already_suppressed(r: &Map<String, Value>) -> bool {
    r.get("suppressions")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter().any(|x| {
                x.get("status")
                    .and_then(Value::as_str)
                    .is_none_or(|st| st == "accepted")
            })
        })
}

fn process_run(
    run: &mut Map<String, Value>,
    tree: &mut SourceTree,
    opts: &BundleOptions,
    live: &[&CompiledSuppression],
) -> RunSummary {
    let tool_name = driver_name(run);
    let tool = tool_name.to_lowercase();
    let mut summary = RunSummary {
        tool: tool_name,
        category: category(run),
        ..RunSummary::default()
    };
    let rules: Vec<Value> = run["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let default_levels: HashMap<String, String> = rules
        .iter()
        .filter_map(|r| {
            let id = r.get("id")?.as_str()?;
            let level = r.get("defaultConfiguration")?.get("level")?.as_str()?;
            Some((id.to_owned(), level.to_owned()))
        })
        .collect();
    let results = match run.remove("results") {
        Some(Value::Array(r)) => r,
        _ => Vec::new(),
    };
    let mut seen = HashSet::new();
    let mut kept: Vec<(Map<String, Value>, String)> = Vec::with_capacity(results.len());
    for result in results {
        let Value::Object(mut r) = result else {
            continue;
        };
        let p = probe(&r, &tool, tree);
        if opts.dedupe {
            let key = (
                p.rule_id.clone(),
                p.fingerprint.clone(),
                p.line,
                p.column,
                p.message.clone(),
            );
            if !seen.insert(key) {
                summary.duplicates += 1;
                continue;
            }
        }
        // ci-intel's own rule ids are `tool/rule`; match suppressions on those parts.
        let (f_tool, f_rule) = match (tool.as_str(), p.rule_id.split_once('/')) {
            ("ci-intel", Some((t, rule))) => (t.to_owned(), rule.to_owned()),
            _ => (tool.clone(), p.rule_id.clone()),
        };
        let mut as_finding = Finding::new(
            &f_tool,
            &f_rule,
            Severity::Note,
            "",
            p.path.as_ref().map(|path| Location::line(path.clone(), 1)),
            "",
        );
        as_finding.fingerprint.clone_from(&p.fingerprint);
        let mut suppressed = already_suppressed(&r);
        if let Some(s) = live.iter().find(|s| s.matches(&as_finding)) {
            if opts.drop_suppressed {
                summary.suppressed += 1;
                continue;
            }
            array_mut(&mut r, "suppressions").push(json!({
                "kind": "external",
                "status": "accepted",
                "justification": format!(
                    "{} (owner {}, until {})",
                    s.spec.reason, s.spec.owner, s.spec.expires
                ),
            }));
            suppressed = true;
        } else if suppressed && opts.drop_suppressed {
            summary.suppressed += 1;
            continue;
        }
        let mut baselined = false;
        if let Some(b) = &opts.baseline {
            baselined = b.contains(&p.fingerprint);
            r.insert(
                "baselineState".into(),
                if baselined { "unchanged" } else { "new" }.into(),
            );
        }
        if suppressed {
            summary.suppressed += 1;
        } else if baselined {
            summary.baselined += 1;
        } else {
            match effective_level(&r, &default_levels) {
                Some(Severity::Error) => summary.errors += 1,
                Some(Severity::Warning) => summary.warnings += 1,
                Some(Severity::Note) => summary.notes += 1,
                None => {}
            }
        }
        kept.push((r, p.fingerprint));
    }
    // Identical fingerprints within a run are numbered, so each stays its own alert.
    let numbered = finding::numbered_fingerprints(kept.iter().map(|(_, f)| f.as_str()));
    let index = RuleIndex::of(run, &rules);
    let mut out = Vec::with_capacity(kept.len());
    for ((mut r, _), fp) in kept.into_iter().zip(numbered) {
        let fps = r.entry("partialFingerprints").or_insert_with(|| json!({}));
        if let Value::Object(fps) = fps {
            fps.insert(FINGERPRINT_KEY.into(), fp.into());
        }
        index.point(&mut r);
        out.push(Value::Object(r));
    }
    summary.results = out.len();
    run.insert("results".into(), Value::Array(out));
    summary
}

/// Where each rule id sits in the merged run: the driver's `rules`, and each extension's (by
/// name), built once per run so pointing a result at its rule is a lookup.
struct RuleIndex {
    driver: HashMap<String, usize>,
    /// Extension name → (its index in `extensions`, rule id → index in its `rules`).
    extensions: Vec<(Value, usize, HashMap<String, usize>)>,
}

impl RuleIndex {
    fn ids(rules: &[Value]) -> HashMap<String, usize> {
        let mut m = HashMap::with_capacity(rules.len());
        for (i, r) in rules.iter().enumerate() {
            if let Some(id) = r.get("id").and_then(Value::as_str) {
                m.entry(id.to_owned()).or_insert(i);
            }
        }
        m
    }

    fn of(run: &Map<String, Value>, driver_rules: &[Value]) -> Self {
        let extensions = run
            .get("tool")
            .and_then(|t| t.get("extensions"))
            .and_then(Value::as_array)
            .map(|exts| {
                exts.iter()
                    .enumerate()
                    .map(|(i, e)| {
                        let rules = e.get("rules").and_then(Value::as_array);
                        (
                            e.get("name").cloned().unwrap_or_default(),
                            i,
                            rules.map(|r| Self::ids(r)).unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            driver: Self::ids(driver_rules),
            extensions,
        }
    }

    /// Points the result's rule reference back at the merged `rules` (or its extension's).
    fn point(&self, r: &mut Map<String, Value>) {
        let Some(id) = r.get("ruleId").and_then(Value::as_str).map(str::to_owned) else {
            return;
        };
        let ext_name = r
            .get("rule")
            .and_then(|x| x.get("toolComponent"))
            .and_then(|t| t.get("name"))
            .cloned();
        match ext_name {
            Some(name) => {
                let Some((_, e, ids)) = self.extensions.iter().find(|(n, _, _)| *n == name) else {
                    return;
                };
                if let Some(Value::Object(rule)) = r.get_mut("rule") {
                    if let Some(&i) = ids.get(&id) {
                        rule.insert("index".into(), i.into());
                    }
                    rule.insert("toolComponent".into(), json!({ "name": name, "index": e }));
                }
            }
            None => {
                if let Some(&i) = self.driver.get(&id) {
                    r.insert("ruleIndex".into(), i.into());
                    if let Some(Value::Object(rule)) = r.get_mut("rule") {
                        rule.insert("index".into(), i.into());
                    }
                }
            }
        }
    }
}
