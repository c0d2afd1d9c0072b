//! Reading the contact register extract: the complete list of recipients
//! with their registration status.
//!
//! Two sources are read: this project's CSV layout ([`ContactReader`]), and
//! NgDP's contact register as a sender system downloads it (pages of JSON,
//! or NDJSON of contacts; see [`ContactsFormat`]). Either may be
//! gzip-compressed, recognised by its magic bytes. A rejected CSV line is a
//! [`LineError`], a rejected NgDP contact a [`ContactError`]; neither ever
//! holds a full CPR number.

mod csv;
mod lines;
pub(crate) mod ngdp;

use std::fmt;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// An NgDP page is not well-formed JSON, or not a page.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Json {
        /// The page.
        path: PathBuf,
        /// 1-based line of the fault.
        line: u64,
        /// 1-based column of the fault.
        column: u64,
        /// What is wrong (quoting no value).
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

/// A contact of an NgDP extract that was rejected: the file, where in it,
/// the contact's masked number and the field at fault. Its text never holds
/// a full CPR number, a mobile number or an address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {at}{}, field `{field}`: {message}", path.display(), Masked(number))]
pub struct ContactError {
    /// The file.
    pub path: PathBuf,
    /// Where in the file.
    pub at: ContactAt,
    /// The contact's number, masked (a CPR number keeps its date only), when it has one.
    pub number: Option<String>,
    /// The JSON field at fault, e.g. `mailboxSubscription.registrationStatus`
    /// (or `line` for an NDJSON line as a whole).
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

struct Masked<'a>(&'a Option<String>);

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(number) => write!(f, " ({number})"),
            None => Ok(()),
        }
    }
}

/// Where a contact is in an NgDP file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContactAt {
    /// In a page's `contacts` array.
    Page {
        /// The page's `currentPage`, if it has a valid one.
        page: Option<u64>,
        /// Zero-based index in `contacts` (as `jq '.contacts[i]'` counts).
        index: u64,
    },
    /// On a line of an NDJSON file (1-based).
    Line(u64),
}

impl fmt::Display for ContactAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContactAt::Page {
                page: Some(page),
                index,
            } => write!(f, "page {page}, contacts[{index}]"),
            ContactAt::Page { page: None, index } => write!(f, "contacts[{index}]"),
            ContactAt::Line(line) => write!(f, "line {line}"),
        }
    }
}

/// The layout of a contacts extract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContactsFormat {
    /// This project's CSV layout (see [`ContactReader`]).
    Csv,
    /// NgDP contact-register pages (`ContactSearchResult`), one per file.
    NgdpPages,
    /// NgDP contact objects, one per line.
    NgdpNdjson,
}

impl ContactsFormat {
    /// Every format.
    pub const ALL: [ContactsFormat; 3] = [
        ContactsFormat::Csv,
        ContactsFormat::NgdpPages,
        ContactsFormat::NgdpNdjson,
    ];

    /// The name on the command line: `csv`, `ngdp-pages`, `ngdp-ndjson`.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactsFormat::Csv => "csv",
            ContactsFormat::NgdpPages => "ngdp-pages",
            ContactsFormat::NgdpNdjson => "ngdp-ndjson",
        }
    }

    /// The format of the file at `path`, from its content (after gzip): a
    /// JSON object whose first field is a page's is a page, another JSON
    /// object a line of NDJSON, anything else CSV.
    pub fn detect(path: &Path) -> Result<ContactsFormat, ExtractError> {
        let head = ngdp::head_of(path).map_err(|source| ExtractError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(match ngdp::sniff(&head) {
            Some(ngdp::Shape::Pages) => ContactsFormat::NgdpPages,
            Some(ngdp::Shape::Ndjson) => ContactsFormat::NgdpNdjson,
            None => ContactsFormat::Csv,
        })
    }
}

impl fmt::Display for ContactsFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ContactsFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<ContactsFormat, String> {
        ContactsFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not one of csv, ngdp-pages, ngdp-ndjson"))
    }
}

/// `input`, gunzipped if it starts with gzip's magic bytes.
fn decompress<R: BufRead + Send + 'static>(mut input: R) -> io::Result<Box<dyn Read + Send>> {
    let gzip = input.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzip {
        Box::new(flate2::bufread::MultiGzDecoder::new(input))
    } else {
        Box::new(input)
    })
}

/// The bytes read so far through a [`Counted`], shared with its reader.
#[derive(Clone, Default)]
struct ByteCount(Arc<AtomicU64>);

impl ByteCount {
    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Counts the bytes read through it, for progress reports.
struct Counted<R> {
    inner: R,
    count: ByteCount,
}

impl<R> Counted<R> {
    fn new(inner: R) -> Counted<R> {
        Counted {
            inner,
            count: ByteCount::default(),
        }
    }

    fn counter(&self) -> ByteCount {
        self.count.clone()
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
