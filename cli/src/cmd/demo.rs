//! `tilmelding demo`: generate a national dataset, build, open, answer.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tilmelding::{
    Answer, Audience, BuildOptions, Date, Index, LookupError, Recipient, RecipientKind,
};
use tilmelding_synth::{self as synth, SynthOptions};

use super::generate::{self, Size};
use crate::progress::{self, megabytes, thousands};

/// Generate a national-scale synthetic dataset, build its index, and answer a
/// sample of lookups, printing a summary.
#[derive(Parser)]
pub struct Args {
    /// Keep the generated files and the index in DIR (default: a temporary directory).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    #[command(flatten)]
    size: Size,
    /// Number of single lookups to time and tally.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    lookups: usize,
}

pub fn run(args: Args) -> Result<()> {
    let temp;
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile::tempdir().context("creating a temporary directory")?;
            temp.path().to_owned()
        }
    };
    let date = Date::today();
    outln!("tilmelding demo: a synthetic national dataset, built into an index and queried");

    let started = Instant::now();
    // Dates in the data (activations, certificates, exemptions) are relative to today.
    let options = SynthOptions {
        reference_date: date.ymd(),
        ..args.size.options()
    };
    let data = generate::generate_ngdp(&dir, options.clone(), synth::PAGE_SIZE)?;
    let delta = synth::generate_delta(&dir, &options, 1, synth::PAGE_SIZE)
        .context("generating the day's changes")?;
    outln!(
        "  data      {} citizens and {} companies as NgDP contact-register pages ({}), {} materials in {} groups; generated in {:.1} s",
        thousands(data.citizens),
        thousands(data.companies),
        megabytes(data.contacts_bytes),
        thousands(data.materials),
        thousands(data.groups),
        started.elapsed().as_secs_f64()
    );

    let base_path = dir.join("base.tlm");
    let bar = progress::bytes("reading");
    let report = tilmelding::build(
        &data.catalog_path,
        &[&data.contacts_path],
        &base_path,
        &BuildOptions::default(),
        &mut progress::build_callback(&bar),
    );
    bar.finish_and_clear();
    let report = report?;
    outln!(
        "  build     {} recipients from {} pages into {} ({:.2} bytes per recipient) in {:.1} s",
        thousands(report.contacts),
        thousands(report.pages),
        megabytes(report.file_size),
        report.file_size as f64 / report.contacts.max(1) as f64,
        report.elapsed.as_secs_f64()
    );
    let index_path = dir.join("index.tlm");
    let report = tilmelding::build_delta(
        &base_path,
        None,
        &[&delta.path],
        &index_path,
        &BuildOptions::default(),
        &mut |_| {},
    )?;
    outln!(
        "  delta     a day of changes ({} contacts on {} page(s)) on that index in {:.1} s; {} recipients kept",
        thousands(delta.contacts),
        thousands(delta.pages),
        report.elapsed.as_secs_f64(),
        thousands(report.kept)
    );

    let started = Instant::now();
    let index = Index::open(&index_path)?;
    let opened = started.elapsed();
    drop(index);
    let started = Instant::now();
    let index = Index::open_verified(&index_path)?;
    outln!(
        "  open      {:.2} ms with header, bounds and checksum checks; {:.0} ms with full verification; {} of private memory besides the file",
        opened.as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64() * 1e3,
        megabytes(index.heap_size() as u64)
    );

    let queries = sample_queries(&index, &data, args.lookups)?;
    let started = Instant::now();
    let mut tally: BTreeMap<Result<Answer, LookupError>, u64> = BTreeMap::new();
    for (material, recipient) in &queries {
        let result = index.lookup(material, recipient, date);
        *tally.entry(result).or_default() += 1;
    }
    let single = started.elapsed();

    let batch_material = queries
        .iter()
        .find(|(_, r)| r.kind() == RecipientKind::Cpr)
        .map(|(m, _)| *m)
        .context("no CPR query in the sample")?;
    let numbers: Vec<u64> = data
        .sample_cpr
        .iter()
        .copied()
        .cycle()
        .take(args.lookups)
        .collect();
    let mut out = vec![Err(LookupError::InvalidRecipient); numbers.len()];
    let started = Instant::now();
    index.lookup_batch(batch_material, RecipientKind::Cpr, &numbers, date, &mut out)?;
    let batch = started.elapsed();

    let per_second = |n: usize, d: std::time::Duration| n as f64 / d.as_secs_f64();
    // Say what was measured: these are not the benchmark's figures (its
    // queries are a million distinct recipients of one material).
    outln!(
        "  lookups   {} single (Index::lookup: a random material ID as text, recipients parsed beforehand, drawn from a sample of {}): {:.1} M/s ({:.0} ns each)",
        thousands(queries.len() as u64),
        thousands(data.sample_cpr.len() as u64 + data.sample_cvr.len() as u64),
        per_second(queries.len(), single) / 1e6,
        single.as_nanos() as f64 / queries.len() as f64,
    );
    outln!(
        "            one lookup_batch of {} CPR numbers (one material, the sample's {} repeated): {:.1} M/s ({:.0} ns each)",
        thousands(numbers.len() as u64),
        thousands(data.sample_cpr.len() as u64),
        per_second(numbers.len(), batch) / 1e6,
        batch.as_nanos() as f64 / numbers.len() as f64,
    );
    outln!(
        "            `cargo bench --bench compare` times the same calls on a million distinct recipients, side by side with hash maps and SQLite (BENCHMARKS.md)"
    );
    outln!(
        "  answers   on {date}, for the sample (known recipients, plus one in ten unknown to the register):"
    );
    let total: u64 = tally.values().sum();
    for (answer, count) in &tally {
        let label = match answer {
            Ok(a) => format!("{:<9} {}", a.channel.as_str(), a.reason.as_str()),
            Err(e) => format!("{:<9} {}", "error", e.as_str()),
        };
        outln!(
            "            {label:<40} {:>10}  {:>5.1}%",
            thousands(*count),
            *count as f64 * 100.0 / total as f64
        );
    }
    match &args.dir {
        Some(dir) => {
            let (material, recipient) = &queries[0];
            outln!(
                "  try       tilmelding lookup {} --material {material} {recipient}",
                dir.join("index.tlm").display()
            );
        }
        None => outln!("  (pass --dir DIR to keep the files and the index)"),
    }
    Ok(())
}

/// Recipients from the generated sample, plus one in ten numbers absent from
/// the register, each with a random material addressed to its audience.
fn sample_queries<'a>(
    index: &'a Index,
    data: &tilmelding_synth::SynthSummary,
    n: usize,
) -> Result<Vec<(&'a str, Recipient)>> {
    let catalog = index.catalog();
    let by_audience = |audience: Audience| -> Vec<&str> {
        catalog
            .materials
            .iter()
            .filter(|m| m.group(audience).is_some())
            .map(|m| m.id.as_str())
            .collect()
    };
    let materials = [
        by_audience(Audience::Private),
        by_audience(Audience::Erhverv),
    ];
    if materials.iter().any(Vec::is_empty) || data.sample_cpr.is_empty() {
        bail!("the generated catalog has no material for one of the audiences");
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut queries = Vec::with_capacity(n);
    while queries.len() < n {
        let kind = if rng.random_range(0..8) == 0 && !data.sample_cvr.is_empty() {
            RecipientKind::Cvr
        } else {
            RecipientKind::Cpr
        };
        let sample = match kind {
            RecipientKind::Cpr => &data.sample_cpr,
            RecipientKind::Cvr => &data.sample_cvr,
        };
        let number = if rng.random_range(0..10) == 0 {
            // A number of the same kind that the register likely lacks.
            sample[rng.random_range(0..sample.len())] ^ 1
        } else {
            sample[rng.random_range(0..sample.len())]
        };
        let Ok(recipient) = Recipient::from_number(kind, number) else {
            continue;
        };
        let list = &materials[kind as usize];
        let material = list[rng.random_range(0..list.len())];
        queries.push((material, recipient));
    }
    Ok(queries)
}
