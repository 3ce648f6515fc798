//! The audits. One file each: a unit struct declared with [`audit!`] (whose doc comment is the
//! rule's documentation), and an [`Audit`] impl overriding only the level it looks at. The
//! [`REGISTRY`] list is the only place an audit is registered.

use ci_intel_core::finding::{Confidence, Finding, Location, Rule, Severity};

use crate::config::AuditConfig;
use crate::model::{Action, Job, Step, Workflow};

/// Declares an audit: a unit struct whose doc comment becomes its rule's help text.
macro_rules! audit {
    ($(#[doc = $doc:literal])* $name:ident, $id:literal, $severity:ident, $summary:literal) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl $name {
            pub const RULE: ci_intel_core::finding::Rule = ci_intel_core::finding::Rule {
                tool: "audit",
                id: $id,
                severity: ci_intel_core::finding::Severity::$severity,
                summary: $summary,
                help: concat!($($doc, "\n"),*),
            };
        }

        impl $crate::audits::HasRule for $name {
            fn rule(&self) -> &'static ci_intel_core::finding::Rule {
                &Self::RULE
            }
        }
    };
}

mod artipacked;
mod bot_conditions;
mod cache_poisoning;
mod dangerous_triggers;
mod excessive_permissions;
mod github_env;
mod hardcoded_credentials;
mod insecure_commands;
mod missing_concurrency;
mod overprovisioned_secrets;
mod secrets_inherit;
mod self_hosted_runner;
mod template_injection;
mod unpinned_images;
mod unpinned_uses;
mod unredacted_secrets;
mod use_trusted_publishing;

/// Where a step is: in a workflow's job, or in a composite action.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'s, 'a> {
    Workflow(&'s Workflow<'a>, &'s Job<'a>),
    Action(&'s Action<'a>),
}

/// What an audit sees and where its findings go.
#[derive(Debug)]
pub struct Ctx<'c> {
    pub config: &'c AuditConfig,
    pub out: Vec<Finding>,
}

impl Ctx<'_> {
    /// Records a finding of `rule`. `snippet` identifies it independently of line numbers (for
    /// the fingerprint): the YAML route and the offending text.
    pub fn report(
        &mut self,
        rule: &Rule,
        severity: Severity,
        confidence: Confidence,
        location: Location,
        message: impl Into<String>,
        snippet: &str,
    ) {
        if self.config.disabled.iter().any(|d| d == rule.id) {
            return;
        }
        let f = Finding::new(
            rule.tool,
            rule.id,
            severity,
            message,
            Some(location),
            snippet,
        )
        .with_confidence(confidence)
        .with_help_uri(format!("https://ci-intel.dev/rules/audit/{}", rule.id));
        self.out.push(f);
    }
}

/// The rule an audit reports under; implemented by [`audit!`], never by hand.
pub trait HasRule {
    fn rule(&self) -> &'static Rule;
}

/// One audit. Every hook has an empty default: an audit overrides the level it needs.
pub trait Audit: HasRule + Send + Sync {
    fn workflow(&self, _wf: &Workflow<'_>, _cx: &mut Ctx<'_>) {}
    fn job(&self, _wf: &Workflow<'_>, _job: &Job<'_>, _cx: &mut Ctx<'_>) {}
    /// Every step, of workflows and of composite actions.
    fn step(&self, _scope: Scope<'_, '_>, _step: &Step<'_>, _cx: &mut Ctx<'_>) {}
    fn action(&self, _action: &Action<'_>, _cx: &mut Ctx<'_>) {}
}

macro_rules! registry {
    ($($module:ident :: $name:ident),* $(,)?) => {
        /// Every audit, in the order they run (and are documented).
        pub static REGISTRY: &[&dyn Audit] = &[$(&$module::$name),*];
        /// Every audit's rule, for SARIF and the generated docs.
        pub const RULES: &[Rule] = &[$($module::$name::RULE),*];
    };
}

registry![
    unpinned_uses::UnpinnedUses,
    unpinned_images::UnpinnedImages,
    dangerous_triggers::DangerousTriggers,
    excessive_permissions::ExcessivePermissions,
    template_injection::TemplateInjection,
    artipacked::Artipacked,
    secrets_inherit::SecretsInherit,
    hardcoded_credentials::HardcodedCredentials,
    self_hosted_runner::SelfHostedRunner,
    insecure_commands::InsecureCommands,
    github_env::GithubEnv,
    cache_poisoning::CachePoisoning,
    missing_concurrency::MissingConcurrency,
    overprovisioned_secrets::OverprovisionedSecrets,
    unredacted_secrets::UnredactedSecrets,
    bot_conditions::BotConditions,
    use_trusted_publishing::UseTrustedPublishing,
];

/// The route of a node for fingerprints: `jobs.build.steps[2]`.
pub fn step_route(scope: Scope<'_, '_>, step: &Step<'_>) -> String {
    match scope {
        Scope::Workflow(_, job) => format!("jobs.{}.steps[{}]", job.id, step.index),
        Scope::Action(_) => format!("runs.steps[{}]", step.index),
    }
}
