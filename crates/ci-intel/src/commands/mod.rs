//! One module per subcommand.

mod attest;
mod audit;
mod autopsy;
mod baseline;
mod check;
mod config;
mod evidence;
mod findings;
#[cfg(feature = "hub")]
mod hub;
mod rules;
mod run;
mod sarif;
mod sbom;
mod secrets;
mod tests;
mod upload;
mod verify;
mod vuln;

use anyhow::Result;

use crate::cli::{Cli, Command};

/// Runs the parsed command and returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Tests(args) => tests::run(&args),
        Command::Autopsy(args) => autopsy::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Secrets(cmd) => secrets::run(cmd),
        Command::Config(cmd) => config::run(cmd),
        Command::Run(cmd) => run::run(cmd),
        #[cfg(feature = "hub")]
        Command::Hub(cmd) => hub::run(cmd),
        Command::Rules(args) => rules::run(&args),
        Command::Baseline(cmd) => baseline::run(cmd),
        Command::Sarif(cmd) => sarif::run(cmd),
        Command::Attest(cmd) => attest::run(cmd),
        Command::Evidence(cmd) => evidence::run(cmd),
        Command::Verify(args) => verify::run(&args),
        Command::Sbom(cmd) => sbom::run(cmd),
        Command::Vuln(cmd) => vuln::run(cmd),
        Command::Vex(cmd) => vuln::vex(cmd),
    }
}
