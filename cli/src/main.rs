//! `tilmelding`: build, inspect and query Digital Post subscription indexes.

/// `println!` that returns the error (a closed pipe, say) instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// Like [`outln!`], without the line end.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod cmd;
mod progress;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cmd::{build, demo, diff, generate, info, lookup, shell};

/// Decide Digital Post, NemSMS or paper for every letter, from a
/// memory-mapped index of Digital Post's complete subscription list.
#[derive(Parser)]
#[command(name = "tilmelding", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Build(build::Args),
    Lookup(lookup::Args),
    Info(info::Args),
    Verify(info::VerifyArgs),
    Diff(diff::Args),
    Generate(generate::Args),
    Demo(demo::Args),
    Completions(shell::CompletionsArgs),
    #[command(hide = true)]
    Manpages(shell::ManpagesArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => build::run(args),
        Command::Lookup(args) => lookup::run(args),
        Command::Info(args) => info::run(args),
        Command::Verify(args) => info::verify(args),
        Command::Diff(args) => diff::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Completions(args) => shell::completions(args),
        Command::Manpages(args) => shell::manpages(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stops early (`| head`) is not an error.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", message(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, `: `-separated, each said once: the library's
/// errors show their source in their own message too.
fn message(error: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
