//! The register sections of one kind of recipient: the keys with their
//! code bytes in blocks of one cache line placed by a hash of the key
//! ([`super::hashed`]), after a header line that gives their layout; and
//! the exemption windows of the few contacts that have one.
//!
//! A lookup computes its key's block from the key and reads that block's
//! one line of the file.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use super::FormatError;
use super::hashed::{self, BLOCK_LEN, Layout, Probes, Shape};
use super::meta::KindStats;
use crate::contact::{Contact, Registration, Status};
use crate::date::Date;

const STATUS_MASK: u8 = 0b0000_0011;
const REGISTRATION_SHIFT: u8 = 2;
const NEMSMS: u8 = 1 << 5;
const HAS_WINDOW: u8 = 1 << 6;
const RESERVED: u8 = 1 << 7;

/// A contact's code byte, as stored: status, registration, NemSMS, and
/// whether an exemption window is stored for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Code(pub(crate) u8);

impl Code {
    /// The code a recipient that is not in the register would have.
    pub(crate) const ABSENT: Code = Code(Status::Unknown as u8);

    #[inline(always)]
    pub(crate) fn status(self) -> Status {
        Status::from_bits(self.0 & STATUS_MASK)
    }

    #[inline(always)]
    pub(crate) fn registration(self) -> Registration {
        Registration::from_bits(self.0 >> REGISTRATION_SHIFT)
    }

    #[inline(always)]
    pub(crate) fn nemsms(self) -> bool {
        self.0 & NEMSMS != 0
    }

    #[inline(always)]
    pub(crate) fn has_window(self) -> bool {
        self.0 & HAS_WINDOW != 0
    }
}

/// Bytes per exemption window entry: key u32, start i32, end i32.
pub(crate) const WINDOW_LEN: usize = 12;
const OPEN_START: i32 = i32::MIN;
const OPEN_END: i32 = i32::MAX;

/// The code byte of a contact.
pub(crate) fn encode(contact: &Contact) -> u8 {
    let mut code = contact.status as u8 | (contact.registration as u8) << REGISTRATION_SHIFT;
    if contact.nemsms {
        code |= NEMSMS;
    }
    if contact.exemption_start.is_some() || contact.exemption_end.is_some() {
        code |= HAS_WINDOW;
    }
    code
}

/// The window entry of a contact that has one.
pub(crate) fn encode_window(key: u32, contact: &Contact, out: &mut Vec<u8>) {
    out.extend_from_slice(&key.to_le_bytes());
    let start = contact.exemption_start.map_or(OPEN_START, Date::days);
    let end = contact.exemption_end.map_or(OPEN_END, Date::days);
    out.extend_from_slice(&start.to_le_bytes());
    out.extend_from_slice(&end.to_le_bytes());
}

fn window_at(windows: &[u8], i: usize) -> Option<(u32, i32, i32)> {
    let e = windows.get(i * WINDOW_LEN..(i + 1) * WINDOW_LEN)?;
    let field = |at: usize| [e[at], e[at + 1], e[at + 2], e[at + 3]];
    Some((
        u32::from_le_bytes(field(0)),
        i32::from_le_bytes(field(4)),
        i32::from_le_bytes(field(8)),
    ))
}

fn window_date(days: i32, open: i32) -> Option<Date> {
    if days == open {
        None
    } else {
        // Out-of-range days are rejected by verification; clamp so lookups stay total.
        Some(Date::from_days(days).unwrap_or(if days < 0 { Date::MIN } else { Date::MAX }))
    }
}

/// Bytes of a register section before its blocks: its header line.
pub(crate) const LINE_LEN: usize = 64;
/// Where the header line holds what it holds.
const KEYS_AT: usize = 0;
const NAMED_AT: usize = 8;
const BITS_AT: usize = 16;
const SHAPE_AT: usize = 17;

/// A register section of unique `(key, code)` pairs, in any order: its
/// header line, then the blocks of [`hashed::encode`].
pub(crate) fn encode_register(entries: &[(u32, u8)]) -> Vec<u8> {
    let (layout, blocks) = hashed::encode(entries);
    let mut section = vec![0u8; LINE_LEN];
    section[KEYS_AT..][..8].copy_from_slice(&(entries.len() as u64).to_le_bytes());
    section[NAMED_AT..][..8].copy_from_slice(&layout.named.to_le_bytes());
    section[BITS_AT] = layout.bits as u8;
    section[SHAPE_AT] = layout.shape.number();
    section.extend_from_slice(&blocks);
    section
}

/// The layout and number of keys a register section's header line gives,
/// its fields checked against each other and the section's length.
fn decode_line(section: &[u8]) -> Result<(Layout, u64), String> {
    let line = section
        .get(..LINE_LEN)
        .ok_or_else(|| format!("{} bytes, shorter than its header line", section.len()))?;
    let shape = Shape::from_number(line[SHAPE_AT])
        .ok_or_else(|| format!("block shape {} is not 0 or 1", line[SHAPE_AT]))?;
    if line[SHAPE_AT + 1..].iter().any(|&b| b != 0) {
        return Err("reserved bytes of the header line are not zero".into());
    }
    let layout = Layout {
        bits: u32::from(line[BITS_AT]),
        named: super::u64_at(line, NAMED_AT),
        shape,
    };
    layout.validate(section.len() - LINE_LEN)?;
    Ok((layout, super::u64_at(line, KEYS_AT)))
}

/// What open needs of a register section's blocks: the counts in their
/// flags bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// The sum of the counts: the number of keys.
    pub(crate) keys: u64,
    /// The first block whose count is more than its shape has slots for,
    /// with it.
    pub(crate) bad: Option<(usize, usize)>,
}

impl Counts {
    /// The counts of a register section's whole blocks.
    #[cfg(fuzzing)]
    pub(crate) fn of(section: &[u8]) -> Counts {
        let mut counts = Counts::default();
        counts.add(
            slots_of(section),
            0,
            section.get(LINE_LEN..).unwrap_or_default(),
        );
        counts
    }

    /// Adds the blocks of `bytes`, the first of them block `first`, of a
    /// shape with `slots` slots.
    fn add(&mut self, slots: usize, first: usize, bytes: &[u8]) {
        for (i, block) in bytes.chunks_exact(BLOCK_LEN).enumerate() {
            let count = hashed::count(block);
            if count > slots && self.bad.is_none() {
                self.bad = Some((first + i, count));
            }
            self.keys += count as u64;
        }
    }
}

/// The slots a block of the section's shape has (none for no shape).
fn slots_of(section: &[u8]) -> usize {
    section
        .get(SHAPE_AT)
        .and_then(|&n| Shape::from_number(n))
        .map_or(0, Shape::keys)
}

/// The CRC-32 of a register section and its blocks' [`Counts`], in one
/// pass: the blocks are most of the file, and reading every block's count
/// after the checksum had read it waited on memory a second time.
pub(crate) fn checksum_and_counts(section: &[u8]) -> (u32, Counts) {
    // Small enough to stay in the first-level cache between the two reads.
    const CHUNK_BLOCKS: usize = 256;
    let mut crc = crc32fast::Hasher::new();
    let (line, blocks) = section.split_at(LINE_LEN.min(section.len()));
    crc.update(line);
    let slots = slots_of(section);
    let mut counts = Counts::default();
    for (i, chunk) in blocks.chunks(CHUNK_BLOCKS * BLOCK_LEN).enumerate() {
        crc.update(chunk);
        counts.add(slots, i * CHUNK_BLOCKS, chunk);
    }
    (crc.finalize(), counts)
}

/// Where a lookup of a key starts, computed from the key alone:
/// [`Register::probe`] makes one and [`Register::code`] finishes the
/// lookup; in between, a batch prefetches the named block.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Probe {
    /// Offset of the key's named block in the file.
    at: usize,
    /// The key's slot in its named block.
    slot: u32,
    key: u32,
}

impl Probe {
    /// The probed key.
    #[inline(always)]
    pub(crate) fn key(&self) -> u32 {
        self.key
    }
}

/// The register of one kind of recipient, located in an index file.
#[derive(Clone, Debug)]
pub(crate) struct Register {
    layout: Layout,
    probes: Probes,
    /// The blocks, after the section's header line.
    blocks: Range<usize>,
    windows: Range<usize>,
    len: u64,
}

impl Register {
    /// Checks the register section's header line against its length, that
    /// no block's count is more than its slots (`counts`, of the section,
    /// from the pass that checked its checksum) and that they add up to
    /// the line's number of keys, and the windows section's length; the
    /// blocks' contents are checked by [`Register::check_blocks`].
    pub(crate) fn open(
        bytes: &[u8],
        register: Range<usize>,
        windows: Range<usize>,
        counts: Counts,
        names: [&'static str; 2],
    ) -> Result<Register, FormatError> {
        let contents = |section, detail: String| FormatError::SectionContents { section, detail };
        let (layout, keys) =
            decode_line(&bytes[register.clone()]).map_err(|detail| contents(names[0], detail))?;
        if !register.start.is_multiple_of(BLOCK_LEN) {
            return Err(contents(
                names[0],
                format!("not aligned to {BLOCK_LEN} bytes"),
            ));
        }
        if let Some((i, count)) = counts.bad {
            return Err(contents(
                names[0],
                format!(
                    "block {i} says it holds {count} keys ({} at most)",
                    layout.shape.keys()
                ),
            ));
        }
        if counts.keys != keys {
            return Err(contents(
                names[0],
                format!(
                    "the blocks hold {} keys, the header line says {keys}",
                    counts.keys
                ),
            ));
        }
        if !windows.len().is_multiple_of(WINDOW_LEN) {
            return Err(contents(
                names[1],
                format!("length {} is not a multiple of {WINDOW_LEN}", windows.len()),
            ));
        }
        Ok(Register {
            layout,
            probes: Probes::of(&layout),
            blocks: register.start + LINE_LEN..register.end,
            windows,
            len: keys,
        })
    }

    /// Number of recipients.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The first step of a lookup, from the key alone: its named block and
    /// its slot there. `None` for a key above every key of the register.
    #[inline(always)]
    pub(crate) fn probe(&self, key: u32) -> Option<Probe> {
        let (own, slot) = self.probes.probe(key)?;
        Some(Probe {
            at: self.blocks.start + own * BLOCK_LEN,
            slot,
            key,
        })
    }

    /// Starts loading the probed key's named block. For batches, which
    /// probe many keys before answering them.
    #[inline(always)]
    pub(crate) fn prefetch(&self, bytes: &[u8], probe: &Probe) {
        super::prefetch(bytes, probe.at);
    }

    /// The code byte of the probed key, if the register has it: one line
    /// read, and the next one for the few keys past a full named block.
    #[inline(always)]
    pub(crate) fn code(&self, bytes: &[u8], probe: &Probe) -> Option<Code> {
        // The named block lies in the section; past it, up to the
        // section's end: in a file that opened but would not verify, a
        // block that says it goes on must not lead a lookup into the next
        // section.
        let (shape, end) = (self.layout.shape, self.blocks.end);
        hashed::code_at(shape, bytes, end, probe.at, probe.slot).map(Code)
    }

    /// [`Register::code`] for a lookup: [`Code::ABSENT`] for a key the
    /// register does not hold.
    #[inline(always)]
    pub(crate) fn lookup_code(&self, bytes: &[u8], probe: &Probe) -> Code {
        self.code(bytes, probe).unwrap_or(Code::ABSENT)
    }

    /// The exemption window of `key` (`None` for an open end); `None` if
    /// the register holds no window for it.
    #[cold]
    pub(crate) fn window(&self, bytes: &[u8], key: u32) -> Option<(Option<Date>, Option<Date>)> {
        let windows = bytes.get(self.windows.clone())?;
        let n = windows.len() / WINDOW_LEN;
        // Binary search over the fixed-size entries.
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let (k, start, end) = window_at(windows, mid)?;
            match k.cmp(&key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    return Some((window_date(start, OPEN_START), window_date(end, OPEN_END)));
                }
            }
        }
        None
    }

    /// Every key with its contact, in key order. On a file that has not
    /// been verified the contacts are whatever the bytes say (never a
    /// panic). The blocks hold the keys in the order of their mix: this
    /// gathers them all (8 bytes each) and sorts them first.
    pub(crate) fn contacts<'a>(
        &'a self,
        bytes: &'a [u8],
    ) -> impl Iterator<Item = (u32, Contact)> + 'a {
        let blocks = bytes.get(self.blocks.clone()).unwrap_or_default();
        let mut codes: Vec<(u32, u8)> = hashed::entries(&self.layout, blocks).collect();
        codes.sort_unstable_by_key(|&(key, _)| key);
        let windows = bytes.get(self.windows.clone()).unwrap_or_default();
        let mut next_window = 0;
        codes.into_iter().map(move |(key, code)| {
            let code = Code(code);
            let mut contact = Contact {
                registration: code.registration(),
                nemsms: code.nemsms(),
                ..Contact::new(code.status())
            };
            if code.has_window() {
                while let Some((k, start, end)) = window_at(windows, next_window) {
                    if k > key {
                        break;
                    }
                    next_window += 1;
                    if k == key {
                        contact.exemption_start = window_date(start, OPEN_START);
                        contact.exemption_end = window_date(end, OPEN_END);
                        break;
                    }
                }
            }
            (key, contact)
        })
    }

    /// Full content check, all on this thread ([`Register::check_blocks`]
    /// and [`BlockCheck::finish`], which share it out).
    #[cfg(any(test, fuzzing))]
    pub(crate) fn verify(
        &self,
        bytes: &[u8],
        names: [&'static str; 2],
        keys: KeyCheck,
    ) -> Result<KindStats, FormatError> {
        self.check_blocks(bytes, keys).finish(names)
    }

    /// Full content check of the register in `bytes` (its file): the
    /// blocks exactly the placement of the keys they hold
    /// ([`hashed::check_range`]); that every key is a possible recipient
    /// (`keys`); no reserved bit in a code; and that the windows are sorted,
    /// hold valid dates, and belong one to one to the recipients whose code
    /// says they have one. In tasks that any number of threads may take
    /// ([`BlockCheck::work`]), the blocks in parts: a national register's
    /// check is most of a verification's work. [`BlockCheck::finish`] gives
    /// the verdict.
    pub(crate) fn check_blocks<'a>(&self, bytes: &'a [u8], keys: KeyCheck) -> BlockCheck<'a> {
        let blocks = &bytes[self.blocks.clone()];
        let layout = self.layout.validate(blocks.len());
        let parts = match layout {
            Ok(()) => (blocks.len() / BLOCK_LEN).div_ceil(PART_BLOCKS),
            Err(_) => 0,
        };
        BlockCheck {
            register: self.clone(),
            bytes,
            keys,
            valid: layout,
            parts,
            next: AtomicUsize::new(0),
            done: Mutex::new(Vec::new()),
            windows: OnceLock::new(),
        }
    }
}

impl BlockCheck<'_> {
    /// The verdict of [`Register::check_blocks`] once threads have worked
    /// on it (this one takes what tasks are left), with the statistics the
    /// codes add up to. The first failing part's error is the whole
    /// check's (`hashed::check_range`); a window's is given only if the
    /// blocks pass.
    pub(crate) fn finish(self, names: [&'static str; 2]) -> Result<KindStats, FormatError> {
        let contents = |section, detail: String| FormatError::SectionContents { section, detail };
        self.work();
        let BlockCheck {
            register,
            valid,
            parts,
            done,
            windows,
            ..
        } = self;
        valid.map_err(|detail| contents(names[0], detail))?;
        let mut done = done.into_inner().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(done.len(), parts, "every part of the check is done");
        done.sort_unstable_by_key(|&(part, _)| part);
        let mut tally = Tally::default();
        for (_, part) in done {
            tally.merge(&part.map_err(|detail| contents(names[0], detail))?);
        }
        if let Some(code) = tally.reserved {
            return Err(contents(
                names[0],
                format!("code {code:#04x} has the reserved bit set"),
            ));
        }
        let stats = tally.stats();

        // Each window names a recipient whose code says it has one, no two
        // name the same one (the keys increase), and there are as many
        // windows as such recipients: one to one.
        let n = register.windows.len() / WINDOW_LEN;
        let with_window = stats.exemption_windows;
        if n as u64 != with_window {
            return Err(contents(
                names[1],
                format!("holds {n} windows for {with_window} recipients that have one"),
            ));
        }
        windows
            .into_inner()
            .expect("checked by `work`")
            .map_err(|detail| contents(names[1], detail))?;
        Ok(stats)
    }
}

impl Register {
    /// That the windows' keys increase, their dates are valid, and each
    /// belongs to a recipient whose code says it has one. Errors name the
    /// entry, not its key (a packed CPR number). Whatever the blocks, never a
    /// panic: the blocks' check may not have run yet.
    fn check_windows(&self, bytes: &[u8]) -> Result<(), String> {
        let windows = &bytes[self.windows.clone()];
        let mut previous = None;
        for i in 0..windows.len() / WINDOW_LEN {
            let (key, start, end) = window_at(windows, i).expect("in bounds");
            if previous.is_some_and(|p| p >= key) {
                return Err("keys are not strictly increasing".into());
            }
            previous = Some(key);
            let valid = |days, open| days == open || Date::from_days(days).is_some();
            if !valid(start, OPEN_START) || !valid(end, OPEN_END) || start > end {
                return Err(format!("window {i} is invalid"));
            }
            match self.probe(key).and_then(|probe| self.code(bytes, &probe)) {
                None => {
                    return Err(format!(
                        "window {i} belongs to a recipient the register does not hold"
                    ));
                }
                Some(code) if !code.has_window() => {
                    return Err(format!(
                        "window {i} belongs to a recipient whose code says it has none"
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// A register's block check with the tally of its codes, in parts, and
/// the check of its windows ([`Register::check_blocks`]).
pub(crate) struct BlockCheck<'a> {
    register: Register,
    /// The file.
    bytes: &'a [u8],
    keys: KeyCheck,
    /// The layout's verdict on the section's length: no part is checked
    /// unless it holds.
    valid: Result<(), String>,
    parts: usize,
    /// The next task no thread has taken: 0 the windows, then the parts.
    next: AtomicUsize,
    done: Mutex<Vec<(usize, Result<Tally, String>)>>,
    windows: OnceLock<Result<(), String>>,
}

impl BlockCheck<'_> {
    /// Takes tasks that no thread has taken, until none is left.
    pub(crate) fn work(&self) {
        let n = self.register.blocks.len() / BLOCK_LEN;
        let mut done = Vec::new();
        loop {
            let Some(part) = self.next.fetch_add(1, Ordering::Relaxed).checked_sub(1) else {
                // First, as it is the one task that is not a part of its size.
                let _ = self.windows.set(self.register.check_windows(self.bytes));
                continue;
            };
            if part >= self.parts {
                break;
            }
            let range = part * PART_BLOCKS..((part + 1) * PART_BLOCKS).min(n);
            done.push((part, self.check_part(range)));
        }
        if !done.is_empty() {
            let mut all = self.done.lock().unwrap_or_else(PoisonError::into_inner);
            all.extend(done);
        }
    }

    /// The check of the blocks in `range` ([`hashed::check_range`]), and
    /// the tally of their codes.
    fn check_part(&self, range: Range<usize>) -> Result<Tally, String> {
        let (layout, blocks) = (
            &self.register.layout,
            &self.bytes[self.register.blocks.clone()],
        );
        let (from, to) = (range.start * BLOCK_LEN, range.end * BLOCK_LEN);
        match self.keys {
            #[cfg(any(test, fuzzing))]
            KeyCheck::Each(possible) => hashed::check_range(layout, blocks, range, possible),
            KeyCheck::Runs(runs) => hashed::check_range(layout, blocks, range, Runs(runs)),
            KeyCheck::Cvr => hashed::check_range(layout, blocks, range, CvrKeys),
        }?;
        // Every block's codes, while the blocks are in the cache.
        let mut tally = Tally::default();
        hashed::code_planes(layout.shape, &blocks[from..to], &mut tally);
        Ok(tally)
    }
}

/// Blocks per part of a register's check ([`Register::check_blocks`]):
/// 512 KiB, which the cache holds between the check's pass and the codes'.
const PART_BLOCKS: usize = 8192;

/// How [`Register::check_blocks`] checks that every key is a possible
/// recipient.
#[derive(Clone, Copy)]
pub(crate) enum KeyCheck {
    /// Key by key (tests and fuzzing).
    #[cfg(any(test, fuzzing))]
    Each(fn(u32) -> bool),
    /// A run of [`RUN`] keys at a time, all possible or all impossible:
    /// bit `i % 32` of word `i / 32` is set if the keys of run `i` are
    /// possible; none past the words. (Packed CPR keys: the first digit of
    /// the serial picks the century, [`crate::recipient::Cpr::possible_runs`].)
    Runs(&'static [u32]),
    /// Packed CVR keys: those [`crate::recipient::Cvr::new`] accepts.
    Cvr,
}

/// Keys per run of [`KeyCheck::Runs`].
const RUN: u32 = 1_000;

/// [`KeyCheck::Runs`] as the register's check asks.
#[derive(Clone, Copy)]
struct Runs(&'static [u32]);

impl hashed::Possible for Runs {
    #[inline(always)]
    fn possible(&mut self, key: u32) -> bool {
        let run = (key / RUN) as usize;
        self.0
            .get(run / 32)
            .is_some_and(|word| word >> (run % 32) & 1 != 0)
    }

    #[inline(always)]
    fn impossible(&mut self, keys: &[u32; hashed::LANES], asked: u32) -> u32 {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2, as just asked.
            return unsafe { hashed::impossible_runs(self.0, keys) } & asked;
        }
        hashed::impossible_one_by_one(self, keys, asked)
    }
}

/// [`KeyCheck::Cvr`] as the register's check asks.
#[derive(Clone, Copy)]
struct CvrKeys;

impl hashed::Possible for CvrKeys {
    #[inline(always)]
    fn possible(&mut self, key: u32) -> bool {
        crate::recipient::Cvr::new(key).is_ok()
    }

    #[inline(always)]
    fn impossible(&mut self, keys: &[u32; hashed::LANES], asked: u32) -> u32 {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2, as just asked.
            return unsafe { hashed::impossible_cvr(&crate::recipient::CVR_SUMS, keys) } & asked;
        }
        hashed::impossible_one_by_one(self, keys, asked)
    }
}

/// What a register's statistics ask of its codes, added up from their bit
/// planes ([`hashed::Planes`]) a block at a time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    /// Codes per status (bits 0 and 1).
    status: [u64; 4],
    /// Codes whose registration (bits 2 to 4) is pending.
    pending: u64,
    nemsms: u64,
    windows: u64,
    /// The first code with the reserved bit set, if any.
    reserved: Option<u8>,
}

/// Bit `r` set if registration `r` is pending.
const PENDING: u8 = {
    let mut pending = 0;
    let mut r = 0;
    while r < 8 {
        if Registration::from_bits(r).is_pending() {
            pending |= 1 << r;
        }
        r += 1;
    }
    pending
};

impl hashed::AddPlanes for Tally {
    #[inline(always)]
    fn add(&mut self, planes: &hashed::Planes, n: usize) {
        let lanes = (1u32 << n) - 1;
        // The codes whose bits in `planes` are those of `value`.
        let having = |planes: &[u32], value: usize| {
            (planes.iter().enumerate()).fold(lanes, |codes, (b, &plane)| {
                codes & if value >> b & 1 != 0 { plane } else { !plane }
            })
        };
        let count = |codes: u32| u64::from(codes.count_ones());
        for (value, sum) in self.status.iter_mut().enumerate() {
            *sum += count(having(&planes[0..2], value));
        }
        let registration = &planes[usize::from(REGISTRATION_SHIFT)..][..3];
        let pending = (0..8)
            .filter(|&value| PENDING >> value & 1 != 0)
            .fold(0, |codes, value| codes | having(registration, value));
        self.pending += count(pending);
        self.nemsms += count(planes[NEMSMS.trailing_zeros() as usize]);
        self.windows += count(planes[HAS_WINDOW.trailing_zeros() as usize]);
        let reserved = planes[RESERVED.trailing_zeros() as usize];
        if reserved != 0 && self.reserved.is_none() {
            let i = reserved.trailing_zeros();
            let bit = |b: usize| ((planes[b] >> i & 1) as u8) << b;
            self.reserved = Some((0..8).map(bit).sum());
        }
    }
}

impl Tally {
    /// Adds `other`, the tally of blocks after this one's.
    fn merge(&mut self, other: &Tally) {
        for (sum, more) in self.status.iter_mut().zip(other.status) {
            *sum += more;
        }
        self.pending += other.pending;
        self.nemsms += other.nemsms;
        self.windows += other.windows;
        self.reserved = self.reserved.or(other.reserved);
    }

    /// The statistics the codes add up to.
    fn stats(&self) -> KindStats {
        KindStats {
            by_status: self.status,
            pending: self.pending,
            nemsms: self.nemsms,
            exemption_windows: self.windows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::hashed::Possible;
    #[cfg(target_arch = "x86_64")]
    use crate::format::hashed::tests::has_avx2;
    use crate::format::hashed::tests::{random_entries, xorshift};

    /// The tally of codes' planes gives the statistics, and the first code
    /// with the reserved bit, that the codes give one by one.
    #[test]
    fn a_tally_of_planes_counts_as_the_codes_one_by_one() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut random = move || xorshift(&mut state);
        for round in 0..200 {
            let (mut tally, mut wanted, mut reserved) =
                (Tally::default(), KindStats::default(), None);
            for _ in 0..round % 50 + 1 {
                let mut block = [0u8; BLOCK_LEN];
                let shape = if random() % 2 == 0 {
                    Shape::Narrow
                } else {
                    Shape::Wide
                };
                let n = random() as usize % (shape.keys() + 1);
                block[BLOCK_LEN - 1] = n as u8;
                for code in &mut block[shape.codes_at()..][..n] {
                    // The reserved bit in one code of 64 or so.
                    *code = random() as u8 & if random() % 64 == 0 { 0xFF } else { 0x7F };
                    let c = Code(*code);
                    wanted.by_status[c.status() as usize] += 1;
                    wanted.pending += u64::from(c.registration().is_pending());
                    wanted.nemsms += u64::from(c.nemsms());
                    wanted.exemption_windows += u64::from(c.has_window());
                    if *code & RESERVED != 0 {
                        reserved = reserved.or(Some(*code));
                    }
                }
                let (planes, held) = hashed::tests::planes_by_definition(shape, &block);
                assert_eq!(held, n);
                // Each block a part of its own, merged as parts are.
                let mut part = Tally::default();
                hashed::AddPlanes::add(&mut part, &planes, n);
                tally.merge(&part);
            }
            assert_eq!(tally.stats(), wanted, "round {round}");
            assert_eq!(tally.reserved, reserved, "round {round}");
        }
    }

    /// A check shared out between threads gives the verdict one thread
    /// gives: the statistics, or the first failing part's error.
    #[test]
    fn threads_sharing_a_check_give_one_threads_verdict() {
        let entries: Vec<(u32, u8)> = hashed::tests::random_entries(500_000, 1 << 28, 21)
            .into_iter()
            .map(|(key, code)| (key, code & 0x3F))
            .collect();
        let section = encode_register(&entries);
        let end = section.len();
        let names = ["register", "windows"];
        let counts = checksum_and_counts(&section).1;
        let register = Register::open(&section, 0..end, end..end, counts, names).unwrap();
        let parts = register
            .check_blocks(&section, KeyCheck::Each(|_| true))
            .parts;
        assert!(parts >= 3, "{parts} parts");
        let mut state = 17u64;
        let mut verdicts = std::collections::BTreeSet::new();
        for round in 0..12 {
            let mut bytes = section.clone();
            // None to three bits flipped, past the header line.
            for _ in 0..round % 4 {
                let bit = register.blocks.start * 8
                    + (xorshift(&mut state) % (8 * register.blocks.len() as u64)) as usize;
                bytes[bit / 8] ^= 1 << (bit % 8);
            }
            // Every third round, a few keys impossible.
            let possible: fn(u32) -> bool = match round % 3 {
                2 => |key| key % 100_003 != 7,
                _ => |_| true,
            };
            let keys = KeyCheck::Each(possible);
            let alone = register.verify(&bytes, names, keys);
            // The blocks' error is that of the check of the whole section.
            let blocks = &bytes[register.blocks.clone()];
            if let Err(detail) = hashed::check(&register.layout, blocks, possible) {
                let section = names[0];
                assert_eq!(alone, Err(FormatError::SectionContents { section, detail }));
            }
            let check = register.check_blocks(&bytes, keys);
            std::thread::scope(|scope| {
                for _ in 0..3 {
                    scope.spawn(|| check.work());
                }
                check.work();
            });
            assert_eq!(check.finish(names), alone, "round {round}");
            verdicts.insert(format!("{alone:?}"));
        }
        // Some pass, some fail, with more than one error.
        assert!(verdicts.len() >= 3, "{verdicts:?}");
    }

    /// A register section of `entries` opens, verifies, finds every key and
    /// no neighbour, and lists the entries in key order.
    fn round_trip(entries: &[(u32, u8)], shape: Shape) {
        let section = encode_register(entries);
        let end = section.len();
        let names = ["register", "windows"];
        let counts = checksum_and_counts(&section).1;
        let register = Register::open(&section, 0..end, end..end, counts, names).unwrap();
        assert_eq!(register.layout.shape, shape);
        assert_eq!(register.len(), entries.len() as u64);
        let stats = register
            .verify(&section, names, KeyCheck::Each(|_| true))
            .unwrap();
        assert_eq!(stats.by_status.iter().sum::<u64>(), entries.len() as u64);
        let map: std::collections::BTreeMap<u32, u8> = entries.iter().copied().collect();
        let code = |key| {
            register
                .probe(key)
                .and_then(|p| register.code(&section, &p))
        };
        for &(key, c) in entries {
            assert_eq!(code(key), Some(Code(c)), "{key}");
            for near in [key.wrapping_add(1), key.wrapping_sub(1)] {
                assert_eq!(code(near).map(|c| c.0), map.get(&near).copied(), "{near}");
            }
        }
        let listed: Vec<(u32, u8)> = (register.contacts(&section))
            .map(|(k, c)| (k, encode(&c)))
            .collect();
        assert_eq!(listed, map.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn registers_of_both_shapes_open_verify_and_answer() {
        // Codes without a window or the reserved bit.
        let codes = |entries: Vec<(u32, u8)>| -> Vec<(u32, u8)> {
            entries.into_iter().map(|(k, c)| (k, c & 0x3F)).collect()
        };
        round_trip(&[], Shape::Wide);
        round_trip(
            &codes(random_entries(5_000, 1_104_000_000, 21)),
            Shape::Wide,
        );
        // CVR-sized: 27-bit keys, enough of them for narrow blocks.
        round_trip(
            &codes(random_entries(200_000, 100_000_000, 22)),
            Shape::Narrow,
        );
    }

    #[test]
    fn runs_say_which_keys_are_possible() {
        // Runs 0, 2 and 64 are possible, nothing else.
        let runs: &'static [u32] = &[0b101, 0, 1];
        let possible = |key| Runs(runs).possible(key);
        assert!(possible(0) && possible(999) && possible(2_000) && possible(2_999));
        assert!(!possible(1_000) && !possible(3_000) && !possible(63_999));
        assert!(possible(64_000) && possible(64_999) && !possible(65_000));
        // Past the words.
        assert!(!possible(128_000) && !possible(u32::MAX));
    }

    /// Runs' keys by vectors as key by key, within the words, past them,
    /// and at the ends of the keys.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn runs_by_vectors_as_key_by_key() {
        if !has_avx2("runs by vectors") {
            return;
        }
        let few: &'static [u32] = &[0b101, 0, 1 << 31];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || xorshift(&mut state);
        for words in [crate::recipient::Cpr::possible_runs(), few, &[]] {
            for round in 0..2_000 {
                let keys: [u32; hashed::LANES] = std::array::from_fn(|i| match (round + i) % 5 {
                    0 => next() as u32,
                    1 => (next() % 1_200_000_000) as u32,
                    2 => (next() % 100_000) as u32,
                    3 => [0, 999, 1_000, 95_999, 96_000, u32::MAX][i % 6],
                    _ => (next() % (32_000 * words.len() as u64 + 2)) as u32,
                });
                let all = (1 << hashed::LANES) - 1;
                let one_by_one = hashed::impossible_one_by_one(&mut Runs(words), &keys, all);
                // SAFETY: the processor has AVX2, as asked above.
                let vectors = unsafe { hashed::impossible_runs(words, &keys) };
                assert_eq!(vectors, one_by_one, "{keys:?}");
            }
        }
    }

    /// The CVR check by vectors, against [`crate::recipient::Cvr::new`]:
    /// CVR numbers and their neighbours, the bounds of eight digits, any
    /// number.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn cvr_by_vectors_as_key_by_key() {
        if !has_avx2("CVR numbers by vectors") {
            return;
        }
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || xorshift(&mut state);
        let edges = [
            0,
            9_999_999,
            10_000_000,
            10_000_019,
            99_999_999,
            99_999_997,
            100_000_000,
            u32::MAX,
        ];
        let (mut possible, mut impossible) = (0, 0);
        for round in 0..20_000 {
            let keys: [u32; hashed::LANES] = std::array::from_fn(|i| match (round + i) % 4 {
                0 => next() as u32,
                1 => edges[(next() % edges.len() as u64) as usize],
                // About one in eleven a CVR number.
                _ => (10_000_000 + next() % 90_000_000) as u32,
            });
            let all = (1 << hashed::LANES) - 1;
            let one_by_one = hashed::impossible_one_by_one(&mut CvrKeys, &keys, all);
            // SAFETY: the processor has AVX2, as asked above.
            let vectors = unsafe { hashed::impossible_cvr(&crate::recipient::CVR_SUMS, &keys) };
            assert_eq!(vectors, one_by_one, "round {round}");
            impossible += one_by_one.count_ones();
            possible += hashed::LANES as u32 - one_by_one.count_ones();
        }
        assert!(
            possible > 10_000 && impossible > 10_000,
            "{possible} {impossible}"
        );
    }

    #[test]
    fn codes_round_trip_every_combination() {
        for status in Status::ALL {
            for registration in Registration::ALL {
                for nemsms in [false, true] {
                    let contact = Contact {
                        status,
                        registration,
                        exemption_start: None,
                        exemption_end: None,
                        nemsms,
                    };
                    let code = Code(encode(&contact));
                    assert_eq!(code.0 & RESERVED, 0);
                    assert_eq!(code.status(), status);
                    assert_eq!(code.registration(), registration);
                    assert_eq!(code.nemsms(), nemsms);
                    assert!(!code.has_window());
                }
            }
        }
    }
}
