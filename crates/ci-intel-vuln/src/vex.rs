//! VEX: statements that a product is not affected by (or has fixed) a vulnerability, read from
//! OpenVEX (v0.0.1 and v0.2.0) and CycloneDX VEX documents.
//!
//! OpenVEX has no expiry, so ci-intel gives statements one: a statement stops suppressing
//! `max_age_days` after its own timestamp (or the document's), or at an explicit `expires`
//! time (an extension field on the statement or the document, RFC 3339), whichever comes
//! first. An expired statement is reported, so it gets reviewed rather than silently trusted.

use serde_json::{Value, json};

use crate::scan::Match;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotAffected,
    Fixed,
    Affected,
    UnderInvestigation,
}

impl Status {
    fn suppresses(self) -> bool {
        matches!(self, Self::NotAffected | Self::Fixed)
    }
}

/// One statement about one vulnerability and some products.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Statement {
    /// The vulnerability's id and aliases as the statement names them.
    pub vulnerability: Vec<String>,
    /// Product purls (a purl without `@version` means every version).
    pub products: Vec<String>,
    pub status: Status,
    pub justification: Option<String>,
    /// Unix seconds the statement was made.
    pub issued: Option<i64>,
    pub expires: Option<i64>,
    /// The file it came from.
    pub source: String,
}

fn time(v: Option<&Value>) -> Result<Option<i64>, String> {
    match v.and_then(Value::as_str) {
        None => Ok(None),
        Some(s) => time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map(|t| Some(t.unix_timestamp()))
            .map_err(|_| format!("`{s}` is not an RFC 3339 time")),
    }
}

fn id_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Object(o) => o
            .get("name")
            .or_else(|| o.get("@id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .into_iter()
            .chain(
                o.get("aliases")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned),
            )
            .collect(),
        _ => Vec::new(),
    }
}

/// Parses an OpenVEX or CycloneDX VEX document.
pub fn parse(text: &str, source: &str) -> Result<Vec<Statement>, String> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| format!("line {}: expected VEX JSON: {e}", e.line()))?;
    if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        return parse_cyclonedx(&doc, source);
    }
    let statements = doc
        .get("statements")
        .and_then(Value::as_array)
        .ok_or("expected an OpenVEX document (`statements`) or CycloneDX VEX (`bomFormat`)")?;
    let doc_time = time(doc.get("timestamp"))?;
    let doc_expires = time(doc.get("expires"))?;
    let mut out = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        let at = |m: String| format!("statements[{i}]: {m}");
        let status = match s.get("status").and_then(Value::as_str) {
            Some("not_affected") => Status::NotAffected,
            Some("fixed") => Status::Fixed,
            Some("affected") => Status::Affected,
            Some("under_investigation") => Status::UnderInvestigation,
            other => return Err(at(format!("unknown status {other:?}"))),
        };
        let justification = s
            .get("justification")
            .or_else(|| s.get("impact_statement"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        if status == Status::NotAffected && justification.is_none() {
            return Err(at(
                "`not_affected` needs a `justification` or an `impact_statement` (OpenVEX)".into(),
            ));
        }
        let vulnerability = id_list(s.get("vulnerability").unwrap_or(&Value::Null));
        if vulnerability.is_empty() {
            return Err(at("no vulnerability named".into()));
        }
        let products: Vec<String> = s
            .get("products")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(id_list)
            .collect();
        out.push(Statement {
            vulnerability,
            products,
            status,
            justification,
            issued: time(s.get("timestamp")).map_err(at)?.or(doc_time),
            expires: time(s.get("expires")).map_err(at)?.or(doc_expires),
            source: source.to_owned(),
        });
    }
    Ok(out)
}

fn parse_cyclonedx(doc: &Value, source: &str) -> Result<Vec<Statement>, String> {
    let doc_time = time(doc.pointer("/metadata/timestamp"))?;
    let mut out = Vec::new();
    for (i, v) in doc
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = |m: String| format!("vulnerabilities[{i}]: {m}");
        let Some(analysis) = v.get("analysis") else {
            continue;
        };
        let status = match analysis.get("state").and_then(Value::as_str) {
            Some("not_affected" | "false_positive") => Status::NotAffected,
            Some("resolved" | "resolved_with_pedigree") => Status::Fixed,
            Some("exploitable") => Status::Affected,
            Some("in_triage") | None => Status::UnderInvestigation,
            Some(other) => return Err(at(format!("unknown analysis state `{other}`"))),
        };
        let mut vulnerability: Vec<String> = v
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .into_iter()
            .collect();
        vulnerability.extend(
            v.get("references")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| r.get("id")?.as_str().map(str::to_owned)),
        );
        out.push(Statement {
            vulnerability,
            products: v
                .get("affects")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|a| a.get("ref")?.as_str().map(str::to_owned))
                .collect(),
            status,
            justification: analysis
                .get("justification")
                .or_else(|| analysis.get("detail"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            issued: time(analysis.get("lastUpdated"))
                .map_err(at)?
                .or(time(analysis.get("firstIssued")).map_err(at)?)
                .or(doc_time),
            expires: None,
            source: source.to_owned(),
        });
    }
    Ok(out)
}

/// A purl without qualifiers or subpath.
fn bare(purl: &str) -> &str {
    purl.split(['?', '#']).next().unwrap_or(purl)
}

fn product_matches(product: &str, purl: &str) -> bool {
    let (p, c) = (bare(product), bare(purl));
    p == c || (!p.contains('@') && c.split('@').next() == Some(p))
}

/// What the statements say about a match.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict<'a> {
    Suppressed(&'a Statement),
    /// A statement would suppress it but has expired (Unix time it expired at).
    Expired(&'a Statement, i64),
    None,
}

/// The latest applicable statement decides (VEX statements supersede older ones).
pub fn judge<'a>(
    m: &Match,
    statements: &'a [Statement],
    now: i64,
    max_age_days: i64,
) -> Verdict<'a> {
    let ids: Vec<&str> = std::iter::once(m.id.as_str())
        .chain(m.aliases.iter().map(String::as_str))
        .collect();
    let latest = statements
        .iter()
        .filter(|s| s.vulnerability.iter().any(|v| ids.contains(&v.as_str())))
        .filter(|s| s.products.iter().any(|p| product_matches(p, &m.purl)))
        .max_by_key(|s| s.issued.unwrap_or(i64::MIN));
    let Some(s) = latest else {
        return Verdict::None;
    };
    if !s.status.suppresses() {
        return Verdict::None;
    }
    let by_age = s.issued.map(|t| t + max_age_days * 86_400);
    let expiry = match (by_age, s.expires) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    match expiry {
        Some(e) if now > e => Verdict::Expired(s, e),
        // A statement with no time at all cannot age: it never suppresses.
        None => Verdict::Expired(s, 0),
        _ => Verdict::Suppressed(s),
    }
}

/// An OpenVEX v0.2.0 document with one statement (what `ci-intel vex create` writes).
pub fn create(
    vulnerability: &str,
    products: &[String],
    status: &str,
    justification: Option<&str>,
    author: &str,
    now_rfc3339: &str,
    expires: Option<&str>,
) -> Value {
    let mut st = json!({
        "vulnerability": {"name": vulnerability},
        "products": products.iter().map(|p| json!({"@id": p})).collect::<Vec<_>>(),
        "status": status,
        "timestamp": now_rfc3339,
    });
    if let Some(j) = justification {
        st["justification"] = json!(j);
    }
    if let Some(e) = expires {
        st["expires"] = json!(e);
    }
    let id = format!("https://openvex.dev/docs/ci-intel/{}", uuid::Uuid::new_v4());
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": id,
        "author": author,
        "timestamp": now_rfc3339,
        "version": 1,
        "statements": [st],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str, aliases: &[&str], purl: &str) -> Match {
        Match {
            id: id.into(),
            aliases: aliases.iter().map(|s| (*s).into()).collect(),
            summary: String::new(),
            purl: purl.into(),
            name: String::new(),
            version: String::new(),
            ecosystem: "npm",
            cvss: None,
            epss_percentile: None,
            kev: false,
            risk: 0.9,
            informational: None,
            fixed: Vec::new(),
            url: None,
        }
    }

    const DAY: i64 = 86_400;

    #[test]
    fn openvex_not_affected_suppresses_until_it_expires() {
        let doc = r#"{"@context": "https://openvex.dev/ns/v0.2.0", "timestamp": "2026-01-01T00:00:00Z", "statements": [
            {"vulnerability": {"name": "CVE-2024-1"}, "products": [{"@id": "pkg:npm/lodash@4.17.20"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
            {"vulnerability": "GHSA-xxxx", "products": ["pkg:npm/minimist"], "status": "fixed", "timestamp": "2026-02-01T00:00:00Z", "expires": "2026-02-10T00:00:00Z"}]}"#;
        let s = parse(doc, "vex.json").unwrap();
        let jan1 = 1_767_225_600;
        let hit = m("GHSA-aaaa", &["CVE-2024-1"], "pkg:npm/lodash@4.17.20");
        assert!(matches!(
            judge(&hit, &s, jan1 + 10 * DAY, 90),
            Verdict::Suppressed(_)
        ));
        assert!(matches!(
            judge(&hit, &s, jan1 + 91 * DAY, 90),
            Verdict::Expired(_, _)
        ));
        assert_eq!(
            judge(
                &m("GHSA-aaaa", &["CVE-2024-1"], "pkg:npm/lodash@4.17.21"),
                &s,
                jan1,
                90
            ),
            Verdict::None,
            "another version"
        );
        // A version-less product covers every version; the explicit expiry wins when earlier.
        let mini = m("GHSA-xxxx", &[], "pkg:npm/minimist@1.2.0");
        assert!(matches!(
            judge(&mini, &s, jan1 + 35 * DAY, 90),
            Verdict::Suppressed(_)
        ));
        assert!(matches!(
            judge(&mini, &s, jan1 + 41 * DAY, 90),
            Verdict::Expired(_, _)
        ));
    }

    #[test]
    fn latest_statement_wins_and_affected_does_not_suppress() {
        let doc = r#"{"statements": [
            {"vulnerability": "CVE-1", "products": ["pkg:cargo/a@1.0.0"], "status": "not_affected", "justification": "x", "timestamp": "2026-01-01T00:00:00Z"},
            {"vulnerability": "CVE-1", "products": ["pkg:cargo/a@1.0.0"], "status": "affected", "timestamp": "2026-01-05T00:00:00Z"}]}"#;
        let s = parse(doc, "v").unwrap();
        assert_eq!(
            judge(
                &m("RUSTSEC-1", &["CVE-1"], "pkg:cargo/a@1.0.0"),
                &s,
                1_767_225_600 + 10 * DAY,
                90
            ),
            Verdict::None
        );
    }

    #[test]
    fn cyclonedx_vex_and_bad_documents() {
        let doc = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "vulnerabilities": [
            {"id": "CVE-9", "analysis": {"state": "not_affected", "justification": "code_not_reachable", "lastUpdated": "2026-01-01T00:00:00Z"}, "affects": [{"ref": "pkg:pypi/x@1.0"}]}]}"#;
        let s = parse(doc, "c").unwrap();
        assert_eq!(s[0].status, Status::NotAffected);
        assert!(matches!(
            judge(
                &m("PYSEC-1", &["CVE-9"], "pkg:pypi/x@1.0"),
                &s,
                1_767_225_600,
                90
            ),
            Verdict::Suppressed(_)
        ));
        assert!(parse("{}", "x").is_err());
        assert!(parse(r#"{"statements": [{"vulnerability": "CVE-1", "products": [], "status": "not_affected"}]}"#, "x").unwrap_err().contains("justification"));
        assert!(
            parse(
                r#"{"statements": [{"vulnerability": "CVE-1", "status": "maybe"}]}"#,
                "x"
            )
            .is_err()
        );
        assert!(parse("{", "x").unwrap_err().starts_with("line 1"));
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(s in "\\PC{0,200}") {
            let _ = parse(&s, "x");
        }
    }
}
