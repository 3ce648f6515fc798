//! The hub's settings file (`--config hub.toml`): DORA band thresholds, retention, and when a
//! flaky test is quarantined. Every key is optional; unknown keys are errors (a typo must not
//! silently keep a default).

use std::path::Path;

use ci_intel_core::InputError;

use ci_intel_store::Retention;
use serde::Deserialize;

use crate::analytics::dora::Bands;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HubConfig {
    pub dora: Bands,
    pub retention: Retention,
    pub flaky: FlakyConfig,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlakyConfig {
    /// Flaky runs in 30 days after which a test is on the quarantine list.
    pub quarantine_after: usize,
}

impl Default for FlakyConfig {
    fn default() -> Self {
        FlakyConfig {
            quarantine_after: 2,
        }
    }
}

impl HubConfig {
    /// Reads a settings file; the error names the file, line and column.
    pub fn load(path: &Path) -> Result<Self, InputError> {
        let text = std::fs::read_to_string(path).map_err(|e| InputError::io(path, &e))?;
        Self::parse_at(path, &text)
    }

    /// Parses settings; `path` names them in errors.
    pub fn parse_at(path: &Path, text: &str) -> Result<Self, InputError> {
        toml::from_str(text).map_err(|e| {
            InputError::at_offset(
                path,
                text.as_bytes(),
                e.span().map(|s| s.start),
                format!("expected hub settings: {}", e.message()),
            )
        })
    }

    /// Parses settings that came from no file.
    pub fn parse(text: &str) -> Result<Self, InputError> {
        Self::parse_at(Path::new("hub.toml"), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(
        clippy::float_cmp,
        reason = "the parsed values are the literals written"
    )]
    fn settings_parse_and_typos_are_errors() {
        let c = HubConfig::parse(
            "[dora]\nchange_failure_rate = [0.1, 0.2, 0.3]\n[retention]\nrecords_days = 90\n",
        )
        .unwrap();
        assert_eq!(c.dora.change_failure_rate, [0.1, 0.2, 0.3]);
        assert_eq!(c.dora.lead_time_hours, Bands::default().lead_time_hours);
        assert_eq!(c.retention.records_days, 90);
        assert_eq!(c.retention.raw_days, 30);
        let e = HubConfig::parse("[retention]\nrecord_days = 90\n").unwrap_err();
        assert_eq!(e.position, Some(ci_intel_core::Position::at(2, 1)), "{e}");
        assert!(e.to_string().contains("record_days"), "{e}");
        assert!(HubConfig::parse("[[[").is_err());
    }

    /// `docs/hub.md` shows the defaults; they must be the defaults.
    #[test]
    fn the_documented_defaults_are_the_defaults() {
        let doc = include_str!("../../../docs/hub.md");
        let block = doc
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap();
        assert_eq!(HubConfig::parse(block).unwrap(), HubConfig::default());
    }
}
