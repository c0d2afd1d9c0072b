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

#[test]
fn crafted_files_with_valid_checksums_never_panic() {
    let bytes = fixture_bytes();
    let original = answers(&Index::from_bytes(bytes.clone()).unwrap());
    let mut opened = 0;
    for at in 0..bytes.len() {
        for flip in [0x01u8, 0x10, 0xff] {
            let mut crafted = bytes.clone();
            crafted[at] ^= flip;
            common::reseal(&mut crafted);
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
    common::reseal(bytes);
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

const MATERIALS: u32 = 2;
const CPR_FENCES: u32 = 10;
const CPR_BLOCKS: u32 = 11;
const CPR_WINDOWS: u32 = 5;
/// A block: 21 `u16` low halves of keys, 21 code bytes, the count (FORMAT.md 4.3).
const BLOCK_LEN: usize = 64;
const CODES_AT: usize = 42;
const COUNT_AT: usize = 63;

/// The blocks of the CPR register: fence (first key), absolute offset, number of keys.
fn cpr_blocks(bytes: &[u8]) -> Vec<(u32, usize, usize)> {
    let (fences, n) = section(bytes, CPR_FENCES);
    let (blocks, len) = section(bytes, CPR_BLOCKS);
    assert_eq!(n / 4 * BLOCK_LEN, len);
    (0..n / 4)
        .map(|i| {
            let fence = u32::from_le_bytes(bytes[fences + 4 * i..][..4].try_into().unwrap());
            let at = blocks + i * BLOCK_LEN;
            (fence, at, usize::from(bytes[at + COUNT_AT]))
        })
        .collect()
}

/// What `verify` finds wrong with `bytes`, after checking that
/// `Index::open_verified` finds the same in them as a file.
fn verify_error(bytes: &[u8], what: &str) -> String {
    let index = Index::from_bytes(bytes.to_vec()).expect("a resealed file opens");
    let error = match index.verify() {
        Err(e) => e.to_string(),
        Ok(()) => panic!("{what}: verify passed"),
    };
    assert_eq!(open_verified_error(bytes), error, "{what}");
    error
}

/// The error of `Index::open_verified` on `bytes` written to a file: that of
/// the file's contents, without the path.
fn open_verified_error(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crafted.tlm");
    std::fs::write(&path, bytes).unwrap();
    match Index::open_verified(&path) {
        Err(tilmelding::OpenError::Invalid {
            path: named,
            source,
        }) => {
            assert_eq!(named.as_deref(), Some(path.as_path()));
            source.to_string()
        }
        Err(other) => panic!("not a file error: {other}"),
        Ok(_) => panic!("open_verified passed"),
    }
}

/// `open_verified` gives what `open` and then `verify` give: the index, or
/// the first error of the two, whichever thread found it.
#[test]
fn open_verified_is_open_then_verify() {
    let original = generated_bytes();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.tlm");
    std::fs::write(&path, &original).unwrap();
    let index = Index::open_verified(&path).unwrap();
    let opened = Index::open(&path).unwrap();
    assert_eq!(index.metadata(), opened.metadata());
    assert_eq!(answers(&index), answers(&opened));

    // An error of the open: a section's checksum, and a file too short.
    let mut damaged = original.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0x01;
    let open_error = Index::from_bytes(damaged.clone()).unwrap_err();
    let tilmelding::OpenError::Invalid { source, .. } = open_error else {
        panic!("{open_error}")
    };
    assert_eq!(open_verified_error(&damaged), source.to_string());
    assert!(open_verified_error(&original[..100]).contains("too short"));

    // A change the checksums were resealed over: the snapshot id's.
    let mut crafted = original.clone();
    crafted[last] ^= 0x01;
    common::reseal(&mut crafted);
    let error = verify_error(&crafted, "a byte under the snapshot id");
    assert!(error.contains("snapshot"), "{error}");

    let missing = dir.path().join("missing.tlm");
    assert!(matches!(
        Index::open_verified(&missing),
        Err(tilmelding::OpenError::Io { .. })
    ));
}

/// `load` answers as `open` does, from memory of its own: rewriting the
/// file in place afterwards (what a mapping must never see) or removing it
/// changes nothing.
#[test]
fn a_loaded_index_answers_like_an_opened_one_and_outlives_its_file() {
    let original = generated_bytes();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.tlm");
    std::fs::write(&path, &original).unwrap();
    let loaded = Index::load(&path).unwrap();
    let opened = Index::open(&path).unwrap();
    assert_eq!(loaded.metadata(), opened.metadata());
    // The loaded index's two directories are on huge pages, 2 MiB each at
    // least; the mapped one's are not rounded up.
    assert!(
        loaded.heap_size() >= 2 * (2 << 20),
        "{}",
        loaded.heap_size()
    );
    assert!(opened.heap_size() < 2 << 20, "{}", opened.heap_size());
    let expected = answers(&opened);
    drop(opened);
    assert_eq!(answers(&loaded), expected);
    loaded.verify().unwrap();

    std::fs::write(&path, vec![0xA5; original.len()]).unwrap();
    assert_eq!(answers(&loaded), expected);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(answers(&loaded), expected);
    loaded.verify().unwrap();
}

/// `load` refuses what `open` refuses, with the same error naming the file.
#[test]
fn load_refuses_what_open_refuses() {
    let original = generated_bytes();
    let dir = tempfile::tempdir().unwrap();
    let mut damaged = original.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0x01;
    for (name, bytes) in [
        ("damaged.tlm", &damaged[..]),
        ("short.tlm", &original[..100]),
        ("empty.tlm", &[][..]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let Err(tilmelding::OpenError::Invalid {
            path: named,
            source,
        }) = Index::load(&path)
        else {
            panic!("{name}: not refused as invalid");
        };
        assert_eq!(named.as_deref(), Some(path.as_path()));
        let opened = Index::open(&path).unwrap_err();
        assert_eq!(
            opened.format_error().map(|e| e.to_string()),
            Some(source.to_string())
        );
    }
    let missing = dir.path().join("missing.tlm");
    let error = Index::load(&missing).unwrap_err();
    assert!(
        matches!(&error, tilmelding::OpenError::Io { path, .. } if path == &missing),
        "{error}"
    );
}

/// A block whose count is not 1 to 21 is refused at open, naming the block,
/// even with every checksum right.
#[test]
fn a_block_count_out_of_range_is_refused_at_open() {
    let original = generated_bytes();
    let blocks = cpr_blocks(&original);
    let i = blocks.len() / 2;
    for count in [0u8, 22, 255] {
        let mut crafted = original.clone();
        crafted[blocks[i].1 + COUNT_AT] = count;
        common::reseal(&mut crafted);
        let Err(error) = Index::from_bytes(crafted) else {
            panic!("a block holding {count} keys opened");
        };
        let error = error.to_string();
        let wanted = format!("block {i} says it holds {count} keys");
        assert!(
            error.contains("cpr_blocks") && error.contains(&wanted),
            "{error}"
        );
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

    let blocks = cpr_blocks(&original);
    let u16_at = |bytes: &[u8], at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let expect = |crafted: &mut Vec<u8>, what: &str, words: [&str; 2]| {
        reseal_with_snapshot(crafted);
        let error = verify_error(crafted, what);
        assert!(
            words.iter().all(|word| error.contains(word)),
            "{what}: {error}"
        );
    };

    // Two keys out of order.
    let &(_, at, _) = blocks.iter().find(|b| b.2 >= 3).unwrap();
    let mut crafted = original.clone();
    crafted[at + 2..at + 6].rotate_left(2);
    expect(&mut crafted, "unsorted keys", ["cpr_blocks", "increasing"]);

    // A key that is no CPR number (day 0, or a day the month does not
    // have), put in place of a block's last key, keeping the order.
    let (at, impossible) = blocks
        .iter()
        .enumerate()
        .filter(|(_, b)| b.2 >= 2)
        .find_map(|(i, &(fence, at, count))| {
            let high = fence >> 16;
            let above = u16_at(&original, at + 2 * (count - 2)) + 1;
            let next = blocks.get(i + 1).filter(|next| next.0 >> 16 == high);
            let below = next.map_or(u16::MAX, |next| next.0 as u16 - 1);
            (above..=below)
                .find(|&low| tilmelding::Cpr::from_packed(high << 16 | u32::from(low)).is_none())
                .map(|low| (at + 2 * (count - 1), low))
        })
        .expect("room for an impossible key");
    let mut crafted = original.clone();
    crafted[at..at + 2].copy_from_slice(&impossible.to_le_bytes());
    expect(&mut crafted, "impossible key", ["cpr_blocks", "impossible"]);

    // A fence that is not its block's first key (still increasing).
    let (fences, _) = section(&original, CPR_FENCES);
    let i = (1..blocks.len())
        .find(|&i| blocks[i].0 - 1 > blocks[i - 1].0 + 21)
        .unwrap();
    let mut crafted = original.clone();
    crafted[fences + 4 * i..][..4].copy_from_slice(&(blocks[i].0 - 1).to_le_bytes());
    expect(&mut crafted, "moved fence", ["cpr_blocks", "fence"]);

    // A code in an unused slot of a block that is not full.
    let &(_, at, count) = blocks.iter().find(|b| b.2 < 21).unwrap();
    let mut crafted = original.clone();
    crafted[at + CODES_AT + count] = 0x04;
    expect(&mut crafted, "unused slot", ["cpr_blocks", "unused"]);

    // A reserved bit in a code byte.
    let mut crafted = original.clone();
    crafted[blocks[0].1 + CODES_AT] |= 0x80;
    expect(&mut crafted, "reserved bit", ["cpr_blocks", "reserved"]);

    // A code that claims an exemption window nobody wrote, and one that
    // loses its window.
    let has_window = |code: u8| code & 0x40 != 0;
    let codes: Vec<usize> = blocks
        .iter()
        .flat_map(|&(_, at, count)| (0..count).map(move |j| at + CODES_AT + j))
        .collect();
    let without = *codes.iter().find(|&&at| !has_window(original[at])).unwrap();
    let with = *codes.iter().find(|&&at| has_window(original[at])).unwrap();
    for (at, what) in [(without, "a window claimed"), (with, "a window lost")] {
        let mut crafted = original.clone();
        crafted[at] ^= 0x40;
        reseal_with_snapshot(&mut crafted);
        let error = verify_error(&crafted, what);
        assert!(error.contains("cpr_windows"), "{what}: {error}");
    }

    // A materials map other than the one the catalog makes: lookups never
    // read it, so the file opens and verify finds it.
    let (materials, _) = section(&original, MATERIALS);
    let mut crafted = original.clone();
    crafted[materials + 16] ^= 0x01;
    expect(
        &mut crafted,
        "materials map",
        ["materials", "does not match"],
    );

    // A window for a key that is not in the register.
    let (windows, _) = section(&original, CPR_WINDOWS);
    let mut crafted = original.clone();
    let key = u32::from_le_bytes(original[windows..windows + 4].try_into().unwrap());
    crafted[windows..windows + 4].copy_from_slice(&(key - 1).to_le_bytes());
    reseal_with_snapshot(&mut crafted);
    let error = verify_error(&crafted, "window of a stranger");
    assert!(error.contains("cpr_windows"), "{error}");
}

/// A file of format 1 (`tests/data/format-1.1.tlm`, the fixture as
/// tilmelding 0.1 wrote it before format 2) is refused with the error that
/// tells the operator to rebuild it, by a lookup's open and as the base of a
/// delta build alike.
#[test]
fn a_format_1_file_asks_for_a_rebuild() {
    let path = common::root().join("tests/data/format-1.1.tlm");
    let error = Index::open(&path).unwrap_err();
    assert!(
        matches!(
            error,
            tilmelding::OpenError::Invalid {
                source: FormatError::UnsupportedVersion { major: 1, minor: 1 },
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("format 1.1") && message.contains("rebuild the index"),
        "{message}"
    );
    let dir = tempfile::tempdir().unwrap();
    let delta = dir.path().join("delta.csv");
    std::fs::write(
        &delta,
        "id;status;registration;exemption_start;exemption_end;nemsms\n",
    )
    .unwrap();
    let error = tilmelding::build_delta(
        &path,
        None,
        &[&delta],
        &dir.path().join("out.tlm"),
        &tilmelding::BuildOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(error.to_string().contains("rebuild"), "{error}");
}

/// `bytes[from..to]` as `xxd` prints it, the way FORMAT.md quotes the file.
fn xxd(bytes: &[u8], from: usize, to: usize) -> String {
    let mut out = String::new();
    for at in (from..to).step_by(16) {
        let line = &bytes[at..(at + 16).min(to)];
        let hex: Vec<String> = line
            .chunks(2)
            .map(|pair| pair.iter().map(|b| format!("{b:02x}")).collect())
            .collect();
        let text: String = line
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        out += &format!("{at:08x}: {:<40} {text}\n", hex.join(" "));
    }
    out
}

/// FORMAT.md's worked example is the fixture as this version builds it: its
/// length, snapshot id, section table, fences and the block it looks in.
#[test]
fn the_worked_example_is_the_fixture() {
    let bytes = fixture_bytes();
    let doc = std::fs::read_to_string(common::root().join("FORMAT.md")).unwrap();
    let doc = &doc[doc.find("## 9. Worked example").unwrap()..];
    let index = Index::from_bytes(bytes.clone()).unwrap();
    let len = index.metadata().file_size;
    let length = format!("is {},{:03} bytes.", len / 1000, len % 1000);
    assert!(doc.contains(&length), "{length}");
    assert!(doc.contains(&index.metadata().snapshot_id_hex()));
    let (fences, _) = section(&bytes, CPR_FENCES);
    let (blocks, _) = section(&bytes, CPR_BLOCKS);
    for (from, to) in [
        (128, 384),
        (fences, fences + 28),
        (blocks + 6 * 64, blocks + 7 * 64),
    ] {
        let dump = xxd(&bytes, from, to);
        // As a block of its own, or indented in a list item.
        let indented = dump.trim_end().replace('\n', "\n   ");
        assert!(
            doc.contains(dump.trim_end()) || doc.contains(&indented),
            "FORMAT.md does not quote bytes {from:#x}..{to:#x}:\n{dump}"
        );
    }
}
