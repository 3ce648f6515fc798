//! `ci-intel baseline write`: accept the findings of today.

use anyhow::Result;
use ci_intel_core::exit;

use super::check;
use crate::cli::{BaselineCommand, CheckArgs, CommonArgs, Format};
use crate::context;

pub fn run(cmd: BaselineCommand) -> Result<i32> {
    let BaselineCommand::Write(args) = cmd;
    let check_args = CheckArgs {
        common: CommonArgs {
            root: args.root.clone(),
            config: args.config.clone(),
            org_config: args.org_config.clone(),
            out: crate::cli::OutputArgs {
                format: Format::Json,
                output: None,
            },
            // The existing baseline must not hide what the new one should list.
            baseline: None,
            write_baseline: None,
            no_github: true,
        },
        base: None,
    };
    let (ws, mut eff) = context::open(&check_args.common)?;
    eff.config.baseline = None;
    let report = check::analyze(&ws, &eff, &check_args)?;
    context::write_baseline(&args.file, &report.findings())?;
    Ok(exit::PASS)
}
