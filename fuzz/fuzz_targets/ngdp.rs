//! Arbitrary bytes as an NgDP contact-register page and as NDJSON of
//! contacts: read, mapped and checked for completeness without a panic,
//! and no message quotes a number from the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tilmelding::fuzzing::ngdp(data);
});
