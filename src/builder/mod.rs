//! The builder: a catalog and a contact extract in, one index file out.
//!
//! [`build`] streams the extract (CSV, or NgDP's pages or NDJSON), rejects
//! bad records with a reason, refuses an incomplete NgDP extract, and writes
//! the file atomically (temporary file, fsync, rename). [`IndexBuilder`] is
//! the in-memory core, for callers that have their data at hand.

mod inputs;
mod ngdp;
mod rejects;
mod write;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use self::rejects::Rejects;
use crate::catalog::{Catalog, CatalogError};
use crate::contact::{Contact, ContactRecord};
use crate::diff::Diff;
use crate::extract::ngdp::thousands;
use crate::extract::{ContactError, ContactReader, ContactsFormat, ExtractError, LineError};
use crate::format::{self, Header, KindStats, Lineage, Meta, SectionKind};
use crate::index::{Index, OpenError};
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
    /// The extract's format; `None` detects it from each file's content.
    pub contacts_format: Option<ContactsFormat>,
    /// Refuse to write the index when it differs too much from the index in
    /// service (see [`Guard`]).
    pub guard: Option<Guard>,
    /// How many contacts the extract must hold (the `totalElements` its
    /// download saw). Required for NDJSON, which carries no page counts;
    /// checked against the pages' own counts too when given.
    pub expect_contacts: Option<u64>,
}

/// A check against the index in service before a new one is written: the
/// build is refused when, for a kind of recipient, the number of recipients
/// falls by more than `max_change` percent, or more than `max_change`
/// percent of them are added, removed or change their answer-relevant
/// state ([`KindDiff::affected`](crate::KindDiff::affected)). A truncated or stale extract that slipped
/// past every other check still shows here.
#[derive(Clone, Debug)]
pub struct Guard {
    /// The index in service.
    pub index: PathBuf,
    /// The largest change allowed, in percent of the old index's recipients.
    pub max_change: f64,
}

impl Guard {
    /// Why `diff` is too large a change, if it is.
    pub fn refusals(&self, diff: &Diff) -> Vec<String> {
        let mut out = Vec::new();
        for kind in RecipientKind::ALL {
            let k = diff.kind(kind);
            let share = |n: u64| 100.0 * n as f64 / k.old.max(1) as f64;
            let fall = k.old.saturating_sub(k.new);
            if fall > 0 && share(fall) > self.max_change {
                out.push(format!(
                    "{kind} recipients fall by {} ({:.2}%), more than {}%",
                    thousands(fall),
                    share(fall),
                    self.max_change
                ));
            }
            if share(k.affected()) > self.max_change && k.affected() > 0 {
                out.push(format!(
                    "{} {kind} recipients are added, removed or change state ({:.2}%), more than {}%",
                    thousands(k.affected()),
                    share(k.affected()),
                    self.max_change
                ));
            }
        }
        out
    }
}

/// What a build did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BuildReport {
    /// The index file written.
    pub output: PathBuf,
    /// The extract's format.
    pub format: ContactsFormat,
    /// Records read from the extract: CSV data lines (blank and comment
    /// lines not counted), or NgDP contacts.
    pub records: u64,
    /// NgDP pages read (0 for CSV and NDJSON).
    pub pages: u64,
    /// Recipients in the index.
    pub contacts: u64,
    /// Recipients kept from the base of a delta build ([`build_delta`]).
    pub kept: u64,
    /// Records rejected (only with `skip_invalid`; otherwise the build fails).
    pub rejected: u64,
    /// NgDP contacts that appeared more than once: older copies dropped for
    /// the one with the greatest (`lastUpdated`, `version`).
    pub replaced: u64,
    /// Size of the index file.
    pub file_size: u64,
    /// The index's snapshot id, hex.
    pub snapshot_id: String,
    /// The as-of time recorded (Unix seconds).
    pub as_of: i64,
    /// The change against the guard's index, when a guard was set.
    pub guard: Option<Diff>,
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
    /// Contacts of an NgDP extract were rejected (and `skip_invalid` was not set).
    #[error("{total} contact(s) rejected; nothing was written{}{}",
        Listed(errors),
        if *total > errors.len() as u64 { format!("\n  ... and {} more (use --skip-invalid FILE to list them all and build without them)", total - errors.len() as u64) } else { String::new() })]
    InvalidContacts {
        /// The first rejected contacts (at most [`ERRORS_LISTED`]).
        errors: Vec<ContactError>,
        /// How many contacts were rejected in all.
        total: u64,
    },
    /// The NgDP extract is not the whole result: pages missing, repeated or
    /// inconsistent, or fewer or more contacts than it says.
    #[error("the extract is incomplete; nothing was written{}", Listed(problems))]
    Incomplete {
        /// What is wrong, e.g. `pages 17-18 of 6,700 missing`.
        problems: Vec<String>,
    },
    /// The contacts paths do not make one extract (say, CSV and NgDP pages
    /// mixed, or NDJSON without the expected count).
    #[error("{0}")]
    Inputs(String),
    /// The base of a delta build could not be opened or is not sound.
    #[error("the base index cannot be used: {0}")]
    Base(#[source] OpenError),
    /// The guard's index could not be opened.
    #[error("the guard's index cannot be read: {0}")]
    GuardIndex(#[source] OpenError),
    /// The new index differs from the guard's too much; nothing was written.
    #[error("the new index differs too much from {}: {}; nothing was written (the change is below; if it is real, build without --guard or with a larger --max-change)\n{}", index.display(), reasons.join("; "), diff.to_string().trim_end())]
    GuardRefused {
        /// The guard's index.
        index: PathBuf,
        /// What is too large.
        reasons: Vec<String>,
        /// The whole change.
        diff: Box<Diff>,
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

struct Listed<'a, T>(&'a [T]);

impl<T: std::fmt::Display> std::fmt::Display for Listed<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for error in self.0 {
            write!(f, "\n  {error}")?;
        }
        Ok(())
    }
}

/// Builds an index file from a catalog file and a contact extract.
///
/// `contacts` is one CSV file, or the NgDP extract: page files, directories
/// of page files, or NDJSON files (see [`ContactsFormat`]). The format is
/// detected from each file's content unless [`BuildOptions::contacts_format`]
/// says it. The pages of an NgDP extract must be the whole result (see the
/// README); an NDJSON extract must hold [`BuildOptions::expect_contacts`]
/// contacts. Otherwise nothing is written.
pub fn build(
    catalog: &Path,
    contacts: &[impl AsRef<Path>],
    output: &Path,
    options: &BuildOptions,
    progress: &mut dyn FnMut(BuildProgress),
) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    write::check_overwrite(output, options.force)?;
    let catalog = Catalog::load(catalog)?;
    build_from(catalog, None, contacts, output, options, progress, started)
}

/// Builds an index from an index and a delta: the contacts of the delta
/// (NgDP pages from `?lastUpdated=...`, checked for completeness like a
/// full extract, or NDJSON, or CSV) replace the base's contacts with the
/// same number, and every other contact of the base is kept. Looking up any
/// recipient in the result answers exactly as an index built from the
/// merged list. The catalog is `catalog`'s, or the base's if `None`. The
/// base is verified fully first.
pub fn build_delta(
    base: &Path,
    catalog: Option<&Path>,
    contacts: &[impl AsRef<Path>],
    output: &Path,
    options: &BuildOptions,
    progress: &mut dyn FnMut(BuildProgress),
) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    write::check_overwrite(output, options.force)?;
    let base_index = Index::open(base).map_err(BuildError::Base)?;
    base_index.verify().map_err(|source| {
        BuildError::Base(OpenError::Invalid {
            path: Some(base.to_owned()),
            source,
        })
    })?;
    let catalog = match catalog {
        Some(path) => Catalog::load(path)?,
        None => base_index.catalog().clone(),
    };
    build_from(
        catalog,
        Some(&base_index),
        contacts,
        output,
        options,
        progress,
        started,
    )
}

#[allow(clippy::too_many_arguments)]
fn build_from(
    catalog: Catalog,
    base: Option<&Index>,
    contacts: &[impl AsRef<Path>],
    output: &Path,
    options: &BuildOptions,
    progress: &mut dyn FnMut(BuildProgress),
    started: Instant,
) -> Result<BuildReport, BuildError> {
    let contacts: Vec<&Path> = contacts.iter().map(AsRef::as_ref).collect();
    let (format, files) = inputs::resolve(&contacts, options.contacts_format)?;
    let as_of = match options.as_of {
        Some(t) => t,
        None => inputs::newest_modification(&files)?,
    };
    let built = match format {
        ContactsFormat::Csv => build_csv(catalog, base, &files[0], as_of, options, progress)?,
        _ => ngdp::build(catalog, base, &files, format, as_of, options, progress)?,
    };

    let guard = match &options.guard {
        Some(guard) => Some(check_guard(guard, &built.bytes)?),
        None => None,
    };
    progress(BuildProgress::Writing);
    write_atomically(output, &built.bytes).map_err(|source| BuildError::Output {
        path: output.to_owned(),
        source,
    })?;
    let header = Header::decode(&built.bytes).expect("the builder writes a valid header");
    Ok(BuildReport {
        output: output.to_owned(),
        format,
        records: built.records,
        pages: built.pages,
        contacts: header.cpr_contacts + header.cvr_contacts,
        rejected: built.rejected,
        replaced: built.replaced,
        kept: built.kept,
        file_size: built.bytes.len() as u64,
        snapshot_id: crate::index::hex(&header.snapshot_id),
        as_of,
        guard,
        elapsed: started.elapsed(),
    })
}

/// The change from the guard's index to the new one, or the refusal.
fn check_guard(guard: &Guard, bytes: &[u8]) -> Result<Diff, BuildError> {
    let old = Index::open(&guard.index).map_err(BuildError::GuardIndex)?;
    let new = Index::from_bytes(bytes.to_vec()).expect("the builder writes a valid index");
    let diff = crate::diff::diff(&old, &new, &mut |_| {});
    let reasons = guard.refusals(&diff);
    if reasons.is_empty() {
        Ok(diff)
    } else {
        Err(BuildError::GuardRefused {
            index: guard.index.clone(),
            reasons,
            diff: Box::new(diff),
        })
    }
}

/// An encoded index and what went into it.
struct Built {
    bytes: Vec<u8>,
    records: u64,
    pages: u64,
    rejected: u64,
    replaced: u64,
    kept: u64,
}

fn build_csv(
    catalog: Catalog,
    base: Option<&Index>,
    contacts: &Path,
    as_of: i64,
    options: &BuildOptions,
    progress: &mut dyn FnMut(BuildProgress),
) -> Result<Built, BuildError> {
    let mut reader = ContactReader::open(contacts)?;
    let mut rejects = Rejects::new(
        format!("{}:", contacts.display()),
        options.skip_invalid.as_deref(),
    )?;
    let mut builder = IndexBuilder::new(catalog);
    let mut lines = 0u64;
    while let Some(next) = reader.next_record() {
        match next? {
            Ok((line, record)) => builder.add(line, &record),
            Err(error) => rejects.reject(error),
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
    let kept = base.map_or(0, |base| builder.keep_from(base));
    progress(BuildProgress::Encoding);
    let mut duplicates = Vec::new();
    let bytes = builder.finish(as_of, unix_seconds(SystemTime::now()), &mut |e| {
        duplicates.push(e)
    });
    for error in duplicates {
        rejects.reject(error);
    }
    let rejected = rejects
        .finish()?
        .map_err(|(errors, total)| BuildError::InvalidLines {
            path: contacts.to_owned(),
            errors,
            total,
        })?;
    Ok(Built {
        bytes,
        records: lines,
        pages: 0,
        rejected,
        replaced: 0,
        kept,
    })
}

pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

#[derive(Clone, Copy)]
struct Entry {
    key: u32,
    /// Where the record came from: a CSV line, or an NgDP position.
    line: u64,
    /// `(lastUpdated, version)` of an NgDP contact; zero for CSV.
    order: (i64, i64),
    contact: Contact,
}

/// The source of a recipient kept from the base of a delta build.
const FROM_BASE: u64 = u64::MAX;

/// What to do with a recipient that was added more than once.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Repeats {
    /// Leave it out (CSV: with two lines there is no telling which is right).
    Reject,
    /// Keep the copy with the greatest order (NgDP: a keyset-paged download
    /// repeats contacts that changed while it ran); leave it out only if
    /// copies with the greatest order differ.
    Newest,
}

/// A recipient added more than once and left out.
struct Repeated {
    recipient: Recipient,
    /// The sources of its copies, ascending.
    lines: Vec<u64>,
}

/// The index encoded, and what was dropped on the way.
struct Encoded {
    bytes: Vec<u8>,
    repeated: Vec<Repeated>,
    /// Older copies dropped under [`Repeats::Newest`].
    replaced: u64,
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
    lineage: Lineage,
}

impl IndexBuilder {
    /// A builder for this catalog, with an empty register.
    pub fn new(catalog: Catalog) -> IndexBuilder {
        IndexBuilder {
            catalog,
            entries: [Vec::new(), Vec::new()],
            lineage: Lineage::default(),
        }
    }

    /// Adds a recipient; `line` names its source line if a duplicate is reported.
    pub fn add(&mut self, line: u64, record: &ContactRecord) {
        self.push(line, record, (0, 0));
    }

    /// Adds every recipient of `base` that has not been added: the rest of
    /// the register around a delta. Returns how many were kept.
    fn keep_from(&mut self, base: &Index) -> u64 {
        let metadata = base.metadata();
        self.lineage.base = Some(metadata.snapshot_id);
        self.lineage.newest_update = self.lineage.newest_update.max(metadata.newest_update);
        let mut kept = 0;
        for kind in RecipientKind::ALL {
            let entries = &mut self.entries[kind as usize];
            let mut delta: Vec<u32> = entries.iter().map(|e| e.key).collect();
            delta.sort_unstable();
            delta.dedup();
            for (recipient, contact) in base.contacts(kind) {
                let key = recipient.key();
                if delta.binary_search(&key).is_err() {
                    entries.push(Entry {
                        key,
                        line: FROM_BASE,
                        order: (i64::MIN, i64::MIN),
                        contact,
                    });
                    kept += 1;
                }
            }
        }
        kept
    }

    /// Adds a recipient with the order that decides between its copies: an
    /// NgDP contact, whose `lastUpdated` (`order.0`) the lineage keeps the
    /// newest of.
    fn add_ordered(&mut self, line: u64, record: &ContactRecord, order: (i64, i64)) {
        if order.0 != i64::MIN {
            self.lineage.newest_update = self.lineage.newest_update.max(Some(order.0));
        }
        self.push(line, record, order);
    }

    fn push(&mut self, line: u64, record: &ContactRecord, order: (i64, i64)) {
        self.entries[record.recipient.kind() as usize].push(Entry {
            key: record.recipient.key(),
            line,
            order,
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
        let encoded = self.encode(Repeats::Reject, as_of, build_time);
        let mut errors = Vec::new();
        for Repeated { recipient, lines } in &encoded.repeated {
            let all: Vec<String> = lines.iter().map(u64::to_string).collect();
            for &line in lines {
                errors.push(LineError {
                    line,
                    field: "id",
                    message: format!(
                        "{} appears on {} lines ({}); all are left out, so the recipient gets paper",
                        recipient.masked(),
                        lines.len(),
                        all.join(", ")
                    ),
                });
            }
        }
        errors.sort_by_key(|e| e.line);
        errors.into_iter().for_each(&mut *duplicate);
        encoded.bytes
    }

    fn encode(self, repeats: Repeats, as_of: i64, build_time: i64) -> Encoded {
        let mut repeated = Vec::new();
        let mut replaced = 0;
        let mut registers = Vec::new();
        let mut stats = [KindStats::default(); 2];
        for (kind, mut entries) in RecipientKind::ALL.into_iter().zip(self.entries) {
            entries.sort_unstable_by_key(|e| (e.key, e.line));
            replaced += remove_repeats(kind, repeats, &mut entries, &mut repeated);
            registers.push(encode_register(&entries, &mut stats[kind as usize]));
        }

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
        let lineage = self.lineage.encode();
        let mut sections: Vec<(SectionKind, &[u8])> = vec![
            (SectionKind::Meta, &meta),
            (SectionKind::Materials, &materials),
            (SectionKind::CprRegister, &cpr.register),
            (SectionKind::CprWindows, &cpr.windows),
            (SectionKind::CvrRegister, &cvr.register),
            (SectionKind::CvrWindows, &cvr.windows),
        ];
        if !self.lineage.is_empty() {
            sections.push((SectionKind::Lineage, &lineage));
        }
        let bytes = format::assemble(header, &sections);
        Encoded {
            bytes,
            repeated,
            replaced,
        }
    }
}

/// Resolves every key that occurs more than once (`entries` sorted by key):
/// keeps one entry or none as `repeats` says, and reports each key left out.
/// Returns how many older copies were dropped.
fn remove_repeats(
    kind: RecipientKind,
    repeats: Repeats,
    entries: &mut Vec<Entry>,
    out: &mut Vec<Repeated>,
) -> u64 {
    let mut replaced = 0;
    let mut kept = 0;
    let mut i = 0;
    while i < entries.len() {
        let key = entries[i].key;
        let run = entries[i..].iter().take_while(|e| e.key == key).count();
        let copies = &entries[i..i + run];
        let newest = copies
            .iter()
            .map(|e| e.order)
            .max()
            .expect("a run is not empty");
        let mut top = copies.iter().filter(|e| e.order == newest);
        let first = *top.next().expect("the newest is among the copies");
        let agree = top.all(|e| e.contact == first.contact);
        if run == 1 || (repeats == Repeats::Newest && agree) {
            entries[kept] = first;
            kept += 1;
            replaced += run as u64 - 1;
        } else {
            let conflicting = copies
                .iter()
                .filter(|e| repeats == Repeats::Reject || e.order == newest);
            out.push(Repeated {
                recipient: Recipient::from_key(kind, key).expect("keys come from recipients"),
                lines: conflicting.map(|e| e.line).collect(),
            });
        }
        i += run;
    }
    entries.truncate(kept);
    replaced
}

/// The two sections of one kind of recipient, encoded.
struct EncodedRegister {
    register: Vec<u8>,
    windows: Vec<u8>,
}

fn encode_register(entries: &[Entry], stats: &mut KindStats) -> EncodedRegister {
    let mut windows = Vec::new();
    for e in entries {
        if e.contact.exemption_start.is_some() || e.contact.exemption_end.is_some() {
            format::encode_window(e.key, &e.contact, &mut windows);
            stats.exemption_windows += 1;
        }
        stats.by_status[e.contact.status as usize] += 1;
        stats.pending += u64::from(e.contact.registration.is_pending());
        stats.nemsms += u64::from(e.contact.nemsms);
    }
    let codes: Vec<(u32, u8)> = (entries.iter())
        .map(|e| (e.key, format::encode(&e.contact)))
        .collect();
    EncodedRegister {
        register: format::encode_register(&codes),
        windows,
    }
}
