//! Our zero-copy roaring reader against the `roaring` crate. Every input is
//! read twice: as a serialized bitmap (refused, or every query answers, and
//! what also validates is what the crate reads), and as a recipe for a bitmap
//! with array, bitmap and run containers, which the crate serializes and our
//! reader must parse, validate and answer exactly like the crate; that
//! serialization with one byte changed is fed back as raw bytes.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use roaring::RoaringBitmap;
use tilmelding::fuzzing::{roaring_bytes, roaring_matches};

#[derive(Arbitrary, Debug)]
enum Compression {
    /// As the inserts left it.
    AsBuilt,
    /// `optimize()`: run containers where they are smaller.
    Optimize,
    /// `remove_run_compression()`: arrays and bitmaps only (the 12346 cookie).
    NoRuns,
}

#[derive(Arbitrary, Debug)]
struct Recipe {
    values: Vec<u32>,
    /// `(start, length, gap)`: every `gap + 1`-th value of `start..=start +
    /// length`. Dense ranges make run containers, sparse ones over more than
    /// 4096 values bitmap containers.
    ranges: Vec<(u32, u16, u8)>,
    removals: Vec<u32>,
    compression: Compression,
    probes: Vec<u32>,
    /// Where to change the serialization, and how.
    flip: (u16, u8),
}

fuzz_target!(|data: &[u8]| {
    roaring_bytes(data, &[]);

    let Ok(recipe) = Recipe::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let mut bitmap = RoaringBitmap::new();
    bitmap.extend(recipe.values.iter().copied());
    // At most 8 x 65536 members, so that a run stays fast.
    for &(start, length, gap) in recipe.ranges.iter().take(8) {
        let end = start.saturating_add(u32::from(length));
        if gap == 0 {
            bitmap.insert_range(start..=end);
        } else {
            bitmap.extend((start..=end).step_by(usize::from(gap) + 1));
        }
    }
    for value in &recipe.removals {
        bitmap.remove(*value);
    }
    match recipe.compression {
        Compression::AsBuilt => {}
        Compression::Optimize => {
            bitmap.optimize();
        }
        Compression::NoRuns => {
            bitmap.remove_run_compression();
        }
    }
    roaring_matches(&bitmap, &recipe.probes);

    let mut bytes = Vec::with_capacity(bitmap.serialized_size());
    bitmap.serialize_into(&mut bytes).unwrap();
    let (at, xor) = recipe.flip;
    // Never empty: an empty bitmap is 8 bytes.
    let at = usize::from(at) % bytes.len();
    bytes[at] ^= xor;
    roaring_bytes(&bytes, &recipe.probes);
});
