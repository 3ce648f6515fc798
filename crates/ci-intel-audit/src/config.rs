//! The audit's settings (the `audit:` section of the configuration, as the binary passes it).

/// Settings of the workflow audit.
#[derive(Debug, Clone, Default)]
pub struct AuditConfig {
    /// Owners (`actions`) or repositories (`docker/login-action`) whose actions may be used by
    /// tag or branch instead of a commit SHA.
    pub trusted_owners: Vec<String>,
    /// Workflow paths (globs) allowed to use `pull_request_target` and `workflow_run`.
    pub allowed_dangerous_triggers: Vec<String>,
    /// Audit ids not to run.
    pub disabled: Vec<String>,
}

impl AuditConfig {
    /// Whether `owner/repo[/path]` is trusted to be used without a SHA pin.
    pub fn trusts(&self, action: &str) -> bool {
        let lower = action.to_ascii_lowercase();
        let owner = lower.split('/').next().unwrap_or_default();
        let repo: String = lower.split('/').take(2).collect::<Vec<_>>().join("/");
        self.trusted_owners.iter().any(|t| {
            let t = t.to_ascii_lowercase();
            let t = t.trim_end_matches("/*");
            t == owner || t == repo || t == lower
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_by_owner_or_repository() {
        let c = AuditConfig {
            trusted_owners: vec![
                "actions".into(),
                "docker/login-action".into(),
                "org/*".into(),
            ],
            ..AuditConfig::default()
        };
        assert!(c.trusts("actions/checkout"));
        assert!(c.trusts("Actions/Cache/restore"));
        assert!(c.trusts("docker/login-action"));
        assert!(!c.trusts("docker/build-push-action"));
        assert!(c.trusts("org/anything"));
        assert!(!c.trusts("evil/actions"));
    }
}
