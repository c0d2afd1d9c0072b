//! Reading the contact register extract: the complete list of recipients
//! with their registration status, as CSV (optionally gzip-compressed).
//!
//! The header line names the columns, in any order, separated by `;` or `,`
//! (whichever the header uses): `id` and `status` are required;
//! `registration`, `exemption_start`, `exemption_end` and `nemsms` are
//! optional (a missing column reads as empty); other columns are ignored.
//! Blank lines and lines starting with `#` are skipped.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::lines::{Fields, Line, LineReader, MAX_LINE};
use super::{ByteCount, Counted, ExtractError, LineError};
use crate::contact::{Contact, ContactRecord, Registration, Status};
use crate::date::Date;
use crate::recipient::{Recipient, RecipientError, quote_for_message};

const ID: usize = 0;
const STATUS: usize = 1;
const REGISTRATION: usize = 2;
const EXEMPTION_START: usize = 3;
const EXEMPTION_END: usize = 4;
const NEMSMS: usize = 5;
const COLUMNS: [&str; 6] = [
    "id",
    "status",
    "registration",
    "exemption_start",
    "exemption_end",
    "nemsms",
];

/// Streams the records of an extract, one line at a time, in file order.
pub struct ContactReader {
    lines: LineReader<BufReader<Box<dyn Read + Send>>>,
    path: PathBuf,
    delimiter: u8,
    /// Position of each known column in a record, if present.
    positions: [Option<usize>; 6],
    columns: usize,
    fields: Fields,
    bytes_read: ByteCount,
    total_bytes: Option<u64>,
}

impl ContactReader {
    /// Opens an extract; gzip compression is recognised by its magic bytes.
    pub fn open(path: impl AsRef<Path>) -> Result<ContactReader, ExtractError> {
        let path = path.as_ref();
        let io_error = |source| ExtractError::Io {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(io_error)?;
        let total = file.metadata().map_err(io_error)?.len();
        let mut reader = ContactReader::from_reader(file, path)?;
        reader.total_bytes = Some(total);
        Ok(reader)
    }

    /// Reads an extract from any reader; `path` names it in error messages.
    pub fn from_reader(
        reader: impl Read + Send + 'static,
        path: impl AsRef<Path>,
    ) -> Result<ContactReader, ExtractError> {
        let path = path.as_ref().to_owned();
        let io_error = |source| ExtractError::Io {
            path: path.clone(),
            source,
        };
        let counted = Counted::new(reader);
        let bytes_read = counted.counter();
        let decoded =
            super::decompress(BufReader::with_capacity(1 << 16, counted)).map_err(io_error)?;
        let mut lines = LineReader::new(BufReader::with_capacity(1 << 18, decoded));
        let header_error = |line: u64, message: String| ExtractError::Header {
            path: path.clone(),
            line,
            message,
        };
        match lines.next_line().map_err(io_error)? {
            None => return Err(header_error(1, "the file has no header line".into())),
            Some(Line::TooLong) => {
                return Err(header_error(
                    lines.number(),
                    "the header line is too long".into(),
                ));
            }
            Some(Line::Text) => {}
        }
        let header_line = lines.number();
        let header = lines.line();
        let delimiter = if !header.contains(&b';') && header.contains(&b',') {
            b','
        } else {
            b';'
        };
        let mut fields = Fields::default();
        fields
            .split(header, delimiter)
            .map_err(|e| header_error(header_line, e.into()))?;
        let mut positions = [None; 6];
        for (i, name) in fields.iter().enumerate() {
            let name = name.trim_ascii();
            if let Some(column) = COLUMNS.iter().position(|c| c.as_bytes() == name) {
                if positions[column].is_some() {
                    return Err(header_error(
                        header_line,
                        format!("column `{}` appears twice in the header", COLUMNS[column]),
                    ));
                }
                positions[column] = Some(i);
            }
        }
        for required in [ID, STATUS] {
            if positions[required].is_none() {
                return Err(header_error(
                    header_line,
                    format!(
                        "the header has no `{}` column (expected columns: {})",
                        COLUMNS[required],
                        COLUMNS.join(&char::from(delimiter).to_string())
                    ),
                ));
            }
        }
        Ok(ContactReader {
            lines,
            path,
            delimiter,
            positions,
            columns: fields.len(),
            fields,
            bytes_read,
            total_bytes: None,
        })
    }

    /// The extract's name, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes consumed so far from the underlying file (compressed bytes for gzip).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.get()
    }

    /// Size of the underlying file, when known.
    pub fn total_bytes(&self) -> Option<u64> {
        self.total_bytes
    }

    /// The next line: `None` at the end, `Some(Ok(Err(..)))` for a rejected
    /// line (reading may go on), `Some(Err(..))` when the file cannot be read further.
    #[allow(clippy::type_complexity)]
    pub fn next_record(
        &mut self,
    ) -> Option<Result<Result<(u64, ContactRecord), LineError>, ExtractError>> {
        let next = match self.lines.next_line() {
            Ok(next) => next?,
            Err(source) => {
                return Some(Err(ExtractError::Io {
                    path: self.path.clone(),
                    source,
                }));
            }
        };
        let line = self.lines.number();
        let record = match next {
            Line::TooLong => Err(LineError {
                line,
                field: "line",
                message: format!("longer than {MAX_LINE} bytes"),
            }),
            Line::Text => match self.fields.split(self.lines.line(), self.delimiter) {
                Ok(()) => self.parse_record(line),
                Err(message) => Err(LineError {
                    line,
                    field: "line",
                    message: message.into(),
                }),
            },
        };
        Some(Ok(record.map(|r| (line, r))))
    }

    fn parse_record(&self, line: u64) -> Result<ContactRecord, LineError> {
        let error = |field: usize, message: String| LineError {
            line,
            field: COLUMNS[field],
            message,
        };
        if self.fields.len() != self.columns {
            return Err(LineError {
                line,
                field: "line",
                message: format!(
                    "expected {} fields as in the header, found {}",
                    self.columns,
                    self.fields.len()
                ),
            });
        }
        let field = |column: usize| -> &[u8] {
            self.positions[column]
                .and_then(|i| self.fields.get(i))
                .unwrap_or_default()
                .trim_ascii()
        };

        let id = field(ID);
        let parsed = std::str::from_utf8(id)
            .map_err(|_| RecipientError::Malformed)
            .and_then(str::parse::<Recipient>);
        let recipient = match parsed {
            Ok(r) => r,
            Err(reason) if id.is_empty() => return Err(error(ID, format!("empty ({reason})"))),
            Err(reason) => {
                return Err(error(
                    ID,
                    format!("{} is not a valid CPR or CVR number: {reason}", shown(id)),
                ));
            }
        };
        let status = match field(STATUS) {
            b"registered" => Status::Registered,
            b"exempt" => Status::Exempt,
            b"closed" => Status::Closed,
            b"unknown" => Status::Unknown,
            other => {
                return Err(error(
                    STATUS,
                    format!(
                        "{} is not one of registered, exempt, closed, unknown",
                        shown(other)
                    ),
                ));
            }
        };
        let registration = field(REGISTRATION);
        let registration = Registration::ALL
            .into_iter()
            .find(|r| r.as_str().as_bytes() == registration)
            .ok_or_else(|| {
                error(
                    REGISTRATION,
                    format!(
                        "{} is not empty or one of automatic, voluntary, unconfirmed, before_unconfirmed, awaiting_registration, exempt_left_the_country, exempt_other_reason",
                        shown(registration)
                    ),
                )
            })?;
        let date = |column: usize| -> Result<Option<Date>, LineError> {
            let value = field(column);
            if value.is_empty() {
                return Ok(None);
            }
            std::str::from_utf8(value)
                .ok()
                .and_then(|s| s.parse::<Date>().ok())
                .map(Some)
                .ok_or_else(|| {
                    error(
                        column,
                        format!("{} is not a date of the form YYYY-MM-DD", shown(value)),
                    )
                })
        };
        let exemption_start = date(EXEMPTION_START)?;
        let exemption_end = date(EXEMPTION_END)?;
        if let (Some(start), Some(end)) = (exemption_start, exemption_end)
            && start > end
        {
            return Err(error(
                EXEMPTION_END,
                format!("{end} is before exemption_start {start}"),
            ));
        }
        let nemsms = match field(NEMSMS) {
            b"" | b"false" => false,
            b"true" => true,
            other => {
                return Err(error(
                    NEMSMS,
                    format!("{} is not true, false or empty", shown(other)),
                ));
            }
        };
        Ok(ContactRecord {
            recipient,
            contact: Contact {
                status,
                registration,
                exemption_start,
                exemption_end,
                nemsms,
            },
        })
    }
}

/// A field's value fit for an error message (see [`quote_for_message`]).
fn shown(value: &[u8]) -> String {
    quote_for_message(&String::from_utf8_lossy(value))
}
