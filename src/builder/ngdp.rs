//! Building from NgDP's contact register: pages or NDJSON in, every contact
//! mapped, repeated contacts resolved by (`lastUpdated`, `version`), and the
//! extract checked to be whole before anything is written.

use std::path::PathBuf;
use std::time::SystemTime;

use super::rejects::Rejects;
use super::{BuildError, BuildOptions, BuildProgress, Built, IndexBuilder, Repeated, Repeats};
use crate::catalog::Catalog;
use crate::extract::ngdp::{self, FileRead, Shape, check_pages, thousands};
use crate::extract::{ContactAt, ContactError, ContactsFormat};
use crate::index::Index;
use crate::recipient::RecipientKind;

pub(super) fn build(
    catalog: Catalog,
    base: Option<&Index>,
    files: &[PathBuf],
    format: ContactsFormat,
    as_of: i64,
    options: &BuildOptions,
    progress: &mut dyn FnMut(BuildProgress),
) -> Result<Built, BuildError> {
    let shape = if format == ContactsFormat::NgdpNdjson {
        Shape::Ndjson
    } else {
        Shape::Pages
    };
    // A delta (a build on a base) is as long as the changes are.
    if shape == Shape::Ndjson && options.expect_contacts.is_none() && base.is_none() {
        return Err(BuildError::Inputs(
            "NDJSON carries no page counts, so nothing shows whether it is complete: \
             a full build from it needs the number of contacts the download saw \
             (its totalElements; --expect-contacts N)"
                .into(),
        ));
    }
    let total_bytes = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).ok())
        .sum::<Option<u64>>();
    let mut rejects = Rejects::new(String::new(), options.skip_invalid.as_deref())?;
    let mut builder = IndexBuilder::new(catalog);
    let mut read: Vec<FileRead> = Vec::with_capacity(files.len());
    let mut done_bytes = 0u64;
    let mut records = 0u64;
    for (file, path) in files.iter().enumerate() {
        let mut last = 0;
        let summary = ngdp::read_file(
            path,
            file,
            shape,
            &mut |position, mapped| {
                builder.add_ordered(position, &mapped.record, mapped.order);
            },
            &mut |error| rejects.reject(error),
            &mut |bytes| {
                last = bytes;
                progress(BuildProgress::Reading {
                    bytes: done_bytes + bytes,
                    total: total_bytes,
                    lines: records,
                });
            },
        )?;
        done_bytes += last;
        records += summary.contacts;
        read.push(summary);
    }

    let pages: Vec<(PathBuf, ngdp::PageInfo)> = files
        .iter()
        .zip(&read)
        .filter_map(|(path, r)| r.page.clone().map(|page| (path.clone(), page)))
        .collect();
    let mut problems = Vec::new();
    if shape == Shape::Pages
        && let Err(found) = check_pages(&pages)
    {
        problems = found;
    }
    if let Some(expected) = options.expect_contacts
        && expected != records
    {
        problems.push(format!(
            "{} contacts were expected, and the extract holds {}",
            thousands(expected),
            thousands(records)
        ));
    }
    if !problems.is_empty() {
        return Err(BuildError::Incomplete { problems });
    }

    let kept = base.map_or(0, |base| builder.keep_from(base));
    progress(BuildProgress::Encoding);
    let encoded = builder.encode(
        Repeats::Newest,
        as_of,
        super::unix_seconds(SystemTime::now()),
    );
    for Repeated { recipient, lines } in &encoded.repeated {
        for &line in lines {
            let (file, at) = ngdp::unpack(line);
            let at = match &read[file].page {
                Some(page) => ContactAt::Page {
                    page: page.current,
                    index: at,
                },
                None => ContactAt::Line(at),
            };
            rejects.reject(ContactError {
                path: files[file].clone(),
                at,
                number: Some(recipient.masked().to_string()),
                field: match recipient.kind() {
                    RecipientKind::Cpr => "cprNumber",
                    RecipientKind::Cvr => "cvrNumber",
                },
                message: format!(
                    "appears {} times with the same lastUpdated and version but different content; all are left out, so the recipient gets paper",
                    lines.len()
                ),
            });
        }
    }
    let rejected = rejects
        .finish()?
        .map_err(|(errors, total)| BuildError::InvalidContacts { errors, total })?;
    Ok(Built {
        bytes: encoded.bytes,
        records,
        pages: pages.len() as u64,
        rejected,
        replaced: encoded.replaced,
        kept,
    })
}
