//! `tilmelding generate`: a realistic synthetic catalog and contact extract.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use tilmelding_synth::{self as synth, SynthOptions, SynthSummary};

use crate::progress::{self, megabytes, thousands};

/// Write a realistic synthetic `catalog.toml` and `contacts.csv` (national scale by default).
#[derive(Parser)]
pub struct Args {
    /// Directory to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    size: Size,
    /// `csv` writes `contacts.csv`; `ngdp` writes the same register as NgDP
    /// contact-register pages, `contacts/page-00000.json`, ...
    #[arg(long, value_name = "FORMAT", default_value = "csv", value_parser = ["csv", "ngdp"])]
    format: String,
    /// Contacts per NgDP page.
    #[arg(long, value_name = "N", default_value_t = synth::PAGE_SIZE)]
    page_size: usize,
    /// Also write N days of changes to the register as NgDP pages in
    /// `delta/` (what `?lastUpdated=` returns), for `build --base`.
    #[arg(long, value_name = "N")]
    delta_days: Option<u32>,
}

/// How much to generate.
#[derive(Parser, Clone, Copy)]
pub struct Size {
    /// Number of citizens (CPR contacts).
    #[arg(long, value_name = "N", default_value_t = SynthOptions::default().citizens)]
    pub citizens: u64,
    /// Number of companies (CVR contacts).
    #[arg(long, value_name = "N", default_value_t = SynthOptions::default().companies)]
    pub companies: u64,
    /// Random seed: the same seed gives the same files.
    #[arg(long, value_name = "S", default_value_t = SynthOptions::default().seed)]
    pub seed: u64,
}

impl Size {
    pub fn options(self) -> SynthOptions {
        SynthOptions {
            citizens: self.citizens,
            companies: self.companies,
            seed: self.seed,
            ..SynthOptions::default()
        }
    }
}

pub fn run(args: Args) -> Result<()> {
    let summary = if args.format == "ngdp" {
        generate_ngdp(&args.out, args.size.options(), args.page_size)?
    } else {
        generate(&args.out, args.size.options())?
    };
    outln!(
        "wrote {} ({} materials, {} groups, {} sender systems)",
        summary.catalog_path.display(),
        thousands(summary.materials),
        thousands(summary.groups),
        thousands(summary.sender_systems)
    );
    outln!(
        "wrote {} ({} citizens, {} companies, {})",
        summary.contacts_path.display(),
        thousands(summary.citizens),
        thousands(summary.companies),
        megabytes(summary.contacts_bytes)
    );
    if let Some(days) = args.delta_days {
        let delta = synth::generate_delta(&args.out, &args.size.options(), days, args.page_size)
            .with_context(|| format!("generating the delta into {}", args.out.display()))?;
        outln!(
            "wrote {} ({} changed or new contacts over {days} day(s), {} pages)",
            delta.path.display(),
            thousands(delta.contacts),
            thousands(delta.pages)
        );
    }
    Ok(())
}

/// Generates with a progress bar.
pub fn generate(dir: &std::path::Path, options: SynthOptions) -> Result<SynthSummary> {
    let bar = progress::count("generating", options.citizens + options.companies);
    let summary = synth::generate(dir, &options, &mut |done, _| bar.set_position(done))
        .with_context(|| format!("generating into {}", dir.display()));
    bar.finish_and_clear();
    summary
}

/// Generates NgDP pages with a progress bar.
pub fn generate_ngdp(
    dir: &std::path::Path,
    options: SynthOptions,
    page_size: usize,
) -> Result<SynthSummary> {
    let bar = progress::count("generating", options.citizens + options.companies);
    let summary = synth::generate_ngdp(dir, &options, page_size, &mut |done, _| {
        bar.set_position(done)
    })
    .with_context(|| format!("generating into {}", dir.display()));
    bar.finish_and_clear();
    summary
}
