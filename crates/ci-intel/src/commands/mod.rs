//! One module per subcommand.

mod audit;
mod baseline;
mod check;
mod config;
mod findings;
mod rules;
mod run;
mod secrets;
mod tests;

use anyhow::Result;

use crate::cli::{Cli, Command};

/// Runs the parsed command and returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Tests(args) => tests::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Secrets(cmd) => secrets::run(cmd),
        Command::Config(cmd) => config::run(cmd),
        Command::Run(cmd) => run::run(cmd),
        Command::Rules(args) => rules::run(&args),
        Command::Baseline(cmd) => baseline::run(cmd),
    }
}
