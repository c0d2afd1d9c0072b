//! [`Index`]: an opened, validated index file and the lookups on it.

mod answers;
mod file;
mod metadata;

use std::fmt;
use std::fs::File;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use rustc_hash::FxHashMap;

use self::answers::CodeAnswers;
pub(crate) use self::file::FileIdentity;
use self::file::{Storage, load_file, map_file};
pub(crate) use self::metadata::hex;
use self::metadata::unix_now;
pub use self::metadata::{Metadata, OpenError};
use crate::Date;
use crate::catalog::{Audience, Catalog, MessageType};
use crate::contact::Contact;
use crate::decision::{Answer, LookupError, Rule, decide_material};
use crate::format::{
    self, BlockCheck, Counts, FormatError, Header, KeyCheck, KindStats, Lineage, Meta, Register,
    Section, SectionKind,
};
use crate::recipient::{Recipient, RecipientKind};

/// A material resolved once, for many lookups (see [`Index::material`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MaterialId(u32);

impl MaterialId {
    /// Position of the material in the index's catalog.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The same as a number, for callers across the C ABI.
    pub(crate) fn number(self) -> u32 {
        self.0
    }

    /// A number from [`MaterialId::number`]; one the index does not have
    /// makes a lookup fail with [`LookupError::UnknownMaterial`].
    pub(crate) fn from_number(number: u32) -> MaterialId {
        MaterialId(number)
    }
}

/// An opened index: answers which channel a letter takes.
///
/// Opening checks the whole file (header, bounds, checksums); after that a
/// lookup allocates nothing and cannot fail on the file's account. `Index`
/// is `Send + Sync`: share one between threads behind an `Arc`.
pub struct Index {
    storage: Storage,
    opened: Opened,
    /// Unix second after which lookups answer `StaleIndex`; `i64::MAX` when
    /// no maximum age is set. Atomic so that a shared index can be configured.
    stale_after: AtomicI64,
}

/// What opening read from the file's bytes and checked, and keeps beside
/// them.
struct Opened {
    /// The catalog's material IDs in a hash table: a lookup by material ID
    /// is the common case, and walking the materials fst would cost a cache
    /// miss per node.
    /// It holds only the file's own IDs (a few thousand, fixed at open), so
    /// an unkeyed fast hash (Fx) is safe; SipHash cost more than the rest of
    /// a lookup.
    material_ids: FxHashMap<Box<str>, u32>,
    /// Where the materials fst is, for [`Index::verify`].
    materials: Range<usize>,
    rules: Vec<Rule>,
    /// The contact's part of the decision, per code byte.
    answers: Box<CodeAnswers>,
    registers: [Register; 2],
    meta: Meta,
    metadata: Metadata,
}

impl fmt::Debug for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Index")
            .field("snapshot_id", &self.opened.metadata.snapshot_id_hex())
            .field("materials", &self.opened.rules.len())
            .finish_non_exhaustive()
    }
}

impl Index {
    /// Opens an index file by mapping it into memory, and checks it fully
    /// (header, section bounds, every checksum).
    ///
    /// The recipient data stays in the mapping (shared page cache between
    /// processes). The file must not be truncated or rewritten in place while
    /// it is open: replace it by writing a new file and renaming it over the
    /// old one, as `tilmelding build` does.
    pub fn open(path: impl AsRef<Path>) -> Result<Index, OpenError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| OpenError::Io {
            path: path.to_owned(),
            source,
        })?;
        Index::open_file(&file, path)
    }

    /// Maps and checks an open file; `path` names it in errors.
    pub(crate) fn open_file(file: &File, path: &Path) -> Result<Index, OpenError> {
        let map = map_file(file, true).map_err(|source| OpenError::Io {
            path: path.to_owned(),
            source,
        })?;
        Index::from_storage(Storage::Map(map)).map_err(|source| OpenError::Invalid {
            path: Some(path.to_owned()),
            source,
        })
    }

    /// Reads an index file into this process's memory, backed by huge
    /// pages where the system grants them, with the same checks as
    /// [`Index::open`].
    ///
    /// For servers that answer single lookups while doing other work: with
    /// the index out of the cache, a lookup's random block then costs no
    /// page table walk besides its memory read (national register, random
    /// lookups in a plain loop after the caches were emptied before each
    /// 2,000: 0.69x and 0.70x the time of an index opened with
    /// [`Index::open`], the two alternated in one process; with a warm cache
    /// 0.89x and 0.93x; BENCHMARKS.md). The cost: the file's size in private
    /// memory for each process that loads it, where mappings of one file
    /// share the page cache, and a read of the whole file at open (a
    /// mapping's pages are read as well, for the checksums). A loaded index
    /// does not depend on the file afterwards: the file may be rewritten in
    /// place or removed.
    pub fn load(path: impl AsRef<Path>) -> Result<Index, OpenError> {
        let path = path.as_ref();
        let io = |source| OpenError::Io {
            path: path.to_owned(),
            source,
        };
        let storage = load_file(&File::open(path).map_err(io)?).map_err(io)?;
        Index::from_storage(storage).map_err(|source| OpenError::Invalid {
            path: Some(path.to_owned()),
            source,
        })
    }

    /// Opens an index held in memory (a `Vec<u8>`, a `&'static [u8]`, a mapping...),
    /// with the same checks as [`Index::open`].
    ///
    /// A lookup reads one 64-byte block of the register, which is one cache
    /// line when the bytes start at a multiple of 64 in memory, as a file
    /// mapping always does. Bytes that start elsewhere answer the same, but a
    /// block may then span two lines.
    pub fn from_bytes(bytes: impl AsRef<[u8]> + Send + Sync + 'static) -> Result<Index, OpenError> {
        Index::from_storage(Storage::Other(Box::new(bytes)))
            .map_err(|source| OpenError::Invalid { path: None, source })
    }

    fn from_storage(storage: Storage) -> Result<Index, FormatError> {
        let opened = Opened::read(storage.bytes())?;
        Ok(Index::with(storage, opened))
    }

    /// The index of `storage`, whose bytes `opened` was read from.
    fn with(storage: Storage, opened: Opened) -> Index {
        Index {
            storage,
            opened,
            stale_after: AtomicI64::new(i64::MAX),
        }
    }

    /// Sets the maximum age of the list: once the list's as-of time is older
    /// than `max_age`, every lookup fails with [`LookupError::StaleIndex`], so
    /// that an index that was not replaced in time cannot silently decide a
    /// letter. `None` (the default) turns the check off.
    pub fn set_max_age(&self, max_age: Option<Duration>) {
        let deadline = max_age.map_or(i64::MAX, |age| {
            self.opened
                .metadata
                .as_of
                .saturating_add(i64::try_from(age.as_secs()).unwrap_or(i64::MAX))
        });
        self.stale_after.store(deadline, Ordering::Relaxed);
    }

    /// The maximum age set with [`Index::set_max_age`].
    pub fn max_age(&self) -> Option<Duration> {
        match self.stale_after.load(Ordering::Relaxed) {
            i64::MAX => None,
            deadline => Some(Duration::from_secs(
                deadline.saturating_sub(self.opened.metadata.as_of).max(0) as u64,
            )),
        }
    }

    /// How old the list is now (zero if its as-of time is in the future).
    pub fn age(&self) -> Duration {
        let now = unix_now();
        Duration::from_secs(now.saturating_sub(self.opened.metadata.as_of).max(0) as u64)
    }

    /// True if a maximum age is set and the list is older than it.
    #[inline]
    pub fn is_stale(&self) -> bool {
        let deadline = self.stale_after.load(Ordering::Relaxed);
        deadline != i64::MAX && unix_now() > deadline
    }

    /// Whether a maximum age is set ([`Index::set_max_age`]): only then can
    /// a lookup fail for the index's age.
    #[inline(always)]
    pub(crate) fn has_max_age(&self) -> bool {
        self.stale_after.load(Ordering::Relaxed) != i64::MAX
    }

    #[inline]
    fn check_fresh(&self) -> Result<(), LookupError> {
        if self.has_max_age() && self.is_stale() {
            return Err(LookupError::StaleIndex);
        }
        Ok(())
    }

    /// Facts about the file: version, times, counts, snapshot id.
    pub fn metadata(&self) -> &Metadata {
        &self.opened.metadata
    }

    /// The catalog the index was built from.
    pub fn catalog(&self) -> &Catalog {
        &self.opened.meta.catalog
    }

    /// Private memory this index holds beyond the file's bytes: the
    /// material table and the decision rules. The registers need none: a
    /// lookup computes its block from the key.
    pub fn heap_size(&self) -> usize {
        self.opened.rules.capacity() * std::mem::size_of::<Rule>()
            + std::mem::size_of::<CodeAnswers>()
            + self
                .opened
                .material_ids
                .keys()
                .map(|id| id.len() + std::mem::size_of::<(Box<str>, u32)>())
                .sum::<usize>()
    }

    /// Resolves a material ID once, for many lookups.
    pub fn material(&self, id: &str) -> Option<MaterialId> {
        self.opened
            .material_ids
            .get(id)
            .filter(|&&i| (i as usize) < self.opened.rules.len())
            .map(|&i| MaterialId(i))
    }

    /// Which channel a letter of `material` to `recipient` takes on `date`, and why.
    ///
    /// Allocates nothing. Use [`Date::today`] for today in Danish time.
    pub fn lookup(
        &self,
        material: &str,
        recipient: &Recipient,
        date: Date,
    ) -> Result<Answer, LookupError> {
        self.check_fresh()?;
        let material = self
            .material(material)
            .ok_or(LookupError::UnknownMaterial)?;
        self.answer(material, recipient, date)
    }

    /// Like [`Index::lookup`], with the material already resolved.
    #[inline]
    pub fn lookup_material(
        &self,
        material: MaterialId,
        recipient: &Recipient,
        date: Date,
    ) -> Result<Answer, LookupError> {
        self.check_fresh()?;
        self.answer(material, recipient, date)
    }

    /// The answer, once the caller has checked freshness: the common case
    /// inline ([`Index::quick_answer`]), the rest out of line.
    #[inline(always)]
    pub(crate) fn answer(
        &self,
        material: MaterialId,
        recipient: &Recipient,
        date: Date,
    ) -> Result<Answer, LookupError> {
        match self.quick_answer(material, recipient, date) {
            Some(answer) => Ok(answer),
            None => self.full_answer(material, recipient, date),
        }
    }

    /// The answer in the common case, `None` otherwise: for an unknown
    /// material, a material that decides on its own on `date` (not for
    /// `recipient`'s kind, not active yet, its sender's certificate
    /// expired) and a contact with an exemption window, whose answers
    /// [`Index::full_answer`] gives. Inlined into every caller, with no call
    /// out of line but the reading of blocks past the named one: a lookup
    /// waits for memory, and the fewer instructions it takes, the more of
    /// the next lookups' waits the processor overlaps with its own.
    #[inline(always)]
    pub(crate) fn quick_answer(
        &self,
        material: MaterialId,
        recipient: &Recipient,
        date: Date,
    ) -> Option<Answer> {
        let rule = self.opened.rules.get(material.index())?;
        let kind = recipient.kind();
        if !rule.contact_decides(kind, date) {
            return None;
        }
        let register = &self.opened.registers[kind as usize];
        let bytes = self.storage.bytes();
        let probe = register.probe(recipient.key());
        self.opened
            .answers
            .without_window(register, bytes, probe.as_ref(), rule)
    }

    /// The answer in every case, [`Index::quick_answer`]'s included.
    #[inline(never)]
    pub(crate) fn full_answer(
        &self,
        material: MaterialId,
        recipient: &Recipient,
        date: Date,
    ) -> Result<Answer, LookupError> {
        let rule = self
            .opened
            .rules
            .get(material.index())
            .ok_or(LookupError::UnknownMaterial)?;
        let kind = recipient.kind();
        if !rule.contact_decides(kind, date)
            && let Some(answer) = decide_material(rule, kind, date)?
        {
            return Ok(answer);
        }
        let bytes = self.storage.bytes();
        let register = &self.opened.registers[kind as usize];
        let probe = register.probe(recipient.key());
        Ok(self
            .opened
            .answers
            .answer(register, bytes, probe.as_ref(), rule, date))
    }

    /// Every recipient of `kind` in the index with what the index holds of
    /// it, in the order of [`Recipient::key`]. For exports and comparisons
    /// of whole indexes ([`diff`](crate::diff())); a lookup is
    /// [`Index::lookup`].
    ///
    /// The file holds the recipients in the order of a hash of their key:
    /// the call gathers the kind's keys and sorts them before it returns,
    /// which holds 8 bytes per recipient of memory (47 MB for a national
    /// CPR register) until the iterator is dropped.
    pub fn contacts(&self, kind: RecipientKind) -> impl Iterator<Item = (Recipient, Contact)> + '_ {
        self.opened.registers[kind as usize]
            .contacts(self.storage.bytes())
            .filter_map(move |(key, contact)| Some((Recipient::from_key(kind, key)?, contact)))
    }

    /// Looks up many recipients of one kind, given as numbers (CPR: the ten
    /// digits read as one integer, so `0101901234` is `101901234`; CVR: the
    /// eight-digit number), writing one result per recipient to `out`.
    ///
    /// An invalid number gives `Err(LookupError::InvalidRecipient)` in its slot;
    /// an unknown material or a material without a group for `kind` fails the
    /// whole batch. Allocates nothing.
    ///
    /// # Panics
    ///
    /// If `out` is not as long as `recipients`.
    pub fn lookup_batch(
        &self,
        material: &str,
        kind: RecipientKind,
        recipients: &[u64],
        date: Date,
        out: &mut [Result<Answer, LookupError>],
    ) -> Result<(), LookupError> {
        assert_eq!(
            recipients.len(),
            out.len(),
            "lookup_batch: `out` must have one slot per recipient"
        );
        self.check_fresh()?;
        let material = self
            .material(material)
            .ok_or(LookupError::UnknownMaterial)?;
        self.fill_answers(material, kind, recipients, date, out, |answer| answer)
    }

    /// The batch loop shared by [`Index::lookup_batch`] and the C ABI: writes
    /// `answer(result)` for each recipient number to the slot of `out` at
    /// its position, after checking the material's audience once (slots past
    /// the shorter of the two are left alone). The caller has checked
    /// freshness.
    #[inline]
    pub(crate) fn fill_answers<T>(
        &self,
        material: MaterialId,
        kind: RecipientKind,
        recipients: &[u64],
        date: Date,
        out: &mut [T],
        answer: impl Fn(Result<Answer, LookupError>) -> T,
    ) -> Result<(), LookupError> {
        let rule = self
            .opened
            .rules
            .get(material.index())
            .ok_or(LookupError::UnknownMaterial)?;
        if let Some(same) = decide_material(rule, kind, date)? {
            // The material decides for every recipient.
            for (slot, number) in out.iter_mut().zip(recipients) {
                let valid = Recipient::from_number(kind, *number).is_ok();
                *slot = answer(valid.then_some(same).ok_or(LookupError::InvalidRecipient));
            }
            return Ok(());
        }
        let bytes = self.storage.bytes();
        let register = &self.opened.registers[kind as usize];
        // Random lookups wait on memory. In groups: first check every number
        // of the group and start loading what its lookup will read, then
        // answer them, by which time the loads have (mostly) arrived: the
        // waits overlap instead of following each other.
        const GROUP: usize = 32;
        for (numbers, slots) in recipients.chunks(GROUP).zip(out.chunks_mut(GROUP)) {
            let mut probes = [None; GROUP];
            // Bit i: the group's number i is valid.
            let mut valid = 0u32;
            for (i, (probe, number)) in probes.iter_mut().zip(numbers).enumerate() {
                if let Ok(r) = Recipient::from_number(kind, *number) {
                    valid |= 1 << i;
                    *probe = register.probe(r.key());
                    if let Some(probe) = probe {
                        register.prefetch(bytes, probe);
                    }
                }
            }
            for (i, (probe, slot)) in probes.iter().zip(slots).enumerate() {
                *slot = answer(if valid & (1 << i) != 0 {
                    Ok(self
                        .opened
                        .answers
                        .answer(register, bytes, probe.as_ref(), rule, date))
                } else {
                    Err(LookupError::InvalidRecipient)
                });
            }
        }
        Ok(())
    }

    /// Checks everything [`Index::open`] does not (FORMAT.md 7.2): the
    /// blocks' keys and codes, the exemption windows, the materials map, and
    /// the snapshot id. O(file size). A second thread computes the snapshot
    /// id (SHA-256 of the file) and checks the materials map, then joins this
    /// one in the registers' checks; where the machine has more than two
    /// cores, one thread per further core (at most six) joins from the
    /// start. [`Index::open_verified`] does the same work in less time, the
    /// hashing started before the open's checks.
    pub fn verify(&self) -> Result<(), FormatError> {
        let bytes = self.storage.bytes();
        let opened = &self.opened;
        let checks = opened.check_blocks(bytes);
        let whole_file = || {
            let snapshot = opened.snapshot_id(bytes);
            let materials = opened.verify_materials(bytes);
            work(&checks);
            (snapshot, materials)
        };
        let (snapshot, materials) = std::thread::scope(|scope| {
            let second = std::thread::Builder::new().spawn_scoped(scope, whole_file);
            work_with_helpers(scope, &checks);
            match second {
                Ok(thread) => thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                // No thread to be had: here, after the checks.
                Err(_) => whole_file(),
            }
        });
        let registers = finish(checks);
        opened.verdict(snapshot, materials, registers)
    }

    /// [`Index::open`] and then [`Index::verify`], in less time than the two
    /// one after the other: a second thread hashes the file for its snapshot
    /// id from the start, while this one runs the open's checks and then the
    /// registers', which the second joins when its hash is done. Fails with
    /// the error `open` would give, or else the one `verify` would give.
    pub fn open_verified(path: impl AsRef<Path>) -> Result<Index, OpenError> {
        let path = path.as_ref();
        let io = |source| OpenError::Io {
            path: path.to_owned(),
            source,
        };
        let invalid = |source| OpenError::Invalid {
            path: Some(path.to_owned()),
            source,
        };
        let map = map_file(&File::open(path).map_err(io)?, false).map_err(io)?;
        let bytes: &[u8] = &map;
        // Outside the scope, so that the second thread may borrow what this
        // one read.
        let read = std::sync::OnceLock::new();
        let checks = std::sync::OnceLock::new();
        let (snapshot, materials) = std::thread::scope(|scope| {
            let (send, receive) = std::sync::mpsc::channel::<(&Opened, &[BlockCheck; 2])>();
            let second = std::thread::Builder::new().spawn_scoped(scope, move || {
                let snapshot = (Header::decode(bytes).ok())
                    .map(|header| format::snapshot_id(header.as_of, &bytes[format::HEADER_LEN..]));
                // Nothing comes if the open failed: the error is the open's.
                let materials = (receive.recv().ok()).map(|(opened, checks)| {
                    let materials = opened.verify_materials(bytes);
                    work(checks);
                    materials
                });
                (snapshot, materials)
            });
            let Ok(opened) = read.get_or_init(|| Opened::read(bytes)) else {
                return (None, None);
            };
            let Ok(second) = second else {
                return (None, None);
            };
            let checks = checks.get_or_init(|| opened.check_blocks(bytes));
            // Fails only if the second thread panicked, which its join
            // passes on.
            let _ = send.send((opened, checks));
            drop(send);
            work_with_helpers(scope, checks);
            second
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        let opened = (read.into_inner())
            .expect("read in the scope")
            .map_err(invalid)?;
        // What the scope left undone (no thread to be had), here.
        let snapshot = snapshot.unwrap_or_else(|| opened.snapshot_id(bytes));
        let materials = materials.unwrap_or_else(|| opened.verify_materials(bytes));
        let checks = checks
            .into_inner()
            .unwrap_or_else(|| opened.check_blocks(bytes));
        let registers = finish(checks);
        opened
            .verdict(snapshot, materials, registers)
            .map_err(invalid)?;
        Ok(Index::with(Storage::Map(map), opened))
    }
}

/// Both registers' verdicts ([`BlockCheck::finish`]) once threads have
/// worked on their checks, CPR first.
fn finish([cpr, cvr]: [BlockCheck; 2]) -> [Result<KindStats, FormatError>; 2] {
    [
        cpr.finish(CPR_SECTIONS.map(SectionKind::name)),
        cvr.finish(CVR_SECTIONS.map(SectionKind::name)),
    ]
}

/// Works on `checks` until no task is left, CPR's first.
fn work(checks: &[BlockCheck]) {
    checks.iter().for_each(BlockCheck::work);
}

/// [`work`] on this thread and on [`check_helpers`] more, until every part
/// is done or taken by another thread.
fn work_with_helpers<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    checks: &'scope [BlockCheck],
) {
    let helpers: Vec<_> = (0..check_helpers())
        .filter_map(|_| {
            (std::thread::Builder::new())
                .spawn_scoped(scope, || work(checks))
                .ok()
        })
        .collect();
    work(checks);
    for helper in helpers {
        helper
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    }
}

/// Threads that take part in a verification's register checks besides this
/// one and the one that hashes the file (which joins them when the hash is
/// done): one per further core, at most six. None on two cores, where the
/// check and the hash each have one.
fn check_helpers() -> usize {
    std::thread::available_parallelism().map_or(0, |cores| cores.get().saturating_sub(2).min(6))
}

impl Opened {
    /// Everything [`Index::open`] checks (FORMAT.md 7.1), from the file's
    /// bytes.
    fn read(bytes: &[u8]) -> Result<Opened, FormatError> {
        let header = Header::decode(bytes)?;
        let sections = format::read_sections(bytes, &header)?;
        // The counts of each kind's blocks, read in the checksum's pass; a
        // kind's register is opened only if it has one register section.
        let mut counts = [Counts::default(); 2];
        for section in &sections {
            let data = &bytes[section.start..section.end];
            let kind = [CPR_SECTIONS[0], CVR_SECTIONS[0]]
                .iter()
                .position(|&register| section.kind == register as u32);
            let actual = match kind {
                Some(kind) => {
                    let (crc, of_kind) = format::checksum_and_counts(data);
                    counts[kind] = of_kind;
                    crc
                }
                None => crc32fast::hash(data),
            };
            if actual != section.crc {
                return Err(FormatError::SectionChecksum {
                    section: SectionKind::ALL
                        .iter()
                        .find(|k| **k as u32 == section.kind)
                        .map_or("unknown", |k| k.name()),
                    expected: section.crc,
                    actual,
                });
            }
        }
        let range = |kind: SectionKind| find_section(&sections, kind);

        let meta_range = range(SectionKind::Meta)?;
        let meta_error = |detail: String| FormatError::SectionContents {
            section: SectionKind::Meta.name(),
            detail,
        };
        let (meta, rest): (Meta, _) =
            postcard::take_from_bytes(&bytes[meta_range]).map_err(|e| meta_error(e.to_string()))?;
        if !rest.is_empty() {
            return Err(meta_error(format!(
                "{} bytes follow the records",
                rest.len()
            )));
        }
        let rules = rules(&meta.catalog)?;
        // Lookups resolve material IDs from the (checked) catalog; the fst
        // of the materials section is for other readers, and its bytes are
        // never walked here (a crafted fst could make its reader fail).
        // Verify checks that it is the one the catalog makes.
        let materials = range(SectionKind::Materials)?;
        let mut material_ids =
            FxHashMap::with_capacity_and_hasher(meta.catalog.materials.len(), Default::default());
        for (i, material) in meta.catalog.materials.iter().enumerate() {
            if material_ids
                .insert(Box::from(material.id.as_str()), i as u32)
                .is_some()
            {
                return Err(FormatError::SectionContents {
                    section: SectionKind::Meta.name(),
                    detail: format!("material ID {:?} is not unique", material.id),
                });
            }
        }
        let register = |kinds: [SectionKind; 2], counts: Counts| {
            Register::open(
                bytes,
                range(kinds[0])?,
                range(kinds[1])?,
                counts,
                kinds.map(SectionKind::name),
            )
        };
        let registers = [
            register(CPR_SECTIONS, counts[0])?,
            register(CVR_SECTIONS, counts[1])?,
        ];
        let counts_agree = header.materials as usize == rules.len()
            && header.groups as usize == meta.catalog.groups.len()
            && header.sender_systems as usize == meta.catalog.sender_systems.len()
            && header.cpr_contacts == registers[0].len()
            && header.cvr_contacts == registers[1].len()
            && meta.stats[0].by_status.iter().sum::<u64>() == header.cpr_contacts
            && meta.stats[1].by_status.iter().sum::<u64>() == header.cvr_contacts;
        if !counts_agree {
            return Err(FormatError::Header("the counts disagree with the sections"));
        }
        let lineage = match sections
            .iter()
            .filter(|s| s.kind == SectionKind::Lineage as u32)
            .collect::<Vec<_>>()[..]
        {
            [] => Lineage::default(),
            [section] => Lineage::decode(
                &bytes[section.start..section.end],
                SectionKind::Lineage.name(),
            )?,
            _ => {
                return Err(FormatError::SectionCount {
                    section: SectionKind::Lineage.name(),
                    detail: "present more than once",
                });
            }
        };
        let metadata = Metadata {
            format_version: (header.major, header.minor),
            built_by: meta.crate_version.clone(),
            build_time: header.build_time,
            as_of: header.as_of,
            snapshot_id: header.snapshot_id,
            file_size: header.file_len,
            sender_systems: header.sender_systems,
            groups: header.groups,
            materials: header.materials,
            cpr: meta.stats[0],
            cvr: meta.stats[1],
            base_snapshot_id: lineage.base,
            newest_update: lineage.newest_update,
        };
        drop(sections);
        Ok(Opened {
            material_ids,
            materials,
            rules,
            answers: CodeAnswers::new(),
            registers,
            meta,
            metadata,
        })
    }

    /// The snapshot id of `bytes`, recomputed (FORMAT.md 5).
    fn snapshot_id(&self, bytes: &[u8]) -> [u8; 32] {
        format::snapshot_id(self.metadata.as_of, &bytes[format::HEADER_LEN..])
    }

    /// Both registers' block checks ([`Register::check_blocks`]), CPR's
    /// first, for threads to work on.
    fn check_blocks<'a>(&self, bytes: &'a [u8]) -> [BlockCheck<'a>; 2] {
        RecipientKind::ALL.map(|kind| {
            let keys = match kind {
                RecipientKind::Cpr => KeyCheck::Runs(crate::recipient::Cpr::possible_runs()),
                RecipientKind::Cvr => KeyCheck::Cvr,
            };
            self.registers[kind as usize].check_blocks(bytes, keys)
        })
    }

    /// Full verification's answer from its parts, the first failure in the
    /// order of FORMAT.md 7.2: the snapshot id, the materials map, the CPR
    /// register, the CVR register, the statistics.
    fn verdict(
        &self,
        snapshot: [u8; 32],
        materials: Result<(), FormatError>,
        [cpr, cvr]: [Result<KindStats, FormatError>; 2],
    ) -> Result<(), FormatError> {
        if snapshot != self.metadata.snapshot_id {
            return Err(FormatError::SnapshotMismatch);
        }
        materials?;
        if [cpr?, cvr?] != self.meta.stats {
            return Err(FormatError::SectionContents {
                section: SectionKind::Meta.name(),
                detail: "the statistics disagree with the register".into(),
            });
        }
        Ok(())
    }

    /// That the materials section is the fst map the catalog makes
    /// (FORMAT.md 4.2): lookups never read it, other readers may.
    fn verify_materials(&self, bytes: &[u8]) -> Result<(), FormatError> {
        let canonical = format::materials_fst(&self.meta.catalog).map_err(|_| {
            FormatError::SectionContents {
                section: SectionKind::Meta.name(),
                detail: "the catalog's material IDs are not unique".into(),
            }
        })?;
        if canonical != bytes[self.materials.clone()] {
            return Err(FormatError::SectionContents {
                section: SectionKind::Materials.name(),
                detail: "does not match the catalog's material IDs".into(),
            });
        }
        Ok(())
    }
}

pub(crate) const CPR_SECTIONS: [SectionKind; 2] =
    [SectionKind::CprRegister, SectionKind::CprWindows];
pub(crate) const CVR_SECTIONS: [SectionKind; 2] =
    [SectionKind::CvrRegister, SectionKind::CvrWindows];

fn find_section(sections: &[Section], kind: SectionKind) -> Result<Range<usize>, FormatError> {
    let mut found = sections.iter().filter(|s| s.kind == kind as u32);
    let section = found.next().ok_or(FormatError::SectionCount {
        section: kind.name(),
        detail: "missing",
    })?;
    if found.next().is_some() {
        return Err(FormatError::SectionCount {
            section: kind.name(),
            detail: "present more than once",
        });
    }
    Ok(section.start..section.end)
}

/// The decision rules of every material; also checks every reference in the
/// catalog, since nothing in the file is trusted before it is checked.
fn rules(catalog: &Catalog) -> Result<Vec<Rule>, FormatError> {
    let invalid = |detail: String| FormatError::SectionContents {
        section: SectionKind::Meta.name(),
        detail,
    };
    catalog
        .materials
        .iter()
        .map(|m| {
            let sender = catalog
                .sender_systems
                .get(m.sender_system as usize)
                .ok_or_else(|| {
                    invalid(format!("material {:?} names a missing sender system", m.id))
                })?;
            let mut active_from = [None; 2];
            for audience in [Audience::Private, Audience::Erhverv] {
                if let Some(g) = m.group(audience) {
                    let group = catalog
                        .groups
                        .get(g as usize)
                        .filter(|g| g.audience == audience)
                        .ok_or_else(|| {
                            invalid(format!("material {:?} names a wrong group", m.id))
                        })?;
                    active_from[audience as usize] = Some(group.active_from);
                }
            }
            Ok(Rule::new(
                sender.certificate_expires,
                active_from,
                m.message_type == MessageType::NemSms,
                m.mandatory,
            ))
        })
        .collect()
}

const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Index>();
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Catalog, IndexBuilder};

    /// Rebuilds `bytes` with `edit` applied to the meta section, sealed with
    /// fresh checksums: only the content check can catch what `edit` did.
    fn with_meta(bytes: &[u8], edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
        let header = Header::decode(bytes).unwrap();
        let sections = format::read_sections(bytes, &header).unwrap();
        let mut parts: Vec<(SectionKind, Vec<u8>)> = sections
            .iter()
            .map(|s| {
                let kind = *SectionKind::ALL
                    .iter()
                    .find(|k| **k as u32 == s.kind)
                    .unwrap();
                (kind, bytes[s.start..s.end].to_vec())
            })
            .collect();
        edit(&mut parts[0].1);
        let borrowed: Vec<(SectionKind, &[u8])> =
            parts.iter().map(|(k, b)| (*k, b.as_slice())).collect();
        format::assemble(header, &borrowed)
    }

    /// Where the quick path answers, it answers as the whole path does, and
    /// it answers every lookup but those the material decides on its own
    /// (or refuses) and those of a contact with an exemption window: for
    /// every material, contact, stranger and date of the fixture, from a
    /// mapping and from bytes in memory.
    #[test]
    fn the_quick_answer_is_the_full_answer_where_it_is_given() {
        use crate::{Reason, RecipientKind};

        let (_dir, path) = crate::common::fixture_index();
        let mapped = Index::open(&path).unwrap();
        let in_memory = Index::from_bytes(std::fs::read(&path).unwrap()).unwrap();
        let dates = [
            "2020-01-01",
            "2023-12-31",
            "2026-03-01",
            "2026-11-22",
            "2030-01-01",
        ]
        .map(|d| d.parse::<Date>().unwrap());
        for index in [&mapped, &in_memory] {
            let mut recipients: Vec<(Recipient, bool)> = [RecipientKind::Cpr, RecipientKind::Cvr]
                .into_iter()
                .flat_map(|kind| index.contacts(kind))
                .map(|(r, c)| (r, c.exemption_start.is_some() || c.exemption_end.is_some()))
                .collect();
            assert!(recipients.iter().any(|&(_, window)| window));
            for stranger in ["0101011111", "10000009"] {
                recipients.push((stranger.parse().unwrap(), false));
            }
            let (mut quick, mut declined) = (0, 0);
            for material in (0..index.opened.rules.len() as u32 + 1).map(MaterialId) {
                for &(recipient, window) in &recipients {
                    for date in dates {
                        let full = index.full_answer(material, &recipient, date);
                        let the_material_decides = full.is_err()
                            || full.is_ok_and(|a| {
                                matches!(
                                    a.reason,
                                    Reason::SenderCertificateExpired | Reason::GroupNotActive
                                )
                            });
                        let given = index.quick_answer(material, &recipient, date);
                        let context = format!("{material:?} {} {date}", recipient.masked());
                        assert_eq!(
                            given.is_some(),
                            !the_material_decides && !window,
                            "{context}"
                        );
                        if let Some(answer) = given {
                            assert_eq!(Ok(answer), full, "{context}");
                            quick += 1;
                        } else {
                            declined += 1;
                        }
                    }
                }
            }
            assert!(
                quick > 100 && declined > 100,
                "{quick} quick, {declined} declined"
            );
        }
    }

    #[test]
    fn bytes_after_the_meta_records_are_refused() {
        let bytes = IndexBuilder::new(Catalog::default()).finish(0, 0, &mut |_| {});
        assert!(Index::from_bytes(with_meta(&bytes, |_| {})).is_ok());
        let error = Index::from_bytes(with_meta(&bytes, |meta| meta.push(0))).unwrap_err();
        assert!(
            error.to_string().contains("1 bytes follow the records"),
            "{error}"
        );
    }
}
