//! The register's blocks and fences. Every input is read twice: as raw
//! fences and blocks sections (refused at open, or every lookup answers, and
//! what also verifies is consistent: increasing keys, each found with its
//! code), and as a recipe for a set of keys with codes, which the builder's
//! encoder writes and the reader must open, verify and answer exactly as a
//! `BTreeMap` of the same entries does; that encoding with one byte changed
//! is fed back as raw bytes.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use tilmelding::fuzzing::{blocks_bytes, blocks_match};

#[derive(Arbitrary, Debug)]
struct Recipe {
    entries: Vec<(u32, u8)>,
    /// `(start, length, gap, code)`: every `gap + 1`-th key of `start..=start
    /// + length`. Dense ranges fill many blocks of one value of the high bits.
    ranges: Vec<(u32, u16, u8, u8)>,
    probes: Vec<u32>,
    /// Where to change the encoding, and how.
    flip: (u32, u8),
}

fuzz_target!(|data: &[u8]| {
    blocks_bytes(data, &[]);

    let Ok(recipe) = Recipe::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let mut entries: BTreeMap<u32, u8> = recipe.entries.iter().copied().collect();
    // At most 4 x 65536 keys, so that a run stays fast.
    for &(start, length, gap, code) in recipe.ranges.iter().take(4) {
        let end = start.saturating_add(u32::from(length));
        for key in (start..=end).step_by(usize::from(gap) + 1) {
            entries.insert(key, code);
        }
    }
    blocks_match(&entries, &recipe.probes);

    let (fences, blocks) = tilmelding::fuzzing::encode_blocks(&entries);
    let mut bytes = [fences, blocks].concat();
    if !bytes.is_empty() {
        let (at, xor) = recipe.flip;
        let at = at as usize % bytes.len();
        bytes[at] ^= xor;
    }
    blocks_bytes(&bytes, &recipe.probes);
});
