//! The rank directory built at open, and [`Probe`], the part of a lookup that
//! reads only it.

use super::container::{BITMAP_WORDS, Container, Kind, popcount, read_u16};

/// The rank directory cuts each container into this many segments.
pub(super) const SEGMENTS: usize = 32;
/// In a bitmap container, `low >> SEGMENT_SHIFT` is the segment of a low
/// value (2048 values each).
pub(super) const SEGMENT_SHIFT: u32 = 11;
/// Bitmap words per segment.
pub(super) const SEGMENT_WORDS: usize = BITMAP_WORDS / SEGMENTS;

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
pub(super) struct Directory {
    pub(super) entries: [u16; SEGMENTS],
}

const _: () = assert!(std::mem::size_of::<Directory>() == 64);

impl Directory {
    /// Values per segment of an array container of `cardinality` values.
    #[inline(always)]
    fn array_step(cardinality: u32) -> u32 {
        cardinality.div_ceil(SEGMENTS as u32)
    }

    /// The directory of an array container (`values`: 2 bytes each).
    pub(super) fn of_array(values: &[u8]) -> Directory {
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
    pub(super) fn of_bitmap(words: &[u8]) -> Directory {
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
    pub(super) fn array_segment(&self, low: u16, cardinality: u32) -> (u32, u32) {
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
    pub(super) fn below(&self, low: u16) -> u32 {
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
    pub(super) fn below_portable(&self, low: u16) -> u32 {
        self.entries.iter().map(|&e| u32::from(e < low)).sum()
    }

    #[cfg(not(target_arch = "x86_64"))]
    #[inline(always)]
    pub(super) fn below(&self, low: u16) -> u32 {
        self.below_portable(low)
    }

    /// Members of a bitmap container before `low`'s segment of 2048 values.
    #[inline]
    pub(super) fn bitmap_before(&self, low: u16) -> u32 {
        u32::from(self.entries[usize::from(low >> SEGMENT_SHIFT)])
    }
}

/// Where a value would be, found from the heap directory alone (no bitmap
/// bytes read): its container and the positions within it that can hold it.
/// [`RoaringLayout::probe`] makes one; [`RoaringLayout::rank_at`] finishes the
/// lookup. In between, a caller can prefetch what the rest will read.
#[derive(Clone, Copy, Debug)]
pub struct Probe<'a> {
    pub(super) container: &'a Container,
    pub(super) low: u16,
    /// Array: every value before this position is below `low`. Bitmap: the
    /// number of members before `low`'s segment. Run: 0.
    pub(super) lo: u32,
    /// Array: the value at this position, if any, is not below `low`.
    /// Otherwise the cardinality.
    pub(super) hi: u32,
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
