//! `tilmelding diff`: what changed from one index to another.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use serde_json::{Value, json};
use tilmelding::{Changes, Diff, Index, RecipientKind};

/// Show what changed between two indexes: recipients added, removed and
/// changed per kind and per transition, and the catalog's changes.
#[derive(Parser)]
pub struct Args {
    /// The older index.
    old: PathBuf,
    /// The newer index.
    new: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Write the numbers of every recipient added, removed or changed to
    /// FILE, one per line (mode 0640: they are personal data).
    #[arg(long, value_name = "FILE")]
    list: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let old = Index::open(&args.old)?;
    let new = Index::open(&args.new)?;
    let diff = match &args.list {
        None => tilmelding::diff(&old, &new, &mut |_| {}),
        Some(path) => {
            let file =
                private_file(path).with_context(|| format!("creating {}", path.display()))?;
            let mut out = BufWriter::new(file);
            let mut failed = None;
            let diff = tilmelding::diff(&old, &new, &mut |recipient| {
                if failed.is_none()
                    && let Err(e) = writeln!(out, "{recipient}")
                {
                    failed = Some(e);
                }
            });
            if let Some(e) = failed {
                return Err(e).with_context(|| format!("writing {}", path.display()));
            }
            out.flush()
                .and_then(|()| out.get_ref().sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            diff
        }
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&to_json(&diff))?);
    } else {
        out!("{diff}");
    }
    Ok(())
}

/// A new file readable by the owner and the group only.
fn private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o640);
        let file = options.open(path)?;
        // An existing file keeps its mode on open: set it.
        file.set_permissions(std::fs::Permissions::from_mode(0o640))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

fn to_json(diff: &Diff) -> Value {
    let mut kinds = serde_json::Map::new();
    for kind in RecipientKind::ALL {
        let k = diff.kind(kind);
        let transitions: Vec<Value> = k
            .transitions
            .iter()
            .map(|((from, to), n)| json!({"from": from.as_str(), "to": to.as_str(), "count": n}))
            .collect();
        kinds.insert(
            kind.as_str().to_lowercase(),
            json!({
                "old": k.old, "new": k.new, "added": k.added, "removed": k.removed,
                "changed": k.changed, "detail_only": k.detail_only,
                "transitions": transitions,
                "nemsms_on": k.nemsms_on, "nemsms_off": k.nemsms_off,
                "windows_changed": k.windows_changed,
            }),
        );
    }
    let changes =
        |c: &Changes| json!({"added": c.added, "removed": c.removed, "changed": c.changed});
    json!({
        "recipients": kinds,
        "catalog": {
            "sender_systems": changes(&diff.catalog.sender_systems),
            "groups": changes(&diff.catalog.groups),
            "materials": changes(&diff.catalog.materials),
        },
    })
}
