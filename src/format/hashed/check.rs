//! The full check of a register section's blocks: that they are exactly
//! the placement of the keys they hold ([`super::encode`]), and that every
//! key is one the register may hold. Slot by slot, or, for narrow blocks
//! where the processor has AVX2, eight slots at a time ([`super::avx2`]).

#[cfg(target_arch = "x86_64")]
use super::avx2;
use super::{
    BLOCK_LEN, COUNT, FLAGS_AT, GOES_ON, Layout, Shape, Slots, Walk, count, mask, mixed_of_slot,
    slot_at, unmix_with,
};

/// The keys a register may hold: [`check_range`] asks for every key it reads.
pub(crate) trait Possible {
    /// Whether the register may hold `key`.
    fn possible(&mut self, key: u32) -> bool;

    /// Bit `i` set where bit `i` of `asked` is and the register may not
    /// hold `keys[i]`; no other bit.
    #[inline(always)]
    fn impossible(&mut self, keys: &[u32; LANES], asked: u32) -> u32 {
        impossible_one_by_one(self, keys, asked)
    }
}

/// [`Possible::impossible`] key by key.
#[inline(always)]
pub(crate) fn impossible_one_by_one(
    possible: &mut (impl Possible + ?Sized),
    keys: &[u32; LANES],
    asked: u32,
) -> u32 {
    (keys.iter().enumerate())
        .filter(|&(i, &key)| asked >> i & 1 != 0 && !possible.possible(key))
        .fold(0, |bits, (i, _)| bits | 1 << i)
}

impl<F: FnMut(u32) -> bool> Possible for F {
    #[inline(always)]
    fn possible(&mut self, key: u32) -> bool {
        self(key)
    }
}

/// Keys of [`Possible::impossible`] at once: a narrow block's 21 slots
/// and 3 more, three vectors of eight.
pub(crate) const LANES: usize = 24;

/// Checks that `blocks` is exactly what [`encode`] makes of the keys it
/// holds under `layout`, in one pass: every slot names a key, the keys
/// increase in the order of their mix, each lies where the placement puts
/// it (in its named block, or after a full block), the flags say which
/// blocks go on, every unused byte is zero, and `possible` holds for every
/// key. Returns the number of keys; the error names the block and slot
/// (never the key: it may be a CPR number).
#[cfg(test)]
pub(crate) fn check(
    layout: &Layout,
    blocks: &[u8],
    possible: impl Possible,
) -> Result<u64, String> {
    layout.validate(blocks.len())?;
    check_range(layout, blocks, 0..blocks.len() / BLOCK_LEN, possible)
}

/// `check` of the blocks in `range` of a section whose length and
/// layout [`Layout::validate`] accepted: the placement's state where the
/// range starts is read from the blocks before it, which are checked as
/// part of their own range. A section passes `check` exactly when every
/// range of a partition of its blocks passes; where several fail, the
/// first range's error is the one `check` gives. Returns the number of
/// keys in the range.
pub(crate) fn check_range(
    layout: &Layout,
    blocks: &[u8],
    range: std::ops::Range<usize>,
    possible: impl Possible,
) -> Result<u64, String> {
    // A loop of its own for each shape, so that reading a slot is one load.
    match layout.shape {
        Shape::Narrow => {
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2, as just asked.
                return unsafe { check_narrow_avx2(layout, blocks, range, possible) };
            }
            check_slots::<true>(layout, blocks, range, possible)
        }
        Shape::Wide => check_slots::<false>(layout, blocks, range, possible),
    }
}

/// [`check_shape`] slot by slot.
pub(super) fn check_slots<const NARROW: bool>(
    layout: &Layout,
    blocks: &[u8],
    range: std::ops::Range<usize>,
    possible: impl Possible,
) -> Result<u64, String> {
    // SAFETY: without vectors, nothing is asked of the processor.
    unsafe { check_shape::<NARROW, false>(layout, blocks, range, possible) }
}

/// [`check_shape`] of narrow blocks, eight slots at a time ([`avx2`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(super) fn check_narrow_avx2(
    layout: &Layout,
    blocks: &[u8],
    range: std::ops::Range<usize>,
    possible: impl Possible,
) -> Result<u64, String> {
    // SAFETY: this function runs only where the processor has AVX2 (its
    // target feature).
    unsafe { check_shape::<true, true>(layout, blocks, range, possible) }
}

/// [`check_range`] for one shape: narrow blocks if `NARROW`, else wide;
/// with AVX2 if `AVX2` (narrow blocks only).
///
/// # Safety
///
/// With `AVX2`, the processor must have AVX2.
#[inline(always)]
unsafe fn check_shape<const NARROW: bool, const AVX2: bool>(
    layout: &Layout,
    blocks: &[u8],
    range: std::ops::Range<usize>,
    mut possible: impl Possible,
) -> Result<u64, String> {
    let shape = if NARROW { Shape::Narrow } else { Shape::Wide };
    let last = blocks.len() / BLOCK_LEN - 1;
    let slots = Slots::new(layout).expect("at least one named block");
    let mut walk = Walk::at(slots, range.start);
    let (unmask, unshift) = (mask(layout.bits), layout.bits.div_ceil(2));
    let mut keys = 0u64;
    // The mix of the key before, plus one (zero before the first key), and
    // the block the placement's cursor stood at; whether the block before
    // says it goes on, and whether it is full.
    let (previous, mut before) = state_before(slots, blocks, range.start);
    let (mut above, mut cursor) = previous.map_or((0, 0), |(m, b)| (u64::from(m) + 1, b));
    for (at, block) in range
        .clone()
        .zip(blocks[range.start * BLOCK_LEN..].chunks_exact(BLOCK_LEN))
    {
        let block: &[u8; BLOCK_LEN] = block.try_into().expect("a block");
        let bad = |what: String| Err(format!("block {at}: {what}"));
        let n = count(block);
        if n > shape.keys() || block[FLAGS_AT] & !(COUNT | GOES_ON) != 0 {
            return bad(format!("flags {:#04x}", block[FLAGS_AT]));
        }
        if at == last && block.iter().any(|&b| b != 0) {
            return bad("the last block is not empty".into());
        }
        if at + 1 == last && at as u64 >= layout.named && n == 0 {
            return bad("an empty block past the named ones before the last".into());
        }
        let unused = if NARROW { &NARROW_UNUSED } else { &WIDE_UNUSED };
        let words = block
            .as_chunks::<8>()
            .0
            .iter()
            .map(|&w| u64::from_le_bytes(w));
        let set = words
            .zip(unused[n])
            .fold(0, |set, (word, mask)| set | word & mask);
        if set != 0 {
            return bad("a byte past the keys is not zero".into());
        }
        let (_, shares) = walk.next();
        // With vectors, every slot but the first at once: the loop below
        // then checks only the first (its placement, and the key before
        // the block), or, if a slot failed, finds the first that did.
        #[cfg(target_arch = "x86_64")]
        let lanes = if AVX2 && NARROW && n > 0 {
            // SAFETY: with `AVX2`, the caller made sure that the processor
            // has it (this function's safety section).
            unsafe { avx2::narrow_slots(block, n, &shares, (unmask, unshift), &mut possible) }
        } else {
            None
        };
        #[cfg(not(target_arch = "x86_64"))]
        let lanes: Option<u32> = None;
        let slow = if lanes.is_some() { 1 } else { n };
        // The block before goes on exactly when this block's first key is
        // named to it or an earlier one (named blocks only increase along
        // the blocks).
        let mut continues = false;
        for i in 0..slow {
            // The one mixed key of the named block's share with the
            // slot's low bits, if the share has it.
            let slot = slot_at(shape, block, i);
            let Some((mixed, own)) = mixed_of_slot(shape, at, &shares, slot) else {
                return bad(format!("slot {i} names no key"));
            };
            let mixed = u64::from(mixed);
            // In the order of the mix; the first key of a block in its
            // named block if the cursor was not past it, or else right
            // after the cursor's block if that one is full. (A later key
            // of the block follows one in the same block, at or past its
            // named one.)
            let placed = i > 0 || {
                let wanted = own.max(cursor);
                continues = own < at;
                at == wanted || (at == wanted + 1 && before.1)
            };
            if mixed < above || !placed {
                return bad(format!("slot {i} is not where its key goes"));
            }
            if !possible.possible(unmix_with(mixed as u32, unmask, unshift)) {
                return bad(format!("slot {i} holds an impossible key"));
            }
            above = mixed + 1;
        }
        if let Some(last) = lanes {
            above = u64::from(last) + 1;
        }
        if n > 0 {
            cursor = at;
            keys += n as u64;
        }
        if at > 0 && before.0 != continues {
            return Err(format!(
                "block {}: says it goes on: {}, but {continues}",
                at - 1,
                before.0
            ));
        }
        before = (block[FLAGS_AT] & GOES_ON != 0, n == shape.keys());
    }
    Ok(keys)
}

/// For each count of keys a narrow block may hold, the bits of its eight
/// little-endian words that must be zero: the slots and codes past the
/// keys', and the bytes between the codes and the flags.
const NARROW_UNUSED: [[u64; 8]; 22] = unused_bits(Shape::Narrow);
/// [`NARROW_UNUSED`] for wide blocks (counts 0 to 12).
const WIDE_UNUSED: [[u64; 8]; 22] = unused_bits(Shape::Wide);

/// [`NARROW_UNUSED`] or [`WIDE_UNUSED`], byte by byte.
const fn unused_bits(shape: Shape) -> [[u64; 8]; 22] {
    let mut masks = [[0; 8]; 22];
    let mut n = 0;
    while n <= shape.keys() {
        let mut j = 0;
        while j < FLAGS_AT {
            let slots = j >= n * shape.slot_len() && j < shape.codes_at();
            if slots || j >= shape.codes_at() + n {
                masks[n][j / 8] |= 0xFF << (8 * (j % 8));
            }
            j += 1;
        }
        n += 1;
    }
    masks
}

/// The placement's state before block `at`, read from the blocks before
/// it: the mix of the last key and its block (`None` if there is none, or
/// if its slot names no key, which the check of that block reports), and
/// whether block `at - 1` goes on and is full.
fn state_before(slots: Slots, blocks: &[u8], at: usize) -> (Option<(u32, usize)>, (bool, bool)) {
    let shape = slots.layout.shape;
    let Some(block) = at
        .checked_sub(1)
        .map(|b| &blocks[b * BLOCK_LEN..][..BLOCK_LEN])
    else {
        return (None, (false, false));
    };
    let before = (block[FLAGS_AT] & GOES_ON != 0, count(block) == shape.keys());
    let previous = (0..at).rev().find_map(|b| {
        let block = &blocks[b * BLOCK_LEN..][..BLOCK_LEN];
        let n = count(block).min(shape.keys());
        let slot = slot_at(shape, block, n.checked_sub(1)?);
        let (_, shares) = Walk::at(slots, b).next();
        Some(mixed_of_slot(shape, b, &shares, slot).map(|(mixed, _)| (mixed, b)))
    });
    (previous.flatten(), before)
}
