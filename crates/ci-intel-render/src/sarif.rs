//! SARIF 2.1.0 logs, written once for every analyzer's findings.
//!
//! The log is the subset of SARIF that code-scanning services read: one run, the tool with its
//! rules (from the analyzers' registries), and one result per finding with its location, level
//! and a `partialFingerprints` entry so the same finding on a later commit is recognised as the
//! same. We write the types ourselves rather than depend on a generated SARIF crate: the subset
//! is small, and these types are the documented output.

use ci_intel_core::finding::{Finding, Rule, Severity};
use serde::Serialize;

pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const SARIF_VERSION: &str = "2.1.0";
const INFORMATION_URI: &str = "https://github.com/ci-intel/ci-intel";
/// Key of our fingerprint in `partialFingerprints` (versioned: a new algorithm gets a new key).
pub const FINGERPRINT_KEY: &str = "ciIntelFingerprint/v1";

#[derive(Serialize, Debug)]
pub struct Log {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run>,
}

#[derive(Serialize, Debug)]
pub struct Run {
    pub tool: Tool,
    pub results: Vec<SarifResult>,
    #[serde(rename = "columnKind")]
    pub column_kind: &'static str,
}

#[derive(Serialize, Debug)]
pub struct Tool {
    pub driver: Driver,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub name: &'static str,
    pub version: String,
    pub semantic_version: String,
    pub information_uri: &'static str,
    pub rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    pub id: String,
    pub name: String,
    pub short_description: Message,
    pub help: Message,
    pub default_configuration: Configuration,
}

#[derive(Serialize, Debug)]
pub struct Configuration {
    pub level: &'static str,
}

#[derive(Serialize, Debug, Clone)]
pub struct Message {
    pub text: String,
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
    pub properties: serde_json::Map<String, serde_json::Value>,
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
    pub uri_base_id: &'static str,
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

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// `test-failure` → `TestFailure` (SARIF's `name` is a PascalCase identifier).
fn pascal(id: &str) -> String {
    id.split(['-', '_', '/'])
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
fn uri_path(p: &str) -> String {
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

/// Builds the SARIF log for `findings`; `rules` are every rule that may appear (results refer
/// to them by index).
pub fn log(version: &str, rules: &[Rule], findings: &[Finding]) -> Log {
    let descriptors: Vec<ReportingDescriptor> = rules
        .iter()
        .map(|r| ReportingDescriptor {
            id: r.qualified_id(),
            name: pascal(r.id),
            short_description: Message {
                text: r.summary.to_owned(),
            },
            help: Message {
                text: r.help.to_owned(),
            },
            default_configuration: Configuration {
                level: level(r.severity),
            },
        })
        .collect();
    let results = findings
        .iter()
        .map(|f| {
            let rule_id = format!("{}/{}", f.tool, f.rule_id);
            let rule_index = descriptors.iter().position(|d| d.id == rule_id);
            let mut fp = serde_json::Map::new();
            fp.insert(FINGERPRINT_KEY.into(), f.fingerprint.clone().into());
            let mut props = serde_json::Map::new();
            props.insert(
                "confidence".into(),
                serde_json::to_value(f.confidence).unwrap_or_default(),
            );
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
                            artifact_location: ArtifactLocation {
                                uri: uri_path(&l.path),
                                uri_base_id: "%SRCROOT%",
                            },
                            region: Region {
                                start_line: l.start_line.max(1),
                                end_line: l.end_line,
                                start_column: l.start_column,
                                end_column: l.end_column,
                            },
                        },
                    })
                    .collect(),
                partial_fingerprints: fp,
                properties: props,
            }
        })
        .collect();
    Log {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "ci-intel",
                    version: version.to_owned(),
                    semantic_version: version.to_owned(),
                    information_uri: INFORMATION_URI,
                    rules: descriptors,
                },
            },
            results,
            column_kind: "unicodeCodePoints",
        }],
    }
}

/// The log as pretty JSON.
pub fn to_json(log: &Log) -> String {
    serde_json::to_string_pretty(log).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use ci_intel_core::finding::Location;

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
