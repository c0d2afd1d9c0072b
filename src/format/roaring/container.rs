//! The containers of a serialized bitmap: their directory entries, reading
//! them in place, and the per-kind rank and search helpers.

use super::directory::{SEGMENT_SHIFT, SEGMENT_WORDS};

/// Serialized size of a bitmap container.
pub(super) const BITMAP_BYTES: usize = 8192;
/// Number of 64-bit words in a bitmap container.
pub(super) const BITMAP_WORDS: usize = BITMAP_BYTES / 8;

/// How a container's members are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Kind {
    /// Sorted `u16` values.
    Array,
    /// 1024 little-endian `u64` words.
    Bitmap,
    /// `u16` run count, then `(start, length - 1)` pairs.
    Run,
}

/// Directory entry of one container (16 bytes).
#[derive(Clone, Copy, Debug)]
pub(super) struct Container {
    /// Absolute byte offset of the container's payload (for a run container,
    /// of its run count).
    pub(super) offset: u32,
    /// Number of members in all earlier containers.
    pub(super) rank_base: u32,
    /// High 16 bits of the members.
    pub(super) key: u16,
    /// Declared cardinality minus one.
    pub(super) card_minus_one: u16,
    /// Storage kind.
    pub(super) kind: Kind,
}

const _: () = assert!(std::mem::size_of::<Container>() == 16);

impl Container {
    /// Declared number of members, 1..=65536.
    #[inline(always)]
    pub(super) fn cardinality(&self) -> u32 {
        u32::from(self.card_minus_one) + 1
    }

    /// High bits shared by all members.
    #[inline]
    pub(super) fn high(&self) -> u32 {
        u32::from(self.key) << 16
    }

    /// The array values (2 bytes each), or `None` if they lie outside `bytes`.
    #[inline(always)]
    pub(super) fn array<'a>(&self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        let start = self.offset as usize;
        let len = 2 * self.cardinality() as usize;
        bytes.get(start..start.checked_add(len)?)
    }

    /// Whether any member's low 16 bits lie in `from..=to`.
    pub(super) fn any_in(&self, bytes: &[u8], from: u16, to: u16) -> bool {
        match self.kind {
            Kind::Array => self.array(bytes).is_some_and(|values| {
                let count = values.len() / 2;
                // The first value at least `from`, if any.
                let at = if count == 0 {
                    0
                } else {
                    let last = last_at_most(values, 2, count, from);
                    last + usize::from(read_u16(values, 2 * last).is_some_and(|v| v < from))
                };
                read_u16(values, 2 * at).is_some_and(|value| from <= value && value <= to)
            }),
            Kind::Bitmap => self.bitmap(bytes).is_some_and(|words| {
                (from..=to).step_by(64).chain([to]).any(|low| {
                    let word = read_u64_or_0(words, 8 * usize::from(low >> 6));
                    // The bits of this word within from..=to.
                    let first = if low >> 6 == from >> 6 { from & 63 } else { 0 };
                    let last = if low >> 6 == to >> 6 { to & 63 } else { 63 };
                    let mask = (u64::MAX >> (63 - last)) & (u64::MAX << first);
                    word & mask != 0
                })
            }),
            Kind::Run => self.runs(bytes).is_some_and(|runs| {
                (0..runs.len() / 4).any(|index| {
                    run_at(runs, index).is_some_and(|(start, length_minus_one)| {
                        let end = u32::from(start) + u32::from(length_minus_one);
                        u32::from(start) <= u32::from(to) && u32::from(from) <= end
                    })
                })
            }),
        }
    }

    /// The 1024 bitmap words (8 KiB), or `None` if they lie outside `bytes`.
    #[inline]
    pub(super) fn bitmap<'a>(&self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        let start = self.offset as usize;
        bytes.get(start..start.checked_add(BITMAP_BYTES)?)
    }

    /// The `(start, length - 1)` run pairs (4 bytes each), or `None` if they
    /// lie outside `bytes`.
    #[inline]
    pub(super) fn runs<'a>(&self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        let start = self.offset as usize;
        let n_runs = usize::from(read_u16(bytes, start)?);
        let runs_start = start.checked_add(2)?;
        bytes.get(runs_start..runs_start.checked_add(4 * n_runs)?)
    }
}

/// Reads a little-endian `u16` at `at`, if the bytes are there.
#[inline]
pub(super) fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(*bytes.get(at..)?.first_chunk::<2>()?))
}

/// Reads a little-endian `u32` at `at`, if the bytes are there.
#[inline]
pub(super) fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(*bytes.get(at..)?.first_chunk::<4>()?))
}

/// Reads a little-endian `u64` at `at`, or 0 if the bytes are not there.
#[inline]
pub(super) fn read_u64_or_0(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..)
        .and_then(|rest| rest.first_chunk::<8>())
        .map_or(0, |word| u64::from_le_bytes(*word))
}

/// Splits run `index` of a run container into `(start, length - 1)`.
#[inline]
pub(super) fn run_at(runs: &[u8], index: usize) -> Option<(u16, u16)> {
    let at = index.checked_mul(4)?;
    Some((read_u16(runs, at)?, read_u16(runs, at.checked_add(2)?)?))
}

/// Number of members in `runs`, in wrapping arithmetic (exact for a valid
/// container, which has at most 65536 members). Reading each run as one `u32`
/// whose high half is the length lets this vectorize well.
#[inline]
fn run_members(runs: &[u8]) -> u32 {
    let pairs = runs.chunks_exact(4);
    let count = pairs.len();
    let lengths_minus_one = pairs.fold(0u32, |sum, run| {
        let run = run
            .first_chunk::<4>()
            .map_or(0, |run| u32::from_le_bytes(*run));
        sum.wrapping_add(run >> 16)
    });
    // count <= 65535, as it was read from a u16.
    lengths_minus_one.wrapping_add(count as u32)
}

/// Number of set bits in `words` (at most 8 KiB, so no overflow). Four
/// independent accumulators let it use the hardware well.
#[inline]
pub(super) fn popcount(words: &[u8]) -> u32 {
    let mut blocks = words.chunks_exact(32);
    let mut sums = [0u32; 4];
    for block in &mut blocks {
        for (index, sum) in sums.iter_mut().enumerate() {
            *sum += read_u64_or_0(block, 8 * index).count_ones();
        }
    }
    let rest: u32 = blocks
        .remainder()
        .chunks_exact(8)
        .map(|word| read_u64_or_0(word, 0).count_ones())
        .sum();
    sums.iter().sum::<u32>() + rest
}

/// Index of the last element `<= low` among `count` sorted `u16`s at
/// `stride`-byte steps in `bytes`, or 0 if there is none (the caller checks).
/// Branch-free halving, as in the standard library's binary search; a read
/// outside `bytes` counts as `u16::MAX`.
#[inline]
fn last_at_most(bytes: &[u8], stride: usize, count: usize, low: u16) -> usize {
    let mut size = count;
    let mut base = 0usize;
    while size > 1 {
        let half = size / 2;
        let mid = base + half;
        if read_u16(bytes, stride * mid).unwrap_or(u16::MAX) <= low {
            base = mid;
        }
        size -= half;
    }
    base
}

/// An array lookup counts this many values without a branch; longer
/// segments are halved down to it first.
const WINDOW: usize = 64;

/// Position of `low` in a sorted array container whose values (2 bytes
/// each) are `values`, searching only positions `lo..hi` (its segment, from
/// the rank directory).
///
/// The position is the number of values below `low`. Every value before the
/// segment is below `low` and every value after it is not, so counting a
/// fixed window of [`WINDOW`] values that covers the segment gives it: a
/// branch-free count that the compiler vectorizes. Segments longer than the
/// window are halved down to it first.
#[inline(always)]
pub(super) fn array_rank(values: &[u8], low: u16, lo: u32, hi: u32) -> Option<u32> {
    let count = values.len() / 2;
    let (mut base, mut size) = (lo as usize, hi.checked_sub(lo)? as usize);
    while size > WINDOW {
        let half = size / 2;
        if read_u16(values, 2 * (base + half - 1))? < low {
            base += half;
            size -= half;
        } else {
            size = half;
        }
    }
    let index = match count.checked_sub(WINDOW) {
        // The window starts at the segment, or ends with the container.
        Some(last_start) => {
            let start = base.min(last_start);
            let window = values.get(2 * start..)?.first_chunk::<{ 2 * WINDOW }>()?;
            start + count_below(window, low)
        }
        None => values
            .chunks_exact(2)
            .filter(|value| u16::from_le_bytes([value[0], value[1]]) < low)
            .count(),
    };
    // At most 4096 values.
    (read_u16(values, 2 * index)? == low).then_some(index as u32)
}

/// How many of the [`WINDOW`] `u16` values in `window` are below `low`.
#[inline(always)]
fn count_below(window: &[u8; 2 * WINDOW], low: u16) -> usize {
    // Sums in 16 bits: the compiler makes this a vector compare and
    // subtract per 8 values.
    let mut below = 0u16;
    for i in 0..WINDOW {
        below += u16::from(u16::from_le_bytes([window[2 * i], window[2 * i + 1]]) < low);
    }
    usize::from(below)
}

/// Rank of `low` within a bitmap container, given the number of members
/// before its segment (`before`, from the rank directory).
#[inline]
pub(super) fn bitmap_rank(words: &[u8], low: u16, before: u32) -> Option<u32> {
    let word_index = usize::from(low >> 6);
    let bit = u32::from(low & 63);
    let word = u64::from_le_bytes(*words.get(8 * word_index..)?.first_chunk::<8>()?);
    if (word >> bit) & 1 == 0 {
        return None;
    }
    let segment_start = usize::from(low >> SEGMENT_SHIFT) * SEGMENT_WORDS;
    let in_segment = popcount(words.get(8 * segment_start..8 * word_index)?);
    let below = (word & ((1u64 << bit) - 1)).count_ones();
    before.checked_add(in_segment + below)
}

/// Whether `low` is set in a bitmap container.
#[cfg_attr(not(any(test, fuzzing)), allow(dead_code))]
#[inline]
pub(super) fn bitmap_contains(words: &[u8], low: u16) -> bool {
    let word = read_u64_or_0(words, 8 * usize::from(low >> 6));
    (word >> (low & 63)) & 1 == 1
}

/// Index of the run containing `low`, and `low`'s distance from its start.
#[inline]
pub(super) fn find_run(runs: &[u8], low: u16) -> Option<(usize, u16)> {
    let count = runs.len() / 4;
    if count == 0 {
        return None;
    }
    let index = last_at_most(runs, 4, count, low);
    let (start, length_minus_one) = run_at(runs, index)?;
    let distance = low.checked_sub(start)?;
    (distance <= length_minus_one).then_some((index, distance))
}

/// Rank of `low` within a run container of declared `cardinality`.
#[inline]
pub(super) fn run_rank(runs: &[u8], cardinality: u32, low: u16) -> Option<u32> {
    let (index, distance) = find_run(runs, low)?;
    if index < runs.len() / 8 {
        Some(run_members(runs.get(..4 * index)?).wrapping_add(u32::from(distance)))
    } else {
        // Count the members >= low from the end instead: fewer runs.
        let (_, length_minus_one) = run_at(runs, index)?;
        let from_low = run_members(runs.get(4 * (index + 1)..)?)
            .wrapping_add(u32::from(length_minus_one - distance))
            .wrapping_add(1);
        cardinality.checked_sub(from_low)
    }
}
