//! Damaged and crafted index files: opening fails with a clear error, or the
//! index answers without ever panicking. Never a crash, never a silently
//! changed answer.

mod common;

use tilmelding::{Date, FormatError, Index, LookupError, Recipient, RecipientKind};

fn fixture_bytes() -> Vec<u8> {
    let (_dir, path) = common::fixture_index();
    std::fs::read(path).unwrap()
}

/// Every answer the fixture gives, for comparing a damaged copy against.
fn answers(index: &Index) -> Vec<Result<tilmelding::Answer, LookupError>> {
    let date = Date::from_ymd(2026, 11, 22).unwrap();
    let mut all = Vec::new();
    for l in common::lookups() {
        if let Ok(r) = l.recipient.parse::<Recipient>() {
            all.push(index.lookup(&l.material, &r, date));
        }
    }
    let mut out = vec![Err(LookupError::InvalidRecipient); 3];
    let batch = index.lookup_batch(
        "100",
        RecipientKind::Cpr,
        &[101901234, 202902345, 1],
        date,
        &mut out,
    );
    all.push(batch.map(|()| {
        out[0].unwrap_or(tilmelding::Answer {
            channel: tilmelding::Channel::Digital,
            reason: tilmelding::Reason::Registered,
        })
    }));
    all.extend(out);
    all
}

#[test]
fn every_truncation_is_refused() {
    let bytes = fixture_bytes();
    for len in 0..bytes.len() {
        let error = Index::from_bytes(bytes[..len].to_vec()).expect_err("a truncated index opened");
        let format = error.format_error().expect("a format error");
        assert!(
            matches!(
                format,
                FormatError::TooShort { .. } | FormatError::LengthMismatch { .. }
            ),
            "length {len}: {format}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(
        Index::from_bytes(longer).is_err(),
        "an appended byte went unnoticed"
    );
}

#[test]
fn every_single_byte_change_is_refused_at_open() {
    let bytes = fixture_bytes();
    for at in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut damaged = bytes.clone();
            damaged[at] ^= flip;
            assert!(
                Index::from_bytes(damaged).is_err(),
                "byte {at} xor {flip:#04x} was not noticed"
            );
        }
    }
}

/// Recomputes every checksum, as someone crafting a file would.
fn reseal(bytes: &mut [u8]) {
    let count = u32::from_le_bytes(bytes[16..20].try_into().unwrap()) as usize;
    for i in 0..count {
        let entry = 128 + i * 32;
        if entry + 32 > bytes.len() {
            break;
        }
        let start = u64::from_le_bytes(bytes[entry + 8..entry + 16].try_into().unwrap()) as usize;
        let len = u64::from_le_bytes(bytes[entry + 16..entry + 24].try_into().unwrap()) as usize;
        let Some(section) = bytes.get(start..start.saturating_add(len)) else {
            continue;
        };
        let crc = crc32fast::hash(section);
        bytes[entry + 24..entry + 28].copy_from_slice(&crc.to_le_bytes());
    }
    let crc = crc32fast::hash(&bytes[..124]);
    bytes[124..128].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn crafted_files_with_valid_checksums_never_panic() {
    let bytes = fixture_bytes();
    let original = answers(&Index::from_bytes(bytes.clone()).unwrap());
    let mut opened = 0;
    for at in 0..bytes.len() {
        for flip in [0x01u8, 0x10, 0xff] {
            let mut crafted = bytes.clone();
            crafted[at] ^= flip;
            reseal(&mut crafted);
            if crafted == bytes {
                continue; // the flip hit a checksum, which resealing restored
            }
            let Ok(index) = Index::from_bytes(crafted) else {
                continue;
            };
            opened += 1;
            // Whatever opened must answer (or fail verification) without panicking.
            let verified = index.verify();
            let got = answers(&index);
            // The snapshot id covers everything after the header, so full
            // verification catches any change there; a change in the header
            // that opens (a time stamp, say) must not change an answer.
            if at >= 128 {
                assert!(
                    verified.is_err(),
                    "byte {at} xor {flip:#04x} passed verification"
                );
            } else {
                assert_eq!(
                    got, original,
                    "header byte {at} xor {flip:#04x} changed answers"
                );
            }
        }
    }
    assert!(
        opened > 0,
        "the test should exercise some crafted files that open"
    );
}
