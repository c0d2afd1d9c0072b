//! Which files make the extract, and in which format.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{BuildError, unix_seconds};
use crate::extract::{ContactsFormat, ExtractError};

/// The files of the extract (directories expanded to their page files, by
/// name) and their one format: forced, or detected from each file.
pub(super) fn resolve(
    paths: &[&Path],
    forced: Option<ContactsFormat>,
) -> Result<(ContactsFormat, Vec<PathBuf>), BuildError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| ExtractError::Io { path, source }
    };
    if paths.is_empty() {
        return Err(BuildError::Inputs("no contacts extract was given".into()));
    }
    let mut files: Vec<(PathBuf, ContactsFormat)> = Vec::new();
    for &path in paths {
        let meta = std::fs::metadata(path).map_err(io(path))?;
        if meta.is_dir() {
            let pages = crate::extract::ngdp::pages_in(path).map_err(io(path))?;
            if pages.is_empty() {
                return Err(BuildError::Inputs(format!(
                    "{}: the directory holds no page files",
                    path.display()
                )));
            }
            for page in pages {
                let format = match forced {
                    Some(format) => format,
                    None => ContactsFormat::detect(&page)?,
                };
                if format != ContactsFormat::NgdpPages {
                    return Err(BuildError::Inputs(format!(
                        "{}: a directory of pages holds only NgDP pages, and this file reads as {format}",
                        page.display()
                    )));
                }
                files.push((page, format));
            }
        } else {
            let format = match forced {
                Some(format) => format,
                None => ContactsFormat::detect(path)?,
            };
            files.push((path.to_owned(), format));
        }
    }
    let format = files[0].1;
    if let Some((other, other_format)) = files.iter().find(|(_, f)| *f != format) {
        return Err(BuildError::Inputs(format!(
            "the extract mixes formats: {} reads as {format}, {} as {other_format}",
            files[0].0.display(),
            other.display()
        )));
    }
    if format == ContactsFormat::Csv && files.len() > 1 {
        return Err(BuildError::Inputs(format!(
            "a CSV extract is one file, and {} were given",
            files.len()
        )));
    }
    Ok((format, files.into_iter().map(|(path, _)| path).collect()))
}

/// The newest modification time of `files` (Unix seconds): when the
/// download of the extract ended.
pub(super) fn newest_modification(files: &[PathBuf]) -> Result<i64, BuildError> {
    let mut newest = None;
    for path in files {
        let modified = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .map_err(|source| ExtractError::Io {
                path: path.clone(),
                source,
            })?;
        newest = newest.max(Some(modified));
    }
    Ok(unix_seconds(newest.unwrap_or(SystemTime::UNIX_EPOCH)))
}
