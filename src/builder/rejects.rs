//! Rejected records: listed in a file (and counted) with `--skip-invalid`,
//! otherwise the first few are kept for the error that fails the build.

use std::fmt::Display;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use super::{BuildError, ERRORS_LISTED};

pub(super) struct Rejects<E> {
    /// Written before each record in the file (the extract's name, for CSV).
    prefix: String,
    file: Option<(PathBuf, BufWriter<std::fs::File>)>,
    /// The first failure to write the file; nothing more is written after it.
    failed: Option<(PathBuf, std::io::Error)>,
    listed: Vec<E>,
    total: u64,
}

impl<E: Display> Rejects<E> {
    pub(super) fn new(
        prefix: String,
        skip_invalid: Option<&Path>,
    ) -> Result<Rejects<E>, BuildError> {
        let file = skip_invalid
            .map(|path| {
                std::fs::File::create(path)
                    .map(|f| (path.to_owned(), BufWriter::new(f)))
                    .map_err(|source| BuildError::SkipFile {
                        path: path.to_owned(),
                        source,
                    })
            })
            .transpose()?;
        Ok(Rejects {
            prefix,
            file,
            failed: None,
            listed: Vec::new(),
            total: 0,
        })
    }

    pub(super) fn reject(&mut self, error: E) {
        self.total += 1;
        match &mut self.file {
            Some((path, out)) => {
                if self.failed.is_none()
                    && let Err(source) = writeln!(out, "{}{error}", self.prefix)
                {
                    self.failed = Some((path.clone(), source));
                }
            }
            None => {
                if self.listed.len() < ERRORS_LISTED {
                    self.listed.push(error);
                }
            }
        }
    }

    /// The number of rejected records, or, if they fail the build, the
    /// first ones listed (at most [`ERRORS_LISTED`]) and how many in all.
    pub(super) fn finish(self) -> Result<Result<u64, (Vec<E>, u64)>, BuildError> {
        if let Some((path, source)) = self.failed {
            return Err(BuildError::SkipFile { path, source });
        }
        Ok(match self.file {
            Some((path, mut out)) => {
                out.flush()
                    .and_then(|()| out.get_ref().sync_all())
                    .map_err(|source| BuildError::SkipFile { path, source })?;
                Ok(self.total)
            }
            None if self.total == 0 => Ok(0),
            None => Err((self.listed, self.total)),
        })
    }
}
