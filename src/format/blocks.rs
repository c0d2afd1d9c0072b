//! The register layout of format 2: the keys of one kind of recipient in
//! blocks of one cache line, each holding up to [`BLOCK_KEYS`] keys (their
//! low 16 bits) with their code bytes beside them, and a fence table of each
//! block's first key.
//!
//! ```text
//! block (64 bytes, 64-byte aligned in the file):
//! 0          2          ...   40         42       ...   62        63
//! | low 0    | low 1    | ... | low 20   | code 0 | ... | code 20 | count |
//! ```
//!
//! At open the fences become a small per-process [`Directory`]: for every
//! value of a key's high 16 bits, the run of blocks that hold such keys, and
//! the low 16 bits of each block's first key. A lookup finds its block there
//! and then reads one line of the file: the keys and their codes.

use crate::memory::{self, Pages};

/// Bytes per block: one cache line.
pub(crate) const BLOCK_LEN: usize = 64;
/// Keys per block, at most: 21 × (2 bytes of key + 1 code byte) + 1 count byte = 64.
pub(crate) const BLOCK_KEYS: usize = 21;
/// Where a block's code bytes start.
pub(crate) const CODES_AT: usize = 2 * BLOCK_KEYS;
/// Where a block holds its number of keys.
pub(crate) const COUNT_AT: usize = BLOCK_LEN - 1;
/// Bytes per fence: the block's first key, a `u32`.
pub(crate) const FENCE_LEN: usize = 4;

/// Fences searched at once by [`first_above`] (one 64-byte line of `u16`).
const LANES: usize = 32;

/// The fences and blocks sections of sorted, unique `(key, code)` pairs.
///
/// A block holds keys of one value of the high 16 bits only, and is full
/// unless the next key has other high bits (or there is none): the layout is
/// a function of the keys.
pub(crate) fn encode(entries: impl IntoIterator<Item = (u32, u8)>) -> (Vec<u8>, Vec<u8>) {
    let mut fences = Vec::new();
    let mut blocks: Vec<u8> = Vec::new();
    let mut count = 0;
    let mut high = None;
    for (key, code) in entries {
        if count == BLOCK_KEYS || high != Some(key >> 16) {
            fences.extend_from_slice(&key.to_le_bytes());
            blocks.resize(blocks.len() + BLOCK_LEN, 0);
            count = 0;
            high = Some(key >> 16);
        }
        let block = blocks.len() - BLOCK_LEN;
        blocks[block + 2 * count..][..2].copy_from_slice(&(key as u16).to_le_bytes());
        blocks[block + CODES_AT + count] = code;
        count += 1;
        blocks[block + COUNT_AT] = count as u8;
    }
    (fences, blocks)
}

/// The fence of block `i`: its first key.
pub(crate) fn fence(fences: &[u8], i: usize) -> Option<u32> {
    let bytes = fences.get(i * FENCE_LEN..(i + 1) * FENCE_LEN)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

/// Low 16 bits of key `i` of a block (`i < BLOCK_KEYS`).
pub(crate) fn low_at(block: &[u8; BLOCK_LEN], i: usize) -> u16 {
    u16::from_le_bytes([block[2 * i], block[2 * i + 1]])
}

/// What open needs of a blocks section's counts (byte 63 of each block).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// The sum of the counts: the number of keys.
    pub(crate) keys: u64,
    /// The first block whose count is not 1 to [`BLOCK_KEYS`], with it.
    pub(crate) bad: Option<(usize, u8)>,
}

impl Counts {
    /// The counts of a blocks section's whole blocks.
    #[cfg(fuzzing)]
    pub(crate) fn of(section: &[u8]) -> Counts {
        let mut counts = Counts::default();
        counts.add(0, section);
        counts
    }

    /// Adds the blocks of `bytes`, the first of them block `first`.
    fn add(&mut self, first: usize, bytes: &[u8]) {
        for (i, block) in bytes.chunks_exact(BLOCK_LEN).enumerate() {
            let count = block[COUNT_AT];
            if !(1..=BLOCK_KEYS as u8).contains(&count) && self.bad.is_none() {
                self.bad = Some((first + i, count));
            }
            self.keys += u64::from(count);
        }
    }
}

/// The CRC-32 of a blocks section and its [`Counts`], in one pass: the
/// blocks are most of the file, and reading every block's count after the
/// checksum had read it waited on memory a second time (a sixth of open).
pub(crate) fn checksum_and_counts(section: &[u8]) -> (u32, Counts) {
    // Small enough to stay in the first-level cache between the two reads.
    const CHUNK_BLOCKS: usize = 256;
    let mut crc = crc32fast::Hasher::new();
    let mut counts = Counts::default();
    for (i, chunk) in section.chunks(CHUNK_BLOCKS * BLOCK_LEN).enumerate() {
        crc.update(chunk);
        counts.add(i * CHUNK_BLOCKS, chunk);
    }
    (crc.finalize(), counts)
}

/// Where a lookup finds its block: built at open from the fences, in the
/// private memory of each process ([`Tables`]: 4 bytes per bucket of keys
/// up to the largest, 2 per block; 0.8 MiB for a national CPR register).
///
/// A bucket is the keys that agree above their lowest `shift` bits, `shift`
/// at most 16 so that a bucket never mixes high halves. Open picks the
/// largest `shift` whose buckets each hold at most one line of fences
/// ([`LANES`]), so that a lookup searches one line of `lows` and nothing
/// else (a national CPR register: buckets of 2^14 keys, 263 KiB); a file
/// whose keys are so dense that this would take more than two entries per
/// block settles for larger buckets, searched by halving down to one line.
#[derive(Debug)]
pub(crate) struct Directory {
    /// Keys per bucket, as a power of two.
    shift: u32,
    tables: Tables,
}

/// Set in a directory entry whose bucket's first keys no earlier block holds.
const NO_CARRY: u32 = 1 << 31;
/// The count of blocks in a directory entry.
const COUNT: u32 = !NO_CARRY;

impl Directory {
    /// The directory of a fences section (its length a multiple of
    /// [`FENCE_LEN`]), its tables on `pages`. Fails unless the fences
    /// strictly increase.
    ///
    /// Every open builds one, so it is a few passes over the fences, each
    /// simple enough to vectorise, and nothing is allocated but the result.
    pub(crate) fn build(fences: &[u8], pages: Pages) -> Result<Directory, String> {
        let n = fences.len() / FENCE_LEN;
        let fence = |i: usize| fence(fences, i).expect("in bounds");
        let mut previous = None;
        for (i, f) in decode(fences).enumerate() {
            if previous.is_some_and(|p| p >= f) {
                return Err(format!("fence {i} is not above the one before it"));
            }
            previous = Some(f);
        }
        if n > COUNT as usize {
            return Err(format!("{n} fences are more than a directory counts"));
        }
        let shift = shift_for(fences);
        // Up to the end of the last fence's high bits: the last block may
        // hold keys of buckets above its fence's.
        let buckets = previous.map_or(0, |last| ((last | 0xFFFF) >> shift) as usize + 1);
        let mut tables = Tables::new(buckets + 1, n + LANES, pages);
        let (entries, lows) = tables.split();
        for (i, f) in decode(fences).enumerate() {
            // Blocks before this one start in buckets below its own.
            entries[(f >> shift) as usize + 1] = i as u32 + 1;
        }
        // Buckets without blocks start where the ones before them end; the
        // block before a bucket's may hold its first keys if it has the
        // bucket's high half.
        let mut below = 0;
        for (b, entry) in entries.iter_mut().enumerate() {
            below = below.max(*entry);
            let high = ((b as u64) << shift >> 16) as u32;
            let carries = below
                .checked_sub(1)
                .is_some_and(|before| fence(before as usize) >> 16 == high);
            *entry = below | if carries { 0 } else { NO_CARRY };
        }
        let biased = decode(fences).map(|f| bias(f as u16));
        for (low, value) in lows
            .iter_mut()
            .zip(biased.chain(std::iter::repeat(i16::MAX)))
        {
            *low = value;
        }
        Ok(Directory { shift, tables })
    }

    /// Private memory held: the tables' mapping, whole pages.
    pub(crate) fn heap_size(&self) -> usize {
        self.tables.map.len()
    }

    /// The block that holds `key` if any block does: the last block of the
    /// key's high bits whose first key is not above it.
    #[inline(always)]
    pub(crate) fn block_of(&self, key: u32) -> Option<usize> {
        self.block_of_guessing(key, |_| ())
    }

    /// [`Directory::block_of`], which first tells `guess` where the block
    /// probably is, before the search in the fences: the bucket's blocks
    /// interpolated at the key. Exact one time in five for national CPR
    /// keys, but in the block's 4 KiB page 97 times in 100.
    #[inline(always)]
    pub(crate) fn block_of_guessing(&self, key: u32, guess: impl FnOnce(usize)) -> Option<usize> {
        let bucket = (key >> self.shift) as usize;
        let &[entry, next]: &[u32; 2] = (self.tables.entries())
            .get(bucket..bucket + 2)?
            .try_into()
            .ok()?;
        let (start, end) = ((entry & COUNT) as usize, (next & COUNT) as usize);
        let within = u64::from(key & ((1 << self.shift) - 1));
        guess(start + ((within * (end - start) as u64) >> self.shift) as usize);
        let at_most = at_most(self.tables.lows(), start, end - start, bias(key as u16));
        // None of the bucket's blocks starts at or below the key: the block
        // before them holds it, if that block's keys have the same high bits.
        if at_most == 0 && entry & NO_CARRY != 0 {
            return None;
        }
        Some(start + at_most - 1)
    }
}

/// A directory's two tables in one private mapping:
/// `entries[b] & COUNT` is the number of blocks whose fence is below
/// bucket `b`, so `entries[b]..entries[b + 1]` are the blocks that start in
/// it, with [`NO_CARRY`] set unless the block before them holds keys of the
/// bucket's high half (and so may hold the bucket's first keys); `lows` are
/// the low 16 bits of each block's first key, biased ([`bias`]), then
/// [`LANES`] entries of padding so that a search may always read a whole
/// line.
///
/// A mapping rather than two boxes so that a loaded index may have its
/// directory on huge pages too ([`Pages::Huge`]): cold, a lookup's walk
/// through the tables' 4 KiB pages cost as much as its misses in them.
#[derive(Debug)]
struct Tables {
    map: memmap2::MmapMut,
    entries: usize,
    lows: usize,
}

impl Tables {
    /// Zeroed tables of `entries` and `lows`. Out of memory, aborts as a
    /// failed allocation does.
    fn new(entries: usize, lows: usize, pages: Pages) -> Tables {
        let len = 4 * entries + 2 * lows;
        let map = memory::anonymous(len, pages).unwrap_or_else(|_| {
            std::alloc::handle_alloc_error(
                std::alloc::Layout::array::<u8>(len).unwrap_or(std::alloc::Layout::new::<u8>()),
            )
        });
        Tables { map, entries, lows }
    }

    /// Both tables, to fill them.
    fn split(&mut self) -> (&mut [u32], &mut [i16]) {
        let (entries, lows) = self.map.split_at_mut(4 * self.entries);
        // SAFETY: the mapping starts on a page, so `entries` is aligned for
        // `u32` and, 4 bytes each, `lows` for `i16`; each holds exactly
        // its count of them (the mapping is at least as long); every bit
        // pattern is a valid `u32` and `i16`; the two borrow disjoint parts
        // of `self.map`, mutably, for as long as the results live.
        unsafe {
            (
                std::slice::from_raw_parts_mut(entries.as_mut_ptr().cast::<u32>(), self.entries),
                std::slice::from_raw_parts_mut(lows.as_mut_ptr().cast::<i16>(), self.lows),
            )
        }
    }

    #[inline(always)]
    fn entries(&self) -> &[u32] {
        // SAFETY: as in `Tables::split`, for a shared borrow of the
        // mapping that `self` owns.
        unsafe { std::slice::from_raw_parts(self.map.as_ptr().cast::<u32>(), self.entries) }
    }

    #[inline(always)]
    fn lows(&self) -> &[i16] {
        // SAFETY: as in `Tables::split`, for a shared borrow of the
        // mapping that `self` owns.
        unsafe {
            std::slice::from_raw_parts(
                self.map.as_ptr().add(4 * self.entries).cast::<i16>(),
                self.lows,
            )
        }
    }
}

/// The fences of a fences section, in order.
fn decode(fences: &[u8]) -> impl DoubleEndedIterator<Item = u32> + '_ {
    (fences.chunks_exact(FENCE_LEN))
        .map(|b| u32::from_le_bytes(b.try_into().expect("chunks of FENCE_LEN")))
}

/// The largest bucket size (as a power of two, at most 2^16) at which no
/// bucket holds more than [`LANES`] of the (increasing) `fences`, or if that
/// takes more than two directory entries per block, the size at which it
/// takes two.
fn shift_for(fences: &[u8]) -> u32 {
    let n = fences.len() / FENCE_LEN;
    let Some(last) = decode(fences).next_back() else {
        return 16;
    };
    // Fences `i` and `i + LANES` (LANES + 1 of them) share a bucket exactly
    // when they agree above the bucket's bits: below their highest
    // differing bit.
    let ahead = fences.get(LANES * FENCE_LEN..).unwrap_or_default();
    let closest = (decode(fences).zip(decode(ahead)))
        .map(|(a, b)| a ^ b)
        .min()
        .unwrap_or(u32::MAX);
    let wanted = (u32::BITS - 1 - closest.leading_zeros()).min(16);
    // Entries at shift s: one per bucket up to the end of the last fence's
    // high bits, plus one.
    let budget = (2 * n).max(1 << 16) as u64;
    let affordable = (0..=16)
        .find(|&s| u64::from((last | 0xFFFF) >> s) + 2 <= budget)
        .unwrap_or(16);
    wanted.max(affordable)
}

/// A low half as the directory holds it: shifted by 0x8000 into an `i16`,
/// so that signed compares (all SSE2 has) order the values as unsigned.
#[inline(always)]
fn bias(low: u16) -> i16 {
    (low ^ 0x8000) as i16
}

/// How many of `lows[start..start + len]` (increasing) are at most `low`:
/// halving without a branch down to one line (the halving's branch went
/// either way at random), then [`first_above`] over it.
#[inline(always)]
fn at_most(lows: &[i16], start: usize, len: usize, low: i16) -> usize {
    let (mut base, mut len) = (start, len);
    // Every entry before `base` is at most `low`; every entry from `base +
    // len` on (up to `start + len`) is above it.
    while len > LANES {
        let half = len / 2;
        base += if lows[base + half] <= low { half } else { 0 };
        len -= half;
    }
    let line: &[i16; LANES] = lows[base..base + LANES].try_into().expect("padded");
    base - start + first_above(line, len, low)
}

/// The position of the first of `lanes[..len]` above `low` (`len` if none):
/// on increasing lanes, how many are at most `low`. Four vector compares, two
/// mask extractions and a bit scan.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn first_above(lanes: &[i16; LANES], len: usize, low: i16) -> usize {
    use std::arch::x86_64::{
        __m128i, _mm_cmpgt_epi16, _mm_loadu_si128, _mm_movemask_epi8, _mm_packs_epi16,
        _mm_set1_epi16,
    };
    debug_assert!(len <= LANES);
    // SAFETY: `lanes` is 64 bytes of plain integers; each load reads 16 of
    // them at offsets 0, 16, 32 and 48, in bounds (unaligned loads). The
    // intrinsics are SSE2, part of the x86_64 baseline.
    let (first, second) = unsafe {
        let at = |i: usize| _mm_loadu_si128(lanes.as_ptr().add(8 * i).cast::<__m128i>());
        let low = _mm_set1_epi16(low);
        let above = |i| _mm_cmpgt_epi16(at(i), low);
        (
            _mm_movemask_epi8(_mm_packs_epi16(above(0), above(1))) as u32,
            _mm_movemask_epi8(_mm_packs_epi16(above(2), above(3))) as u32,
        )
    };
    // The first lane above, or 32 if none is; lanes from `len` on belong to
    // other blocks (or are padding), so the answer is at most `len`.
    ((first | second << 16).trailing_zeros() as usize).min(len)
}

/// [`first_above`], portable.
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline(always)]
fn first_above_portable(lanes: &[i16; LANES], len: usize, low: i16) -> usize {
    lanes[..len].iter().take_while(|&&l| l <= low).count()
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn first_above(lanes: &[i16; LANES], len: usize, low: i16) -> usize {
    first_above_portable(lanes, len, low)
}

/// Whether the first `count` low halves of `block` strictly increase, for
/// [`Register::verify`](super::Register::verify): three vector compares of
/// each slot with the one before it, where a loop over the slots took a
/// third of a full check's time.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn increasing(block: &[u8; BLOCK_LEN], count: usize) -> bool {
    use std::arch::x86_64::{
        __m128i, _mm_cmpgt_epi16, _mm_loadu_si128, _mm_movemask_epi8, _mm_packs_epi16,
        _mm_set1_epi16, _mm_xor_si128,
    };
    debug_assert!(count <= BLOCK_KEYS);
    // SAFETY: `block` is 64 bytes; the loads read 16 bytes each at offsets
    // 0, 16, 32 (slots 0 to 23) and 2, 18, 34 (slots 1 to 24), all within
    // bytes 0 to 49. SSE2 is part of the x86_64 baseline.
    let above = unsafe {
        let flip = _mm_set1_epi16(i16::MIN);
        let at = |offset: usize| {
            let lanes = _mm_loadu_si128(block.as_ptr().add(offset).cast::<__m128i>());
            _mm_xor_si128(lanes, flip)
        };
        // Lane i: slot 8k + i + 1 above slot 8k + i (unsigned, by the flip).
        let above = |k: usize| _mm_cmpgt_epi16(at(16 * k + 2), at(16 * k));
        let first = _mm_movemask_epi8(_mm_packs_epi16(above(0), above(1))) as u32;
        let second = _mm_movemask_epi8(_mm_packs_epi16(above(2), above(2))) as u32;
        first | second << 16
    };
    // Bit t: slot t + 1 is above slot t; slots 1 to count - 1 must be.
    let wanted = (1u32 << count.saturating_sub(1)) - 1;
    above & wanted == wanted
}

/// [`increasing`], portable.
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline]
pub(crate) fn increasing_portable(block: &[u8; BLOCK_LEN], count: usize) -> bool {
    (1..count).all(|j| low_at(block, j - 1) < low_at(block, j))
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub(crate) fn increasing(block: &[u8; BLOCK_LEN], count: usize) -> bool {
    increasing_portable(block, count)
}

/// Number of keys a block says it holds, at most [`BLOCK_KEYS`].
#[inline(always)]
pub(crate) fn count(block: &[u8; BLOCK_LEN]) -> usize {
    usize::from(block[COUNT_AT]).min(BLOCK_KEYS)
}

/// The code byte of the key with low bits `low` in `block`, if the block
/// holds it (the first such key on a crafted block that holds it twice).
#[inline(always)]
pub(crate) fn find(block: &[u8; BLOCK_LEN], low: u16) -> Option<u8> {
    let slot = slot_of(block, low);
    (slot < count(block)).then(|| block[CODES_AT + slot])
}

/// [`find`] for a lookup: the code byte, or `absent` if the block does not
/// hold the key, chosen without a branch. One lookup in ten misses the
/// register, at random: a branch on it would guess wrong that often, and
/// every wrong guess throws away the work on the lookups after it.
#[inline(always)]
pub(crate) fn find_or(block: &[u8; BLOCK_LEN], low: u16, absent: u8) -> u8 {
    let slot = slot_of(block, low);
    // A slot past the count is padding or (21 to 23) a code byte compared
    // as a key: no key. `min` keeps the read in the block for either.
    let code = block[CODES_AT + slot.min(BLOCK_KEYS)];
    std::hint::select_unpredictable(slot < count(block), code, absent)
}

/// The first slot of `block` whose low half is `low`, looking at the 21
/// slots and 3 code bytes beyond them; 32 if none is.
#[inline(always)]
fn slot_of(block: &[u8; BLOCK_LEN], low: u16) -> usize {
    super::lanes::equal_slots(block, low).trailing_zeros() as usize
}

/// [`find`] as plainly as it can be said, for the tests.
#[cfg(test)]
#[inline(always)]
pub(crate) fn find_portable(block: &[u8; BLOCK_LEN], low: u16) -> Option<u8> {
    (0..count(block))
        .find(|&i| low_at(block, i) == low)
        .map(|i| block[CODES_AT + i])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(bytes: &[u8]) -> impl Iterator<Item = &[u8; BLOCK_LEN]> {
        bytes.chunks_exact(BLOCK_LEN).map(|b| b.try_into().unwrap())
    }

    /// Looks `key` up the way a register does.
    fn lookup(directory: &Directory, bytes: &[u8], key: u32) -> Option<u8> {
        let block = directory.block_of(key)?;
        let block: &[u8; BLOCK_LEN] = bytes[block * BLOCK_LEN..][..BLOCK_LEN].try_into().unwrap();
        let found = find(block, key as u16);
        assert_eq!(found, find_portable(block, key as u16));
        found
    }

    /// Keys in containers of every size the search treats apart (one block,
    /// one line of fences, several lines), next to empty high bits.
    fn keys() -> Vec<u32> {
        let mut keys = Vec::new();
        for (high, n, step) in [
            (0u32, 1u32, 1u32),
            (1, 21, 3),
            (2, 22, 1),
            (5, 700, 90),
            (6, 2000, 31),
            (9, 65536, 1),
        ] {
            keys.extend((0..n).map(|i| high << 16 | (i * step) & 0xFFFF));
        }
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    #[test]
    fn every_key_is_found_and_no_other() {
        for pages in [Pages::Small, Pages::Huge] {
            every_key_is_found_and_no_other_on(pages);
        }
    }

    fn every_key_is_found_and_no_other_on(pages: Pages) {
        let keys = keys();
        let (fences, bytes) = encode(keys.iter().map(|&k| (k, (k % 251) as u8)));
        assert_eq!(fences.len() / FENCE_LEN, bytes.len() / BLOCK_LEN);
        let directory = Directory::build(&fences, pages).unwrap();
        if pages == Pages::Huge {
            assert!(
                directory
                    .heap_size()
                    .is_multiple_of(crate::memory::HUGE_PAGE)
            );
        }
        for &key in &keys {
            assert_eq!(
                lookup(&directory, &bytes, key),
                Some((key % 251) as u8),
                "{key:#x}"
            );
        }
        let members: std::collections::BTreeSet<u32> = keys.iter().copied().collect();
        for probe in (0..12u32 << 16)
            .step_by(7)
            .chain([u32::MAX, 10 << 16, 9 << 16 | 0xFFFF])
        {
            if !members.contains(&probe) {
                assert_eq!(lookup(&directory, &bytes, probe), None, "{probe:#x}");
            }
        }
        // The guess changes nothing, and lies among the bucket's blocks.
        let blocks = bytes.len() / BLOCK_LEN;
        let (mut exact, mut guessed) = (0, 0);
        for &key in keys.iter().chain(&[u32::MAX, 3, 10 << 16]) {
            let mut guess = None;
            let found = directory.block_of_guessing(key, |g| guess = Some(g));
            assert_eq!(found, directory.block_of(key), "{key:#x}");
            if let Some(guess) = guess {
                assert!(guess <= blocks, "{key:#x}: {guess}");
                guessed += 1;
                exact += usize::from(Some(guess) == found);
            }
        }
        assert!(exact > 0 && guessed >= keys.len(), "{exact} of {guessed}");
    }

    /// The most fences any one bucket of `directory` holds.
    fn fullest_bucket(directory: &Directory) -> u32 {
        let counts = directory.tables.entries().iter().map(|e| e & COUNT);
        counts
            .clone()
            .zip(counts.skip(1))
            .map(|(a, b)| b - a)
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn buckets_hold_one_line_of_fences_where_the_budget_allows() {
        let keys = keys();
        let (fences, _) = encode(keys.iter().map(|&k| (k, 0)));
        let directory = Directory::build(&fences, Pages::Small).unwrap();
        // 65,536 keys in a row need buckets of 2^9 keys (25 blocks); the
        // table for them is small, since the largest key is small.
        assert_eq!(directory.shift, 9);
        assert!(fullest_bucket(&directory) <= LANES as u32);
        // The same keys and one far above: buckets of 2^9 keys up to it
        // would take 8 million entries for 3,300 blocks, so the buckets
        // are as large as the high halves, searched by halving.
        let far: Vec<u32> = keys.iter().copied().chain([0xFFFF_0000]).collect();
        let (fences, bytes) = encode(far.iter().map(|&k| (k, (k % 7) as u8)));
        let directory = Directory::build(&fences, Pages::Small).unwrap();
        assert_eq!(directory.shift, 16);
        assert!(fullest_bucket(&directory) > LANES as u32);
        for &key in &far {
            assert_eq!(
                lookup(&directory, &bytes, key),
                Some((key % 7) as u8),
                "{key:#x}"
            );
        }
        for probe in [
            1 << 16 | 2,
            8 << 16 | 0xFFFF,
            10 << 16,
            0xFFFF_0001,
            0xFFFE_FFFF,
        ] {
            assert_eq!(lookup(&directory, &bytes, probe), None, "{probe:#x}");
        }
    }

    #[test]
    fn the_last_block_answers_for_the_buckets_above_its_fence() {
        // Runs of consecutive keys long enough for buckets below 2^16 keys,
        // ending on every side of a bucket's edge: the last block's keys
        // may lie in buckets above the one its fence is in.
        for len in 680..1100 {
            let keys: Vec<u32> = (0..len).map(|i| 0x0300_0000 | i).collect();
            let (fences, bytes) = encode(keys.iter().map(|&k| (k, 1)));
            let directory = Directory::build(&fences, Pages::Small).unwrap();
            assert!(directory.shift < 16, "{len}");
            for &key in &keys {
                assert_eq!(lookup(&directory, &bytes, key), Some(1), "{len} {key:#x}");
            }
            for probe in [len, len + 1, 0xFFFF].map(|low| 0x0300_0000 | low) {
                assert_eq!(lookup(&directory, &bytes, probe), None, "{len} {probe:#x}");
            }
            assert_eq!(lookup(&directory, &bytes, 0x0301_0000), None);
        }
    }

    #[test]
    fn blocks_are_full_but_for_the_last_of_their_high_bits() {
        let keys = keys();
        let (fences, bytes) = encode(keys.iter().map(|&k| (k, 0)));
        let n = fences.len() / FENCE_LEN;
        for (i, block) in blocks(&bytes).enumerate() {
            let high = fence(&fences, i).unwrap() >> 16;
            let next_high = fence(&fences, i + 1).map(|f| f >> 16);
            assert!(count(block) >= 1);
            assert!(
                count(block) == BLOCK_KEYS || next_high != Some(high),
                "block {i} of {n}"
            );
            for j in count(block)..BLOCK_KEYS {
                assert_eq!((low_at(block, j), block[CODES_AT + j]), (0, 0));
            }
        }
        assert_eq!(blocks(&bytes).map(count).sum::<usize>(), keys.len());
    }

    #[test]
    fn an_empty_register_finds_nothing() {
        let (fences, bytes) = encode([]);
        assert!(fences.is_empty() && bytes.is_empty());
        let directory = Directory::build(&fences, Pages::Small).unwrap();
        assert_eq!(directory.block_of(0), None);
        assert_eq!(directory.block_of(u32::MAX), None);
    }

    #[test]
    fn one_pass_finds_the_checksum_and_the_counts_of_two() {
        let plain_sum = |section: &[u8]| -> u64 {
            (section.chunks_exact(BLOCK_LEN))
                .map(|block| u64::from(block[COUNT_AT]))
                .sum()
        };
        // 700 blocks: the pass's chunks of 256 blocks, and a part chunk.
        let mut section = vec![0u8; 700 * BLOCK_LEN];
        for (i, block) in section.chunks_exact_mut(BLOCK_LEN).enumerate() {
            block[0] = i as u8;
            block[COUNT_AT] = (i % BLOCK_KEYS) as u8 + 1;
        }
        let (crc, counts) = checksum_and_counts(&section);
        assert_eq!(crc, crc32fast::hash(&section));
        let keys = plain_sum(&section);
        assert_eq!(counts, Counts { keys, bad: None });
        for (bad, count) in [(0, 0u8), (300, 22), (699, 255)] {
            let mut section = section.clone();
            // The first bad block is named, not a later one.
            section[699 * BLOCK_LEN + COUNT_AT] = 0;
            section[bad * BLOCK_LEN + COUNT_AT] = count;
            let (crc, counts) = checksum_and_counts(&section);
            assert_eq!(crc, crc32fast::hash(&section));
            assert_eq!(counts.bad, Some((bad, count)));
            assert_eq!(counts.keys, plain_sum(&section));
        }
    }

    #[test]
    fn fences_must_increase() {
        let fences: Vec<u8> = [5u32, 5].iter().flat_map(|f| f.to_le_bytes()).collect();
        assert!(
            Directory::build(&fences, Pages::Small)
                .unwrap_err()
                .contains("fence 1")
        );
    }

    #[test]
    fn increasing_agrees_with_a_loop_over_the_slots() {
        // Increasing across the signed boundary (0x7FFF to 0x8000), then
        // every slot in turn made equal to, below or far below the one
        // before it; the code bytes after slot 20 must not matter.
        let lows: Vec<u16> = (0..BLOCK_KEYS as u16).map(|i| 0x7FF8 + 3 * i).collect();
        let mut blocks = Vec::new();
        for (j, below) in (1..BLOCK_KEYS).flat_map(|j| [(j, 0), (j, 1), (j, lows[j - 1] - 1)]) {
            let mut block = [0u8; BLOCK_LEN];
            for (i, low) in lows.iter().enumerate() {
                block[2 * i..2 * i + 2].copy_from_slice(&low.to_le_bytes());
                block[CODES_AT + i] = 0xFF;
            }
            let low = lows[j - 1] - below;
            block[2 * j..2 * j + 2].copy_from_slice(&low.to_le_bytes());
            blocks.push((block, j));
        }
        for (block, broken) in &blocks {
            for count in 0..=BLOCK_KEYS {
                assert_eq!(
                    increasing(block, count),
                    count <= *broken,
                    "{broken} {count}"
                );
                assert_eq!(increasing_portable(block, count), count <= *broken);
            }
        }
    }

    #[test]
    fn the_vector_searches_agree_with_the_portable_ones() {
        let mut lanes = [0i16; LANES];
        for (i, lane) in lanes.iter_mut().enumerate() {
            *lane = bias((i as u16) * 2000 + 1);
        }
        for len in 0..=LANES {
            for raw in [0, 1, 2, 1999, 2001, 40_000, 62_001, u16::MAX] {
                let low = bias(raw);
                let expected = (0..len).take_while(|&i| (i as u16) * 2000 < raw).count();
                assert_eq!(first_above(&lanes, len, low), expected, "{len} {raw}");
                assert_eq!(first_above_portable(&lanes, len, low), expected);
            }
        }
        // Lanes that do not increase (a crafted file): still the first above.
        lanes.reverse();
        for low in [0, 30_000, u16::MAX].map(bias) {
            assert_eq!(
                first_above(&lanes, LANES, low),
                first_above_portable(&lanes, LANES, low)
            );
        }
        let mut block = [0u8; BLOCK_LEN];
        for n in [0u8, 1, 20, 21, 200] {
            block[COUNT_AT] = n;
            for i in 0..BLOCK_KEYS {
                block[2 * i..2 * i + 2].copy_from_slice(&(7 * i as u16).to_le_bytes());
                block[CODES_AT + i] = i as u8 + 1;
            }
            for count in 0..=BLOCK_KEYS {
                assert_eq!(
                    increasing(&block, count),
                    increasing_portable(&block, count),
                    "{n} {count}"
                );
            }
            for low in [0, 7, 140, 141, 147, u16::MAX] {
                assert_eq!(find(&block, low), find_portable(&block, low), "{n} {low}");
                let absent = 0xA5;
                assert_eq!(
                    find_or(&block, low, absent),
                    find(&block, low).unwrap_or(absent)
                );
            }
        }
    }
}
