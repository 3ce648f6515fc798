//! `ci-intel config show|check|schema`.

use anyhow::{Context as _, Result};
use ci_intel_core::config::{self, Effective, Layer, LayerKind, pointer_to_dotted};
use ci_intel_core::{InputErrors, exit, fsutil};
use serde_json::json;

use crate::cli::{ConfigCheckArgs, ConfigCommand, ConfigShowArgs, Format, SchemaArgs};
use crate::context::{self, Workspace};

pub fn run(cmd: ConfigCommand) -> Result<i32> {
    match cmd {
        ConfigCommand::Show(a) => show(&a),
        ConfigCommand::Check(a) => check(&a),
        ConfigCommand::Schema(a) => schema(&a),
    }
}

fn show(args: &ConfigShowArgs) -> Result<i32> {
    let ws = Workspace::discover(args.root.as_deref())?;
    let eff = context::load_config(
        &ws.root,
        args.config.as_deref(),
        args.org_config.as_deref(),
        json!({}),
    )?;
    let text = match args.format {
        Format::Json => {
            let entries: Vec<_> = eff
                .entries()
                .into_iter()
                .map(|(pointer, value, origin)| {
                    json!({
                        "key": pointer_to_dotted(&pointer),
                        "value": value,
                        "layer": origin.layer.as_str(),
                        "file": origin.file.map(|f| f.display().to_string()),
                        "line": origin.position.map(|p| p.line),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&json!({
                "schema": "ci-intel.config-show/v1",
                "config": eff.value,
                "settings": entries,
                "warnings": eff.warnings,
            }))? + "\n"
        }
        _ => table(&eff),
    };
    context::write_output(None, &text)?;
    Ok(exit::PASS)
}

fn table(eff: &Effective) -> String {
    let rows: Vec<(String, String, String)> = eff
        .entries()
        .into_iter()
        .map(|(p, v, o)| (pointer_to_dotted(&p), v.to_string(), o.to_string()))
        .collect();
    let kw = rows.iter().map(|r| r.0.len()).max().unwrap_or(3).max(3);
    let vw = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 60);
    let mut out = format!("{:<kw$}  {:<vw$}  SET BY\n", "KEY", "VALUE");
    for (k, v, o) in rows {
        let v = if v.chars().count() > vw {
            format!("{}…", v.chars().take(vw - 1).collect::<String>())
        } else {
            v
        };
        out.push_str(&format!("{k:<kw$}  {v:<vw$}  {o}\n"));
    }
    out
}

fn check(args: &ConfigCheckArgs) -> Result<i32> {
    let ws = Workspace::discover(args.root.as_deref())?;
    let mut files: Vec<(LayerKind, std::path::PathBuf)> = args
        .files
        .iter()
        .map(|f| (LayerKind::Repo, f.clone()))
        .collect();
    if files.is_empty() {
        if let Some(org) = &args.org_config {
            files.push((LayerKind::Org, org.clone()));
        }
        match config::find_repo_config(&ws.root) {
            Some(f) => files.push((LayerKind::Repo, f)),
            None if files.is_empty() => {
                println!(
                    "no configuration file under {} ({}); the built-in defaults apply",
                    ws.root.display(),
                    config::REPO_CONFIG_PATHS[0]
                );
                return Ok(exit::PASS);
            }
            None => {}
        }
    }
    let mut layers = Vec::new();
    let mut errors = Vec::new();
    for (kind, f) in &files {
        match Layer::from_file(kind.clone(), f) {
            Ok(l) => layers.push(l),
            Err(InputErrors(e)) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        // Merging also checks what single files cannot (e.g. loosening an org setting).
        let eff = Effective::resolve(&layers)?;
        for w in &eff.warnings {
            println!("warning: {w}");
        }
        for (_, f) in &files {
            println!("{}: ok", f.display());
        }
        return Ok(exit::PASS);
    }
    for e in &errors {
        eprintln!("{e}");
    }
    eprintln!("{} error(s)", errors.len());
    Ok(exit::BAD_INPUT)
}

fn schema(args: &SchemaArgs) -> Result<i32> {
    let text = serde_json::to_string_pretty(&config::json_schema())? + "\n";
    match &args.output {
        Some(p) => fsutil::write_atomic(p, text.as_bytes())
            .with_context(|| format!("cannot write {}", p.display()))?,
        None => context::write_output(None, &text)?,
    }
    Ok(exit::PASS)
}
