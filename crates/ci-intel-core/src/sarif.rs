//! SARIF 2.1.0 logs, written once for every analyzer's findings and every converted tool.
//!
//! The log is the subset of SARIF that code-scanning services read: a run per tool with its
//! rules (id, descriptions, help text and URI), and one result per finding with its location
//! (a relative URI under `%SRCROOT%`), level and a `partialFingerprints` entry so the same
//! finding on a later commit is recognised as the same. We write the types ourselves rather
//! than depend on a generated SARIF crate: the subset is small, these types are the documented
//! output, and tests check every log against the official schema.

use crate::finding::{self, Confidence, Finding, Rule, Severity};
use serde::Serialize;

pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const SARIF_VERSION: &str = "2.1.0";
pub const INFORMATION_URI: &str = "https://github.com/ci-intel/ci-intel";
/// Key of our fingerprint in `partialFingerprints` (versioned: a new algorithm gets a new key).
pub const FINGERPRINT_KEY: &str = "ciIntelFingerprint/v1";
/// The `uriBaseId` every repository-relative URI is written against.
pub const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize, Debug)]
pub struct Log {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub tool: Tool,
    pub results: Vec<SarifResult>,
    pub column_kind: &'static str,
}

#[derive(Serialize, Debug)]
pub struct Tool {
    pub driver: Driver,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub information_uri: Option<String>,
    pub rules: Vec<ReportingDescriptor>,
}

/// Which tool produced a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolInfo {
    pub name: String,
    pub version: Option<String>,
    pub information_uri: Option<String>,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub short_description: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_description: Option<Message>,
    pub help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    pub default_configuration: Configuration,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub properties: serde_json::Map<String, serde_json::Value>,
}

impl ReportingDescriptor {
    /// A rule with its one-line description and help; `help` falls back to the description
    /// (code scanning shows the help text beside every alert, so it is never empty).
    pub fn new(id: impl Into<String>, short: impl Into<String>, help: impl Into<String>) -> Self {
        let id = id.into();
        let mut short: String = short.into();
        if short.trim().is_empty() {
            short.clone_from(&id);
        }
        let mut help: String = help.into();
        if help.trim().is_empty() {
            help.clone_from(&short);
        }
        Self {
            name: Some(pascal(&id)).filter(|n| !n.is_empty()),
            id,
            short_description: Message { text: short },
            full_description: None,
            help: Help {
                text: help,
                markdown: None,
            },
            help_uri: None,
            default_configuration: Configuration {
                level: level(Severity::Warning),
            },
            properties: serde_json::Map::new(),
        }
    }

    pub fn with_level(mut self, severity: Severity) -> Self {
        self.default_configuration.level = level(severity);
        self
    }

    pub fn with_help_uri(mut self, uri: Option<String>) -> Self {
        self.help_uri = uri;
        self
    }

    pub fn with_name(mut self, name: &str) -> Self {
        // A name identical to the id says nothing (SARIF validators warn, SARIF1001).
        self.name = Some(pascal(name)).filter(|n| !n.is_empty() && *n != self.id);
        self
    }

    /// Help in Markdown (shown by code scanning instead of the text when present).
    pub fn with_markdown(mut self, markdown: Option<String>) -> Self {
        self.help.markdown = markdown;
        self
    }

    /// Marks a security rule: `security` tag and a `security-severity` score, which code
    /// scanning turns into critical/high/medium/low.
    pub fn security(mut self, score: f32, tags: &[String]) -> Self {
        let mut all = vec![serde_json::Value::from("security")];
        all.extend(tags.iter().map(|t| serde_json::Value::from(t.as_str())));
        self.properties.insert("tags".into(), all.into());
        self.properties
            .insert("security-severity".into(), format!("{score:.1}").into());
        self
    }
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Configuration {
    pub level: &'static str,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Message {
    pub text: String,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Help {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<usize>,
    pub level: &'static str,
    pub message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<SarifLocation>,
    pub partial_fingerprints: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<ResultSuppression>,
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// A SARIF `suppression`: the result stays in the log, marked as accepted, with why.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct ResultSuppression {
    /// `inSource` (a comment in the code) or `external` (a configuration file).
    pub kind: &'static str,
    pub status: &'static str,
    pub justification: String,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct SarifLocation {
    pub physical_location: PhysicalLocation,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    pub region: Region,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    pub uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
}

/// The SARIF level of a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// `test-failure` → `TestFailure` (SARIF's `name` is a PascalCase identifier).
pub fn pascal(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Percent-encodes a repository-relative path for a SARIF `uri` (RFC 3986 path characters
/// kept as they are).
pub fn uri_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char);
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Repository-relative paths go under `%SRCROOT%`; a path that stayed absolute (a file outside
/// the repository, such as a dependency's source) becomes a `file://` URI of its own.
fn artifact(path: &str) -> ArtifactLocation {
    if path.starts_with('/') {
        ArtifactLocation {
            uri: format!("file://{}", uri_path(path)),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: uri_path(path),
            uri_base_id: Some(SRCROOT),
        }
    }
}

fn confidence(c: Confidence) -> serde_json::Value {
    serde_json::to_value(c).unwrap_or_default()
}

/// One run of `tool` with `rules`; results refer to rules by index, `rule_id` names each
/// finding's rule in `rules`.
pub fn run(
    tool: &ToolInfo,
    rules: Vec<ReportingDescriptor>,
    findings: &[Finding],
    rule_id: impl Fn(&Finding) -> String,
) -> Run {
    let numbered = finding::numbered_fingerprints(findings.iter().map(|f| f.fingerprint.as_str()));
    let results = findings
        .iter()
        .zip(numbered)
        .map(|(f, fingerprint)| {
            let rule_id = rule_id(f);
            let rule_index = rules.iter().position(|d| d.id == rule_id);
            let mut fp = serde_json::Map::new();
            fp.insert(FINGERPRINT_KEY.into(), fingerprint.into());
            let mut props = serde_json::Map::new();
            props.insert("confidence".into(), confidence(f.confidence));
            SarifResult {
                rule_id,
                rule_index,
                level: level(f.severity),
                message: Message {
                    text: f.message.clone(),
                },
                locations: f
                    .location
                    .iter()
                    .map(|l| SarifLocation {
                        physical_location: PhysicalLocation {
                            artifact_location: artifact(&l.path),
                            region: Region {
                                start_line: l.start_line.max(1),
                                end_line: l.end_line.filter(|&e| e >= l.start_line.max(1)),
                                start_column: l.start_column.filter(|&c| c >= 1),
                                end_column: l.end_column.filter(|&c| c >= 1),
                            },
                        },
                    })
                    .collect(),
                partial_fingerprints: fp,
                suppressions: Vec::new(),
                properties: props,
            }
        })
        .collect();
    Run {
        tool: Tool {
            driver: Driver {
                name: tool.name.clone(),
                semantic_version: tool.version.clone().filter(|v| v.split('.').count() == 3),
                version: tool.version.clone(),
                information_uri: tool.information_uri.clone(),
                rules,
            },
        },
        results,
        column_kind: "unicodeCodePoints",
    }
}

/// A log of runs.
pub fn log_of(runs: Vec<Run>) -> Log {
    Log {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs,
    }
}

/// ci-intel's own log for `findings`; `rules` are every rule that may appear (results refer
/// to them by index as `tool/rule-id`).
pub fn log(version: &str, rules: &[Rule], findings: &[Finding]) -> Log {
    let descriptors = rules
        .iter()
        .map(|r| {
            ReportingDescriptor::new(r.qualified_id(), r.summary, r.help)
                .with_name(r.id)
                .with_level(r.severity)
        })
        .collect();
    let tool = ToolInfo {
        name: "ci-intel".into(),
        version: Some(version.to_owned()),
        information_uri: Some(INFORMATION_URI.into()),
    };
    log_of(vec![run(&tool, descriptors, findings, |f| {
        format!("{}/{}", f.tool, f.rule_id)
    })])
}

/// The log as pretty JSON.
pub fn to_json(log: &Log) -> String {
    serde_json::to_string_pretty(log).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;

    const RULES: &[Rule] = &[Rule {
        tool: "coverage",
        id: "uncovered-line",
        severity: Severity::Warning,
        summary: "s",
        help: "h",
    }];

    #[test]
    fn results_refer_to_rules_and_carry_fingerprints() {
        let mut loc = Location::line("src/a b.py", 4);
        loc.end_line = Some(6);
        let f = Finding::new(
            "coverage",
            "uncovered-line",
            Severity::Error,
            "m",
            Some(loc),
            "x",
        );
        let v = serde_json::to_value(log("1.2.3", RULES, std::slice::from_ref(&f))).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["id"],
            "coverage/uncovered-line"
        );
        assert_eq!(run["tool"]["driver"]["rules"][0]["name"], "UncoveredLine");
        let r = &run["results"][0];
        assert_eq!(r["ruleId"], "coverage/uncovered-line");
        assert_eq!(r["ruleIndex"], 0);
        assert_eq!(r["level"], "error");
        let pl = &r["locations"][0]["physicalLocation"];
        assert_eq!(pl["artifactLocation"]["uri"], "src/a%20b.py");
        assert_eq!(pl["region"]["startLine"], 4);
        assert_eq!(pl["region"]["endLine"], 6);
        assert_eq!(r["partialFingerprints"][FINGERPRINT_KEY], f.fingerprint);
    }

    #[test]
    fn findings_without_location_or_rule_are_still_valid_results() {
        let f = Finding::new("x", "unknown", Severity::Note, "m", None, "s");
        let v = serde_json::to_value(log("1", RULES, &[f])).unwrap();
        let r = &v["runs"][0]["results"][0];
        assert!(r.get("locations").is_none());
        assert!(r.get("ruleIndex").is_none());
        assert_eq!(r["level"], "note");
    }
}
