//! `tilmelding build`: catalog and contact extract (CSV, or NgDP pages or
//! NDJSON) in, index file out.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use tilmelding::{BuildOptions, ContactsFormat, Guard, RecipientKind};

use crate::progress::{self, megabytes, thousands};

/// Build an index file from a catalog and the contact register extract.
#[derive(Parser)]
pub struct Args {
    /// Catalog of sender systems, groups and materials (TOML). With --base,
    /// the base's catalog is kept if this is not given.
    #[arg(long, value_name = "FILE", required_unless_present = "base")]
    catalog: Option<PathBuf>,
    /// Build on this index: the contacts given are a delta (NgDP pages from
    /// `?lastUpdated=...`), replacing the base's contacts with the same
    /// numbers; every other contact of the base is kept.
    #[arg(long, value_name = "OLD.tlm")]
    base: Option<PathBuf>,
    /// Contact register extract, the complete list: one CSV file, or NgDP's
    /// contact register as pages (`.json` or `.json.gz` files, or
    /// directories of them) or NDJSON of contacts. The format is detected
    /// from the content.
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    contacts: Vec<PathBuf>,
    /// Read the extract as this format instead of detecting it.
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    contacts_format: Option<ContactsFormat>,
    /// The number of contacts the download saw (its totalElements): the
    /// build fails on any other count. Required for NDJSON, which carries
    /// no page counts.
    #[arg(long, value_name = "N")]
    expect_contacts: Option<u64>,
    /// When the list was extracted (RFC 3339, e.g. 2026-11-22T06:00:00+01:00).
    /// Default: the extract's modification time.
    #[arg(long, value_name = "TIME")]
    as_of: Option<String>,
    /// Write rejected lines (number and reason) to FILE and build without them,
    /// instead of failing.
    #[arg(long, value_name = "FILE")]
    skip_invalid: Option<PathBuf>,
    /// The index in service: refuse to write the new one if, for a kind of
    /// recipient, their number falls by more than --max-change percent, or
    /// more than that share are added, removed or change state.
    #[arg(long, value_name = "OLD.tlm")]
    guard: Option<PathBuf>,
    /// The largest change --guard allows, in percent.
    #[arg(long, value_name = "PCT", default_value_t = 2.0, requires = "guard")]
    max_change: f64,
    /// Overwrite the output even if it is not an index file.
    #[arg(long)]
    force: bool,
    /// The index file to write (replaced atomically).
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    if !(args.max_change.is_finite() && args.max_change >= 0.0) {
        anyhow::bail!(
            "--max-change {} is not a percentage of 0 or more",
            args.max_change
        );
    }
    let as_of = args
        .as_of
        .as_deref()
        .map(|text| {
            text.parse::<jiff::Timestamp>()
                .map(|t| t.as_second())
                .with_context(|| {
                    format!(
                        "--as-of {text:?} is not an RFC 3339 time like 2026-11-22T06:00:00+01:00"
                    )
                })
        })
        .transpose()?;
    let options = BuildOptions {
        as_of,
        skip_invalid: args.skip_invalid.clone(),
        force: args.force,
        contacts_format: args.contacts_format,
        expect_contacts: args.expect_contacts,
        guard: args.guard.clone().map(|index| Guard {
            index,
            max_change: args.max_change,
        }),
    };
    let bar = progress::bytes("reading");
    let mut callback = progress::build_callback(&bar);
    let report = match (&args.base, &args.catalog) {
        (Some(base), catalog) => tilmelding::build_delta(
            base,
            catalog.as_deref(),
            &args.contacts,
            &args.output,
            &options,
            &mut callback,
        ),
        (None, Some(catalog)) => tilmelding::build(
            catalog,
            &args.contacts,
            &args.output,
            &options,
            &mut callback,
        ),
        (None, None) => anyhow::bail!("--catalog FILE is needed without --base"),
    };
    bar.finish_and_clear();
    let report = report?;
    let source = match report.format {
        ContactsFormat::Csv => format!("{} lines", thousands(report.records)),
        ContactsFormat::NgdpPages => format!(
            "{} contacts on {} pages",
            thousands(report.records),
            thousands(report.pages)
        ),
        _ => format!("{} NDJSON contacts", thousands(report.records)),
    };
    outln!(
        "built {} in {:.1} s: {} recipients from {source}, {} ({:.2} bytes per recipient)",
        report.output.display(),
        report.elapsed.as_secs_f64(),
        thousands(report.contacts),
        megabytes(report.file_size),
        report.file_size as f64 / report.contacts.max(1) as f64,
    );
    if let Some(base) = &args.base {
        outln!(
            "{} recipients kept from {}, {} from the delta",
            thousands(report.kept),
            base.display(),
            thousands(report.contacts - report.kept)
        );
    }
    if report.replaced > 0 {
        outln!(
            "{} repeated contact(s): the copy with the newest lastUpdated and version kept",
            thousands(report.replaced)
        );
    }
    if let Some(path) = &args.skip_invalid {
        outln!(
            "rejected {} {}, listed in {}",
            thousands(report.rejected),
            if report.format == ContactsFormat::Csv {
                "line(s)"
            } else {
                "contact(s)"
            },
            path.display()
        );
    }
    if let Some(diff) = &report.guard {
        let affected: Vec<String> = RecipientKind::ALL
            .into_iter()
            .map(|kind| format!("{} {kind}", thousands(diff.kind(kind).affected())))
            .collect();
        outln!(
            "guard: {} recipients added, removed or changed against {} (at most {}% allowed)",
            affected.join(" and "),
            args.guard
                .as_deref()
                .unwrap_or(std::path::Path::new(""))
                .display(),
            args.max_change
        );
    }
    outln!("snapshot {}", report.snapshot_id);
    Ok(())
}

fn parse_format(text: &str) -> Result<ContactsFormat, String> {
    text.parse()
}
