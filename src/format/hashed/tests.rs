//! The register's blocks: the mix, placement, lookups, listing and the
//! check, on random and on damaged sections.

#[cfg(target_arch = "x86_64")]
use super::check::check_narrow_avx2;
use super::check::check_slots;
use super::*;
use std::collections::BTreeMap;

/// The next of a xorshift sequence of test data from `state`.
pub(crate) fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Whether the processor has AVX2, for a test of code written for it; if
/// not, says which `untested` part goes untested (and fails under CI).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2(untested: &str) -> bool {
    let has = std::is_x86_feature_detected!("avx2");
    if !has {
        crate::common::skip_or_fail(&format!(
            "no AVX2 on this processor: {untested} are not tested"
        ));
    }
    has
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
    if !has_avx2("the check's vectors") {
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
                let slots = check_slots::<true>(&layout, &bad, range.clone(), possible);
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

impl AddPlanes for Vec<(Planes, usize)> {
    fn add(&mut self, planes: &Planes, n: usize) {
        self.push((*planes, n));
    }
}

/// A block's planes as [`Planes`] defines them, bit by bit.
pub(crate) fn planes_by_definition(shape: Shape, block: &[u8]) -> (Planes, usize) {
    let n = count(block).min(shape.keys());
    let codes = &block[shape.codes_at()..][..n];
    let planes = std::array::from_fn(|b| {
        (codes.iter().enumerate())
            .fold(0, |plane, (i, &code)| plane | u32::from(code >> b & 1) << i)
    });
    (planes, n)
}

/// The codes' planes by words and, where the processor has AVX2, by
/// vectors, as defined: on random bytes with every count a flags byte
/// can give, for both shapes.
#[test]
fn code_planes_as_defined() {
    let mut state = 13;
    let blocks: Vec<u8> = (0..4_096 * BLOCK_LEN)
        .map(|_| xorshift(&mut state) as u8)
        .collect();
    for shape in [Shape::Narrow, Shape::Wide] {
        let wanted: Vec<(Planes, usize)> = (blocks.chunks_exact(BLOCK_LEN))
            .map(|block| planes_by_definition(shape, block))
            .collect();
        assert!(wanted.iter().any(|&(_, n)| n == shape.keys()));
        assert!(wanted.iter().any(|&(_, n)| n == 0));
        let mut by_words = Vec::new();
        code_planes_by_words(shape, &blocks, &mut by_words);
        assert_eq!(by_words, wanted, "{shape:?}");
        let mut dispatched = Vec::new();
        code_planes(shape, &blocks, &mut dispatched);
        assert_eq!(dispatched, wanted, "{shape:?}");
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
            let mut by_vectors = Vec::new();
            // SAFETY: the processor has AVX2 and POPCNT, as just asked.
            unsafe { avx2::code_planes(shape, &blocks, &mut by_vectors) };
            assert_eq!(by_vectors, wanted, "{shape:?}");
        } else {
            crate::common::skip_or_fail(
                "no AVX2 or POPCNT on this processor: the codes' planes by vectors are not tested",
            );
        }
    }
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
