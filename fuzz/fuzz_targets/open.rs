//! Arbitrary bytes as an index file: opening must fail cleanly or give an
//! index whose every query and verification returns, never crashes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tilmelding::{Date, Index, LookupError, Recipient, RecipientKind};

fuzz_target!(|data: &[u8]| {
    let Ok(index) = Index::from_bytes(data.to_vec()) else {
        return;
    };
    let _ = index.verify();
    let date = Date::from_ymd(2026, 11, 22).unwrap();
    let recipients: [Recipient; 3] = [
        "0101901234".parse().unwrap(),
        "3112999999".parse().unwrap(),
        "10150817".parse().unwrap(),
    ];
    let ids: Vec<String> = index.catalog().materials.iter().map(|m| m.id.clone()).collect();
    for id in ids.iter().map(String::as_str).chain(["", "missing"]) {
        for r in &recipients {
            let _ = index.lookup(id, r, date);
        }
        let mut out = [Err(LookupError::InvalidRecipient); 3];
        let _ = index.lookup_batch(id, RecipientKind::Cpr, &[101901234, 0, u64::MAX], date, &mut out);
    }
});
