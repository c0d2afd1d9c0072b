//! Candidate layouts for a later format, measured beside today's: CPR
//! blocks placed where a model of the keys says, or where a hash of the key
//! says, so that a lookup computes its block instead of searching a
//! directory for it. BENCHMARKS.md (*What limits single random lookups*)
//! has the results and why.
//!
//! The model: a packed CPR key is a day slot (`key / 10,000`) and a serial.
//! Which serials a day's people have depends on the two-digit year (the
//! first digit of the serial picks the century), so the model is a table of
//! each day's first block and, per two-digit year, the share of a day's keys
//! below each thousand of serials. The builder places each day's keys in
//! key order at the block the model names, or the next one when that is
//! full, and gives a day one more block until its keys fit; blocks never
//! hold two days. A block is 64 bytes: 24 serials, 24 codes of 4 bits
//! (numbers into the register's table of distinct code bytes) and a count.
//! A lookup reads the day table, computes the block, and reads it and the
//! next together.
//!
//! The hash ([`Hashed`]): the same blocks, placed in the order of a
//! bijective mix of the keys at the block the mix names; no table at all.
//!
//! `cargo bench --bench placement` runs at national scale (5.9 M citizens,
//! 1 M queries): the layouts' sizes, where keys lie against the model and
//! the hash, the four lookups (the index's `lookup_material`, the two
//! layouts', a `FxHashMap`'s) warm and cold, side by side in one process,
//! and batches of all the queries in random and in key order (the index's
//! `lookup_batch` against the hash-placed blocks).
//! `cargo test --benches` builds the model's layout on 20,000 citizens and
//! the hash's on the 5.66 million random keys it needs at least, and checks
//! that each finds every key and no other; it times nothing.
//! `TILMELDING_BENCH_CITIZENS` and `TILMELDING_BENCH_QUERIES` change the
//! sizes.

#[path = "support/evict.rs"]
mod evict;
#[path = "support/generated.rs"]
mod generated;
#[path = "../src/format/lanes.rs"]
mod lanes;

use std::hint::black_box;
use std::time::Instant;

use rustc_hash::FxHashMap;
use tilmelding::{Answer, Channel, Contact, Date, Index, Reason, Recipient, RecipientKind};

/// Day slots per two-digit year in a packed CPR key.
const SLOTS_PER_YEAR: u32 = 12 * 92;
/// Serials per day slot.
const SERIALS: u32 = 10_000;
/// Keys per block.
const KEYS: usize = 24;
/// Where a block's 4-bit codes start.
const CODES_AT: usize = 2 * KEYS;
/// Where a block's count is.
const COUNT_AT: usize = 63;
/// The serial of an unused slot: no key has it.
const UNUSED: u16 = u16::MAX;
/// A day's blocks to begin with: its keys over this many a block.
const FILL: f64 = 0.9;
/// A whole day in the model's shares.
const WHOLE: u32 = 1 << 16;

/// The share of its day's keys below `serial`, for a key of day slot `day`.
#[inline(always)]
fn share(shares: &[[u32; 11]], day: u32, serial: u32) -> u32 {
    let row = &shares[(day / SLOTS_PER_YEAR) as usize];
    let t = serial / 1000;
    let (below, next) = (row[t as usize], row[t as usize + 1]);
    below + (next - below) * (serial - t * 1000) / 1000
}

/// Where `serial` would lie in a day of `blocks` blocks.
#[inline(always)]
fn block_in_day(shares: &[[u32; 11]], day: u32, serial: u32, blocks: usize) -> usize {
    ((u64::from(share(shares, day, serial)) * blocks as u64) >> 16) as usize
}

/// The slot of `block` whose serial is `serial`, or [`KEYS`] or more if none
/// is: the library's search of a block's slots.
#[inline(always)]
fn slot_of(block: &[u8; 64], serial: u16) -> usize {
    lanes::equal_slots(block, serial).trailing_zeros() as usize
}

/// The layout: the model's two tables and the blocks.
struct Placed {
    /// Per day slot (and one past the last), the day's first block.
    first: Vec<u32>,
    /// Per two-digit year, the share (of [`WHOLE`]) of a day's keys below
    /// each thousand of serials.
    shares: Vec<[u32; 11]>,
    blocks: Vec<[u8; 64]>,
}

impl Placed {
    /// Places `keys` (increasing packed CPR keys, each with a code number
    /// below 16).
    fn build(keys: &[(u32, u8)]) -> Placed {
        let days = keys.last().map_or(0, |&(k, _)| k / SERIALS + 1) as usize;
        let mut counts = vec![[0u64; 10]; days.div_ceil(SLOTS_PER_YEAR as usize).max(1)];
        for &(key, _) in keys {
            let (day, serial) = (key / SERIALS, key % SERIALS);
            counts[(day / SLOTS_PER_YEAR) as usize][(serial / 1000) as usize] += 1;
        }
        let shares = counts
            .iter()
            .map(|row| {
                let total = row.iter().sum::<u64>().max(1);
                let mut shares = [0u32; 11];
                let mut below = 0;
                for (t, count) in row.iter().enumerate() {
                    below += count;
                    shares[t + 1] = (below * u64::from(WHOLE) / total) as u32;
                }
                shares
            })
            .collect::<Vec<_>>();
        let mut first = vec![0u32; days + 1];
        let mut blocks = Vec::new();
        let mut rest = keys;
        for (day, first) in first.iter_mut().enumerate().take(days) {
            *first = blocks.len() as u32;
            let n = rest.partition_point(|&(k, _)| (k / SERIALS) as usize == day);
            let (keys, after) = rest.split_at(n);
            rest = after;
            if keys.is_empty() {
                continue;
            }
            let mut count =
                ((n as f64 / (KEYS as f64 * FILL)).round() as usize).max(n.div_ceil(KEYS));
            let placed = loop {
                if let Some(placed) = place_day(&shares, day as u32, keys, count) {
                    break placed;
                }
                count += 1;
            };
            blocks.extend(placed);
        }
        first[days] = blocks.len() as u32;
        // One unused block past the last, so that a lookup may read the
        // block after its own.
        blocks.push(unused_block());
        Placed {
            first,
            shares,
            blocks,
        }
    }

    /// The code number of `key`, if the layout holds it.
    #[inline(always)]
    fn code(&self, key: u32) -> Option<u8> {
        let (day, serial) = (key / SERIALS, key % SERIALS);
        let &[start, end]: &[u32; 2] = self
            .first
            .get(day as usize..day as usize + 2)?
            .try_into()
            .ok()?;
        let (start, end) = (start as usize, end as usize);
        let mut at = start + block_in_day(&self.shares, day, serial, end - start);
        // The next block is read with this one: a key the model misplaces
        // is there one time in twenty.
        if let Some(next) = self.blocks.get(at + 1) {
            prefetch(next);
        }
        while at < end {
            let block = &self.blocks[at];
            let slot = slot_of(block, serial as u16);
            if slot < KEYS {
                return Some((block[CODES_AT + slot / 2] >> (4 * (slot & 1))) & 15);
            }
            // A key goes on to the next block only past a full one whose
            // keys are all below it.
            let last = u16::from_le_bytes([block[2 * KEYS - 2], block[2 * KEYS - 1]]);
            if usize::from(block[COUNT_AT]) < KEYS || u32::from(last) > serial {
                return None;
            }
            at += 1;
        }
        None
    }

    /// Bytes of the blocks and the day table.
    fn size(&self) -> usize {
        self.blocks.len() * 64 + self.first.len() * 4
    }
}

/// The register's keys in blocks named by a hash of the key instead of a
/// model of it: no table at all before the block. The keys are placed in
/// the order of a bijective mix of their bits, each at the block its mix
/// names (the mix times the number of blocks, the high word) or, when that
/// is full, the next one, at most [`SPAN`] - 1 blocks on. A slot holds the
/// next 14 bits of that product (which tell the keys of one block apart
/// once there are at least 2^18 blocks) and in its top two bits how many
/// blocks past its own the key lies, so a comparison is exact. Byte
/// [`GOES_ON`] of a block says whether the next block holds keys named
/// before it: only then may a lookup go on.
struct Hashed {
    blocks: Vec<[u8; 64]>,
    /// Blocks a key may be named, excluding the spare one after the last.
    named: u64,
}

/// How far past its named block a key may lie, plus one.
const SPAN: usize = 4;
/// Where a block says that the next holds keys named before it.
const GOES_ON: usize = 62;
/// Bits of a slot that identify a key within its named block.
const REMAINDER: u32 = 14;

/// Keys spread over blocks this full on average, before the spill.
const HASH_FILL: f64 = 0.9;

/// A bijection on `u32` that spreads the keys' bits evenly (an xor-shift
/// and multiply mix; every step is invertible).
#[inline(always)]
fn mix(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7FEB_352D);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846C_A68B);
    x ^ x >> 16
}

impl Hashed {
    /// The layout of `keys` (each with a code number below 16), or `None`
    /// when there are too few of them for 14 bits to tell a block's keys
    /// apart (fewer than 2^18 blocks).
    fn build(keys: &[(u32, u8)]) -> Option<Hashed> {
        let mut named = (keys.len() as f64 / (KEYS as f64 * HASH_FILL)).ceil() as u64;
        if named < 1 << (32 - REMAINDER) {
            return None;
        }
        let mut mixed: Vec<(u64, u8)> = keys.iter().map(|&(k, c)| (u64::from(mix(k)), c)).collect();
        mixed.sort_unstable();
        loop {
            if let Some(blocks) = Self::place(&mixed, named) {
                return Some(Hashed { blocks, named });
            }
            named += named / 100 + 1;
        }
    }

    /// The blocks of the mixed keys (sorted) over `named` blocks, if none
    /// lies [`SPAN`] or more past its own.
    fn place(mixed: &[(u64, u8)], named: u64) -> Option<Vec<[u8; 64]>> {
        let mut blocks = vec![[0u8; 64]; named as usize + SPAN];
        let mut at = 0;
        for &(h, code) in mixed {
            let product = h * named;
            let own = (product >> 32) as usize;
            at = at.max(own);
            if usize::from(blocks[at][COUNT_AT]) == KEYS {
                at += 1;
            }
            let past = at - own;
            if past >= SPAN || at >= named as usize {
                return None;
            }
            for block in &mut blocks[own..at] {
                block[GOES_ON] = 1;
            }
            let slot = ((product as u32) >> (32 - REMAINDER)) as u16 | (past as u16) << REMAINDER;
            let block = &mut blocks[at];
            let n = usize::from(block[COUNT_AT]);
            block[2 * n..2 * n + 2].copy_from_slice(&slot.to_le_bytes());
            block[CODES_AT + n / 2] |= code << (4 * (n & 1));
            block[COUNT_AT] += 1;
        }
        blocks.truncate(named as usize + 1);
        Some(blocks)
    }

    /// The named block of `key` and the slot it would have there.
    #[inline(always)]
    fn named(&self, key: u32) -> (usize, u16) {
        let product = u64::from(mix(key)) * self.named;
        (
            (product >> 32) as usize,
            ((product as u32) >> (32 - REMAINDER)) as u16,
        )
    }

    /// The code number of `key`, if the layout holds it. The next block is
    /// read with the named one: one key in nine is there. The search takes
    /// a branch per block, which the processor predicts (most keys are in
    /// their named block) and runs past, on to the next lookups; choosing
    /// the answer from the two blocks without a branch made the loop 1.5x
    /// slower.
    #[inline(always)]
    fn code(&self, key: u32) -> Option<u8> {
        let (own, slot) = self.named(key);
        prefetch(&self.blocks[own + 1]);
        for past in 0..SPAN {
            let block = self.blocks.get(own + past)?;
            let at = slot_of(block, slot | (past as u16) << REMAINDER);
            if at < usize::from(block[COUNT_AT]) {
                return Some((block[CODES_AT + at / 2] >> (4 * (at & 1))) & 15);
            }
            if block[GOES_ON] == 0 {
                return None;
            }
        }
        None
    }

    /// Bytes of the blocks.
    fn size(&self) -> usize {
        self.blocks.len() * 64
    }
}

/// [`Hashed`] on the fewest random keys it takes: every key is found with
/// its code, and random other keys are not.
fn check_hashed_on_random_keys(rng: &mut Rng) {
    let n = (f64::from(1 << (32 - REMAINDER)) * KEYS as f64 * HASH_FILL) as usize + 1;
    let mut keys: Vec<u32> = (0..n + n / 50).map(|_| rng.next() as u32).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.truncate(n);
    let entries: Vec<(u32, u8)> = keys.iter().map(|&k| (k, (k >> 7) as u8 & 15)).collect();
    let hashed = Hashed::build(&entries).expect("enough keys");
    for &(key, code) in &entries {
        assert_eq!(hashed.code(key), Some(code), "key {key}");
    }
    for _ in 0..200_000 {
        let key = rng.next() as u32;
        let expected = keys.binary_search(&key).ok().map(|i| entries[i].1);
        assert_eq!(hashed.code(key), expected, "key {key}");
    }
}

/// The blocks of one day of `count` blocks, or `None` if its keys do not
/// fit in them.
fn place_day(
    shares: &[[u32; 11]],
    day: u32,
    keys: &[(u32, u8)],
    count: usize,
) -> Option<Vec<[u8; 64]>> {
    let mut blocks = vec![unused_block(); count];
    let mut at = 0;
    for &(key, code) in keys {
        let serial = key % SERIALS;
        at = at.max(block_in_day(shares, day, serial, count));
        if usize::from(blocks[at][COUNT_AT]) == KEYS {
            at += 1;
        }
        let block = blocks.get_mut(at)?;
        let n = usize::from(block[COUNT_AT]);
        block[2 * n..2 * n + 2].copy_from_slice(&(serial as u16).to_le_bytes());
        block[CODES_AT + n / 2] |= code << (4 * (n & 1));
        block[COUNT_AT] += 1;
    }
    Some(blocks)
}

fn unused_block() -> [u8; 64] {
    let mut block = [0; 64];
    block[..CODES_AT].fill(0xFF);
    debug_assert_eq!(u16::from_le_bytes([block[0], block[1]]), UNUSED);
    block
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn prefetch(line: &[u8; 64]) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch never faults and reads nothing into the program;
    // the pointer is to a live block anyway. SSE is part of the x86_64
    // baseline.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) }
}

#[cfg(not(target_arch = "x86_64"))]
fn prefetch(_: &[u8; 64]) {}

/// A contact's code byte as the index stores it (status, registration,
/// NemSMS, whether it has an exemption window).
fn code_byte(c: &Contact) -> u8 {
    let window = c.exemption_start.is_some() || c.exemption_end.is_some();
    c.status as u8 | (c.registration as u8) << 2 | u8::from(c.nemsms) << 5 | u8::from(window) << 6
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn var(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| {
        v.replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let citizens = var(
        "TILMELDING_BENCH_CITIZENS",
        if full { 5_900_000 } else { 20_000 },
    );
    let queries = var(
        "TILMELDING_BENCH_QUERIES",
        if full { 1_000_000 } else { 10_000 },
    ) as usize;

    let dir = tempfile::tempdir().unwrap();
    let (_, _, index) = generated::index(dir.path(), citizens, citizens * 8 / 59);

    // The register's keys with their code bytes, as numbers into its table
    // of distinct codes (4 bits: at most 16 of them).
    let mut keys: Vec<(u32, u8)> = Vec::new();
    let mut table: Vec<u8> = Vec::new();
    for (recipient, contact) in index.contacts(RecipientKind::Cpr) {
        let code = code_byte(&contact);
        let number = table.iter().position(|&c| c == code).unwrap_or_else(|| {
            table.push(code);
            table.len() - 1
        });
        keys.push((recipient.key(), number as u8));
    }
    assert!(
        table.len() <= 16,
        "{} distinct codes do not fit in 4 bits",
        table.len()
    );
    let started = Instant::now();
    let placed = Placed::build(&keys);
    let built = started.elapsed();
    // Keyed as in the compare bench: the key widened, the kind in bit 32.
    let wide = |key: u32| (RecipientKind::Cpr as u64) << 32 | u64::from(key);
    let map: FxHashMap<u64, u8> = keys.iter().map(|&(k, c)| (wide(k), c)).collect();

    // Every key is found with its code, wherever the model put it.
    let mut beyond = [0usize; 3];
    for &(key, code) in &keys {
        assert_eq!(placed.code(key), Some(code), "key {key}");
        let (day, serial) = (key / SERIALS, key % SERIALS);
        let (start, end) = (placed.first[day as usize], placed.first[day as usize + 1]);
        let named =
            start as usize + block_in_day(&placed.shares, day, serial, (end - start) as usize);
        let at = (named..)
            .find(|&b| slot_of(&placed.blocks[b], serial as u16) < KEYS)
            .unwrap();
        beyond[(at - named).min(2)] += 1;
    }

    // Queries as the compare bench draws them: nine in ten from the
    // register, the rest valid CPR numbers born on a day someone in it was.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut query_keys = Vec::with_capacity(queries);
    while query_keys.len() < queries * 9 / 10 {
        query_keys.push(keys[(rng.next() % keys.len() as u64) as usize].0);
    }
    while query_keys.len() < queries {
        let key = keys[(rng.next() % keys.len() as u64) as usize].0;
        let other = key - key % SERIALS + (rng.next() % u64::from(SERIALS)) as u32;
        if Recipient::from_key(RecipientKind::Cpr, other).is_some()
            && !map.contains_key(&wide(other))
        {
            query_keys.push(other);
        }
    }
    for i in (1..query_keys.len()).rev() {
        query_keys.swap(i, (rng.next() % (i as u64 + 1)) as usize);
    }
    for &key in &query_keys {
        assert_eq!(placed.code(key), map.get(&wide(key)).copied(), "key {key}");
    }
    let hashed = Hashed::build(&keys);
    if let Some(hashed) = &hashed {
        let mut own = 0usize;
        for &(key, code) in &keys {
            assert_eq!(hashed.code(key), Some(code), "key {key}");
            let (named, slot) = hashed.named(key);
            let block = &hashed.blocks[named];
            own += usize::from(slot_of(block, slot) < usize::from(block[COUNT_AT]));
        }
        for &key in &query_keys {
            assert_eq!(hashed.code(key), map.get(&wide(key)).copied(), "key {key}");
        }
        println!(
            "hash-placed: {} blocks of {KEYS}, {:.3} bytes per key; {:.1}% in the block the hash names",
            hashed.blocks.len(),
            hashed.size() as f64 / keys.len() as f64,
            100.0 * own as f64 / keys.len() as f64,
        );
    } else {
        println!(
            "hash-placed: not built, {} keys are too few for {REMAINDER}-bit slots (2^{} blocks); \
             checked on random keys instead",
            keys.len(),
            32 - REMAINDER
        );
        check_hashed_on_random_keys(&mut rng);
    }
    let recipients: Vec<Recipient> = query_keys
        .iter()
        .map(|&k| Recipient::from_key(RecipientKind::Cpr, k).unwrap())
        .collect();

    println!(
        "placement: {} CPR keys in {} blocks of {KEYS}, {:.3} bytes per key with the day table \
         ({} KB), built in {:.0?}; {:.1}% in the block the model names, {:.1}% in the next, \
         {} further on; {} distinct codes (the index file: {:.3} bytes per contact)",
        keys.len(),
        placed.blocks.len(),
        placed.size() as f64 / keys.len() as f64,
        (placed.first.len() * 4) >> 10,
        built,
        100.0 * beyond[0] as f64 / keys.len() as f64,
        100.0 * beyond[1] as f64 / keys.len() as f64,
        beyond[2],
        table.len(),
        index.metadata().file_size as f64 / index.metadata().contacts() as f64,
    );
    if !full {
        return;
    }

    // The answer each gives: a channel from the code, one table read (the
    // index runs its whole decision). The material: Digital Post, group
    // active, certificate valid, as in the compare bench.
    let date = Date::from_ymd(2026, 1, 1).unwrap();
    let digital = Answer {
        channel: Channel::Digital,
        reason: Reason::Registered,
    };
    let material = index
        .catalog()
        .materials
        .iter()
        .find(|m| {
            recipients
                .iter()
                .take(1000)
                .any(|r| index.lookup(&m.id, r, date) == Ok(digital))
        })
        .map(|m| m.id.clone())
        .expect("a Digital Post material for citizens");
    let id = index.material(&material).unwrap();
    let mut channel = [b'F'; 17];
    for (number, &code) in table.iter().enumerate() {
        if code & 0b11 == tilmelding::Status::Registered as u8 {
            channel[number] = b'D';
        }
    }
    let absent = 16;
    let by_layout = |key: u32| channel[usize::from(placed.code(key).unwrap_or(absent))];
    let by_map = |key: u32| channel[usize::from(map.get(&wide(key)).copied().unwrap_or(absent))];

    let by_hashed = |key: u32| {
        let hashed = hashed.as_ref().expect("built at this size");
        channel[usize::from(hashed.code(key).unwrap_or(absent))]
    };

    let evictor = evict::Evictor::new();
    let mut rows: Vec<(&str, Vec<f64>, Vec<f64>)> = vec![
        ("index (lookup_material)", vec![], vec![]),
        ("model-placed blocks", vec![], vec![]),
        ("FxHashMap", vec![], vec![]),
    ];
    if hashed.is_some() {
        rows.push(("hash-placed blocks", vec![], vec![]));
    }
    const ROUNDS: usize = 7;
    const CHUNK: usize = 2_000;
    const CHUNKS: usize = 40;
    for _ in 0..ROUNDS {
        for (which, (_, warm, cold)) in rows.iter_mut().enumerate() {
            let run = |from: usize, to: usize| {
                let started = Instant::now();
                match which {
                    0 => loop_index(&index, id, &recipients[from..to], date),
                    1 => loop_keys(&query_keys[from..to], by_layout),
                    2 => loop_keys(&query_keys[from..to], by_map),
                    _ => loop_keys(&query_keys[from..to], by_hashed),
                }
                started.elapsed().as_nanos() as f64
            };
            warm.push(run(0, queries) / queries as f64);
            let mut total = 0.0;
            for c in 0..CHUNKS.min(queries / CHUNK) {
                evictor.evict();
                total += run(c * CHUNK, (c + 1) * CHUNK);
            }
            cold.push(total / (CHUNKS.min(queries / CHUNK) * CHUNK) as f64);
        }
    }
    let map_warm = median(rows[2].1.clone());
    let map_cold = median(rows[2].2.clone());
    println!(
        "ns per lookup, medians of {ROUNDS} rounds; warm: {queries} in one loop; cold: chunks of {CHUNK} after an eviction"
    );
    for (name, warm, cold) in rows {
        let (warm, cold) = (median(warm), median(cold));
        println!(
            "  {name:<24} warm {warm:6.1} ({:.2}x)   cold {cold:6.1} ({:.2}x)",
            warm / map_warm,
            cold / map_cold
        );
    }

    // Batches of all the queries at once, in random order and sorted by
    // key: the index's `lookup_batch` (its blocks in key order, so sorted
    // queries read each block once) against the hash-placed blocks, in
    // groups as `lookup_batch` goes (their order is the hash's, so sorting
    // the queries does not help them).
    let Some(hashed) = &hashed else { return };
    let mut sorted_keys = query_keys.clone();
    sorted_keys.sort_unstable();
    let number = |&k: &u32| match Recipient::from_key(RecipientKind::Cpr, k) {
        Some(Recipient::Cpr(cpr)) => cpr.digits(),
        _ => unreachable!("valid CPR keys"),
    };
    let orders = [
        (
            "random",
            query_keys.iter().map(number).collect::<Vec<u64>>(),
            &query_keys,
        ),
        (
            "sorted",
            sorted_keys.iter().map(number).collect(),
            &sorted_keys,
        ),
    ];
    let mut out = vec![Err(tilmelding::LookupError::InvalidRecipient); queries];
    let mut answers = vec![0u8; queries];
    println!("ns per recipient in a batch of {queries}, medians of {ROUNDS} rounds, warm");
    for (name, numbers, keys) in &orders {
        let (mut by_index, mut by_hash) = (vec![], vec![]);
        for _ in 0..ROUNDS {
            let started = Instant::now();
            index
                .lookup_batch(&material, RecipientKind::Cpr, numbers, date, &mut out)
                .unwrap();
            black_box(&out);
            by_index.push(started.elapsed().as_nanos() as f64 / queries as f64);
            let started = Instant::now();
            batch_hashed(hashed, keys, &channel, &mut answers);
            black_box(&answers);
            by_hash.push(started.elapsed().as_nanos() as f64 / queries as f64);
        }
        let (by_index, by_hash) = (median(by_index), median(by_hash));
        println!(
            "  {name}: index lookup_batch {by_index:5.1}   hash-placed {by_hash:5.1} ({:.2}x the index)",
            by_hash / by_index
        );
    }
}

/// A batch over the hash-placed blocks, in groups of 32: first the
/// group's named blocks are computed and their lines (and the next)
/// loaded, then the group is answered, by which time the loads have
/// (mostly) arrived.
#[inline(never)]
fn batch_hashed(hashed: &Hashed, keys: &[u32], channel: &[u8; 17], out: &mut [u8]) {
    const GROUP: usize = 32;
    for (keys, out) in keys.chunks(GROUP).zip(out.chunks_mut(GROUP)) {
        for &key in keys {
            let own = hashed.named(key).0;
            prefetch(&hashed.blocks[own]);
            prefetch(&hashed.blocks[own + 1]);
        }
        for (&key, answer) in keys.iter().zip(out) {
            *answer = channel[usize::from(hashed.code(key).unwrap_or(16))];
        }
    }
}

/// A caller's plain loop of single lookups in the index, in a function of
/// its own so that each structure's loop is compiled alike.
#[inline(never)]
fn loop_index(index: &Index, id: tilmelding::MaterialId, recipients: &[Recipient], date: Date) {
    for r in recipients {
        let _ = black_box(index.lookup_material(id, black_box(r), date));
    }
}

/// [`loop_index`] for the layout and the hash map, by key.
#[inline(never)]
fn loop_keys(keys: &[u32], answer: impl Fn(u32) -> u8) {
    for &key in keys {
        black_box(answer(black_box(key)));
    }
}
