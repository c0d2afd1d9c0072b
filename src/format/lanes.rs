//! A block's first 24 slots of 16 bits compared with one value at once:
//! the search inside a register's block. It names nothing else in the
//! crate, so that `benches/placement.rs` includes this file by its path and
//! searches its candidate layouts' blocks the same way.

/// Bit `i` set where slot `i` of `block` (bytes `2i` and `2i + 1`, little
/// endian), for `i` below 24, is `value`; no higher bit. Three vector
/// compares and two mask extractions, all in the block's one line.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn equal_slots(block: &[u8; 64], value: u16) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi16, _mm_loadu_si128, _mm_movemask_epi8, _mm_packs_epi16,
        _mm_set1_epi16, _mm_setzero_si128,
    };
    // SAFETY: `block` is 64 bytes; the loads read 16 bytes each at offsets
    // 0, 16 and 32, in bounds (unaligned loads). SSE2 is part of the x86_64
    // baseline.
    unsafe {
        let value = _mm_set1_epi16(value as i16);
        let eq = |at: usize| {
            _mm_cmpeq_epi16(
                _mm_loadu_si128(block.as_ptr().add(at).cast::<__m128i>()),
                value,
            )
        };
        let first = _mm_movemask_epi8(_mm_packs_epi16(eq(0), eq(16))) as u32;
        let second = _mm_movemask_epi8(_mm_packs_epi16(eq(32), _mm_setzero_si128())) as u32;
        first | second << 16
    }
}

/// [`equal_slots`], portable.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn equal_slots(block: &[u8; 64], value: u16) -> u32 {
    (0..24)
        .filter(|&i| u16::from_le_bytes([block[2 * i], block[2 * i + 1]]) == value)
        .fold(0, |mask, i| mask | 1 << i)
}
