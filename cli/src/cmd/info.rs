//! `tilmelding info` and `tilmelding verify`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Parser;
use tilmelding::{Index, KindStats, Metadata, OpenError, Status};

use crate::progress::{hours_minutes, megabytes, thousands};

/// Show an index's format version, times, counts, size and snapshot id.
#[derive(Parser)]
pub struct Args {
    /// The index file.
    index: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Also say whether the list is older than this (as `lookup --max-age`).
    #[arg(long, value_name = "AGE", value_parser = crate::progress::parse_age)]
    max_age: Option<std::time::Duration>,
}

/// Check an index completely (structure, checksums, contents); exit 0 only if sound.
#[derive(Parser)]
pub struct VerifyArgs {
    /// The index file.
    index: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    let index = Index::open(&args.index)?;
    index.set_max_age(args.max_age);
    let m = index.metadata();
    if args.json {
        let mut value = json(&args.index, m);
        value["age_seconds"] = index.age().as_secs().into();
        value["max_age_seconds"] = index.max_age().map(|d| d.as_secs()).into();
        value["stale"] = index.is_stale().into();
        outln!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    outln!("index        {}", args.index.display());
    outln!(
        "format       {}.{} (built by tilmelding {})",
        m.format_version.0,
        m.format_version.1,
        m.built_by
    );
    outln!("snapshot     {}", m.snapshot_id_hex());
    outln!(
        "as of        {} ({} old)",
        rfc3339(m.as_of),
        hours_minutes(index.age())
    );
    match index.max_age() {
        None => outln!("max age      off (lookup --max-age AGE refuses a stale list)"),
        Some(max) => outln!(
            "max age      {}: {}",
            hours_minutes(max),
            if index.is_stale() {
                "STALE, lookups answer stale_index"
            } else {
                "fresh"
            }
        ),
    }
    outln!("built        {}", rfc3339(m.build_time));
    if let Some(base) = m.base_snapshot_id_hex() {
        outln!("built on     {base} (a delta on that snapshot)");
    }
    if let Some(ms) = m.newest_update {
        outln!(
            "newest       {} (lastUpdated of the newest contact)",
            rfc3339_ms(ms)
        );
    }
    outln!(
        "size         {} ({:.2} bytes per recipient)",
        megabytes(m.file_size),
        m.file_size as f64 / m.contacts().max(1) as f64
    );
    outln!(
        "catalog      {} materials, {} groups, {} sender systems",
        thousands(m.materials.into()),
        thousands(m.groups.into()),
        thousands(m.sender_systems.into())
    );
    for (name, stats) in [("CPR", &m.cpr), ("CVR", &m.cvr)] {
        outln!(
            "{name}          {} recipients: {}",
            thousands(stats.by_status.iter().sum()),
            Status::ALL
                .iter()
                .map(|s| format!("{} {}", thousands(stats.by_status[*s as usize]), s.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        outln!(
            "             {} pending registration, {} NemSMS, {} time-limited exemptions",
            thousands(stats.pending),
            thousands(stats.nemsms),
            thousands(stats.exemption_windows)
        );
    }
    outln!(
        "private      {} per process besides the file (material table, decision rules)",
        megabytes(index.heap_size() as u64)
    );
    Ok(())
}

pub fn verify(args: VerifyArgs) -> Result<()> {
    // Open and verify at once; whichever check fails, the error says
    // verification failed, naming the file once.
    let index = Index::open_verified(&args.index).map_err(|e| match e {
        OpenError::Invalid { source, .. } => anyhow::Error::new(source)
            .context(format!("{}: verification failed", args.index.display())),
        other => other.into(),
    })?;
    outln!(
        "ok: {} is sound (snapshot {}, {} recipients)",
        args.index.display(),
        index.metadata().snapshot_id_hex(),
        thousands(index.metadata().contacts())
    );
    Ok(())
}

fn rfc3339_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map_or_else(|_| format!("{ms} (Unix milliseconds)"), |t| t.to_string())
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
        "base_snapshot_id": m.base_snapshot_id_hex(),
        "newest_update": m.newest_update.map(rfc3339_ms),
        "file_size": m.file_size,
        "materials": m.materials,
        "groups": m.groups,
        "sender_systems": m.sender_systems,
        "cpr": kind(&m.cpr),
        "cvr": kind(&m.cvr),
    })
}
