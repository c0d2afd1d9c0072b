//! `completions` (a completion script for a shell) and the hidden
//! `manpages` (the man pages, for packagers): both from the CLI's own
//! definition, so they cannot drift from it.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::CommandFactory as _;

/// Print the completion script for a shell (bash, zsh, fish, elvish, powershell).
#[derive(clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    shell: clap_complete::Shell,
}

/// Write the man pages (`tilmelding.1`, `tilmelding-build.1`, ...) into a directory.
#[derive(clap::Args)]
pub struct ManpagesArgs {
    /// The directory (created if missing).
    dir: PathBuf,
}

pub fn completions(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut command = crate::Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "tilmelding", &mut out);
    Ok(())
}

pub fn manpages(args: ManpagesArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("{}: cannot create the directory", args.dir.display()))?;
    clap_mangen::generate_to(crate::Cli::command(), &args.dir)
        .with_context(|| format!("{}: cannot write the man pages", args.dir.display()))?;
    Ok(())
}
