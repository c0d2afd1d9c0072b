//! The register's blocks (format 3): the keys of one kind of recipient
//! with their code bytes, in blocks of one cache line placed by a hash of
//! the key, so that a lookup computes its block instead of searching a
//! directory for it.
//!
//! Every key is below 2^`bits`. A bijective mix of a key's `bits` bits,
//! times the number of named blocks, holds the key's named block in its
//! bits from `bits` up: each block is named by a run of mixed keys, at most
//! 2^14 (narrow) or 2^30 (wide) long. The keys are placed in the order of
//! their mix, each in its named block or, when that is full, in the next
//! one, at most [`SPAN`] - 1 blocks on. A slot holds how far past its named
//! block the key lies and the low bits of its mix, which tell apart every
//! key named to one block: a match is exact, and a slot and its block give
//! back the key (the start of the named block's run, and the one mixed key
//! in the run with those low bits).
//!
//! ```text
//! narrow block: 21 slots of 16 bits | 21 code bytes         | flags
//! wide block:   12 slots of 32 bits | 12 code bytes | 3 × 0 | flags
//! slot:  distance past the named block (top 2 bits) | low bits of the mix (14 or 30)
//! flags: bits 0-5 the number of keys; bit 7 set if the next block holds
//!        keys named to this block or an earlier one; bit 6 zero
//! ```
//!
//! Narrow blocks need 2^(`bits` - 14) named blocks or more (a national CPR
//! register has them); smaller registers take wide blocks, or narrow ones
//! padded to that count where that is smaller. After the named blocks
//! come those the last named blocks' keys spill into (at most three), then
//! one empty block, so that a lookup may always read the block after its
//! own.

#[cfg(target_arch = "x86_64")]
mod avx2;
mod check;
#[cfg(test)]
pub(crate) mod tests;

#[cfg(target_arch = "x86_64")]
pub(crate) use self::avx2::{impossible_cvr, impossible_runs};
#[cfg(test)]
pub(crate) use self::check::check;
pub(crate) use self::check::{LANES, Possible, check_range, impossible_one_by_one};

/// Bytes per block: one cache line.
pub(crate) const BLOCK_LEN: usize = 64;
/// A key lies less than this many blocks past its named block.
pub(crate) const SPAN: usize = 4;
/// Bits of a slot that say how far past its named block the key lies.
const DISTANCE_BITS: u32 = 2;
/// Where a block holds its flags.
const FLAGS_AT: usize = BLOCK_LEN - 1;
/// The flags' count of keys.
const COUNT: u8 = 0b0011_1111;
/// The flag set when the next block holds keys named to this block or an
/// earlier one: only then may a lookup go on.
const GOES_ON: u8 = 0b1000_0000;
/// How full the named blocks are meant to be on average: the rest absorbs
/// the blocks that more keys are named to than they hold.
const FILL: f64 = 0.9;
/// The fewest bits a register's mix spans.
const MIN_BITS: u32 = 16;

/// The two block shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// 21 slots of 16 bits.
    Narrow,
    /// 12 slots of 32 bits.
    Wide,
}

impl Shape {
    /// The shape's number in a register's header line.
    pub(crate) const fn number(self) -> u8 {
        match self {
            Shape::Narrow => 0,
            Shape::Wide => 1,
        }
    }

    /// The shape numbered `number` in a register's header line.
    pub(crate) const fn from_number(number: u8) -> Option<Shape> {
        match number {
            0 => Some(Shape::Narrow),
            1 => Some(Shape::Wide),
            _ => None,
        }
    }

    /// Bytes per slot.
    const fn slot_len(self) -> usize {
        match self {
            Shape::Narrow => 2,
            Shape::Wide => 4,
        }
    }

    /// Keys per block, at most.
    pub(crate) const fn keys(self) -> usize {
        match self {
            Shape::Narrow => 21,
            Shape::Wide => 12,
        }
    }

    /// Where a block's code bytes start.
    pub(crate) const fn codes_at(self) -> usize {
        self.keys() * self.slot_len()
    }

    /// Bits of a slot that hold the low bits of the mix.
    const fn remainder_bits(self) -> u32 {
        8 * self.slot_len() as u32 - DISTANCE_BITS
    }
}

/// What a reader needs besides the blocks: the register header's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Every key is below 2^`bits`.
    pub(crate) bits: u32,
    /// Blocks a key may be named to (the blocks section holds one to
    /// [`SPAN`] more: [`Layout::blocks`]).
    pub(crate) named: u64,
    pub(crate) shape: Shape,
}

impl Layout {
    /// The layout for `len` keys, the largest of them `max`: narrow blocks
    /// if they need the fewest bytes, else wide ones.
    pub(crate) fn for_keys(len: usize, max: u32) -> Layout {
        let bits = (u32::BITS - max.leading_zeros()).max(MIN_BITS);
        let blocks = |shape: Shape| (len as f64 / (shape.keys() as f64 * FILL)).ceil() as u64;
        // Slots tell a block's keys apart from 2^(bits - 14) blocks on
        // (narrow) or 2^(bits - 30) (wide: 4 blocks cover every `bits`).
        let least = |shape: Shape| 1 << bits.saturating_sub(shape.remainder_bits());
        let narrow = blocks(Shape::Narrow).max(least(Shape::Narrow));
        let wide = blocks(Shape::Wide).max(least(Shape::Wide));
        let (named, shape) = if narrow <= wide {
            (narrow, Shape::Narrow)
        } else {
            (wide, Shape::Wide)
        };
        Layout { bits, named, shape }
    }

    /// Checks the layout's fields against each other and against the
    /// length of its blocks (`len` bytes): the checks of [`check`] that
    /// need no block read, so that a reader may open a section on them.
    pub(crate) fn validate(&self, len: usize) -> Result<(), String> {
        let shape = self.shape;
        if !(MIN_BITS..=u32::BITS).contains(&self.bits) {
            return Err(format!("{} key bits (16 to 32)", self.bits));
        }
        // The mix times the number of blocks fits 64 bits.
        if self.named >= 1 << (64 - self.bits) {
            return Err(format!("{} named blocks are too many", self.named));
        }
        if self.named < 1 << self.bits.saturating_sub(shape.remainder_bits()) {
            return Err(format!(
                "{} named blocks are too few for {shape:?} slots of {}-bit keys",
                self.named, self.bits
            ));
        }
        let whole = len as u64 / BLOCK_LEN as u64;
        if !len.is_multiple_of(BLOCK_LEN) || !self.blocks().contains(&whole) {
            return Err(format!(
                "{len} bytes for {} to {} blocks of {BLOCK_LEN}",
                self.blocks().start(),
                self.blocks().end()
            ));
        }
        Ok(())
    }

    /// The blocks a section of this layout may have: the named ones, the
    /// ones the last named block's keys spill into, and one empty block.
    pub(crate) fn blocks(&self) -> std::ops::RangeInclusive<u64> {
        self.named.saturating_add(1)..=self.named.saturating_add(SPAN as u64)
    }

    /// The named block of a mixed key and the low bits of its mix that
    /// its slot holds.
    #[inline(always)]
    fn name_mixed(&self, mixed: u32) -> (usize, u32) {
        let own = (u64::from(mixed) * self.named) >> self.bits;
        (own as usize, mixed & mask(self.shape.remainder_bits()))
    }

    /// The slot value of a key `distance` blocks past its named block.
    fn slot(&self, remainder: u32, distance: usize) -> u32 {
        remainder | (distance as u32) << self.shape.remainder_bits()
    }
}

/// What a lookup computes from a layout, computed once, so that
/// [`Probes::probe`] has no step that does not depend on the key.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Probes {
    /// The keys' mask: 2^bits - 1.
    mask: u32,
    /// The mix's shifts.
    shift: u32,
    bits: u32,
    named: u64,
    /// The mask of a slot's low bits of the mix.
    remainder: u32,
}

impl Probes {
    pub(crate) fn of(layout: &Layout) -> Probes {
        Probes {
            mask: mask(layout.bits),
            shift: layout.bits.div_ceil(2),
            bits: layout.bits,
            named: layout.named,
            remainder: mask(layout.shape.remainder_bits()),
        }
    }

    /// Where a lookup of `key` starts: its named block and its slot there
    /// (distance zero). `None` for a key above every key the layout holds.
    #[inline(always)]
    pub(crate) fn probe(&self, key: u32) -> Option<(usize, u32)> {
        if key > self.mask {
            return None;
        }
        let mixed = mix_with(key, self.mask, self.shift);
        let own = (u64::from(mixed) * self.named) >> self.bits;
        Some((own as usize, mixed & self.remainder))
    }
}

/// Reading a section's slots back: a layout with at least one named block.
#[derive(Clone, Copy)]
struct Slots {
    layout: Layout,
}

impl Slots {
    /// `None` for a layout without blocks, which no slot can be read under.
    fn new(layout: &Layout) -> Option<Slots> {
        (layout.named > 0).then_some(Slots { layout: *layout })
    }

    /// The first mixed key named to block `own` (`own` up to the number of
    /// named blocks, whose first is 2^bits): the mixed keys times the
    /// number of blocks, at or above `own` × 2^bits. [`Walk`] steps
    /// through them without a division.
    fn first(&self, own: usize) -> u64 {
        let low = (own as u128) << self.layout.bits;
        low.div_ceil(u128::from(self.layout.named)) as u64
    }
}

/// The mixed key of a slot of block `at` of a register of `shape`, and
/// its named block: `None` if no key has that slot. `shares` are the
/// block's ([`Walk::next`]): for each distance, the share of mixed keys of
/// the block it names, at most 2^remainder bits long, so that one key of
/// the share has the slot's low bits, if any does.
#[inline(always)]
fn mixed_of_slot(
    shape: Shape,
    at: usize,
    shares: &[(u64, u64); SPAN],
    slot: u32,
) -> Option<(u32, usize)> {
    let bits = shape.remainder_bits();
    let distance = (slot >> bits) as usize % SPAN;
    let (first, next) = shares[distance];
    let offset = u64::from(slot).wrapping_sub(first) & u64::from(mask(bits));
    let mixed = first + offset;
    // A share is empty where `at - distance` is no named block, so the
    // subtraction is only done for a block at or after block `distance`.
    (mixed < next).then(|| (mixed as u32, at - distance))
}

/// The blocks of a section one after the other, from block 0, with what
/// reading each one's slots needs: for each distance a slot may say, the
/// share of mixed keys of the block it names (empty where that is no named
/// block). The shares' bounds are [`Slots::first`] of consecutive blocks,
/// stepped by adding 2^bits / named with its remainder carried, so that a
/// block costs no division.
struct Walk {
    slots: Slots,
    /// `first(at + 1 - k)` for the last block `at` returned, `k` 0 to
    /// [`SPAN`] (zero below block 0).
    firsts: [u64; SPAN + 1],
    /// The block returned next.
    at: usize,
    /// `first(at + 1)` for the next block `at`: `own` × quotient, plus
    /// `own` × remainder / named rounded down (`carried`) and rounded up
    /// (`rest` not zero).
    base: u64,
    carried: u64,
    rest: u64,
    quotient: u64,
    remainder: u64,
}

impl Walk {
    /// The walk from block `at` on (a few divisions).
    fn at(slots: Slots, at: usize) -> Walk {
        let whole = 1u64 << slots.layout.bits;
        let named = slots.layout.named;
        let (quotient, remainder) = (whole / named, whole % named);
        // `first` as the block before `at` has them.
        let firsts = std::array::from_fn(|k| at.checked_sub(k).map_or(0, |own| slots.first(own)));
        // Where the stepping stands for block `at`: at `first(at + 1)`.
        let own = at as u128 + 1;
        let part = own * u128::from(remainder);
        Walk {
            slots,
            firsts,
            at,
            base: (own * u128::from(quotient)) as u64,
            carried: (part / u128::from(named)) as u64,
            rest: (part % u128::from(named)) as u64,
            quotient,
            remainder,
        }
    }

    /// `first` of the next block on, shifted into `firsts`.
    fn step(&mut self) {
        self.firsts.rotate_right(1);
        self.firsts[0] = self.base + self.carried + u64::from(self.rest != 0);
        self.base += self.quotient;
        self.rest += self.remainder;
        if self.rest >= self.slots.layout.named {
            self.rest -= self.slots.layout.named;
            self.carried += 1;
        }
    }

    /// The next block's number and shares.
    fn next(&mut self) -> (usize, [(u64, u64); SPAN]) {
        self.step();
        let at = self.at;
        self.at += 1;
        let named = self.slots.layout.named;
        let shares = std::array::from_fn(|d| match at.checked_sub(d) {
            Some(own) if (own as u64) < named => (self.firsts[d + 1], self.firsts[d]),
            _ => (0, 0),
        });
        (at, shares)
    }
}

/// The multipliers of [`mix`], odd so that each step is a bijection.
const MULTIPLIERS: [u32; 2] = [0x7FEB_352D, 0x846C_A68B];

/// A bijection on the numbers below 2^`bits` (`bits` 16 to 32) that
/// spreads them evenly: shifts and xors, multiplications by odd numbers,
/// all modulo 2^`bits`. The shifts are at least half the bits, so that each
/// xor is undone by doing it again.
#[inline(always)]
pub(crate) fn mix(key: u32, bits: u32) -> u32 {
    mix_with(key, mask(bits), bits.div_ceil(2))
}

/// [`mix`] with its mask and shifts given.
#[inline(always)]
fn mix_with(key: u32, mask: u32, shift: u32) -> u32 {
    let mut x = key & mask;
    x ^= x >> shift;
    x = x.wrapping_mul(MULTIPLIERS[0]) & mask;
    x ^= x >> shift;
    x = x.wrapping_mul(MULTIPLIERS[1]) & mask;
    x ^ x >> shift
}

/// The inverse of [`mix`].
#[inline(always)]
pub(crate) fn unmix(mixed: u32, bits: u32) -> u32 {
    unmix_with(mixed, mask(bits), bits.div_ceil(2))
}

/// [`unmix`] with its mask and shifts given.
#[inline(always)]
fn unmix_with(mixed: u32, mask: u32, shift: u32) -> u32 {
    let mut x = mixed & mask;
    x ^= x >> shift;
    x = x.wrapping_mul(const { inverse(MULTIPLIERS[1]) }) & mask;
    x ^= x >> shift;
    x = x.wrapping_mul(const { inverse(MULTIPLIERS[0]) }) & mask;
    x ^ x >> shift
}

fn mask(bits: u32) -> u32 {
    u32::MAX >> (u32::BITS - bits)
}

/// The inverse of an odd number modulo 2^32 (Newton's iteration, each step
/// doubling the bits that are right); modulo 2^`bits` too.
const fn inverse(odd: u32) -> u32 {
    let mut x = odd;
    let mut i = 0;
    while i < 5 {
        x = x.wrapping_mul(2u32.wrapping_sub(odd.wrapping_mul(x)));
        i += 1;
    }
    x
}

/// The blocks section of unique `(key, code)` pairs (in any order) and its
/// layout. A function of the pairs: the same set gives the same bytes.
pub(crate) fn encode(entries: &[(u32, u8)]) -> (Layout, Vec<u8>) {
    let max = entries.iter().map(|&(k, _)| k).max().unwrap_or(0);
    let mut layout = Layout::for_keys(entries.len(), max);
    let mut mixed: Vec<(u32, u8)> = entries
        .iter()
        .map(|&(k, c)| (mix(k, layout.bits), c))
        .collect();
    mixed.sort_unstable_by_key(|&(m, _)| m);
    loop {
        if let Some(blocks) = place(&layout, &mixed) {
            return (layout, blocks);
        }
        // Some key lay SPAN blocks or more past its own: more blocks.
        layout.named += layout.named / 64 + 1;
    }
}

/// The blocks of the mixed keys (sorted) under `layout`, or `None` if a
/// key would lie [`SPAN`] or more blocks past its named block.
fn place(layout: &Layout, mixed: &[(u32, u8)]) -> Option<Vec<u8>> {
    let shape = layout.shape;
    let mut blocks = vec![0u8; *layout.blocks().end() as usize * BLOCK_LEN];
    let mut at = 0;
    for &(m, code) in mixed {
        let (own, remainder) = layout.name_mixed(m);
        at = at.max(own);
        if usize::from(blocks[at * BLOCK_LEN + FLAGS_AT] & COUNT) == shape.keys() {
            at += 1;
        }
        let distance = at - own;
        if distance >= SPAN {
            return None;
        }
        for b in own..at {
            blocks[b * BLOCK_LEN + FLAGS_AT] |= GOES_ON;
        }
        let block = &mut blocks[at * BLOCK_LEN..][..BLOCK_LEN];
        let n = usize::from(block[FLAGS_AT] & COUNT);
        let slot = layout.slot(remainder, distance);
        match shape {
            Shape::Narrow => block[2 * n..][..2].copy_from_slice(&(slot as u16).to_le_bytes()),
            Shape::Wide => block[4 * n..][..4].copy_from_slice(&slot.to_le_bytes()),
        }
        block[shape.codes_at() + n] = code;
        block[FLAGS_AT] += 1;
    }
    // The named blocks and those the last keys spilled into, then one
    // empty block.
    let used = (mixed.last()).map_or(0, |_| at + 1);
    blocks.truncate(used.max(layout.named as usize) * BLOCK_LEN + BLOCK_LEN);
    Some(blocks)
}

/// Slot `i` of a block.
#[inline(always)]
fn slot_at(shape: Shape, block: &[u8], i: usize) -> u32 {
    match shape {
        Shape::Narrow => u32::from(u16::from_le_bytes(block.as_chunks::<2>().0[i])),
        Shape::Wide => u32::from_le_bytes(block.as_chunks::<4>().0[i]),
    }
}

/// The bit planes of a block's codes: bit `i` of plane `b` is bit `b` of
/// code `i`, for the codes the block holds; the bits past them are zero.
pub(crate) type Planes = [u32; 8];

/// What [`code_planes`] gives the codes of each block to.
pub(crate) trait AddPlanes {
    /// Adds a block's `n` codes, as their `planes`.
    fn add(&mut self, planes: &Planes, n: usize);
}

/// Adds the [`Planes`] of every block of `blocks` (whole blocks of
/// `shape`) to `sum`, in order, with the number of codes they hold (the
/// block's count, at most the shape's keys). With AVX2 (and POPCNT, for
/// `sum`) where the processor has them, eight bytes at a time elsewhere;
/// the same planes.
pub(crate) fn code_planes(shape: Shape, blocks: &[u8], sum: &mut impl AddPlanes) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
        // SAFETY: the processor has AVX2 and POPCNT, as just asked.
        return unsafe { avx2::code_planes(shape, blocks, sum) };
    }
    code_planes_by_words(shape, blocks, sum)
}

/// [`code_planes`] eight bytes at a time.
fn code_planes_by_words(shape: Shape, blocks: &[u8], sum: &mut impl AddPlanes) {
    // Bytes 32 to 63 of the block, which hold every code of either shape,
    // as the bits of a plane before it is shifted to the first code.
    const { assert!(Shape::Narrow.codes_at() >= 32 && Shape::Wide.codes_at() >= 32) };
    let shift = shape.codes_at() - 32;
    for block in blocks.as_chunks::<BLOCK_LEN>().0 {
        let n = count(block).min(shape.keys());
        let lanes = (1u32 << n) - 1;
        let words: [u64; 4] = std::array::from_fn(|w| {
            u64::from_le_bytes(block[32 + 8 * w..][..8].try_into().expect("8 bytes"))
        });
        let planes = std::array::from_fn(|b| {
            let bits = words.iter().enumerate().fold(0, |plane, (w, &word)| {
                // Bit `b` of each byte to the byte's bit 0, then byte `j`'s
                // bit 0 to bit 56 + `j` (no two products meet).
                let gathered =
                    ((word >> b) & 0x0101_0101_0101_0101).wrapping_mul(0x0102_0408_1020_4080) >> 56;
                plane | (gathered as u32) << (8 * w)
            });
            bits >> shift & lanes
        });
        sum.add(&planes, n);
    }
}

/// Number of keys a block says it holds (at most 63, whatever its shape).
pub(crate) fn count(block: &[u8]) -> usize {
    usize::from(block[FLAGS_AT] & COUNT)
}

/// The code byte of `key` in `blocks` (a section of `layout`), if it holds
/// the key; whatever the bytes, never a panic.
#[cfg(test)]
pub(crate) fn find(layout: &Layout, blocks: &[u8], key: u32) -> Option<u8> {
    let (own, slot) = Probes::of(layout).probe(key)?;
    code_at(layout.shape, blocks, blocks.len(), own * BLOCK_LEN, slot)
}

/// The code byte of the key whose named block starts at byte `at` of
/// `bytes` and whose slot there would be `slot` ([`Probes::probe`]), if the
/// blocks, which end at byte `end`, hold it: the named block's line, and
/// the next one's only when a block says it goes on. Whatever the bytes,
/// never a panic, and nothing read at or past `end` but the named block.
#[inline(always)]
pub(crate) fn code_at(shape: Shape, bytes: &[u8], end: usize, at: usize, slot: u32) -> Option<u8> {
    // A path of its own for each shape: the shape is the same for every
    // lookup in a register, so the branch is always foreseen.
    match shape {
        Shape::Narrow => code_in::<true>(bytes, end, at, slot),
        Shape::Wide => code_in::<false>(bytes, end, at, slot),
    }
}

/// [`code_at`] for one shape: narrow blocks if `NARROW`, else wide ones.
/// The named block inline; the blocks after it, which about one lookup in
/// nine reads, out of line.
#[inline(always)]
fn code_in<const NARROW: bool>(bytes: &[u8], end: usize, at: usize, slot: u32) -> Option<u8> {
    let block = block_at(bytes, at)?;
    if let Some(code) = code_in_block::<NARROW>(block, slot) {
        return Some(code);
    }
    if block[FLAGS_AT] & GOES_ON == 0 {
        return None;
    }
    code_further::<NARROW>(bytes.get(..end)?, at, slot)
}

/// [`code_in`] past the named block, which went on.
#[cold]
#[inline(never)]
fn code_further<const NARROW: bool>(bytes: &[u8], at: usize, slot: u32) -> Option<u8> {
    let shape = if NARROW { Shape::Narrow } else { Shape::Wide };
    for distance in 1..SPAN {
        let block = block_at(bytes, at + distance * BLOCK_LEN)?;
        let slot = slot | (distance as u32) << shape.remainder_bits();
        if let Some(code) = code_in_block::<NARROW>(block, slot) {
            return Some(code);
        }
        if block[FLAGS_AT] & GOES_ON == 0 {
            return None;
        }
    }
    None
}

/// The block at byte `at` of `bytes`, if they hold all of it.
#[inline(always)]
fn block_at(bytes: &[u8], at: usize) -> Option<&[u8; BLOCK_LEN]> {
    bytes.get(at..at.checked_add(BLOCK_LEN)?)?.try_into().ok()
}

/// The code byte of the key whose slot in `block` is `slot`, if the block
/// holds it.
#[inline(always)]
fn code_in_block<const NARROW: bool>(block: &[u8; BLOCK_LEN], slot: u32) -> Option<u8> {
    let shape = if NARROW { Shape::Narrow } else { Shape::Wide };
    // At most the slots a block has, however many the flags claim.
    let held = ((1u64 << (block[FLAGS_AT] & COUNT)) - 1) as u32 & mask_of(shape.keys());
    let found = equal_slots(shape, block, slot) & held;
    if found == 0 {
        return None;
    }
    block
        .get(shape.codes_at() + found.trailing_zeros() as usize)
        .copied()
}

/// Bit `i` set where slot `i` of `block` is `slot`; bits at and above the
/// shape's number of slots are zero or not, as the bytes there say.
#[inline(always)]
fn equal_slots(shape: Shape, block: &[u8; BLOCK_LEN], slot: u32) -> u32 {
    match shape {
        Shape::Narrow => super::lanes::equal_slots(block, slot as u16),
        Shape::Wide => (0..Shape::Wide.keys())
            .filter(|&i| slot_at(Shape::Wide, block, i) == slot)
            .fold(0, |found, i| found | 1 << i),
    }
}

/// The low `n` bits set.
const fn mask_of(n: usize) -> u32 {
    (1 << n) - 1
}

/// Every key with its code byte, in the order of the blocks (the mix's,
/// not the keys'), on a section that [`check`] accepts.
pub(crate) fn entries<'a>(
    layout: &'a Layout,
    blocks: &'a [u8],
) -> impl Iterator<Item = (u32, u8)> + 'a {
    let shape = layout.shape;
    let slots = Slots::new(layout);
    let blocks = if slots.is_some() { blocks } else { &[] };
    let mut walk = slots.map(|slots| Walk::at(slots, 0));
    blocks.chunks_exact(BLOCK_LEN).flat_map(move |block| {
        let read = walk.as_mut().map(|walk| (walk.slots, walk.next()));
        (0..count(block).min(shape.keys())).filter_map(move |i| {
            let (slots, (at, shares)) = read.as_ref()?;
            let (mixed, _) = mixed_of_slot(shape, *at, shares, slot_at(shape, block, i))?;
            Some((unmix(mixed, slots.layout.bits), block[shape.codes_at() + i]))
        })
    })
}
