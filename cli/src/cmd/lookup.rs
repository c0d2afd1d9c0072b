//! `tilmelding lookup`: answer recipients, one line each, in input order.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use tilmelding::{Answer, Date, Index, LookupError, Recipient};

/// Which channel a letter of a material takes for each recipient, and why.
///
/// One line per recipient, in input order. Per-recipient errors (unknown
/// material, invalid recipient, audience mismatch) are answers too: the exit
/// status is 0 when every recipient was answered.
#[derive(Parser)]
pub struct Args {
    /// The index file.
    index: PathBuf,
    /// Material ID.
    #[arg(long, value_name = "ID")]
    material: String,
    /// Date of sending (default: today, Danish time).
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<String>,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
    /// Refuse to decide (error `stale_index` on every line) if the list is
    /// older than this, e.g. `36h` or `90m`.
    #[arg(long, value_name = "AGE", value_parser = crate::progress::parse_age)]
    max_age: Option<std::time::Duration>,
    /// Read recipients, one per line, from FILE (`-` for standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "recipients")]
    batch: Option<PathBuf>,
    /// CPR (DDMMYYSSSS or DDMMYY-SSSS) or CVR (12345678 or DK12345678) numbers.
    #[arg(value_name = "RECIPIENT", required_unless_present = "batch")]
    recipients: Vec<String>,
}

pub fn run(args: Args) -> Result<()> {
    let date = match &args.date {
        Some(text) => text
            .parse::<Date>()
            .with_context(|| format!("--date {text:?}"))?,
        None => Date::today(),
    };
    let index = Index::open(&args.index)?;
    index.set_max_age(args.max_age);
    let material = index.material(&args.material);
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut answer = |given: &str| -> io::Result<()> {
        let parsed = given.trim().parse::<Recipient>();
        let result = match (material, &parsed) {
            _ if index.is_stale() => Err(LookupError::StaleIndex),
            (None, _) => Err(LookupError::UnknownMaterial),
            (_, Err(_)) => Err(LookupError::InvalidRecipient),
            (Some(m), Ok(r)) => index.lookup_material(m, r, date),
        };
        write_line(
            &mut out,
            given,
            parsed.ok(),
            &args.material,
            result,
            args.json,
        )
    };
    match &args.batch {
        None => {
            for given in &args.recipients {
                answer(given)?;
            }
        }
        Some(path) => {
            let input: Box<dyn BufRead> = if path.as_os_str() == "-" {
                Box::new(io::stdin().lock())
            } else {
                Box::new(BufReader::new(
                    File::open(path).with_context(|| format!("{}", path.display()))?,
                ))
            };
            for (i, line) in input.lines().enumerate() {
                let line = line.with_context(|| format!("{}: line {}", path.display(), i + 1))?;
                let given = line.trim();
                if given.is_empty() || given.starts_with('#') {
                    continue;
                }
                answer(given)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn write_line(
    out: &mut impl Write,
    given: &str,
    recipient: Option<Recipient>,
    material: &str,
    result: Result<Answer, LookupError>,
    json: bool,
) -> io::Result<()> {
    match (result, json) {
        (Ok(a), false) => writeln!(
            out,
            "{:<12} {:<9} {}",
            recipient.expect("answered recipients parsed").to_string(),
            a.channel.as_str(),
            a.reason.as_str()
        ),
        (Err(e), false) => writeln!(out, "{:<12} {:<9} {}", given, "error", e.as_str()),
        (Ok(a), true) => {
            let line = serde_json::json!({
                "recipient": recipient.expect("answered recipients parsed").to_string(),
                "material": material,
                "channel": a.channel.as_str(),
                "reason": a.reason.as_str(),
            });
            writeln!(out, "{line}")
        }
        (Err(e), true) => {
            let line = serde_json::json!({
                "recipient": given,
                "material": material,
                "error": e.as_str(),
            });
            writeln!(out, "{line}")
        }
    }
}
