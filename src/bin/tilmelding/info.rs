//! `tilmelding info` and `tilmelding verify`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use tilmelding::{Index, KindStats, Metadata, Status};

use crate::progress::{megabytes, thousands};

/// Show an index's format version, times, counts, size and snapshot id.
#[derive(Parser)]
pub struct Args {
    /// The index file.
    index: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Check an index completely (structure, checksums, contents); exit 0 only if sound.
#[derive(Parser)]
pub struct VerifyArgs {
    /// The index file.
    index: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    let index = Index::open(&args.index)?;
    let m = index.metadata();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json(&args.index, m))?);
        return Ok(());
    }
    println!("index        {}", args.index.display());
    println!(
        "format       {}.{} (built by tilmelding {})",
        m.format_version.0, m.format_version.1, m.built_by
    );
    println!("snapshot     {}", m.snapshot_id_hex());
    println!("as of        {}", rfc3339(m.as_of));
    println!("built        {}", rfc3339(m.build_time));
    println!(
        "size         {} ({:.2} bytes per recipient)",
        megabytes(m.file_size),
        m.file_size as f64 / m.contacts().max(1) as f64
    );
    println!(
        "catalog      {} materials, {} groups, {} sender systems",
        thousands(m.materials.into()),
        thousands(m.groups.into()),
        thousands(m.sender_systems.into())
    );
    for (name, stats) in [("CPR", &m.cpr), ("CVR", &m.cvr)] {
        println!(
            "{name}          {} recipients: {}",
            thousands(stats.by_status.iter().sum()),
            Status::ALL
                .iter()
                .map(|s| format!("{} {}", thousands(stats.by_status[*s as usize]), s.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "             {} pending registration, {} NemSMS, {} time-limited exemptions",
            thousands(stats.pending),
            thousands(stats.nemsms),
            thousands(stats.exemption_windows)
        );
    }
    println!(
        "heap         {} per process",
        megabytes(index.heap_size() as u64)
    );
    Ok(())
}

pub fn verify(args: VerifyArgs) -> Result<()> {
    let index = Index::open(&args.index)?;
    index
        .verify()
        .with_context(|| format!("{}: verification failed", args.index.display()))?;
    println!(
        "ok: {} is sound (snapshot {}, {} recipients)",
        args.index.display(),
        index.metadata().snapshot_id_hex(),
        thousands(index.metadata().contacts())
    );
    Ok(())
}

fn rfc3339(unix: i64) -> String {
    jiff::Timestamp::from_second(unix)
        .map_or_else(|_| format!("{unix} (Unix seconds)"), |t| t.to_string())
}

fn json(path: &std::path::Path, m: &Metadata) -> serde_json::Value {
    let kind = |s: &KindStats| {
        let mut by_status = serde_json::Map::new();
        for status in Status::ALL {
            by_status.insert(status.as_str().into(), s.by_status[status as usize].into());
        }
        serde_json::json!({
            "recipients": s.by_status.iter().sum::<u64>(),
            "by_status": by_status,
            "pending_registration": s.pending,
            "nemsms": s.nemsms,
            "exemption_windows": s.exemption_windows,
        })
    };
    serde_json::json!({
        "index": path.display().to_string(),
        "format_version": format!("{}.{}", m.format_version.0, m.format_version.1),
        "built_by": m.built_by,
        "snapshot_id": m.snapshot_id_hex(),
        "as_of": rfc3339(m.as_of),
        "build_time": rfc3339(m.build_time),
        "file_size": m.file_size,
        "materials": m.materials,
        "groups": m.groups,
        "sender_systems": m.sender_systems,
        "cpr": kind(&m.cpr),
        "cvr": kind(&m.cvr),
    })
}
