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

/// Reseals a crafted file completely: section checksums, the snapshot id
/// (SHA-256 of `as_of` and everything after the header) and the header
/// checksum. Only `Index::verify`'s content checks can catch what is left.
fn reseal_with_snapshot(bytes: &mut [u8]) {
    use sha2::{Digest, Sha256};
    reseal(bytes);
    let mut hasher = Sha256::new();
    hasher.update(&bytes[32..40]);
    hasher.update(&bytes[128..]);
    let digest: [u8; 32] = hasher.finalize().into();
    bytes[72..104].copy_from_slice(&digest);
    let crc = crc32fast::hash(&bytes[..124]);
    bytes[124..128].copy_from_slice(&crc.to_le_bytes());
}

/// `(start, length)` of the section of this kind.
fn section(bytes: &[u8], kind: u32) -> (usize, usize) {
    let count = u32::from_le_bytes(bytes[16..20].try_into().unwrap()) as usize;
    (0..count)
        .map(|i| 128 + i * 32)
        .find(|&entry| u32::from_le_bytes(bytes[entry..entry + 4].try_into().unwrap()) == kind)
        .map(|entry| {
            let field = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
            (field(entry + 8) as usize, field(entry + 16) as usize)
        })
        .expect("the section is there")
}

const CPR_SET: u32 = 3;
const CPR_CODES: u32 = 4;
const CPR_WINDOWS: u32 = 5;

/// The array containers of the CPR set: high 16 bits, absolute offset of the
/// values, cardinality (the generated set has no run containers).
fn cpr_containers(bytes: &[u8]) -> Vec<(u32, usize, usize)> {
    let (start, _) = section(bytes, CPR_SET);
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    assert_eq!(u32_at(start), 12346, "no run containers");
    let count = u32_at(start + 4) as usize;
    (0..count)
        .map(|i| {
            let high = u32::from(u16_at(start + 8 + 4 * i));
            let cardinality = usize::from(u16_at(start + 10 + 4 * i)) + 1;
            let values = start + u32_at(start + 8 + 4 * count + 4 * i) as usize;
            (high, values, cardinality)
        })
        .collect()
}

fn verify_error(bytes: &[u8], what: &str) -> String {
    let index = Index::from_bytes(bytes.to_vec()).expect("a resealed file opens");
    match index.verify() {
        Err(e) => e.to_string(),
        Ok(()) => panic!("{what}: verify passed"),
    }
}

/// What a crafted file with every checksum and the snapshot id right can
/// still get wrong, `verify` finds, naming the section.
/// An index of a few thousand generated recipients: containers with many
/// members, exemption windows.
fn generated_bytes() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let options = tilmelding_synth::SynthOptions {
        citizens: 3_000,
        companies: 300,
        ..Default::default()
    };
    let data = tilmelding_synth::generate(dir.path(), &options, &mut |_, _| {}).unwrap();
    let path = dir.path().join("index.tlm");
    let options = tilmelding::BuildOptions::default();
    tilmelding::build(
        &data.catalog_path,
        &[&data.contacts_path],
        &path,
        &options,
        &mut |_| {},
    )
    .unwrap();
    std::fs::read(path).unwrap()
}

#[test]
fn verify_finds_what_the_checksums_cannot() {
    let original = generated_bytes();
    let mut clean = original.clone();
    reseal_with_snapshot(&mut clean);
    assert_eq!(clean, original, "resealing changes nothing");
    Index::from_bytes(clean).unwrap().verify().unwrap();

    let containers = cpr_containers(&original);
    let u16_at = |bytes: &[u8], at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);

    // Two values out of order.
    let &(_, values, _) = containers.iter().find(|c| c.2 >= 2).unwrap();
    let mut crafted = original.clone();
    crafted[values..values + 4].rotate_left(2);
    reseal_with_snapshot(&mut crafted);
    let error = verify_error(&crafted, "unsorted values");
    assert!(
        error.contains("cpr_set") && error.contains("increasing"),
        "{error}"
    );

    // A key that is no CPR number (day 0, or a day the month does not
    // have), put in place of a member, keeping the order.
    let bytes = &original;
    let (at, impossible) = containers
        .iter()
        .flat_map(|&(high, values, cardinality)| {
            (0..cardinality).filter_map(move |i| {
                let below = if i == 0 {
                    0
                } else {
                    u16_at(bytes, values + 2 * i - 2) + 1
                };
                let above = if i + 1 == cardinality {
                    u16::MAX
                } else {
                    u16_at(bytes, values + 2 * i + 2) - 1
                };
                (below..=above)
                    .find(|&low| {
                        tilmelding::Cpr::from_packed(high << 16 | u32::from(low)).is_none()
                    })
                    .map(|low| (values + 2 * i, low))
            })
        })
        .next()
        .expect("room for an impossible key");
    let mut crafted = original.clone();
    crafted[at..at + 2].copy_from_slice(&impossible.to_le_bytes());
    reseal_with_snapshot(&mut crafted);
    let error = verify_error(&crafted, "impossible key");
    assert!(
        error.contains("cpr_set") && error.contains("impossible"),
        "{error}"
    );

    // A reserved bit in a code byte.
    let (codes, codes_len) = section(&original, CPR_CODES);
    let mut crafted = original.clone();
    crafted[codes] |= 0x80;
    reseal_with_snapshot(&mut crafted);
    let error = verify_error(&crafted, "reserved bit");
    assert!(
        error.contains("cpr_codes") && error.contains("reserved"),
        "{error}"
    );

    // A code that claims an exemption window nobody wrote, and one that
    // loses its window.
    let has_window = |code: u8| code & 0x40 != 0;
    let without = (codes..codes + codes_len)
        .find(|&at| !has_window(original[at]))
        .unwrap();
    let with = (codes..codes + codes_len)
        .find(|&at| has_window(original[at]))
        .unwrap();
    for (at, what) in [(without, "a window claimed"), (with, "a window lost")] {
        let mut crafted = original.clone();
        crafted[at] ^= 0x40;
        reseal_with_snapshot(&mut crafted);
        let error = verify_error(&crafted, what);
        assert!(error.contains("cpr_windows"), "{what}: {error}");
    }

    // A window for a key that is not in the register.
    let (windows, _) = section(&original, CPR_WINDOWS);
    let mut crafted = original.clone();
    let key = u32::from_le_bytes(original[windows..windows + 4].try_into().unwrap());
    crafted[windows..windows + 4].copy_from_slice(&(key - 1).to_le_bytes());
    reseal_with_snapshot(&mut crafted);
    let error = verify_error(&crafted, "window of a stranger");
    assert!(error.contains("cpr_windows"), "{error}");
}
