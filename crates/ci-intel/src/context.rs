//! What every command needs: the repository root, the CI context, the layered configuration,
//! and writing output the way the conventions say (atomically, plus the GitHub job summary and
//! annotations inside GitHub Actions).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use ci_intel_core::ci_env::CiContext;
use ci_intel_core::config::{self, Effective, Layer, LayerKind};
use ci_intel_core::finding::Finding;
use ci_intel_core::suppression::Baseline;
use ci_intel_core::{fsutil, git};

use crate::cli::CommonArgs;

/// The repository and CI environment a command runs in.
pub struct Workspace {
    pub root: PathBuf,
    pub ci: CiContext,
}

impl Workspace {
    /// The root is `--root` as given, else the top level of the git work tree around the
    /// current directory (git and coverage paths are relative to it), else the current
    /// directory.
    pub fn discover(root: Option<&Path>) -> Result<Self> {
        let root = if let Some(r) = root {
            if !r.is_dir() {
                anyhow::bail!("{}: expected a directory (--root)", r.display());
            }
            r.canonicalize()
                .with_context(|| format!("cannot resolve {}", r.display()))?
        } else {
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            git::toplevel(&cwd).unwrap_or(cwd)
        };
        Ok(Self {
            root,
            ci: CiContext::from_process_env(),
        })
    }
}

/// The workspace `--root` names (or the one around the current directory) and its effective
/// configuration from the files `common` names: how every analysis command starts.
pub fn open(common: &CommonArgs) -> Result<(Workspace, Effective)> {
    let ws = Workspace::discover(common.root.as_deref())?;
    let eff = load_config(
        &ws.root,
        common.config.as_deref(),
        common.org_config.as_deref(),
        serde_json::json!({}),
    )?;
    Ok((ws, eff))
}

/// Loads the layered configuration; refused loosenings are printed as warnings.
pub fn load_config(
    root: &Path,
    config_file: Option<&Path>,
    org_file: Option<&Path>,
    flags: serde_json::Value,
) -> Result<Effective> {
    let mut layers = Vec::new();
    if let Some(org) = org_file {
        layers.push(Layer::from_file(LayerKind::Org, org)?);
    }
    let repo_file = match config_file {
        Some(f) => Some(f.to_owned()),
        None => config::find_repo_config(root),
    };
    if let Some(f) = repo_file {
        layers.push(Layer::from_file(LayerKind::Repo, &f)?);
    }
    if flags.as_object().is_some_and(|o| !o.is_empty()) {
        layers.push(Layer::flags(flags));
    }
    let mut eff = Effective::resolve(&layers)?;
    // Findings point at the config file the way annotations need: relative to the root.
    for s in &mut eff.suppressions {
        if let Some(loc) = s.source.as_mut()
            && let Ok(rel) = Path::new(&loc.path).strip_prefix(root)
        {
            loc.path = rel.to_string_lossy().into_owned();
        }
    }
    for w in &eff.warnings {
        eprintln!("warning: {w}");
    }
    Ok(eff)
}

/// Loads the baseline named by a flag or the config (relative to the root).
pub fn load_baseline(
    root: &Path,
    flag: Option<&Path>,
    config: Option<&str>,
) -> Result<Option<Baseline>> {
    let path = match (flag, config) {
        (Some(p), _) => p.to_owned(),
        (None, Some(c)) => root.join(c),
        (None, None) => return Ok(None),
    };
    Ok(Some(Baseline::load(&path)?))
}

/// Whether stdout wants colour.
pub fn color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Writes `text` to `--output` (atomically) or standard output.
pub fn write_output(output: Option<&Path>, text: &str) -> Result<()> {
    if let Some(p) = output {
        fsutil::write_atomic(p, text.as_bytes())
            .with_context(|| format!("cannot write {}", p.display()))
    } else {
        let mut out = std::io::stdout().lock();
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => Ok(()),
            // `ci-intel … | head` is not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(e).context("cannot write to standard output"),
        }
    }
}

/// Where a report goes, as every command delivers it: `text` to `--output` (or standard output);
/// when that is a file in a machine format, `summary` (the human text) to standard error so the
/// log still says what happened; and inside GitHub Actions the Markdown job summary and the
/// findings' annotations.
pub struct Delivery<'a> {
    pub text: &'a str,
    pub markdown: &'a str,
    pub findings: &'a [Finding],
}

impl Delivery<'_> {
    /// Delivers; `eff` bounds the annotations (`output.max_annotations`).
    pub fn send(
        self,
        ws: &Workspace,
        eff: &Effective,
        common: &CommonArgs,
        summary: impl FnOnce() -> String,
    ) -> Result<()> {
        write_output(common.out.output.as_deref(), self.text)?;
        if common.out.output.is_some() && common.out.format != crate::cli::Format::Human {
            eprint!("{}", summary());
        }
        github_outputs(
            ws,
            common,
            self.markdown,
            self.findings,
            eff.config.output.max_annotations,
        )
    }
}

/// Inside GitHub Actions: appends the Markdown summary to `$GITHUB_STEP_SUMMARY` and prints
/// annotations for the findings.
pub fn github_outputs(
    ws: &Workspace,
    common: &CommonArgs,
    markdown: &str,
    findings: &[Finding],
    max_annotations: usize,
) -> Result<()> {
    if common.no_github || !ws.ci.is_github_actions() {
        return Ok(());
    }
    if let Some(summary) = &ws.ci.step_summary {
        fsutil::append(summary, &format!("{markdown}\n")).with_context(|| {
            format!(
                "cannot append to $GITHUB_STEP_SUMMARY ({})",
                summary.display()
            )
        })?;
    }
    let annotations = ci_intel_render::annotations::github(findings, max_annotations);
    // Annotations are workflow commands: they must go to standard output.
    write_output(None, &annotations)
}

/// Writes a baseline of `findings` to `path`.
pub fn write_baseline(path: &Path, findings: &[Finding]) -> Result<()> {
    let b = Baseline::from_findings(findings);
    let text = serde_json::to_string_pretty(&b)? + "\n";
    fsutil::write_atomic(path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "wrote a baseline of {} finding(s) to {}",
        b.fingerprints.len(),
        path.display()
    );
    Ok(())
}

/// The text of `path` (or of standard input for `-`), which must be UTF-8.
pub fn read_input_text(path: &Path) -> Result<String, ci_intel_core::InputError> {
    String::from_utf8(read_input_bytes(path)?)
        .map_err(|_| ci_intel_core::InputError::new(path, "expected UTF-8 text"))
}

/// The bytes of `path`, or of standard input for `-`.
pub fn read_input_bytes(path: &Path) -> Result<Vec<u8>, ci_intel_core::InputError> {
    use std::io::Read as _;
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| ci_intel_core::InputError::io(path, &e))?;
        Ok(bytes)
    } else {
        std::fs::read(path).map_err(|e| ci_intel_core::InputError::io(path, &e))
    }
}

/// The HTTP client of the agent's outgoing calls (the hub, GitHub): statuses are answers to
/// read, not errors, and nothing waits longer than `timeout`.
pub fn http_agent(timeout: std::time::Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .user_agent(concat!("ci-intel/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}
