//! `tilmelding`: build, inspect and query Digital Post subscription indexes.

mod build;
mod demo;
mod generate;
mod info;
mod lookup;
mod progress;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Decide Digital Post, NemSMS or paper for every letter, from a
/// memory-mapped index of Digital Post's complete subscription list.
#[derive(Parser)]
#[command(name = "tilmelding", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Build(build::Args),
    Lookup(lookup::Args),
    Info(info::Args),
    Verify(info::VerifyArgs),
    Generate(generate::Args),
    Demo(demo::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => build::run(args),
        Command::Lookup(args) => lookup::run(args),
        Command::Info(args) => info::run(args),
        Command::Verify(args) => info::verify(args),
        Command::Generate(args) => generate::run(args),
        Command::Demo(args) => demo::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
