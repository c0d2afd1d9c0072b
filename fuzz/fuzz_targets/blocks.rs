//! The register's section: its header line and blocks. Every input is read
//! twice: as a raw register section (refused at open, or every lookup
//! answers, and what also verifies is consistent: increasing keys, each
//! found with its code), and as a recipe for a set of keys with codes,
//! which the builder's encoder writes and the reader must open, verify and
//! answer exactly as a `BTreeMap` of the same entries does; that encoding
//! with one byte changed is fed back as raw bytes.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use tilmelding::fuzzing::{encode_register, register_bytes, register_matches};

#[derive(Arbitrary, Debug)]
struct Recipe {
    entries: Vec<(u32, u8)>,
    /// `(start, length, gap, code)`: every `gap + 1`-th key of `start..=start
    /// + length % 8192`. Dense ranges fill many blocks, which the mix
    /// spreads over the register.
    ranges: Vec<(u32, u16, u8, u8)>,
    probes: Vec<u32>,
    /// Where to change the encoding, and how.
    flip: (u32, u8),
}

fuzz_target!(|data: &[u8]| {
    register_bytes(data, &[]);

    let Ok(recipe) = Recipe::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let mut entries: BTreeMap<u32, u8> = recipe.entries.iter().copied().collect();
    // At most 4 x 8192 keys, so that a run stays fast (each run encodes,
    // verifies and lists the register, and sorts it to list it).
    for &(start, length, gap, code) in recipe.ranges.iter().take(4) {
        let end = start.saturating_add(u32::from(length % 8192));
        for key in (start..=end).step_by(usize::from(gap) + 1) {
            entries.insert(key, code);
        }
    }
    register_matches(&entries, &recipe.probes);

    let mut bytes = encode_register(&entries);
    let (at, xor) = recipe.flip;
    let at = at as usize % bytes.len();
    bytes[at] ^= xor;
    register_bytes(&bytes, &recipe.probes);
});
