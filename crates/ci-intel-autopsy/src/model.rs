//! What the autopsy finds: root causes with their evidence, the jobs and steps the logs show,
//! and the signatures of failures no rule knows.

use serde::{Deserialize, Serialize};

/// What kind of failure a root cause is, grouped by [`Category::stage`] for ranking: a problem
/// of the machine or the network comes before the build errors it causes, a build error before
/// the tests it keeps from running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Infrastructure,
    DiskFull,
    OutOfMemory,
    Container,
    MissingTool,
    Permission,
    Network,
    RegistryAuth,
    RateLimit,
    Configuration,
    DependencyResolution,
    CompileError,
    LintOrFormat,
    TestFailure,
    Timeout,
    /// No rule matched: a signature the template miner found.
    Unknown,
}

impl Category {
    pub const ALL: [Category; 16] = [
        Category::Infrastructure,
        Category::DiskFull,
        Category::OutOfMemory,
        Category::Container,
        Category::MissingTool,
        Category::Permission,
        Category::Network,
        Category::RegistryAuth,
        Category::RateLimit,
        Category::Configuration,
        Category::DependencyResolution,
        Category::CompileError,
        Category::LintOrFormat,
        Category::TestFailure,
        Category::Timeout,
        Category::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Infrastructure => "infrastructure",
            Category::DiskFull => "disk-full",
            Category::OutOfMemory => "out-of-memory",
            Category::Container => "container",
            Category::MissingTool => "missing-tool",
            Category::Permission => "permission",
            Category::Network => "network",
            Category::RegistryAuth => "registry-auth",
            Category::RateLimit => "rate-limit",
            Category::Configuration => "configuration",
            Category::DependencyResolution => "dependency-resolution",
            Category::CompileError => "compile-error",
            Category::LintOrFormat => "lint-or-format",
            Category::TestFailure => "test-failure",
            Category::Timeout => "timeout",
            Category::Unknown => "unknown",
        }
    }

    /// Where in a pipeline the failure strikes: 0 the machine and what it reaches (it breaks
    /// everything after it), 1 the build (configuration, dependencies, compiling, linting), 2
    /// the tests. Ranking puts an earlier stage first; within a stage, the more confident.
    pub fn stage(self) -> u8 {
        match self {
            Category::Infrastructure
            | Category::DiskFull
            | Category::OutOfMemory
            | Category::Container
            | Category::MissingTool
            | Category::Permission
            | Category::Network
            | Category::RegistryAuth
            | Category::RateLimit => 0,
            Category::Configuration
            | Category::DependencyResolution
            | Category::CompileError
            | Category::LintOrFormat => 1,
            Category::TestFailure | Category::Timeout | Category::Unknown => 2,
        }
    }

    /// What to look at first for a failure of this kind, when no rule says more.
    pub fn advice(self) -> &'static str {
        match self {
            Category::Infrastructure => {
                "Check the runner and the CI service's status; re-run the job."
            }
            Category::DiskFull => {
                "Free space on the runner (caches, images, build outputs) or use a larger disk."
            }
            Category::OutOfMemory => {
                "Lower the parallelism or the heap, or use a runner with more memory."
            }
            Category::Container => {
                "Check that the container runtime is running and the image and its options are right."
            }
            Category::MissingTool => {
                "Install the tool in the job (or use an image that has it) and check PATH."
            }
            Category::Permission => {
                "Check the file modes, the user the job runs as and the token's permissions."
            }
            Category::Network => {
                "Check the host name, proxy and DNS; retry if the service was briefly unreachable."
            }
            Category::RegistryAuth => {
                "Check the registry credentials the job uses and that they have not expired."
            }
            Category::RateLimit => {
                "Authenticate the requests or slow them down; retry after the limit resets."
            }
            Category::Configuration => {
                "Check the configuration file the tool read and the options it was given."
            }
            Category::DependencyResolution => {
                "Check the dependency's name and version constraints, the lockfile and the registry."
            }
            Category::CompileError => "Fix the source at the reported location and build locally.",
            Category::LintOrFormat => "Run the linter or formatter locally and commit its fixes.",
            Category::TestFailure => "Run the failing test locally and read its assertion.",
            Category::Timeout => {
                "Find what hung (a test, a network call) or raise the limit if the work grew."
            }
            Category::Unknown => "Read the excerpt.",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where in the logs a root cause was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLocation {
    /// The log file (or zip entry) as the user named it.
    pub log: String,
    /// 1-based line in that log.
    pub line: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}

/// One explained failure, in rank order within a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootCause {
    pub category: Category,
    /// The rule that recognised it (`rust/compile-error`), or `autopsy/unknown` for a signature
    /// the template miner found.
    pub rule_id: String,
    /// The tool that printed it (`rustc`, `pytest`, `npm`, …).
    pub tool: String,
    pub message: String,
    /// The source file and line the log names, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The test, when the failure is a test's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
    /// What to do about it.
    pub suggestion: String,
    /// A command that reproduces it locally, where the tool allows one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repro: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_uri: Option<String>,
    /// 0–1: the rule's confidence, lowered for failures outside the failing step.
    pub confidence: f64,
    /// The lines around the first occurrence, secrets masked.
    pub excerpt: Vec<String>,
    /// The first occurrence.
    pub location: LogLocation,
    /// How many times the same failure was seen (duplicates are merged into the first).
    pub occurrences: u64,
    /// Stable across runs for the same failure: the hub counts failures by it.
    pub signature: String,
}

/// A step of a job, as the log frames it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    /// The first log line of the step.
    pub line: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// Teardown after the job's work (`Post job cleanup.`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cleanup: bool,
}

impl Step {
    pub fn failed(&self) -> bool {
        self.exit_code.is_some_and(|c| c != 0)
    }
}

/// One log read: a job's log, or a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSummary {
    pub log: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    pub lines: u64,
    pub bytes: u64,
    pub steps: Vec<Step>,
    /// The job's or last step's exit status, where the log states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
}

impl LogSummary {
    /// The log states a failure: a non-zero exit status, or a step that failed.
    pub fn shows_failure(&self) -> bool {
        self.exit_code.is_some_and(|c| c != 0) || self.steps.iter().any(Step::failed)
    }
}

/// A group of error-looking lines no rule matched: a candidate for a new rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// The lines' template, variable parts as `<*>`.
    pub template: String,
    pub count: u64,
    /// The first line it covers.
    pub first: LogLocation,
    /// A real line it covers, secrets masked.
    pub example: String,
}
