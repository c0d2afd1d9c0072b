//! The register sections of one kind of recipient: the set of keys (a roaring
//! bitmap), one code byte per key in key order, and the exemption windows of
//! the few contacts that have one.
//!
//! A lookup is one probe: the key's rank in the set indexes the code array.

use std::ops::Range;

use super::FormatError;
use super::meta::KindStats;
use super::roaring::{Probe, RoaringLayout};
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

/// The register of one kind of recipient, located in an index file.
#[derive(Clone, Debug)]
pub(crate) struct Register {
    layout: RoaringLayout,
    set: Range<usize>,
    codes: Range<usize>,
    windows: Range<usize>,
}

impl Register {
    /// Checks the sections' sizes against each other (O(containers)); the
    /// contents are checked by [`Register::verify`].
    pub(crate) fn open(
        bytes: &[u8],
        set: Range<usize>,
        codes: Range<usize>,
        windows: Range<usize>,
        names: [&'static str; 3],
    ) -> Result<Register, FormatError> {
        let layout = RoaringLayout::parse(&bytes[set.clone()]).map_err(|e| {
            FormatError::SectionContents {
                section: names[0],
                detail: e.to_string(),
            }
        })?;
        if codes.len() != layout.len() as usize {
            return Err(FormatError::SectionContents {
                section: names[1],
                detail: format!("{} codes for {} recipients", codes.len(), layout.len()),
            });
        }
        if !windows.len().is_multiple_of(WINDOW_LEN) {
            return Err(FormatError::SectionContents {
                section: names[2],
                detail: format!("length {} is not a multiple of {WINDOW_LEN}", windows.len()),
            });
        }
        Ok(Register {
            layout,
            set,
            codes,
            windows,
        })
    }

    /// Number of recipients.
    pub(crate) fn len(&self) -> u32 {
        self.layout.len()
    }

    /// Heap memory held for this register (the data itself stays in the file).
    pub(crate) fn heap_size(&self) -> usize {
        self.layout.heap_size()
    }

    /// The first step of a lookup, from the heap alone: where the key would
    /// be. `None` if the register cannot have it.
    #[inline(always)]
    pub(crate) fn probe(&self, key: u32) -> Option<Probe<'_>> {
        self.layout.probe(key)
    }

    /// Starts loading what an answer will read for `probe`. For
    /// batches, which probe many keys before answering them.
    #[inline(always)]
    pub(crate) fn prefetch(&self, bytes: &[u8], probe: &Probe<'_>) {
        // An array lookup reads 128 bytes from the hint: up to three lines.
        let at = self.set.start + probe.byte_hint();
        super::prefetch(bytes, at);
        super::prefetch(bytes, at + 64);
        super::prefetch(bytes, at + 127);
        self.prefetch_code(bytes, probe);
    }

    /// Starts loading the code byte of the probed key: the line of the
    /// segment's first rank and, when the segment reaches into the next
    /// line, that one too (a second prefetch of the same line costs next to
    /// nothing). With only the first, about half the lookups in a national
    /// index waited for the code byte's line after the search.
    #[inline(always)]
    pub(crate) fn prefetch_code(&self, bytes: &[u8], probe: &Probe<'_>) {
        super::prefetch(bytes, self.codes.start + probe.rank_hint() as usize);
        super::prefetch(bytes, self.codes.start + probe.rank_last() as usize);
    }

    /// The code byte of the probed key, if the register has it.
    #[inline(always)]
    pub(crate) fn code(&self, bytes: &[u8], probe: &Probe<'_>) -> Option<Code> {
        let set = bytes.get(self.set.clone())?;
        let rank = self.layout.rank_at(set, probe)?;
        bytes
            .get(self.codes.start + rank as usize)
            .copied()
            .map(Code)
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
    /// been verified the contacts are whatever the bytes say (never a panic).
    pub(crate) fn contacts<'a>(
        &'a self,
        bytes: &'a [u8],
    ) -> impl Iterator<Item = (u32, Contact)> + 'a {
        let set = bytes.get(self.set.clone()).unwrap_or_default();
        let codes = bytes.get(self.codes.clone()).unwrap_or_default();
        let windows = bytes.get(self.windows.clone()).unwrap_or_default();
        let mut next_window = 0;
        self.layout
            .iter(set)
            .zip(codes.iter().copied().map(Code))
            .map(move |(key, code)| {
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

    /// Full content check: the bitmap; that every key is a possible
    /// recipient (`keys`); no reserved bit in a code; and that the windows
    /// are sorted, hold valid dates, and belong one to one to the recipients
    /// whose code says they have one. Returns the statistics the codes add
    /// up to.
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
        let set = &bytes[self.set.clone()];
        self.layout
            .validate_contents(set)
            .map_err(|e| contents(names[0], e.to_string()))?;
        self.verify_keys(set, keys)
            .map_err(|detail| contents(names[0], detail))?;

        let mut stats = KindStats::default();
        for (code, count) in histogram(&bytes[self.codes.clone()])
            .into_iter()
            .enumerate()
        {
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
        // windows as such recipients: one to one.
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
                return Err(contents(names[2], format!("invalid window for key {key}")));
            }
            let code = self
                .layout
                .rank(set, key)
                .and_then(|rank| bytes.get(self.codes.start + rank as usize));
            match code {
                None => {
                    return Err(contents(
                        names[2],
                        format!("has a window for key {key}, which the register does not hold"),
                    ));
                }
                Some(code) if code & HAS_WINDOW == 0 => {
                    return Err(contents(
                        names[2],
                        format!("has a window for key {key}, whose code says it has none"),
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(stats)
    }

    /// Checks that every key in the set is a possible recipient.
    fn verify_keys(&self, set: &[u8], keys: KeyCheck) -> Result<(), String> {
        let impossible = |key| format!("holds the impossible key {key}");
        match keys {
            KeyCheck::Each(is_key) => match self.layout.iter(set).find(|&key| !is_key(key)) {
                Some(key) => Err(impossible(key)),
                None => Ok(()),
            },
            KeyCheck::Blocks {
                slot,
                block,
                valid_blocks,
            } => {
                let all = (1u32 << (slot / block)) - 1;
                for high in self.layout.container_keys() {
                    let (first, last) = (high << 16, high << 16 | 0xFFFF);
                    for s in first / slot..=last / slot {
                        let valid = u32::from(valid_blocks(s));
                        if valid == all {
                            continue;
                        }
                        for b in (0..slot / block).filter(|b| valid >> b & 1 == 0) {
                            // Within this container; u64 as the last slot
                            // may reach past u32::MAX.
                            let start = u64::from(s) * u64::from(slot) + u64::from(b * block);
                            let lo = start.max(u64::from(first));
                            let hi = (start + u64::from(block) - 1).min(u64::from(last));
                            if lo <= hi && self.layout.any_in(set, lo as u32, hi as u32) {
                                return Err(format!(
                                    "holds an impossible key between {lo} and {hi}"
                                ));
                            }
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

/// How [`Register::verify`] checks that every key is a possible recipient.
pub(crate) enum KeyCheck {
    /// Key by key.
    Each(fn(u32) -> bool),
    /// A block of keys at a time: the keys fall into slots of `slot`
    /// consecutive keys, each cut into blocks of `block` keys that are all
    /// possible or all impossible; `valid_blocks(key / slot)` has bit `b` set
    /// if block `b` of that slot is possible.
    Blocks {
        slot: u32,
        block: u32,
        valid_blocks: fn(u32) -> u16,
    },
}

/// How many of `bytes` have each value, counted in four interleaved tables
/// so that runs of equal bytes do not wait on each other's increments.
fn histogram(bytes: &[u8]) -> [u64; 256] {
    let mut tables = [[0u32; 256]; 4];
    let mut total = [0u64; 256];
    // Flush before a u32 count could overflow.
    for chunk in bytes.chunks(4 << 30) {
        let mut quads = chunk.chunks_exact(4);
        for quad in &mut quads {
            for (table, &byte) in tables.iter_mut().zip(quad) {
                table[usize::from(byte)] += 1;
            }
        }
        for &byte in quads.remainder() {
            tables[0][usize::from(byte)] += 1;
        }
        for table in &mut tables {
            for (sum, count) in total.iter_mut().zip(table.iter_mut()) {
                *sum += u64::from(std::mem::take(count));
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

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
