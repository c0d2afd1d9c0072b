//! Reading the contact register extract: the complete list of recipients
//! with their registration status.
//!
//! Today one layout is read: CSV ([`ContactReader`]). Each reader yields
//! [`ContactRecord`](crate::ContactRecord)s and reports a bad line as a
//! [`LineError`] naming its line and field, never with a full CPR number.

mod csv;
mod lines;

use std::io;
use std::path::PathBuf;

pub use self::csv::ContactReader;

/// An extract that cannot be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The file could not be opened or read, or its compression is broken.
    #[error("{}: {source}", path.display())]
    Io {
        /// The extract.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// The header line is missing or lacks a required column.
    #[error("{}:{line}: {message}", path.display())]
    Header {
        /// The extract.
        path: PathBuf,
        /// 1-based line of the header.
        line: u64,
        /// What is wrong.
        message: String,
    },
}

/// A line of the extract that was rejected. Its text never holds a full CPR number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, field `{field}`: {message}")]
pub struct LineError {
    /// 1-based line number.
    pub line: u64,
    /// The offending column (or `line` for the line as a whole).
    pub field: &'static str,
    /// What is wrong, with any CPR number masked.
    pub message: String,
}
