//! `ci-intel`: the command line. This crate only parses arguments, wires analyzers to
//! reporters and maps outcomes to exit codes; everything it computes lives in the domain crates.

mod cli;
mod commands;
mod context;

use std::io::Write;
use std::process::ExitCode;

use ci_intel_core::exit;
use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let code = match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            report_error(&err);
            exit::BAD_INPUT
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}

/// Prints an error chain as `error: …` lines, the way ripgrep and cargo do.
fn report_error(err: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    // A closed stderr leaves nothing better to do than exit with the code.
    let _ = writeln!(stderr, "error: {err}");
    for cause in err.chain().skip(1) {
        let _ = writeln!(stderr, "  caused by: {cause}");
    }
}
