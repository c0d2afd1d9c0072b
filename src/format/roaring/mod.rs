//! Zero-copy reader for the standard Roaring bitmap portable serialization
//! format (<https://github.com/RoaringBitmap/RoaringFormatSpec>).
//!
//! A serialized bitmap usually lives inside a memory-mapped file that is owned
//! elsewhere, so nothing here borrows the bytes for longer than one call:
//! [`RoaringLayout::parse`] validates the structure once and builds a small,
//! owned directory of the containers, and every query takes the same bytes
//! again. Queries read the serialized containers in place and never allocate.
//!
//! # Format
//!
//! All integers are little-endian.
//!
//! * Cookie: either the `u32` `12346` (no run containers) followed by a `u32`
//!   container count, or a `u32` whose low 16 bits are `12347` and whose high
//!   16 bits are the container count minus one, followed by a bitset of
//!   `(count + 7) / 8` bytes that flags the run containers.
//! * Descriptive header: per container a `u16` key (the high 16 bits of its
//!   members) and a `u16` cardinality minus one. Keys strictly increase.
//! * Offset header: per container a `u32` byte offset from the start of the
//!   serialized bitmap. Present with the `12346` cookie, and with the `12347`
//!   cookie when there are at least 4 containers.
//! * Containers, back to back: a run container (flagged) is a `u16` run count
//!   and that many `(u16 start, u16 length - 1)` pairs; otherwise a container
//!   with more than 4096 members is a bitmap of 1024 `u64` words (8192 bytes),
//!   and a smaller one is an array of sorted `u16` values.
//!
//! An empty bitmap is the `12346` cookie with a count of 0 (8 bytes).
//!
//! # Validation levels
//!
//! [`RoaringLayout::parse`] checks everything that can be checked in time
//! proportional to the number of containers: it guarantees that every
//! container lies inside the bytes, so queries stay in bounds. It does not look
//! inside containers; [`RoaringLayout::validate_contents`] does that in time
//! proportional to the serialized size. On bytes that pass `parse` but fail
//! `validate_contents`, queries never panic, but their answers are unspecified.

use std::fmt;

/// Cookie of the format without run containers; followed by a `u32` count.
const SERIAL_COOKIE_NO_RUNCONTAINER: u32 = 12346;
/// Low 16 bits of the cookie of the format that may hold run containers.
const SERIAL_COOKIE: u32 = 12347;
/// With [`SERIAL_COOKIE`], the offset header is present from this many containers on.
const NO_OFFSET_THRESHOLD: usize = 4;
/// Non-run containers with more members than this are bitmaps.
const ARRAY_LIMIT: u32 = 4096;
/// Serialized size of a bitmap container.
const BITMAP_BYTES: usize = 8192;
/// Number of 64-bit words in a bitmap container.
const BITMAP_WORDS: usize = BITMAP_BYTES / 8;
/// There are at most 2^16 containers, one per key.
const MAX_CONTAINERS: usize = 1 << 16;
/// Direct-table entry for a key that has no container.
const NO_CONTAINER: u32 = u32::MAX;
/// The rank directory cuts each container into this many segments.
const SEGMENTS: usize = 32;
/// In a bitmap container, `low >> SEGMENT_SHIFT` is the segment of a low
/// value (2048 values each).
const SEGMENT_SHIFT: u32 = 11;
/// Bitmap words per segment.
const SEGMENT_WORDS: usize = BITMAP_WORDS / SEGMENTS;

/// How a container's members are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    /// Sorted `u16` values.
    Array,
    /// 1024 little-endian `u64` words.
    Bitmap,
    /// `u16` run count, then `(start, length - 1)` pairs.
    Run,
}

/// Directory entry of one container (16 bytes).
#[derive(Clone, Copy, Debug)]
struct Container {
    /// Absolute byte offset of the container's payload (for a run container,
    /// of its run count).
    offset: u32,
    /// Number of members in all earlier containers.
    rank_base: u32,
    /// High 16 bits of the members.
    key: u16,
    /// Declared cardinality minus one.
    card_minus_one: u16,
    /// Storage kind.
    kind: Kind,
}

const _: () = assert!(std::mem::size_of::<Container>() == 16);

/// Rank directory of one container, one cache line of 32 `u16` entries, built
/// at open. A lookup reads it from the heap, then searches only one segment
/// of the container: at most 64 values of an array (25 to 60 in the
/// populated containers of a national index), at most 32 words of a bitmap.
///
/// - Array of `n` values: cut into 32 segments of `step = ceil(n / 32)`
///   values; `entries[s]` is the first value of segment `s + 1` (`u16::MAX`
///   past the end). The number of entries below `low` is `low`'s segment.
/// - Bitmap: cut into 32 segments of 2048 low values (32 words);
///   `entries[s]` is the number of members before segment `s`.
/// - Run: unused (zero).
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(64))]
struct Directory {
    entries: [u16; SEGMENTS],
}

const _: () = assert!(std::mem::size_of::<Directory>() == 64);

impl Directory {
    /// Values per segment of an array container of `cardinality` values.
    #[inline(always)]
    fn array_step(cardinality: u32) -> u32 {
        cardinality.div_ceil(SEGMENTS as u32)
    }

    /// The directory of an array container (`values`: 2 bytes each).
    fn of_array(values: &[u8]) -> Directory {
        let count = values.len() / 2;
        let step = Directory::array_step(count as u32) as usize;
        let mut entries = [u16::MAX; SEGMENTS];
        for (segment, entry) in entries.iter_mut().enumerate() {
            if let Some(value) = read_u16(values, 2 * (segment + 1) * step) {
                *entry = value;
            }
        }
        Directory { entries }
    }

    /// The directory of a bitmap container (`words`: 8192 bytes).
    fn of_bitmap(words: &[u8]) -> Directory {
        let mut entries = [0u16; SEGMENTS];
        let mut count = 0u32;
        for (entry, block) in entries
            .iter_mut()
            .zip(words.chunks_exact(8 * SEGMENT_WORDS))
        {
            // At most 2048 members per earlier segment: below 65536.
            *entry = count as u16;
            count += popcount(block);
        }
        Directory { entries }
    }

    /// Positions `lo..=hi` (within an array container of `cardinality`
    /// values) that hold `low`'s position, the number of values below it:
    /// every value before `lo` is below `low`, the one at `hi` (if any) is not.
    #[inline(always)]
    fn array_segment(&self, low: u16, cardinality: u32) -> (u32, u32) {
        let segment = self.below(low);
        let step = Directory::array_step(cardinality);
        let lo = (segment * step).min(cardinality);
        (lo, (lo + step).min(cardinality))
    }

    /// How many entries are below `low`, branch-free over one cache line.
    ///
    /// An array's entries increase, so the ones below `low` are a prefix and
    /// their count is the run of ones at the start of the comparison mask:
    /// four vector compares, two mask extractions and a bit scan, where
    /// summing the comparisons cost a software popcount (the x86_64 baseline
    /// has no `popcnt`). On entries that do not increase (a crafted file that
    /// `verify` would refuse) the count is still at most [`SEGMENTS`].
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn below(&self, low: u16) -> u32 {
        use std::arch::x86_64::{
            __m128i, _mm_cmpgt_epi16, _mm_movemask_epi8, _mm_packs_epi16, _mm_set1_epi16,
            _mm_xor_si128,
        };
        const _: () = assert!(std::mem::size_of::<[__m128i; 4]>() == 2 * SEGMENTS);
        // SAFETY: `entries` is 64 bytes of plain integers, aligned to 64
        // (`Directory` is `repr(C, align(64))`), so it may be read as four
        // 16-byte vectors. The intrinsics are SSE2, part of the x86_64 baseline.
        let (first, second) = unsafe {
            let v: &[__m128i; 4] = &*std::ptr::from_ref(&self.entries).cast();
            // Signed compares of values shifted by 0x8000 order them as unsigned.
            let flip = _mm_set1_epi16(i16::MIN);
            let low = _mm_xor_si128(_mm_set1_epi16(low as i16), flip);
            let below = |entries| _mm_cmpgt_epi16(low, _mm_xor_si128(entries, flip));
            (
                _mm_movemask_epi8(_mm_packs_epi16(below(v[0]), below(v[1]))) as u32,
                _mm_movemask_epi8(_mm_packs_epi16(below(v[2]), below(v[3]))) as u32,
            )
        };
        (!(first | second << 16)).trailing_zeros()
    }

    /// How many entries are below `low`: the portable count.
    #[cfg(any(test, not(target_arch = "x86_64")))]
    #[inline(always)]
    fn below_portable(&self, low: u16) -> u32 {
        self.entries.iter().map(|&e| u32::from(e < low)).sum()
    }

    #[cfg(not(target_arch = "x86_64"))]
    #[inline(always)]
    fn below(&self, low: u16) -> u32 {
        self.below_portable(low)
    }

    /// Members of a bitmap container before `low`'s segment of 2048 values.
    #[inline]
    fn bitmap_before(&self, low: u16) -> u32 {
        u32::from(self.entries[usize::from(low >> SEGMENT_SHIFT)])
    }
}

/// Where a value would be, found from the heap directory alone (no bitmap
/// bytes read): its container and the positions within it that can hold it.
/// [`RoaringLayout::probe`] makes one; [`RoaringLayout::rank_at`] finishes the
/// lookup. In between, a caller can prefetch what the rest will read.
#[derive(Clone, Copy, Debug)]
pub struct Probe<'a> {
    container: &'a Container,
    low: u16,
    /// Array: every value before this position is below `low`. Bitmap: the
    /// number of members before `low`'s segment. Run: 0.
    lo: u32,
    /// Array: the value at this position, if any, is not below `low`.
    /// Otherwise the cardinality.
    hi: u32,
}

impl Probe<'_> {
    /// The probed value.
    #[inline]
    pub fn value(&self) -> u32 {
        self.container.high() | u32::from(self.low)
    }

    /// A rank at most a segment (25 to 60 members of a populated national
    /// array container) before the value's rank, if it is a member.
    #[inline(always)]
    pub fn rank_hint(&self) -> u32 {
        self.container.rank_base.saturating_add(self.lo)
    }

    /// The last rank the value can have if it is a member: its rank lies
    /// between [`Probe::rank_hint`] and this (at most a segment, about 60
    /// members, further on in an array container), the range whose code
    /// bytes a caller may prefetch. Other containers: the hint.
    #[inline(always)]
    pub fn rank_last(&self) -> u32 {
        match self.container.kind {
            Kind::Array => self.container.rank_base.saturating_add(self.hi),
            Kind::Bitmap | Kind::Run => self.rank_hint(),
        }
    }

    /// Byte offset (within the bitmap's bytes) of the first byte the lookup
    /// will read from the container.
    #[inline(always)]
    pub fn byte_hint(&self) -> usize {
        let offset = self.container.offset as usize;
        match self.container.kind {
            Kind::Array => offset + 2 * self.lo as usize,
            Kind::Bitmap => offset + 8 * usize::from(self.low >> 6),
            Kind::Run => offset,
        }
    }
}

impl Container {
    /// Declared number of members, 1..=65536.
    #[inline(always)]
    fn cardinality(&self) -> u32 {
        u32::from(self.card_minus_one) + 1
    }

    /// High bits shared by all members.
    #[inline]
    fn high(&self) -> u32 {
        u32::from(self.key) << 16
    }

    /// The array values (2 bytes each), or `None` if they lie outside `bytes`.
    #[inline(always)]
    fn array<'a>(&self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        let start = self.offset as usize;
        let len = 2 * self.cardinality() as usize;
        bytes.get(start..start.checked_add(len)?)
    }

    /// Whether any member's low 16 bits lie in `from..=to`.
    fn any_in(&self, bytes: &[u8], from: u16, to: u16) -> bool {
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
    fn bitmap<'a>(&self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        let start = self.offset as usize;
        bytes.get(start..start.checked_add(BITMAP_BYTES)?)
    }

    /// The `(start, length - 1)` run pairs (4 bytes each), or `None` if they
    /// lie outside `bytes`.
    #[inline]
    fn runs<'a>(&self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        let start = self.offset as usize;
        let n_runs = usize::from(read_u16(bytes, start)?);
        let runs_start = start.checked_add(2)?;
        bytes.get(runs_start..runs_start.checked_add(4 * n_runs)?)
    }
}

/// Reads a little-endian `u16` at `at`, if the bytes are there.
#[inline]
fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(*bytes.get(at..)?.first_chunk::<2>()?))
}

/// Reads a little-endian `u32` at `at`, if the bytes are there.
#[inline]
fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(*bytes.get(at..)?.first_chunk::<4>()?))
}

/// Reads a little-endian `u64` at `at`, or 0 if the bytes are not there.
#[inline]
fn read_u64_or_0(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..)
        .and_then(|rest| rest.first_chunk::<8>())
        .map_or(0, |word| u64::from_le_bytes(*word))
}

/// Splits run `index` of a run container into `(start, length - 1)`.
#[inline]
fn run_at(runs: &[u8], index: usize) -> Option<(u16, u16)> {
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
fn popcount(words: &[u8]) -> u32 {
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

/// What is wrong with a serialized bitmap.
///
/// Byte offsets count from the start of the serialized bitmap; container
/// indexes count from 0 in serialized order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RoaringError {
    /// The bytes end inside the cookie or the headers.
    #[error("roaring bitmap truncated: its header needs {needed} bytes, only {available} given")]
    Truncated {
        /// Bytes needed to read the header.
        needed: usize,
        /// Bytes given.
        available: usize,
    },
    /// The first four bytes are not a known cookie.
    #[error("not a roaring bitmap: unknown cookie {0:#010x} at byte 0")]
    BadCookie(u32),
    /// The `12346` cookie declares more than 65536 containers.
    #[error("roaring bitmap declares {count} containers at byte 4, more than the 65536 possible")]
    TooManyContainers {
        /// Declared container count.
        count: u32,
    },
    /// A container's key is not greater than the previous container's.
    #[error(
        "roaring bitmap container {container}: key {key} is not greater than the previous key {previous}"
    )]
    KeysNotIncreasing {
        /// Index of the offending container.
        container: usize,
        /// Its key.
        key: u16,
        /// The previous container's key.
        previous: u16,
    },
    /// The offset header does not give the byte where the container actually
    /// starts (containers must follow the headers back to back, in order).
    #[error(
        "roaring bitmap container {container}: offset header says byte {offset}, but the container starts at byte {expected}"
    )]
    BadOffset {
        /// Index of the offending container.
        container: usize,
        /// Offset given by the offset header.
        offset: u32,
        /// Offset where the container starts.
        expected: usize,
    },
    /// A container extends past the end of the bytes.
    #[error(
        "roaring bitmap container {container} at byte {offset} is truncated: it needs {needed} bytes, only {available} given"
    )]
    ContainerTruncated {
        /// Index of the offending container.
        container: usize,
        /// Byte offset where the container starts.
        offset: usize,
        /// Bytes needed to hold the container (its end offset).
        needed: usize,
        /// Bytes given.
        available: usize,
    },
    /// A container's header or contents are inconsistent.
    #[error("roaring bitmap container {container} at byte {offset} is invalid: {detail}")]
    InvalidContainer {
        /// Index of the offending container.
        container: usize,
        /// Byte offset where the container starts.
        offset: usize,
        /// What is wrong.
        detail: &'static str,
    },
    /// The declared cardinalities add up to more than `u32::MAX` members.
    #[error(
        "roaring bitmap has more than {} members (from container {container} on)",
        u32::MAX
    )]
    CardinalityOverflow {
        /// Index of the container at which the count overflows.
        container: usize,
    },
    /// Bytes follow the last container.
    #[error("roaring bitmap ends at byte {expected}, but {actual} bytes were given")]
    TrailingBytes {
        /// Serialized size according to the headers.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
}

/// The parsed, validated directory of one serialized bitmap. Owns no bitmap data.
///
/// Build it with [`RoaringLayout::parse`], keep it next to the bytes (for
/// example beside a file mapping), and pass the same bytes to every query.
/// Queries given other bytes never panic, but their answers are unspecified.
///
/// Memory: 80 bytes per container (its directory entry and its rank
/// directory) plus a 4-byte direct-table entry per key up to the largest key
/// (up to 256 KiB); see [`RoaringLayout::heap_size`].
#[derive(Clone)]
pub struct RoaringLayout {
    /// Containers in serialized (key) order.
    containers: Vec<Container>,
    /// Rank directory per container, same order.
    directories: Vec<Directory>,
    /// `high16 -> index into containers`, or [`NO_CONTAINER`]; sized max key + 1.
    table: Vec<u32>,
    /// Total number of members.
    len: u32,
    /// Serialized size in bytes.
    byte_len: usize,
}

impl fmt::Debug for RoaringLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoaringLayout")
            .field("len", &self.len)
            .field("containers", &self.containers.len())
            .field("byte_len", &self.byte_len)
            .finish_non_exhaustive()
    }
}

impl RoaringLayout {
    /// Structural validation in O(number of containers): cookie, counts, keys
    /// strictly increasing, every offset/length in bounds with overflow-checked
    /// arithmetic, containers don't overlap and lie in order, the serialized
    /// length equals `bytes.len()` exactly (no trailing bytes), run containers'
    /// declared runs fit. Cardinality sum must fit `u32`.
    ///
    /// Containers must follow the headers back to back, and where an offset
    /// header is present each offset must be the container's actual start (all
    /// reference writers do this, and reference readers ignore the offsets, so
    /// this keeps our reading identical to theirs). A run container must
    /// declare at least one run and no more runs than members.
    ///
    /// Container contents are not validated; see
    /// [`RoaringLayout::validate_contents`]. They are read once, to build the
    /// rank directory that makes lookups touch one segment of a container
    /// (about a millisecond per million members). Never panics, whatever the
    /// bytes.
    pub fn parse(bytes: &[u8]) -> Result<RoaringLayout, RoaringError> {
        let available = bytes.len();
        let truncated = |needed: usize| RoaringError::Truncated { needed, available };

        let cookie = read_u32(bytes, 0).ok_or(truncated(4))?;
        // (container count, offset of the run-flag bitset, offset header present,
        // offset of the descriptive header)
        let (count, run_flags_at, has_offsets, descriptions_at) =
            if cookie == SERIAL_COOKIE_NO_RUNCONTAINER {
                let count = read_u32(bytes, 4).ok_or(truncated(8))?;
                if count as usize > MAX_CONTAINERS {
                    return Err(RoaringError::TooManyContainers { count });
                }
                (count as usize, None, true, 8)
            } else if cookie & 0xFFFF == SERIAL_COOKIE {
                let count = (cookie >> 16) as usize + 1;
                (
                    count,
                    Some(4),
                    count >= NO_OFFSET_THRESHOLD,
                    4 + count.div_ceil(8),
                )
            } else {
                return Err(RoaringError::BadCookie(cookie));
            };

        // count <= 65536, so none of this header arithmetic can overflow.
        let offsets_at = descriptions_at + 4 * count;
        let header_end = if has_offsets {
            offsets_at + 4 * count
        } else {
            offsets_at
        };
        if available < header_end {
            return Err(truncated(header_end));
        }

        let mut containers = Vec::with_capacity(count);
        let mut position = header_end;
        let mut total: u64 = 0;
        let mut previous_key: Option<u16> = None;
        for index in 0..count {
            let description = descriptions_at + 4 * index;
            let key = read_u16(bytes, description).ok_or(truncated(header_end))?;
            let card_minus_one = read_u16(bytes, description + 2).ok_or(truncated(header_end))?;
            if let Some(previous) = previous_key
                && key <= previous
            {
                return Err(RoaringError::KeysNotIncreasing {
                    container: index,
                    key,
                    previous,
                });
            }
            previous_key = Some(key);

            if has_offsets {
                let offset =
                    read_u32(bytes, offsets_at + 4 * index).ok_or(truncated(header_end))?;
                if offset as usize != position {
                    return Err(RoaringError::BadOffset {
                        container: index,
                        offset,
                        expected: position,
                    });
                }
            }
            let Ok(offset) = u32::try_from(position) else {
                // Only reachable with an offset header, whose u32 entries
                // would then not match (already reported above).
                return Err(RoaringError::BadOffset {
                    container: index,
                    offset: u32::MAX,
                    expected: position,
                });
            };

            let cardinality = u32::from(card_minus_one) + 1;
            let is_run = run_flags_at.is_some_and(|flags_at| {
                bytes
                    .get(flags_at + index / 8)
                    .is_some_and(|flags| flags & (1 << (index % 8)) != 0)
            });
            let (kind, size) = if is_run {
                let invalid = |detail| RoaringError::InvalidContainer {
                    container: index,
                    offset: position,
                    detail,
                };
                let n_runs = read_u16(bytes, position).ok_or(RoaringError::ContainerTruncated {
                    container: index,
                    offset: position,
                    needed: position.saturating_add(2),
                    available,
                })?;
                if n_runs == 0 {
                    return Err(invalid("run container with no runs"));
                }
                if u32::from(n_runs) > cardinality {
                    return Err(invalid("run container declares more runs than members"));
                }
                (Kind::Run, 2 + 4 * usize::from(n_runs))
            } else if cardinality > ARRAY_LIMIT {
                (Kind::Bitmap, BITMAP_BYTES)
            } else {
                (Kind::Array, 2 * cardinality as usize)
            };
            let end = match position.checked_add(size) {
                Some(end) if end <= available => end,
                _ => {
                    return Err(RoaringError::ContainerTruncated {
                        container: index,
                        offset: position,
                        needed: position.saturating_add(size),
                        available,
                    });
                }
            };

            let Ok(rank_base) = u32::try_from(total) else {
                return Err(RoaringError::CardinalityOverflow { container: index });
            };
            total += u64::from(cardinality);
            if total > u64::from(u32::MAX) {
                return Err(RoaringError::CardinalityOverflow { container: index });
            }

            containers.push(Container {
                offset,
                rank_base,
                key,
                card_minus_one,
                kind,
            });
            position = end;
        }

        if position != available {
            return Err(RoaringError::TrailingBytes {
                expected: position,
                actual: available,
            });
        }

        let table_len = containers
            .last()
            .map_or(0, |last| usize::from(last.key) + 1);
        let directories = containers
            .iter()
            .map(|container| match container.kind {
                Kind::Array => container.array(bytes).map(Directory::of_array),
                Kind::Bitmap => container.bitmap(bytes).map(Directory::of_bitmap),
                Kind::Run => None,
            })
            // Every container lies inside `bytes` (checked above).
            .map(Option::unwrap_or_default)
            .collect();
        let mut table = vec![NO_CONTAINER; table_len];
        for (index, container) in containers.iter().enumerate() {
            if let Some(slot) = table.get_mut(usize::from(container.key)) {
                // index < 65536: fits.
                *slot = index as u32;
            }
        }

        Ok(RoaringLayout {
            containers,
            directories,
            table,
            // Checked against u32::MAX in the loop.
            len: total as u32,
            byte_len: position,
        })
    }

    /// Number of members.
    #[inline]
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the bitmap has no members.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Serialized size in bytes (equal to the length of the parsed bytes).
    #[inline]
    pub fn byte_len(&self) -> usize {
        self.byte_len
    }

    /// Number of containers.
    #[inline]
    pub fn container_count(&self) -> usize {
        self.containers.len()
    }

    /// Heap bytes used by this layout (for memory reporting): 16 bytes per
    /// container plus 4 bytes per key up to the largest key.
    pub fn heap_size(&self) -> usize {
        self.containers.capacity() * std::mem::size_of::<Container>()
            + self.directories.capacity() * std::mem::size_of::<Directory>()
            + self.table.capacity() * std::mem::size_of::<u32>()
    }

    /// Where `value` would be: its container and segment, from the heap
    /// directory alone. `None` if no container can hold it.
    #[inline(always)]
    pub fn probe(&self, value: u32) -> Option<Probe<'_>> {
        let index = *self.table.get((value >> 16) as usize)? as usize;
        // NO_CONTAINER (u32::MAX) is never a valid index, so `get` rejects it.
        let container = self.containers.get(index)?;
        let low = value as u16;
        let cardinality = container.cardinality();
        let (lo, hi) = match container.kind {
            Kind::Array => self.directories.get(index)?.array_segment(low, cardinality),
            Kind::Bitmap => (self.directories.get(index)?.bitmap_before(low), cardinality),
            Kind::Run => (0, cardinality),
        };
        Some(Probe {
            container,
            low,
            lo,
            hi,
        })
    }

    /// If `value` is a member, its rank: the number of members smaller than it
    /// (0-based position). This is the hot path.
    ///
    /// `bytes` must be the slice given to `parse`; with other bytes the answer
    /// is unspecified but it never panics. Never allocates.
    ///
    /// Cost after the heap directory ([`RoaringLayout::probe`]): an array
    /// container takes a branch-free count of 64 values around its segment
    /// (two or three cache lines; segments of more than 64 values, in arrays
    /// of more than 2048, are first halved); a bitmap container a popcount of
    /// at most 32 words; a run container a binary search plus a vectorized sum
    /// over up to half of its runs.
    #[inline]
    pub fn rank(&self, bytes: &[u8], value: u32) -> Option<u32> {
        self.rank_at(bytes, &self.probe(value)?)
    }

    /// Finishes a lookup that [`RoaringLayout::probe`] started: the rank of
    /// the probed value, if it is a member. Same rules as [`RoaringLayout::rank`].
    #[inline(always)]
    pub fn rank_at(&self, bytes: &[u8], probe: &Probe<'_>) -> Option<u32> {
        let container = probe.container;
        let within = match container.kind {
            Kind::Array => array_rank(container.array(bytes)?, probe.low, probe.lo, probe.hi),
            Kind::Bitmap => bitmap_rank(container.bitmap(bytes)?, probe.low, probe.lo),
            Kind::Run => run_rank(container.runs(bytes)?, container.cardinality(), probe.low),
        }?;
        container.rank_base.checked_add(within)
    }

    /// Whether any member lies in `lo..=hi`. `bytes` must be the slice given
    /// to `parse`; with other bytes the answer is unspecified but it never
    /// panics. Costs a binary search per container the range touches.
    pub fn any_in(&self, bytes: &[u8], lo: u32, hi: u32) -> bool {
        lo <= hi
            && (lo >> 16..=hi >> 16).any(|high| {
                let Some(container) = self
                    .table
                    .get(high as usize)
                    .and_then(|&index| self.containers.get(index as usize))
                else {
                    return false;
                };
                let from = if high == lo >> 16 { lo as u16 } else { 0 };
                let to = if high == hi >> 16 {
                    hi as u16
                } else {
                    u16::MAX
                };
                container.any_in(bytes, from, to)
            })
    }

    /// The high 16 bits of each container's members, in order.
    pub fn container_keys(&self) -> impl Iterator<Item = u32> + '_ {
        self.containers
            .iter()
            .map(|container| u32::from(container.key))
    }

    /// Membership. `bytes` must be the slice given to `parse`; with other
    /// bytes the answer is unspecified but it never panics.
    #[inline]
    pub fn contains(&self, bytes: &[u8], value: u32) -> bool {
        let Some(probe) = self.probe(value) else {
            return false;
        };
        let container = probe.container;
        match container.kind {
            Kind::Array => self.rank_at(bytes, &probe).is_some(),
            Kind::Bitmap => container
                .bitmap(bytes)
                .is_some_and(|words| bitmap_contains(words, probe.low)),
            Kind::Run => container
                .runs(bytes)
                .is_some_and(|runs| find_run(runs, probe.low).is_some()),
        }
    }

    /// O(n) content validation (run by a full verify, not at open): arrays
    /// strictly increasing, bitmap containers' popcount equals the declared
    /// cardinality, runs sorted, non-overlapping and not adjacent (adjacent
    /// runs must be merged), within `u16`, and the sum of run lengths equals
    /// the declared cardinality.
    ///
    /// `bytes` must be the slice given to `parse`; other bytes may fail it.
    pub fn validate_contents(&self, bytes: &[u8]) -> Result<(), RoaringError> {
        for (index, container) in self.containers.iter().enumerate() {
            let invalid = |detail| RoaringError::InvalidContainer {
                container: index,
                offset: container.offset as usize,
                detail,
            };
            let outside = || invalid("container lies outside the given bytes");
            match container.kind {
                Kind::Array => {
                    let values = container.array(bytes).ok_or_else(outside)?;
                    // Without a branch per value, so that it vectorizes.
                    let mut increasing = true;
                    for pair in values.windows(4).step_by(2) {
                        let first = u16::from_le_bytes([pair[0], pair[1]]);
                        let second = u16::from_le_bytes([pair[2], pair[3]]);
                        increasing &= first < second;
                    }
                    if !increasing {
                        return Err(invalid("array values are not strictly increasing"));
                    }
                }
                Kind::Bitmap => {
                    let words = container.bitmap(bytes).ok_or_else(outside)?;
                    if popcount(words) != container.cardinality() {
                        return Err(invalid(
                            "bitmap population count differs from the declared cardinality",
                        ));
                    }
                }
                Kind::Run => {
                    let runs = container.runs(bytes).ok_or_else(outside)?;
                    let mut previous_end: Option<u16> = None;
                    let mut members: u64 = 0;
                    for index in 0..runs.len() / 4 {
                        let (start, length_minus_one) = run_at(runs, index).ok_or_else(outside)?;
                        let Some(end) = start.checked_add(length_minus_one) else {
                            return Err(invalid("run extends past 65535"));
                        };
                        if let Some(previous_end) = previous_end {
                            if start <= previous_end {
                                return Err(invalid("runs overlap or are not sorted"));
                            }
                            if start == previous_end + 1 {
                                return Err(invalid("runs are adjacent (not merged)"));
                            }
                        }
                        previous_end = Some(end);
                        members += u64::from(length_minus_one) + 1;
                    }
                    if members != u64::from(container.cardinality()) {
                        return Err(invalid(
                            "run lengths do not add up to the declared cardinality",
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// All members in increasing order. `bytes` must be the slice given to
    /// `parse`; with other bytes the values are unspecified (a container that
    /// lies outside them yields nothing) but it never panics.
    pub fn iter<'a>(&'a self, bytes: &'a [u8]) -> impl Iterator<Item = u32> + 'a {
        Iter {
            bytes,
            containers: self.containers.iter(),
            current: ContainerIter::Empty,
        }
    }
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
fn array_rank(values: &[u8], low: u16, lo: u32, hi: u32) -> Option<u32> {
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
fn bitmap_rank(words: &[u8], low: u16, before: u32) -> Option<u32> {
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
#[inline]
fn bitmap_contains(words: &[u8], low: u16) -> bool {
    let word = read_u64_or_0(words, 8 * usize::from(low >> 6));
    (word >> (low & 63)) & 1 == 1
}

/// Index of the run containing `low`, and `low`'s distance from its start.
#[inline]
fn find_run(runs: &[u8], low: u16) -> Option<(usize, u16)> {
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
fn run_rank(runs: &[u8], cardinality: u32, low: u16) -> Option<u32> {
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

/// Iterator over the members of one container.
enum ContainerIter<'a> {
    /// Nothing left.
    Empty,
    /// Remaining array values.
    Array {
        /// High bits of the members.
        high: u32,
        /// Values not yet yielded (2 bytes each).
        values: std::slice::ChunksExact<'a, u8>,
    },
    /// Remaining bitmap words.
    Bitmap {
        /// High bits of the members.
        high: u32,
        /// Words not yet loaded (8 bytes each).
        words: std::slice::ChunksExact<'a, u8>,
        /// Low value of bit 0 of `word`.
        base: u32,
        /// Unyielded bits of the current word.
        word: u64,
    },
    /// Remaining runs.
    Run {
        /// High bits of the members.
        high: u32,
        /// Runs not yet started (4 bytes each).
        runs: std::slice::ChunksExact<'a, u8>,
        /// Next low value of the current run.
        next: u32,
        /// Last low value of the current run (`next > last` when done).
        last: u32,
    },
}

impl ContainerIter<'_> {
    /// Next member of this container, if any.
    #[inline]
    fn next(&mut self) -> Option<u32> {
        match self {
            ContainerIter::Empty => None,
            ContainerIter::Array { high, values } => {
                let value = read_u16(values.next()?, 0)?;
                Some(*high | u32::from(value))
            }
            ContainerIter::Bitmap {
                high,
                words,
                base,
                word,
            } => {
                while *word == 0 {
                    *word = read_u64_or_0(words.next()?, 0);
                    *base += 64;
                }
                let bit = word.trailing_zeros();
                *word &= *word - 1;
                // base <= 65472 and bit < 64: the sum fits in 16 bits.
                Some(*high | (*base + bit))
            }
            ContainerIter::Run {
                high,
                runs,
                next,
                last,
            } => {
                if *next > *last {
                    let (start, length_minus_one) = run_at(runs.next()?, 0)?;
                    *next = u32::from(start);
                    // Clamp a (malformed) run that passes 65535.
                    *last = (u32::from(start) + u32::from(length_minus_one)).min(0xFFFF);
                }
                let value = *high | *next;
                *next += 1;
                Some(value)
            }
        }
    }
}

/// Iterator over all members, container by container.
struct Iter<'a> {
    /// The serialized bitmap.
    bytes: &'a [u8],
    /// Containers not yet started.
    containers: std::slice::Iter<'a, Container>,
    /// The container being iterated.
    current: ContainerIter<'a>,
}

impl Iterator for Iter<'_> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        loop {
            if let Some(value) = self.current.next() {
                return Some(value);
            }
            let container = self.containers.next()?;
            let high = container.high();
            self.current = match container.kind {
                Kind::Array => container
                    .array(self.bytes)
                    .map_or(ContainerIter::Empty, |values| ContainerIter::Array {
                        high,
                        values: values.chunks_exact(2),
                    }),
                Kind::Bitmap => {
                    container
                        .bitmap(self.bytes)
                        .map_or(ContainerIter::Empty, |words| {
                            let mut words = words.chunks_exact(8);
                            let word = words.next().map_or(0, |word| read_u64_or_0(word, 0));
                            ContainerIter::Bitmap {
                                high,
                                words,
                                base: 0,
                                word,
                            }
                        })
                }
                Kind::Run => container
                    .runs(self.bytes)
                    .map_or(ContainerIter::Empty, |runs| ContainerIter::Run {
                        high,
                        runs: runs.chunks_exact(4),
                        next: 1,
                        last: 0,
                    }),
            };
        }
    }
}

#[cfg(test)]
mod tests;
