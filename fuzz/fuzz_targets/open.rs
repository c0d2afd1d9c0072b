//! Arbitrary bytes as an index file, as they are and resealed (every
//! checksum and the snapshot id recomputed, so that mutations get past the
//! checksums into the meta, fst and register parsers): opening
//! fails cleanly or gives an index whose every query and verification
//! returns, never a panic, and whose batch lookups answer as single ones.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tilmelding::fuzzing::reseal;
use tilmelding::{Date, FormatError, Index, LookupError, Recipient, RecipientKind};

/// The numbers of the fixture's contacts (fuzz/run.sh builds the seed index
/// from tests/data), strangers, and invalid numbers.
const CPR: [u64; 9] = [
    101901234, 202902345, 303903456, 404904567, 505905678, 606906789, 707907890, 3112999999, 0,
];
const CVR: [u64; 5] = [10150817, 12345674, 12345675, 99999999, u64::MAX];

fuzz_target!(|data: &[u8]| {
    // Two recipients and a day chosen by the input's last bytes, so that the
    // fuzzer can aim at the keys and windows it has mutated.
    let tail = |n: usize| {
        let start = data.len().saturating_sub(n);
        let mut word = [0u8; 8];
        word[..data.len() - start].copy_from_slice(&data[start..]);
        u64::from_le_bytes(word)
    };
    let chosen = tail(8);
    let cpr: Vec<u64> = CPR.into_iter().chain([chosen % 10_000_000_000]).collect();
    let cvr: Vec<u64> = CVR.into_iter().chain([chosen % 100_000_000]).collect();
    let day = Date::from_days(20_000 + (tail(2) % 1024) as i32).unwrap();
    let dates = [
        Date::from_ymd(2019, 6, 1).unwrap(),
        Date::from_ymd(2026, 3, 1).unwrap(),
        Date::from_ymd(2026, 11, 22).unwrap(),
        day,
    ];

    check(data.to_vec(), false, &cpr, &cvr, &dates);
    if let Some(resealed) = reseal(data)
        && resealed != data
    {
        check(resealed, true, &cpr, &cvr, &dates);
    }
});

fn check(bytes: Vec<u8>, resealed: bool, cpr: &[u64], cvr: &[u64], dates: &[Date]) {
    let index = match Index::from_bytes(bytes) {
        Ok(index) => index,
        Err(error) => {
            let _ = error.to_string();
            if resealed {
                assert!(
                    !matches!(
                        error.format_error(),
                        Some(FormatError::HeaderChecksum | FormatError::SectionChecksum { .. })
                    ),
                    "a resealed file fails a checksum: {error}"
                );
            }
            return;
        }
    };
    let verified = index.verify();
    if resealed {
        assert_ne!(verified, Err(FormatError::SnapshotMismatch));
    }
    let _ = (index.metadata(), index.heap_size(), format!("{index:?}"));

    let ids: Vec<String> = (index.catalog().materials.iter().take(16))
        .map(|m| m.id.clone())
        .collect();
    let mut out = [Err(LookupError::InvalidRecipient); CPR.len() + 1];
    for id in ids.iter().map(String::as_str).chain(["", "missing"]) {
        let material = index.material(id);
        for (kind, numbers) in [(RecipientKind::Cpr, cpr), (RecipientKind::Cvr, cvr)] {
            for &date in dates {
                let out = &mut out[..numbers.len()];
                let batch = index.lookup_batch(id, kind, numbers, date, out);
                for (number, batched) in numbers.iter().zip(out.iter()) {
                    let Ok(recipient) = Recipient::from_number(kind, *number) else {
                        if batch.is_ok() {
                            assert_eq!(*batched, Err(LookupError::InvalidRecipient));
                        }
                        continue;
                    };
                    let single = index.lookup(id, &recipient, date);
                    match batch {
                        Ok(()) => assert_eq!(*batched, single, "{id} {recipient:?} {date}"),
                        Err(error) => assert_eq!(single, Err(error), "{id} {recipient:?} {date}"),
                    }
                    if let Some(material) = material {
                        assert_eq!(index.lookup_material(material, &recipient, date), single);
                    }
                }
            }
        }
    }
}
