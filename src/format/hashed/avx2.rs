//! The register's check of narrow blocks eight slots at a time, and the
//! bit planes of every block's codes, with 256-bit vectors (AVX2):
//! [`super::check_range`] and [`super::code_planes`] use them on processors
//! that have them, and read slot by slot (or eight bytes at a time)
//! elsewhere, with the same results (tests compare the two).

use std::arch::x86_64::{
    __m256i, _mm_cvtsi32_si128, _mm_loadu_si128, _mm256_add_epi32, _mm256_and_si256,
    _mm256_blend_epi32, _mm256_castsi256_ps, _mm256_cmpeq_epi32, _mm256_cmpgt_epi32,
    _mm256_cvtepu16_epi32, _mm256_i32gather_epi32, _mm256_loadu_si256, _mm256_max_epu32,
    _mm256_min_epu32, _mm256_movemask_epi8, _mm256_movemask_ps, _mm256_mul_epu32,
    _mm256_mullo_epi32, _mm256_permutevar8x32_epi32, _mm256_set1_epi32, _mm256_setr_epi32,
    _mm256_slli_epi16, _mm256_srl_epi32, _mm256_srli_epi32, _mm256_srli_epi64, _mm256_srlv_epi32,
    _mm256_storeu_si256, _mm256_sub_epi32, _mm256_xor_si256,
};

use crate::recipient::SUMS_LEN;

use super::{
    AddPlanes, BLOCK_LEN, LANES, MULTIPLIERS, Possible, SPAN, Shape, count, inverse, mask,
};

/// Vectors of eight lanes in [`LANES`].
const VECTORS: usize = LANES / 8;

/// The mixed key of the last of the `n` slots (1 to 21) of a narrow block
/// if every slot after the first names a key of its share (as
/// [`super::mixed_of_slot`] reads it), greater than the key of the slot
/// before, and one `possible` holds for; `None` if any does not. The first
/// slot is the caller's to check (its share, its placement, the key before
/// the block). `shares` are the block's ([`super::Walk::next`]); `unmask`
/// and `unshift` the mask and shift of the layout's inverse mix.
#[target_feature(enable = "avx2")]
pub(super) fn narrow_slots(
    block: &[u8; BLOCK_LEN],
    n: usize,
    shares: &[(u64, u64); SPAN],
    (unmask, unshift): (u32, u32),
    possible: &mut impl Possible,
) -> Option<u32> {
    const { assert!(Shape::Narrow.remainder_bits() == 14 && SPAN == 4) };
    // For each distance, the first and the last mixed key of its share; an
    // empty share as a first above its last. Mixed keys are below 2^32.
    let (mut firsts, mut lasts) = ([1; SPAN], [0; SPAN]);
    for (d, &(first, next)) in shares.iter().enumerate() {
        if first < next {
            (firsts[d], lasts[d]) = (first as i32, (next - 1) as i32);
        }
    }
    let table = |[a, b, c, d]: [i32; SPAN]| _mm256_setr_epi32(a, b, c, d, a, b, c, d);
    let (firsts, lasts) = (table(firsts), table(lasts));
    let low = _mm256_set1_epi32(mask(Shape::Narrow.remainder_bits()) as i32);
    // Unsigned order as signed order, with the top bit flipped.
    let flip = _mm256_set1_epi32(i32::MIN);
    let before = _mm256_setr_epi32(0, 0, 1, 2, 3, 4, 5, 6);
    let last_lane = _mm256_set1_epi32(7);
    let unmask = _mm256_set1_epi32(unmask as i32);
    let unshift = _mm_cvtsi32_si128(unshift as i32);
    let inverses = MULTIPLIERS.map(|m| _mm256_set1_epi32(inverse(m) as i32));

    let mut mixed = [0u32; LANES];
    let mut keys = [0u32; LANES];
    let mut bad = 0u32;
    let mut previous = _mm256_set1_epi32(0);
    for v in 0..VECTORS {
        // SAFETY: bytes 16v to 16v + 15 of the 64-byte block, v below 3
        // (an unaligned load). Lanes 21 to 23 are code bytes, not slots:
        // `n` is at most 21, and they are masked off below.
        let slots =
            _mm256_cvtepu16_epi32(unsafe { _mm_loadu_si128(block.as_ptr().add(16 * v).cast()) });
        // The distance picks the share: lanes 0 to 3 of the tables.
        let distance = _mm256_srli_epi32::<14>(slots);
        let first = _mm256_permutevar8x32_epi32(firsts, distance);
        let last = _mm256_permutevar8x32_epi32(lasts, distance);
        let m = _mm256_add_epi32(first, _mm256_and_si256(_mm256_sub_epi32(slots, first), low));
        // In the share: at or above its first (not wrapped past 2^32) and
        // at or below its last.
        let inside = _mm256_and_si256(
            _mm256_cmpeq_epi32(_mm256_max_epu32(m, first), m),
            _mm256_cmpeq_epi32(_mm256_min_epu32(m, last), m),
        );
        // Above the lane before (lane 7 of the vector before, for lane 0).
        let shifted = _mm256_blend_epi32::<1>(
            _mm256_permutevar8x32_epi32(m, before),
            _mm256_permutevar8x32_epi32(previous, last_lane),
        );
        let above = _mm256_cmpgt_epi32(_mm256_xor_si256(m, flip), _mm256_xor_si256(shifted, flip));
        let ok = _mm256_and_si256(inside, above);
        bad |= (!_mm256_movemask_ps(_mm256_castsi256_ps(ok)) as u32 & 0xFF) << (8 * v);
        previous = m;

        // The key: the mix undone (`super::unmix_with`).
        let step = |x: __m256i| _mm256_xor_si256(x, _mm256_srl_epi32(x, unshift));
        let mut key = step(_mm256_and_si256(m, unmask));
        key = step(_mm256_and_si256(
            _mm256_mullo_epi32(key, inverses[1]),
            unmask,
        ));
        key = step(_mm256_and_si256(
            _mm256_mullo_epi32(key, inverses[0]),
            unmask,
        ));
        store(&mut mixed, v, m);
        store(&mut keys, v, key);
    }
    // Slot 0 has no slot before it in the block: the caller checks it,
    // and the key before the block.
    let others = ((1u32 << n) - 1) & !1;
    let bad = bad & others | possible.impossible(&keys, others);
    (bad == 0).then(|| mixed[n - 1])
}

/// Bit `i` set where the run of `keys[i]` is impossible: where bit
/// `r % 32` of `words[r / 32]` is clear or past the words, for `r` the key
/// divided by 1,000 (`register::Runs`).
#[target_feature(enable = "avx2")]
pub(crate) fn impossible_runs(words: &[u32], keys: &[u32; LANES]) -> u32 {
    let Some(last) = words.len().checked_sub(1) else {
        return (1 << LANES) - 1;
    };
    // Words of u32 keys' runs are below 2^32 / 32,000: an i32 compare.
    let len = _mm256_set1_epi32(words.len().min(1 << 30) as i32);
    let last = _mm256_set1_epi32(last.min(1 << 30) as i32);
    // x / 1,000 = (x × 274,877,907) >> 38 for every u32 x.
    let magic = _mm256_set1_epi32(274_877_907);
    let one = _mm256_set1_epi32(1);
    let mut impossible = 0;
    for v in 0..VECTORS {
        // SAFETY: keys 8v to 8v + 7 of 24, v below 3 (an unaligned load).
        let key = unsafe { _mm256_loadu_si256(keys.as_ptr().add(8 * v).cast()) };
        // The high halves of the 64-bit products, even lanes then odd.
        let even = _mm256_srli_epi64::<32>(_mm256_mul_epu32(key, magic));
        let odd = _mm256_mul_epu32(_mm256_srli_epi64::<32>(key), magic);
        let run = _mm256_srli_epi32::<6>(_mm256_blend_epi32::<0b1010_1010>(even, odd));
        let word = _mm256_srli_epi32::<5>(run);
        let inside = _mm256_cmpgt_epi32(len, word);
        // SAFETY: every index is at most `last`, in `words`; a gather
        // reads 4-byte elements at pointer + 4 × index.
        let bits = unsafe {
            _mm256_i32gather_epi32::<4>(words.as_ptr().cast(), _mm256_min_epu32(word, last))
        };
        let bit = _mm256_srlv_epi32(bits, _mm256_and_si256(run, _mm256_set1_epi32(31)));
        let ok = _mm256_and_si256(inside, _mm256_cmpeq_epi32(_mm256_and_si256(bit, one), one));
        impossible |= (!_mm256_movemask_ps(_mm256_castsi256_ps(ok)) as u32 & 0xFF) << (8 * v);
    }
    impossible
}

/// Bit `i` set where `keys[i]` is not a CVR number: not of eight digits,
/// or the weighted sum of its digits is no multiple of 11, the sum of the
/// first four digits read from `sums[0]` and that of the last four from
/// `sums[1]` (`crate::recipient::CVR_SUMS`, bytes with three more after
/// the last).
#[target_feature(enable = "avx2")]
pub(crate) fn impossible_cvr(sums: &[[u8; SUMS_LEN]; 2], keys: &[u32; LANES]) -> u32 {
    const { assert!(SUMS_LEN >= 10_000 + 3) };
    let (least, span) = (_mm256_set1_epi32(10_000_000), _mm256_set1_epi32(89_999_999));
    // x / 10,000 = (x × 3,518,437,209) >> 45 for every u32 x.
    let magic = _mm256_set1_epi32(3_518_437_209u32 as i32);
    let (ten_thousand, last) = (_mm256_set1_epi32(10_000), _mm256_set1_epi32(9_999));
    let byte = _mm256_set1_epi32(0xFF);
    let eleven = _mm256_set1_epi32(11);
    // s / 11 = (s × 2,979) >> 15 for s up to 360 (two sums of at most 180).
    let inverse = _mm256_set1_epi32(2_979);
    let mut impossible = 0;
    for v in 0..VECTORS {
        // SAFETY: keys 8v to 8v + 7 of 24, v below 3 (an unaligned load).
        let key = unsafe { _mm256_loadu_si256(keys.as_ptr().add(8 * v).cast()) };
        // Eight digits: from 10,000,000 to 99,999,999.
        let above = _mm256_sub_epi32(key, least);
        let digits = _mm256_cmpeq_epi32(_mm256_min_epu32(above, span), above);
        // The high halves of the 64-bit products, even lanes then odd.
        let even = _mm256_srli_epi64::<32>(_mm256_mul_epu32(key, magic));
        let odd = _mm256_mul_epu32(_mm256_srli_epi64::<32>(key), magic);
        let high = _mm256_srli_epi32::<13>(_mm256_blend_epi32::<0b1010_1010>(even, odd));
        let low = _mm256_sub_epi32(key, _mm256_mullo_epi32(high, ten_thousand));
        // SAFETY: both indices are at most 9,999 (the high one clamped; the
        // low one a remainder), so each 4-byte read, at pointer + index,
        // ends within the table's 10,003 bytes.
        let sum = unsafe {
            let read = |table: &[u8; SUMS_LEN], at| {
                _mm256_and_si256(_mm256_i32gather_epi32::<1>(table.as_ptr().cast(), at), byte)
            };
            _mm256_add_epi32(
                read(&sums[0], _mm256_min_epu32(high, last)),
                read(&sums[1], low),
            )
        };
        let elevens = _mm256_srli_epi32::<15>(_mm256_mullo_epi32(sum, inverse));
        let multiple = _mm256_cmpeq_epi32(_mm256_mullo_epi32(elevens, eleven), sum);
        let ok = _mm256_and_si256(digits, multiple);
        impossible |= (!_mm256_movemask_ps(_mm256_castsi256_ps(ok)) as u32 & 0xFF) << (8 * v);
    }
    impossible
}

/// [`super::code_planes`] with AVX2: a block's bytes 32 to 63 in one
/// vector, the top bits of its bytes in one instruction, each bit of the
/// codes shifted to the top in turn. With POPCNT for `sum` to count them.
#[target_feature(enable = "avx2,popcnt")]
pub(super) fn code_planes(shape: Shape, blocks: &[u8], sum: &mut impl AddPlanes) {
    let shift = shape.codes_at() - 32;
    for block in blocks.as_chunks::<BLOCK_LEN>().0 {
        let n = count(block).min(shape.keys());
        let lanes = (1u32 << n) - 1;
        // SAFETY: bytes 32 to 63 of the 64-byte block (an unaligned load).
        let v = unsafe { _mm256_loadu_si256(block.as_ptr().add(32).cast()) };
        // Bit `b` of each byte to its top by a 16-bit shift: what the low
        // byte carries into the high one stays below the high one's top.
        let top = |x: __m256i| (_mm256_movemask_epi8(x) as u32) >> shift & lanes;
        let planes = [
            top(_mm256_slli_epi16::<7>(v)),
            top(_mm256_slli_epi16::<6>(v)),
            top(_mm256_slli_epi16::<5>(v)),
            top(_mm256_slli_epi16::<4>(v)),
            top(_mm256_slli_epi16::<3>(v)),
            top(_mm256_slli_epi16::<2>(v)),
            top(_mm256_slli_epi16::<1>(v)),
            top(v),
        ];
        sum.add(&planes, n);
    }
}

/// Lanes 8v to 8v + 7 of `lanes` from a vector.
#[target_feature(enable = "avx2")]
fn store(lanes: &mut [u32; LANES], v: usize, x: __m256i) {
    assert!(v < VECTORS);
    // SAFETY: elements 8v to 8v + 7 of 24, v below 3 (an unaligned store).
    unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().add(8 * v).cast(), x) }
}
