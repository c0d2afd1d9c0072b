//! Arbitrary text as a catalog: parsed or rejected, never a panic; what
//! parses builds an index that opens and verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tilmelding::{Catalog, Index, IndexBuilder};

fuzz_target!(|text: &str| {
    if let Ok(catalog) = Catalog::from_toml(text, "fuzz.toml") {
        let bytes = IndexBuilder::new(catalog).finish(0, 0, &mut |_| {});
        let index = Index::from_bytes(bytes).expect("a built index opens");
        index.verify().expect("a built index verifies");
    }
});
