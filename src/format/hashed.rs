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
#[cfg(target_arch = "x86_64")]
pub(crate) use self::avx2::impossible_runs;

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

/// The keys a register may hold: [`check`] asks for every key it reads.
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

/// [`check`] of the blocks in `range` of a section whose length and
/// layout [`Layout::validate`] accepted: the placement's state where the
/// range starts is read from the blocks before it, which are checked as
/// part of their own range. A section passes [`check`] exactly when every
/// range of a partition of its blocks passes; where several fail, the
/// first range's error is the one [`check`] gives. Returns the number of
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
            check_shape::<true, false>(layout, blocks, range, possible)
        }
        Shape::Wide => check_shape::<false, false>(layout, blocks, range, possible),
    }
}

/// [`check_shape`] of narrow blocks, eight slots at a time ([`avx2`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn check_narrow_avx2(
    layout: &Layout,
    blocks: &[u8],
    range: std::ops::Range<usize>,
    possible: impl Possible,
) -> Result<u64, String> {
    check_shape::<true, true>(layout, blocks, range, possible)
}

/// [`check_range`] for one shape: narrow blocks if `NARROW`, else wide;
/// with AVX2 if `AVX2` (narrow blocks only), which the caller has made
/// sure the processor has.
#[inline(always)]
fn check_shape<const NARROW: bool, const AVX2: bool>(
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
        let unused = [
            &block[n * shape.slot_len()..shape.codes_at()],
            &block[shape.codes_at() + n..FLAGS_AT],
        ];
        if unused.iter().any(|bytes| bytes.iter().any(|&b| b != 0)) {
            return bad("a byte past the keys is not zero".into());
        }
        let (_, shares) = walk.next();
        // With vectors, every slot but the first at once: the loop below
        // then checks only the first (its placement, and the key before
        // the block), or, if a slot failed, finds the first that did.
        #[cfg(target_arch = "x86_64")]
        let lanes = if AVX2 && NARROW && n > 0 {
            // SAFETY: `AVX2` says the processor has it.
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn mix_is_a_bijection_and_unmix_its_inverse() {
        for bits in [16, 17, 27, 31, 32] {
            let mut state = 0x9E37_79B9_7F4A_7C15 ^ u64::from(bits);
            let probes = [0, 1, 2, mask(bits), mask(bits) - 1, mask(bits) / 2];
            for key in (0..10_000)
                .map(|_| xorshift(&mut state) as u32 & mask(bits))
                .chain(probes)
            {
                let mixed = mix(key, bits);
                assert!(mixed <= mask(bits), "{bits} {key}");
                assert_eq!(unmix(mixed, bits), key, "{bits} {key}");
            }
        }
        // Every one of 2^16 keys to a different mix.
        let mut seen = vec![false; 1 << 16];
        for key in 0..1u32 << 16 {
            let mixed = mix(key, 16) as usize;
            assert!(!seen[mixed], "{key}");
            seen[mixed] = true;
        }
    }

    /// Encodes `entries`, checks the section and finds every key, no
    /// other, and lists them all.
    fn round_trip(entries: &[(u32, u8)]) -> Layout {
        let (layout, blocks) = encode(entries);
        let whole = (blocks.len() / BLOCK_LEN) as u64;
        assert!(layout.blocks().contains(&whole), "{whole} blocks");
        assert_eq!(check(&layout, &blocks, |_| true), Ok(entries.len() as u64));
        let map: BTreeMap<u32, u8> = entries.iter().copied().collect();
        for &(key, code) in entries {
            assert_eq!(find(&layout, &blocks, key), Some(code), "{key}");
            for other in [key.wrapping_add(1), key.wrapping_sub(1), key ^ 0x8000] {
                assert_eq!(
                    find(&layout, &blocks, other),
                    map.get(&other).copied(),
                    "{other}"
                );
            }
        }
        let mut listed: Vec<(u32, u8)> = super::entries(&layout, &blocks).collect();
        listed.sort_unstable();
        assert_eq!(listed, map.into_iter().collect::<Vec<_>>());
        layout
    }

    pub(crate) fn random_entries(n: usize, below: u64, seed: u64) -> Vec<(u32, u8)> {
        let mut state = seed;
        let mut map = BTreeMap::new();
        while map.len() < n {
            let key = (xorshift(&mut state) % below) as u32;
            map.insert(key, (xorshift(&mut state) % 251) as u8);
        }
        map.into_iter().collect()
    }

    #[test]
    fn the_walk_steps_through_the_shares_without_a_division() {
        for (bits, named) in [
            (16, 1),
            (16, 7),
            (31, 312_183),
            (27, 8_192),
            (32, 4),
            (32, 1 << 20),
        ] {
            for shape in [Shape::Narrow, Shape::Wide] {
                let slots = Slots::new(&Layout { bits, named, shape }).unwrap();
                let mut walk = Walk::at(slots, 0);
                for at in 0..(named as usize + SPAN).min(100_000) {
                    if at % 1_000 == 999 {
                        // Started anywhere, the same walk.
                        walk = Walk::at(slots, at);
                    }
                    let (number, shares) = walk.next();
                    assert_eq!(number, at);
                    for (d, &share) in shares.iter().enumerate() {
                        let wanted = match at.checked_sub(d) {
                            Some(own) if (own as u64) < named => {
                                (slots.first(own), slots.first(own + 1))
                            }
                            _ => (0, 0),
                        };
                        assert_eq!(share, wanted, "{bits} {named} {at} {d}");
                    }
                }
            }
        }
    }

    #[test]
    fn check_asks_about_every_key_and_names_an_impossible_one() {
        let entries = random_entries(3_000, 1 << 20, 13);
        let (layout, blocks) = encode(&entries);
        let mut asked = Vec::new();
        let keys = check(&layout, &blocks, |key| {
            asked.push(key);
            true
        });
        assert_eq!(keys, Ok(3_000));
        asked.sort_unstable();
        let all: Vec<u32> = entries.iter().map(|&(k, _)| k).collect();
        assert_eq!(asked, all);
        let odd = all.iter().find(|&&k| k % 2 == 1).unwrap();
        let error = check(&layout, &blocks, |key| key != *odd).unwrap_err();
        assert!(error.contains("holds an impossible key"), "{error}");
    }

    #[test]
    fn registers_of_every_size_round_trip() {
        round_trip(&[]);
        round_trip(&[(5, 1)]);
        // CPR-sized keys: wide blocks until narrow ones padded to 2^17
        // blocks cost less.
        let cpr = 1_104_000_000;
        assert_eq!(
            round_trip(&random_entries(3_000, cpr, 1)).shape,
            Shape::Wide
        );
        // CVR-sized keys: narrow blocks (27-bit keys need 2^13 of them).
        let cvr = 100_000_000;
        let layout = round_trip(&random_entries(200_000, cvr, 2));
        assert_eq!((layout.bits, layout.shape), (27, Shape::Narrow));
        // Dense small keys, and every key of a small range.
        round_trip(&random_entries(40_000, 70_000, 3));
        round_trip(&(0..65_536).map(|k| (k, (k % 7) as u8)).collect::<Vec<_>>());
        // The largest keys.
        round_trip(&[(u32::MAX, 3), (u32::MAX - 1, 4), (0, 5)]);
    }

    #[test]
    fn the_last_named_blocks_spill_past_the_named_ones() {
        // Every 16-bit key whose mix is in the top 4% of the range, and a
        // fifth of the others: the last named blocks are named by more keys
        // than they hold.
        let mut state = 11;
        let entries: Vec<(u32, u8)> = (0..1u32 << 16)
            .filter(|&k| mix(k, 16) >= 62_915 || xorshift(&mut state).is_multiple_of(5))
            .map(|k| (k, (k % 3) as u8))
            .collect();
        let (layout, blocks) = encode(&entries);
        let whole = (blocks.len() / BLOCK_LEN) as u64;
        assert!(whole > layout.named + 1, "{whole} blocks, {layout:?}");
        round_trip(&entries);
        // A slot past the named blocks that says it is in its named block
        // names no key.
        assert_eq!(layout.shape, Shape::Narrow);
        let mut bad = blocks.clone();
        let at = layout.named as usize * BLOCK_LEN;
        bad[at + 1] &= 0x3F;
        let error = check(&layout, &bad, |_| true).unwrap_err();
        let wanted = format!("block {}: slot 0 names no key", layout.named);
        assert!(error.starts_with(&wanted), "{error}");
        assert!(super::entries(&layout, &bad).count() < entries.len());
        // One empty block too many at the end is not the placement's.
        let (layout, blocks) = encode(&random_entries(1_000, 1 << 16, 12));
        assert_eq!(blocks.len() as u64, (layout.named + 1) * BLOCK_LEN as u64);
        let mut longer = blocks.clone();
        longer.resize(blocks.len() + BLOCK_LEN, 0);
        let error = check(&layout, &longer, |_| true).unwrap_err();
        assert!(
            error.contains("an empty block past the named ones"),
            "{error}"
        );
    }

    #[test]
    fn check_names_the_block_that_is_wrong() {
        let entries = random_entries(5_000, 1_104_000_000, 4);
        let (layout, blocks) = encode(&entries);
        let shape = layout.shape;
        let first_full = (blocks.chunks_exact(BLOCK_LEN))
            .position(|b| count(b) == shape.keys())
            .unwrap();
        let goes_on = (blocks.chunks_exact(BLOCK_LEN))
            .position(|b| b[FLAGS_AT] & GOES_ON != 0)
            .unwrap();
        let at = first_full * BLOCK_LEN;
        type Corrupt = Box<dyn Fn(&mut Vec<u8>)>;
        let cases: Vec<(&str, Corrupt)> = vec![
            (
                "a byte past the keys",
                Box::new(move |b| b[at + FLAGS_AT] -= 1),
            ),
            (
                "goes on",
                Box::new(move |b| b[goes_on * BLOCK_LEN + FLAGS_AT] &= !GOES_ON),
            ),
            ("flags", Box::new(move |b| b[at + FLAGS_AT] |= 0x40)),
            (
                "not where its key goes",
                Box::new(move |b| {
                    let len = shape.slot_len();
                    let (first, second) = b[at..at + 2 * len].split_at_mut(len);
                    first.swap_with_slice(second);
                }),
            ),
            (
                "names no key",
                Box::new(move |b| {
                    // Block 0's first key said to lie three blocks past its own.
                    let len = shape.slot_len();
                    b[len - 1] |= 0xC0;
                }),
            ),
            (
                "not empty",
                Box::new(|b| {
                    let len = b.len();
                    b[len - 2] = 1;
                }),
            ),
        ];
        for (what, corrupt) in cases {
            let mut bad = blocks.clone();
            corrupt(&mut bad);
            let error = check(&layout, &bad, |_| true).unwrap_err();
            assert!(error.contains(what), "{what}: {error}");
            assert!(error.starts_with("block "), "{error}");
            // A damaged section is still read without a panic.
            for &(key, _) in entries.iter().take(100) {
                let _ = find(&layout, &bad, key);
            }
            let _ = super::entries(&layout, &bad).count();
        }
        let more = Layout {
            named: layout.named + 1,
            ..layout
        };
        let wanted = format!("bytes for {} to", layout.named + 2);
        assert!(
            check(&more, &blocks, |_| true)
                .unwrap_err()
                .contains(&wanted)
        );
        let too_few = Layout { named: 1, ..layout };
        assert!(
            check(&too_few, &blocks, |_| true)
                .unwrap_err()
                .contains("too few")
        );
        let too_many = Layout {
            named: u64::MAX,
            ..layout
        };
        assert!(
            check(&too_many, &blocks, |_| true)
                .unwrap_err()
                .contains("too many")
        );
        // A layout no file should have is read without a panic too.
        let none = Layout { named: 0, ..layout };
        assert!(check(&none, &blocks, |_| true).is_err());
        assert_eq!(find(&none, &blocks, entries[0].0), None);
        assert_eq!(super::entries(&none, &blocks).count(), 0);
    }

    /// A key moved on from a block with room for it, the flags made to
    /// agree: every slot still names a key, in the order of the mix, but
    /// the placement would have kept it where it was.
    #[test]
    fn check_rejects_a_key_moved_past_a_block_with_room() {
        let entries = random_entries(2_000, 1 << 18, 9);
        let (layout, blocks) = encode(&entries);
        let shape = layout.shape;
        assert_eq!(shape, Shape::Narrow);
        let (len, codes) = (shape.slot_len(), shape.codes_at());
        let block = |b: usize| &blocks[b * BLOCK_LEN..][..BLOCK_LEN];
        let w = (0..layout.named as usize - 1)
            .find(|&w| {
                let n = count(block(w));
                n >= 2
                    && count(block(w + 1)) < shape.keys()
                    && slot_at(shape, block(w), n - 1) >> shape.remainder_bits() < 2
            })
            .expect("a block to move a key from");
        let mut bad = blocks.clone();
        let (first, second) = bad[w * BLOCK_LEN..][..2 * BLOCK_LEN].split_at_mut(BLOCK_LEN);
        let n = count(first);
        let moved = slot_at(shape, first, n - 1) + (1 << shape.remainder_bits());
        let code = first[codes + n - 1];
        first[(n - 1) * len..][..len].fill(0);
        first[codes + n - 1] = 0;
        first[FLAGS_AT] = (first[FLAGS_AT] - 1) | GOES_ON;
        let m = count(second);
        second.copy_within(0..m * len, len);
        second.copy_within(codes..codes + m, codes + 1);
        second[..len].copy_from_slice(&moved.to_le_bytes()[..len]);
        second[codes] = code;
        second[FLAGS_AT] += 1;
        let error = check(&layout, &bad, |_| true).unwrap_err();
        assert!(
            error.starts_with(&format!(
                "block {}: slot 0 is not where its key goes",
                w + 1
            )),
            "{error}"
        );
        // The keys are all still there, a block on.
        let mut listed: Vec<(u32, u8)> = super::entries(&layout, &bad).collect();
        listed.sort_unstable();
        assert_eq!(listed, entries);
    }

    /// Whatever one flipped bit does to a section, `check` either rejects
    /// it or the section is exactly the placement of the keys it lists,
    /// each found with its code.
    #[test]
    fn check_accepts_only_the_placement_of_what_it_lists() {
        for (entries, seed) in [
            (random_entries(2_000, 1_104_000_000, 5), 6),
            (random_entries(20_000, 1 << 18, 7), 8),
        ] {
            let (layout, blocks) = encode(&entries);
            let mut state = seed;
            let (mut accepted, mut rejected) = (0, 0);
            for _ in 0..2_000 {
                let mut bad = blocks.clone();
                let bit = (xorshift(&mut state) % (8 * bad.len() as u64)) as usize;
                bad[bit / 8] ^= 1 << (bit % 8);
                // In ranges, the same verdict: the first failing range's
                // error, or the same number of keys.
                let whole = check(&layout, &bad, |_| true);
                let n = bad.len() / BLOCK_LEN;
                let cuts = [0, xorshift(&mut state) as usize % n, bit / 8 / BLOCK_LEN, n];
                let mut cuts = cuts.to_vec();
                cuts.sort_unstable();
                let in_ranges = (cuts.windows(2))
                    .map(|w| check_range(&layout, &bad, w[0]..w[1], |_| true))
                    .sum::<Result<u64, String>>();
                assert_eq!(in_ranges, whole, "bit {bit}, cuts {cuts:?}");
                let Ok(keys) = whole else {
                    rejected += 1;
                    continue;
                };
                accepted += 1;
                let mut listed: Vec<(u32, u8)> = super::entries(&layout, &bad).collect();
                assert_eq!(listed.len() as u64, keys);
                for &(key, code) in &listed {
                    assert_eq!(find(&layout, &bad, key), Some(code), "{key}");
                }
                listed.sort_unstable();
                listed.dedup_by_key(|&mut (k, _)| k);
                assert_eq!(listed.len() as u64, keys, "a key listed twice");
                let mut mixed: Vec<(u32, u8)> = listed
                    .iter()
                    .map(|&(k, c)| (mix(k, layout.bits), c))
                    .collect();
                mixed.sort_unstable_by_key(|&(m, _)| m);
                assert_eq!(
                    place(&layout, &mixed).as_deref(),
                    Some(&bad[..]),
                    "bit {bit}"
                );
            }
            // A flipped code byte, or a slot's low bits naming another key
            // that keeps the order, is another register the placement could
            // have made; counts, flags and most distances are not.
            assert!(accepted > 0 && rejected > 0, "{accepted} {rejected}");
        }
    }

    /// The check with vectors and slot by slot: the same count or the
    /// same error, on damaged narrow sections, in ranges, with some keys
    /// impossible.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn vectors_and_slots_give_the_same_verdicts() {
        if !std::is_x86_feature_detected!("avx2") {
            let note = "no AVX2 on this processor: the check's vectors are not tested";
            assert!(std::env::var_os("CI").is_none(), "{note}");
            eprintln!("{note}");
            return;
        }
        let (mut accepted, mut rejected) = (0, 0);
        for (entries, seed) in [
            (random_entries(20_000, 1 << 18, 9), 10),
            (random_entries(30_000, 1 << 24, 11), 12),
        ] {
            let (layout, blocks) = encode(&entries);
            assert_eq!(layout.shape, Shape::Narrow);
            let n = blocks.len() / BLOCK_LEN;
            let mut state = seed;
            for round in 0..3_000u32 {
                let mut bad = blocks.clone();
                for _ in 0..round % 3 {
                    let bit = (xorshift(&mut state) % (8 * bad.len() as u64)) as usize;
                    bad[bit / 8] ^= 1 << (bit % 8);
                }
                // Every fourth round, about one key in 4,096 impossible.
                let odd = xorshift(&mut state) as u32;
                let possible = move |key: u32| round % 4 != 3 || !(key ^ odd).is_multiple_of(4096);
                let start = xorshift(&mut state) as usize % n;
                for range in [0..n, start..n, 0..start] {
                    let slots = check_shape::<true, false>(&layout, &bad, range.clone(), possible);
                    // SAFETY: the processor has AVX2, as asked above.
                    let vectors = unsafe { check_narrow_avx2(&layout, &bad, range, possible) };
                    assert_eq!(vectors, slots, "round {round}");
                    match slots {
                        Ok(_) => accepted += 1,
                        Err(_) => rejected += 1,
                    }
                }
            }
        }
        assert!(
            accepted > 1_000 && rejected > 1_000,
            "{accepted} {rejected}"
        );
    }

    #[test]
    fn a_national_register_takes_narrow_blocks_under_the_size_allowed() {
        // 5.9 M CPR-sized keys would take a while in a test; 2^18 narrow
        // blocks' worth shows the shape and the size.
        let layout = Layout::for_keys(5_900_000, 1_103_999_999);
        assert_eq!((layout.bits, layout.shape), (31, Shape::Narrow));
        let bytes_per_key = ((layout.named + 1) as usize * BLOCK_LEN) as f64 / 5.9e6;
        assert!(bytes_per_key < 3.5, "{bytes_per_key}");
    }
}
