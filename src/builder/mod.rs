//! The builder: a catalog and a contact extract in, one index file out.
//!
//! [`build`] streams the extract, rejects bad lines with a reason, and writes
//! the file atomically (temporary file, fsync, rename). [`IndexBuilder`] is
//! the in-memory core, for callers that have their data at hand.

mod write;

use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::catalog::{Catalog, CatalogError};
use crate::contact::{Contact, ContactRecord};
use crate::extract::{ContactReader, ExtractError, LineError};
use crate::format::{self, Header, KindStats, Meta, SectionKind};
use crate::recipient::{Recipient, RecipientKind};

pub use self::write::write_atomically;

/// How many rejected lines a failed build lists.
pub const ERRORS_LISTED: usize = 20;

/// Settings of a build.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// When the list was extracted (Unix seconds). Default: the extract's modification time.
    pub as_of: Option<i64>,
    /// Write rejected lines here and go on, instead of failing the build.
    pub skip_invalid: Option<PathBuf>,
    /// Overwrite an existing output file even if it is not an index.
    pub force: bool,
}

/// What a build did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BuildReport {
    /// The index file written.
    pub output: PathBuf,
    /// Data lines read from the extract (blank and comment lines not counted).
    pub lines: u64,
    /// Recipients in the index.
    pub contacts: u64,
    /// Lines rejected (only with `skip_invalid`; otherwise the build fails).
    pub rejected: u64,
    /// Size of the index file.
    pub file_size: u64,
    /// The index's snapshot id, hex.
    pub snapshot_id: String,
    /// The as-of time recorded (Unix seconds).
    pub as_of: i64,
    /// Wall time of the whole build.
    pub elapsed: Duration,
}

/// Where a build is, for progress bars.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum BuildProgress {
    /// Reading the extract: bytes read of `total` (when known), lines so far.
    Reading {
        /// Bytes read from the file.
        bytes: u64,
        /// File size, when known.
        total: Option<u64>,
        /// Lines read.
        lines: u64,
    },
    /// Sorting and encoding the register.
    Encoding,
    /// Writing the file.
    Writing,
}

/// A build that failed. Nothing was written to the output path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The catalog could not be read or is invalid.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The extract could not be read.
    #[error(transparent)]
    Contacts(#[from] ExtractError),
    /// Lines of the extract were rejected (and `skip_invalid` was not set).
    #[error("{}: {total} line(s) rejected; nothing was written{}{}",
        path.display(),
        Listed(errors),
        if *total > errors.len() as u64 { format!("\n  ... and {} more (use --skip-invalid FILE to list them all and build without them)", total - errors.len() as u64) } else { String::new() })]
    InvalidLines {
        /// The extract.
        path: PathBuf,
        /// The first rejected lines (at most [`ERRORS_LISTED`]).
        errors: Vec<LineError>,
        /// How many lines were rejected in all.
        total: u64,
    },
    /// The list of rejected lines could not be written.
    #[error("{}: cannot write the list of rejected lines: {source}", path.display())]
    SkipFile {
        /// The file for rejected lines.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The index file could not be written.
    #[error("{}: cannot write the index: {source}", path.display())]
    Output {
        /// The output path.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The output path holds a file that is not an index.
    #[error("{}: exists and is not a tilmelding index; refusing to overwrite it (remove it, or force)", path.display())]
    WouldOverwrite {
        /// The output path.
        path: PathBuf,
    },
}

struct Listed<'a>(&'a [LineError]);

impl std::fmt::Display for Listed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for error in self.0 {
            write!(f, "\n  {error}")?;
        }
        Ok(())
    }
}

/// Builds an index file from a catalog file and a contact extract.
pub fn build(
    catalog: &Path,
    contacts: &Path,
    output: &Path,
    options: &BuildOptions,
    progress: &mut dyn FnMut(BuildProgress),
) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    write::check_overwrite(output, options.force)?;
    let catalog = Catalog::load(catalog)?;
    let mut reader = ContactReader::open(contacts)?;
    let as_of = match options.as_of {
        Some(t) => t,
        None => std::fs::metadata(contacts)
            .and_then(|m| m.modified())
            .map(unix_seconds)
            .map_err(|source| ExtractError::Io {
                path: contacts.to_owned(),
                source,
            })?,
    };

    let mut rejects = Rejects::new(contacts, options.skip_invalid.as_deref())?;
    let mut builder = IndexBuilder::new(catalog);
    let mut lines = 0u64;
    while let Some(next) = reader.next_record() {
        match next? {
            Ok((line, record)) => builder.add(line, &record),
            Err(error) => rejects.reject(error)?,
        }
        lines += 1;
        if lines.is_multiple_of(65_536) {
            progress(BuildProgress::Reading {
                bytes: reader.bytes_read(),
                total: reader.total_bytes(),
                lines,
            });
        }
    }
    progress(BuildProgress::Encoding);
    let mut duplicates = Vec::new();
    let bytes = builder.finish(as_of, unix_seconds(SystemTime::now()), &mut |e| {
        duplicates.push(e)
    });
    for error in duplicates {
        rejects.reject(error)?;
    }
    let rejected = rejects.finish()?;

    progress(BuildProgress::Writing);
    write_atomically(output, &bytes).map_err(|source| BuildError::Output {
        path: output.to_owned(),
        source,
    })?;
    let header = Header::decode(&bytes).expect("the builder writes a valid header");
    Ok(BuildReport {
        output: output.to_owned(),
        lines,
        contacts: header.cpr_contacts + header.cvr_contacts,
        rejected,
        file_size: bytes.len() as u64,
        snapshot_id: header
            .snapshot_id
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        as_of,
        elapsed: started.elapsed(),
    })
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// Rejected lines: listed in a file (and counted) with `--skip-invalid`,
/// otherwise the first few are kept for the error that fails the build.
struct Rejects {
    contacts: PathBuf,
    file: Option<(PathBuf, BufWriter<std::fs::File>)>,
    listed: Vec<LineError>,
    total: u64,
}

impl Rejects {
    fn new(contacts: &Path, skip_invalid: Option<&Path>) -> Result<Rejects, BuildError> {
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
            contacts: contacts.to_owned(),
            file,
            listed: Vec::new(),
            total: 0,
        })
    }

    fn reject(&mut self, error: LineError) -> Result<(), BuildError> {
        self.total += 1;
        match &mut self.file {
            Some((path, out)) => {
                writeln!(out, "{}:{error}", self.contacts.display()).map_err(|source| {
                    BuildError::SkipFile {
                        path: path.clone(),
                        source,
                    }
                })
            }
            None => {
                if self.listed.len() < ERRORS_LISTED {
                    self.listed.push(error);
                }
                Ok(())
            }
        }
    }

    /// The number of rejected lines, or the error that fails the build.
    fn finish(self) -> Result<u64, BuildError> {
        match self.file {
            Some((path, mut out)) => {
                out.flush()
                    .and_then(|()| out.get_ref().sync_all())
                    .map_err(|source| BuildError::SkipFile { path, source })?;
                Ok(self.total)
            }
            None if self.total == 0 => Ok(0),
            None => Err(BuildError::InvalidLines {
                path: self.contacts,
                errors: self.listed,
                total: self.total,
            }),
        }
    }
}

#[derive(Clone, Copy)]
struct Entry {
    key: u32,
    line: u64,
    contact: Contact,
}

/// Builds an index in memory from a catalog and contact records.
///
/// ```
/// use tilmelding::{Catalog, Contact, IndexBuilder, Index, Status};
///
/// let catalog = Catalog::from_toml(r#"
///     [[sender_system]]
///     id = "S"
///     name = "System"
///     [[group]]
///     id = "G"
///     name = "Group"
///     audience = "private"
///     active_from = 2020-01-01
///     [[material]]
///     id = "M"
///     name = "Material"
///     sender_system = "S"
///     groups = ["G"]
/// "#, "catalog.toml")?;
/// let mut builder = IndexBuilder::new(catalog);
/// builder.add_contact("0101901234".parse()?, Contact::new(Status::Registered));
/// let index = Index::from_bytes(builder.finish(0, 0, &mut |_| {}))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct IndexBuilder {
    catalog: Catalog,
    entries: [Vec<Entry>; 2],
}

impl IndexBuilder {
    /// A builder for this catalog, with an empty register.
    pub fn new(catalog: Catalog) -> IndexBuilder {
        IndexBuilder {
            catalog,
            entries: [Vec::new(), Vec::new()],
        }
    }

    /// Adds a recipient; `line` names its source line if a duplicate is reported.
    pub fn add(&mut self, line: u64, record: &ContactRecord) {
        self.entries[record.recipient.kind() as usize].push(Entry {
            key: record.recipient.key(),
            line,
            contact: record.contact,
        });
    }

    /// Adds a recipient that has no source line.
    pub fn add_contact(&mut self, recipient: Recipient, contact: Contact) {
        self.add(0, &ContactRecord { recipient, contact });
    }

    /// Encodes the index file. Every recipient added more than once is left
    /// out, each of its lines reported to `duplicate` (in line order): with two
    /// entries there is no telling which is right, and absence means paper.
    pub fn finish(
        self,
        as_of: i64,
        build_time: i64,
        duplicate: &mut dyn FnMut(LineError),
    ) -> Vec<u8> {
        let mut duplicates = Vec::new();
        let mut registers = Vec::new();
        let mut stats = [KindStats::default(); 2];
        for (kind, mut entries) in RecipientKind::ALL.into_iter().zip(self.entries) {
            entries.sort_unstable_by_key(|e| (e.key, e.line));
            remove_duplicates(kind, &mut entries, &mut duplicates);
            registers.push(encode_register(&entries, &mut stats[kind as usize]));
        }
        duplicates.sort_by_key(|e: &LineError| e.line);
        duplicates.into_iter().for_each(&mut *duplicate);

        let materials =
            format::materials_fst(&self.catalog).expect("the catalog's material IDs are unique");
        let header = Header {
            major: format::FORMAT_MAJOR,
            minor: format::FORMAT_MINOR,
            section_count: 0,
            build_time,
            as_of,
            materials: self.catalog.materials.len() as u32,
            groups: self.catalog.groups.len() as u32,
            sender_systems: self.catalog.sender_systems.len() as u32,
            cpr_contacts: stats[0].by_status.iter().sum(),
            cvr_contacts: stats[1].by_status.iter().sum(),
            snapshot_id: [0; 32],
            file_len: 0,
        };
        let meta = postcard::to_stdvec(&Meta {
            crate_version: env!("CARGO_PKG_VERSION").to_owned(),
            catalog: self.catalog,
            stats,
        })
        .expect("the catalog serializes");
        let [cpr, cvr] = <[EncodedRegister; 2]>::try_from(registers)
            .ok()
            .expect("two kinds");
        format::assemble(
            header,
            &[
                (SectionKind::Meta, &meta),
                (SectionKind::Materials, &materials),
                (SectionKind::CprSet, &cpr.set),
                (SectionKind::CprCodes, &cpr.codes),
                (SectionKind::CprWindows, &cpr.windows),
                (SectionKind::CvrSet, &cvr.set),
                (SectionKind::CvrCodes, &cvr.codes),
                (SectionKind::CvrWindows, &cvr.windows),
            ],
        )
    }
}

/// Drops every entry whose key occurs more than once, reporting each of its lines.
fn remove_duplicates(kind: RecipientKind, entries: &mut Vec<Entry>, out: &mut Vec<LineError>) {
    let mut kept = 0;
    let mut i = 0;
    while i < entries.len() {
        let key = entries[i].key;
        let run = entries[i..].iter().take_while(|e| e.key == key).count();
        if run == 1 {
            entries[kept] = entries[i];
            kept += 1;
        } else {
            let recipient = Recipient::from_key(kind, key).expect("keys come from recipients");
            let lines: Vec<String> = entries[i..i + run]
                .iter()
                .map(|e| e.line.to_string())
                .collect();
            for e in &entries[i..i + run] {
                out.push(LineError {
                    line: e.line,
                    field: "id",
                    message: format!(
                        "{} appears on {} lines ({}); all are left out, so the recipient gets paper",
                        recipient.masked(),
                        run,
                        lines.join(", ")
                    ),
                });
            }
        }
        i += run;
    }
    entries.truncate(kept);
}

/// The three sections of one kind of recipient, encoded.
struct EncodedRegister {
    set: Vec<u8>,
    codes: Vec<u8>,
    windows: Vec<u8>,
}

fn encode_register(entries: &[Entry], stats: &mut KindStats) -> EncodedRegister {
    let bitmap = roaring::RoaringBitmap::from_sorted_iter(entries.iter().map(|e| e.key))
        .expect("keys are sorted and unique");
    let mut set = Vec::with_capacity(bitmap.serialized_size());
    bitmap.serialize_into(&mut set).expect("writing to a Vec");
    let mut codes = Vec::with_capacity(entries.len());
    let mut windows = Vec::new();
    for e in entries {
        let code = format::encode(&e.contact);
        codes.push(code);
        if e.contact.exemption_start.is_some() || e.contact.exemption_end.is_some() {
            format::encode_window(e.key, &e.contact, &mut windows);
            stats.exemption_windows += 1;
        }
        stats.by_status[e.contact.status as usize] += 1;
        stats.pending += u64::from(e.contact.registration.is_pending());
        stats.nemsms += u64::from(e.contact.nemsms);
    }
    EncodedRegister {
        set,
        codes,
        windows,
    }
}
