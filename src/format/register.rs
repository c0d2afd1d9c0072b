//! The register sections of one kind of recipient: the fences and the
//! blocks of keys with their code bytes ([`super::blocks`]), and the
//! exemption windows of the few contacts that have one.
//!
//! A lookup finds its block in the per-process directory, then reads the
//! block's one line of the file.

use std::ops::Range;

use super::FormatError;
use super::blocks::{self, BLOCK_KEYS, BLOCK_LEN, CODES_AT, Counts, Directory, FENCE_LEN};
use super::meta::KindStats;
use crate::contact::{Contact, Registration, Status};
use crate::date::Date;
use crate::memory::Pages;

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

/// Where a key's block lies in the file, found from the per-process
/// directory alone. [`Register::probe`] makes one and [`Register::code`]
/// finishes the lookup; in between, a batch prefetches the block.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Probe {
    /// Offset of the block in the file.
    at: usize,
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
#[derive(Debug)]
pub(crate) struct Register {
    directory: Directory,
    fences: Range<usize>,
    blocks: Range<usize>,
    windows: Range<usize>,
    len: u64,
    /// Whether the index's bytes are on small pages ([`Register::probe_single`]).
    small_pages: bool,
}

impl Register {
    /// Checks the sections' sizes against each other, that the fences
    /// increase and that every block's count is in range (`counts`, of the
    /// blocks section, from the pass that checked its checksum), and builds
    /// the directory (its tables on `pages`, the pages `bytes` are on); the
    /// blocks' contents are checked by [`Register::verify`].
    pub(crate) fn open(
        bytes: &[u8],
        pages: Pages,
        fences: Range<usize>,
        blocks: Range<usize>,
        windows: Range<usize>,
        counts: Counts,
        names: [&'static str; 3],
    ) -> Result<Register, FormatError> {
        let contents = |section, detail: String| FormatError::SectionContents { section, detail };
        if !fences.len().is_multiple_of(FENCE_LEN) {
            return Err(contents(
                names[0],
                format!("length {} is not a multiple of {FENCE_LEN}", fences.len()),
            ));
        }
        let n = fences.len() / FENCE_LEN;
        if blocks.len() != n * BLOCK_LEN {
            return Err(contents(
                names[1],
                format!("{} bytes for {n} blocks of {BLOCK_LEN}", blocks.len()),
            ));
        }
        if !blocks.start.is_multiple_of(BLOCK_LEN) {
            return Err(contents(
                names[1],
                format!("not aligned to {BLOCK_LEN} bytes"),
            ));
        }
        if !windows.len().is_multiple_of(WINDOW_LEN) {
            return Err(contents(
                names[2],
                format!("length {} is not a multiple of {WINDOW_LEN}", windows.len()),
            ));
        }
        let directory = Directory::build(&bytes[fences.clone()], pages)
            .map_err(|detail| contents(names[0], detail))?;
        if let Some((i, count)) = counts.bad {
            return Err(contents(
                names[1],
                format!("block {i} says it holds {count} keys (1 to {BLOCK_KEYS})"),
            ));
        }
        Ok(Register {
            directory,
            fences,
            blocks,
            windows,
            len: counts.keys,
            small_pages: pages == Pages::Small,
        })
    }

    /// Number of recipients.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Private memory held for this register: its directory (the data
    /// itself stays in the file).
    pub(crate) fn heap_size(&self) -> usize {
        self.directory.heap_size()
    }

    /// The first step of a lookup, from the directory alone: the block that
    /// would hold the key. `None` if no block can.
    #[inline(always)]
    pub(crate) fn probe(&self, key: u32) -> Option<Probe> {
        let block = self.directory.block_of(key)?;
        Some(Probe {
            at: self.blocks.start + block * BLOCK_LEN,
            key,
        })
    }

    /// [`Register::probe`] for a single lookup in `bytes`. Where they are
    /// on small pages (a mapped file), it first touches the block's probable
    /// line ([`Directory::block_of_guessing`]), so that the page table walk
    /// for the block's page, a dependent miss of its own when the cache is
    /// cold, runs while the directory is searched: cold lookups of a mapped
    /// national index took 0.82x the time. On huge pages the walk is rare
    /// and the guess, seldom the block's own line, is not worth its
    /// instructions.
    #[inline(always)]
    pub(crate) fn probe_single(&self, bytes: &[u8], key: u32) -> Option<Probe> {
        let block = if self.small_pages {
            self.directory.block_of_guessing(key, |guess| {
                super::prefetch(bytes, self.blocks.start + guess * BLOCK_LEN);
            })
        } else {
            self.directory.block_of(key)
        }?;
        Some(Probe {
            at: self.blocks.start + block * BLOCK_LEN,
            key,
        })
    }

    /// Starts loading the probed block's line. For batches, which probe many
    /// keys before answering them.
    #[inline(always)]
    pub(crate) fn prefetch(&self, bytes: &[u8], probe: &Probe) {
        super::prefetch(bytes, probe.at);
    }

    /// The code byte of the probed key, if the register has it: one line read.
    #[inline(always)]
    pub(crate) fn code(&self, bytes: &[u8], probe: &Probe) -> Option<Code> {
        let block = block_at(bytes, probe.at)?;
        blocks::find(block, probe.key as u16).map(Code)
    }

    /// [`Register::code`] for a lookup: [`Code::ABSENT`] for a key the
    /// register does not hold, without a branch on which it is.
    #[inline(always)]
    pub(crate) fn lookup_code(&self, bytes: &[u8], probe: &Probe) -> Code {
        block_at(bytes, probe.at).map_or(Code::ABSENT, |block| {
            Code(blocks::find_or(block, probe.key as u16, Code::ABSENT.0))
        })
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

    /// Every key with its code byte, in block order (key order in a file
    /// that passes [`Register::verify`]); whatever the bytes say otherwise,
    /// never a panic.
    fn codes<'a>(&'a self, bytes: &'a [u8]) -> impl Iterator<Item = (u32, Code)> + 'a {
        let fences = bytes.get(self.fences.clone()).unwrap_or_default();
        let all = bytes.get(self.blocks.clone()).unwrap_or_default();
        all.chunks_exact(BLOCK_LEN)
            .enumerate()
            .flat_map(move |(i, block)| {
                let block: &[u8; BLOCK_LEN] = block.try_into().expect("chunks of BLOCK_LEN");
                let high = blocks::fence(fences, i).unwrap_or(0) & 0xFFFF_0000;
                (0..blocks::count(block)).map(move |j| {
                    let key = high | u32::from(blocks::low_at(block, j));
                    (key, Code(block[CODES_AT + j]))
                })
            })
    }

    /// Every key with its contact, in key order. On a file that has not
    /// been verified the contacts are whatever the bytes say (never a panic).
    pub(crate) fn contacts<'a>(
        &'a self,
        bytes: &'a [u8],
    ) -> impl Iterator<Item = (u32, Contact)> + 'a {
        let windows = bytes.get(self.windows.clone()).unwrap_or_default();
        let mut next_window = 0;
        self.codes(bytes).map(move |(key, code)| {
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

    /// Full content check: every block in canonical form (its first key its
    /// fence, keys increasing within it and below the next block's, full
    /// unless the last of its high bits, unused slots zero); that every key
    /// is a possible recipient (`keys`); no reserved bit in a code; and that
    /// the windows are sorted, hold valid dates, and belong one to one to
    /// the recipients whose code says they have one. Returns the statistics
    /// the codes add up to.
    ///
    /// Proportional to the file's size, but without a step per recipient
    /// where it can: keys are checked a block at a time where `keys` allows,
    /// codes are counted in a histogram.
    pub(crate) fn verify(
        &self,
        bytes: &[u8],
        names: [&'static str; 3],
        keys: KeyCheck,
    ) -> Result<KindStats, FormatError> {
        let contents = |section, detail: String| FormatError::SectionContents { section, detail };
        let (fences, _) = bytes[self.fences.clone()].as_chunks::<FENCE_LEN>();
        let (all, _) = bytes[self.blocks.clone()].as_chunks::<BLOCK_LEN>();
        let mut histogram = Histogram::default();
        // Consecutive blocks mostly lie in the same slot of keys.
        let mut slot = (u32::MAX, 0);
        let mut unused = 0;
        // One fence per block, as open checked.
        for (i, (block, fence)) in all.iter().zip(fences).enumerate() {
            let next = fences.get(i + 1).map(|f| u32::from_le_bytes(*f));
            if let Err(problem) =
                check_block(block, u32::from_le_bytes(*fence), next, keys, &mut slot)
            {
                return Err(contents(names[1], format!("block {i} {problem}")));
            }
            // All 21 slots: a fixed-size loop the compiler unrolls. The
            // unused ones, zero as just checked, are taken off code 0 below.
            let (codes, _) = block[CODES_AT..]
                .split_first_chunk::<BLOCK_KEYS>()
                .expect("21 slots");
            histogram.add(codes);
            unused += (BLOCK_KEYS - blocks::count(block)) as u64;
        }

        let mut stats = KindStats::default();
        let mut total = histogram.total();
        total[0] -= unused;
        for (code, count) in total.into_iter().enumerate() {
            if count == 0 {
                continue;
            }
            let code = code as u8;
            if code & RESERVED != 0 {
                return Err(contents(
                    names[1],
                    format!("code {code:#04x} has the reserved bit set"),
                ));
            }
            let code = Code(code);
            stats.by_status[code.status() as usize] += count;
            if code.registration().is_pending() {
                stats.pending += count;
            }
            if code.nemsms() {
                stats.nemsms += count;
            }
            if code.has_window() {
                stats.exemption_windows += count;
            }
        }

        // Each window names a recipient whose code says it has one, no two
        // name the same one (the keys increase), and there are as many
        // windows as such recipients: one to one. Errors name the entry, not
        // its key (a packed CPR number).
        let windows = &bytes[self.windows.clone()];
        let n = windows.len() / WINDOW_LEN;
        let with_window = stats.exemption_windows;
        if n as u64 != with_window {
            return Err(contents(
                names[2],
                format!("holds {n} windows for {with_window} recipients that have one"),
            ));
        }
        let mut previous = None;
        for i in 0..n {
            let (key, start, end) = window_at(windows, i).expect("in bounds");
            if previous.is_some_and(|p| p >= key) {
                return Err(contents(
                    names[2],
                    "keys are not strictly increasing".into(),
                ));
            }
            previous = Some(key);
            let valid = |days, open| days == open || Date::from_days(days).is_some();
            if !valid(start, OPEN_START) || !valid(end, OPEN_END) || start > end {
                return Err(contents(names[2], format!("window {i} is invalid")));
            }
            match self.probe(key).and_then(|probe| self.code(bytes, &probe)) {
                None => {
                    return Err(contents(
                        names[2],
                        format!("window {i} belongs to a recipient the register does not hold"),
                    ));
                }
                Some(code) if !code.has_window() => {
                    return Err(contents(
                        names[2],
                        format!("window {i} belongs to a recipient whose code says it has none"),
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(stats)
    }
}

/// The block at `at` in the file.
#[inline(always)]
fn block_at(bytes: &[u8], at: usize) -> Option<&[u8; BLOCK_LEN]> {
    bytes.get(at..at + BLOCK_LEN)?.try_into().ok()
}

/// Checks one block against its fence and the next block's (`next`): the
/// canonical form of FORMAT.md, and that every key is possible. `slot` is
/// the last slot [`KeyCheck::Runs`] looked at, with its valid runs.
fn check_block(
    block: &[u8; BLOCK_LEN],
    fence: u32,
    next: Option<u32>,
    keys: KeyCheck,
    slot: &mut (u32, u16),
) -> Result<(), BlockProblem> {
    let count = blocks::count(block);
    let low = |j| blocks::low_at(block, j);
    if low(0) != fence as u16 {
        return Err(BlockProblem::NotItsFence);
    }
    if !blocks::increasing(block, count) {
        return Err(BlockProblem::NotIncreasing);
    }
    let high = fence & 0xFFFF_0000;
    let last = high | u32::from(low(count - 1));
    let next_high = next.map(|n| n & 0xFFFF_0000);
    if next_high == Some(high) {
        if next.is_some_and(|n| n <= last) {
            return Err(BlockProblem::PastNextFence);
        }
        if count < BLOCK_KEYS {
            return Err(BlockProblem::NotFull(count));
        }
    }
    if (count..BLOCK_KEYS).any(|j| low(j) != 0 || block[CODES_AT + j] != 0) {
        return Err(BlockProblem::UnusedNotZero);
    }
    let possible = match keys {
        KeyCheck::Each(is_key) => (0..count).all(|j| is_key(high | u32::from(low(j)))),
        KeyCheck::Runs { valid_runs } => {
            let mut valid_in = |s: u32| {
                if slot.0 != s {
                    *slot = (s, valid_runs(s));
                }
                u32::from(slot.1)
            };
            let first = high | u32::from(low(0));
            // Keys increase: when the first and the last share a slot, the
            // runs between theirs cover every key of the block.
            if first / SLOT == last / SLOT {
                let (a, b) = (first % SLOT / RUN, last % SLOT / RUN);
                let wanted = ((1u32 << (b - a + 1)) - 1) << a;
                valid_in(first / SLOT) & wanted == wanted
            } else {
                (0..count).all(|j| {
                    let key = high | u32::from(low(j));
                    valid_in(key / SLOT) >> (key % SLOT / RUN) & 1 != 0
                })
            }
        }
    };
    if !possible {
        return Err(BlockProblem::ImpossibleKey);
    }
    Ok(())
}

/// What [`check_block`] found wrong with a block; the error message says it
/// after the block's number.
#[derive(Clone, Copy, Debug)]
enum BlockProblem {
    NotItsFence,
    NotIncreasing,
    PastNextFence,
    NotFull(usize),
    UnusedNotZero,
    ImpossibleKey,
}

impl std::fmt::Display for BlockProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlockProblem::NotItsFence => f.write_str("does not start with its fence"),
            BlockProblem::NotIncreasing => {
                f.write_str("holds keys that are not strictly increasing")
            }
            BlockProblem::PastNextFence => f.write_str("reaches past the next block's fence"),
            BlockProblem::NotFull(count) => write!(
                f,
                "holds {count} keys but is not the last block of its high bits"
            ),
            BlockProblem::UnusedNotZero => f.write_str("has unused slots that are not zero"),
            BlockProblem::ImpossibleKey => f.write_str("holds an impossible key"),
        }
    }
}

/// How [`Register::verify`] checks that every key is a possible recipient.
#[derive(Clone, Copy)]
pub(crate) enum KeyCheck {
    /// Key by key.
    Each(fn(u32) -> bool),
    /// A run of keys at a time: the keys fall into slots of [`SLOT`]
    /// consecutive keys, each cut into runs of [`RUN`] keys that are all
    /// possible or all impossible; `valid_runs(key / SLOT)` has bit `r` set
    /// if run `r` of that slot is possible. (Packed CPR keys: 10,000 serials
    /// per date as written, the first digit of the serial picking the
    /// century.) Constants, not fields: a division by a number known only
    /// at run time took longer than the rest of a block's check.
    Runs { valid_runs: fn(u32) -> u16 },
}

/// Keys per slot of [`KeyCheck::Runs`].
const SLOT: u32 = 10_000;
/// Keys per run of [`KeyCheck::Runs`].
const RUN: u32 = 1_000;

/// How many codes have each value, counted in four interleaved tables so
/// that runs of equal codes do not wait on each other's increments.
struct Histogram {
    tables: Box<[[u32; 256]; 4]>,
    total: [u64; 256],
    /// Codes added since the tables were last flushed into `total`.
    pending: u32,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            tables: Box::new([[0; 256]; 4]),
            total: [0; 256],
            pending: 0,
        }
    }
}

impl Histogram {
    fn add(&mut self, codes: &[u8; BLOCK_KEYS]) {
        for (i, &code) in codes.iter().enumerate() {
            self.tables[i % 4][usize::from(code)] += 1;
        }
        self.pending += BLOCK_KEYS as u32;
        // Flush long before a u32 count could overflow.
        if self.pending >= 1 << 30 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        for table in self.tables.iter_mut() {
            for (sum, count) in self.total.iter_mut().zip(table.iter_mut()) {
                *sum += u64::from(std::mem::take(count));
            }
        }
        self.pending = 0;
    }

    fn total(mut self) -> [u64; 256] {
        self.flush();
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_block_finds_every_problem_and_names_it() {
        // 30 keys of one high half: a full block and one of 9.
        let keys: Vec<u32> = (0..30).map(|i| 1 << 16 | (100 + 10 * i)).collect();
        let (fences, bytes) = blocks::encode(keys.iter().map(|&k| (k, 1)));
        let fence = |i| blocks::fence(&fences, i);
        let block = |i: usize| -> [u8; BLOCK_LEN] {
            bytes[i * BLOCK_LEN..][..BLOCK_LEN].try_into().unwrap()
        };
        let all = KeyCheck::Each(|_| true);
        let check = |b: &[u8; BLOCK_LEN], i: usize, keys: KeyCheck| {
            let next = fence(i + 1);
            check_block(b, fence(i).unwrap(), next, keys, &mut (u32::MAX, 0))
                .map_err(|p| p.to_string())
        };
        assert_eq!(check(&block(0), 0, all), Ok(()));
        assert_eq!(check(&block(1), 1, all), Ok(()));
        let set_low = |b: &mut [u8; BLOCK_LEN], j: usize, low: u16| {
            b[2 * j..2 * j + 2].copy_from_slice(&low.to_le_bytes())
        };
        // Block 0 with slot `j` holding `low` instead.
        let with_low = |j, low| {
            let mut b = block(0);
            set_low(&mut b, j, low);
            check(&b, 0, all)
        };
        assert_eq!(with_low(0, 99), Err("does not start with its fence".into()));
        assert_eq!(
            with_low(2, 110),
            Err("holds keys that are not strictly increasing".into())
        );
        assert_eq!(
            with_low(20, 310),
            Err("reaches past the next block's fence".into())
        );
        let mut b = block(0);
        b[blocks::COUNT_AT] = 20;
        set_low(&mut b, 20, 0);
        b[CODES_AT + 20] = 0;
        assert_eq!(
            check(&b, 0, all),
            Err("holds 20 keys but is not the last block of its high bits".into())
        );
        let mut b = block(1);
        b[CODES_AT + 15] = 1;
        assert_eq!(
            check(&b, 1, all),
            Err("has unused slots that are not zero".into())
        );
        let not_160 = KeyCheck::Each(|key| key != 1 << 16 | 160);
        assert_eq!(
            check(&block(0), 0, not_160),
            Err("holds an impossible key".into())
        );
        assert_eq!(check(&block(1), 1, not_160), Ok(()));
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
