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
const CPR_REGISTER: u32 = 14;
const CPR_WINDOWS: u32 = 5;
/// A register section: a header line, then blocks of one line (FORMAT.md 4.3).
const LINE_LEN: usize = 64;
const BLOCK_LEN: usize = 64;
const FLAGS_AT: usize = 63;
const COUNT: u8 = 0x3F;
const GOES_ON: u8 = 0x80;

/// A register section as FORMAT.md 4.3 describes it, read independently of
/// the library: what a reader in another language would write.
struct RegisterSection {
    /// Offset of block 0 in the file.
    blocks: usize,
    /// Number of blocks.
    len: usize,
    bits: u32,
    named: u64,
    /// Bytes per slot: 2 (narrow) or 4 (wide).
    slot_len: usize,
}

impl RegisterSection {
    fn of(bytes: &[u8], kind: u32) -> RegisterSection {
        let (start, len) = section(bytes, kind);
        let line = &bytes[start..start + LINE_LEN];
        RegisterSection {
            blocks: start + LINE_LEN,
            len: (len - LINE_LEN) / BLOCK_LEN,
            bits: u32::from(line[16]),
            named: u64::from_le_bytes(line[8..16].try_into().unwrap()),
            slot_len: [2, 4][usize::from(line[17])],
        }
    }

    /// Slots per block.
    fn slots(&self) -> usize {
        [0, 0, 21, 0, 12][self.slot_len]
    }

    /// Bits of a slot that hold the low bits of the mix.
    fn remainder_bits(&self) -> u32 {
        8 * self.slot_len as u32 - 2
    }

    fn codes_at(&self) -> usize {
        self.slots() * self.slot_len
    }

    /// `(offset, number of keys)` of each block.
    fn blocks(&self, bytes: &[u8]) -> Vec<(usize, usize)> {
        (0..self.len)
            .map(|i| {
                let at = self.blocks + i * BLOCK_LEN;
                (at, usize::from(bytes[at + FLAGS_AT] & COUNT))
            })
            .collect()
    }

    fn slot(&self, bytes: &[u8], block: usize, i: usize) -> u32 {
        let at = block + i * self.slot_len;
        let mut le = [0u8; 4];
        le[..self.slot_len].copy_from_slice(&bytes[at..at + self.slot_len]);
        u32::from_le_bytes(le)
    }

    /// FORMAT.md 4.3's mix.
    fn mix(&self, key: u32) -> u32 {
        let mask = (u64::from(u32::MAX) >> (32 - self.bits)) as u32;
        let shift = self.bits.div_ceil(2);
        let mut x = key & mask;
        x ^= x >> shift;
        x = x.wrapping_mul(0x7FEB_352D) & mask;
        x ^= x >> shift;
        x = x.wrapping_mul(0x846C_A68B) & mask;
        x ^ x >> shift
    }

    /// The block `key` is named to (FORMAT.md 4.3).
    fn named_block(&self, key: u32) -> usize {
        ((u64::from(self.mix(key)) * self.named) >> self.bits) as usize
    }

    /// FORMAT.md 6.3: the code byte of `key`, if the register holds it.
    fn find(&self, bytes: &[u8], key: u32) -> Option<u8> {
        if self.bits < 32 && key >> self.bits != 0 {
            return None;
        }
        let own = self.named_block(key);
        let remainder = self.mix(key) & ((1 << self.remainder_bits()) - 1);
        for distance in 0..4 {
            let block = self.blocks + (own + distance) * BLOCK_LEN;
            let flags = bytes[block + FLAGS_AT];
            let slot = remainder | (distance as u32) << self.remainder_bits();
            if let Some(i) =
                (0..usize::from(flags & COUNT)).find(|&i| self.slot(bytes, block, i) == slot)
            {
                return Some(bytes[block + self.codes_at() + i]);
            }
            if flags & GOES_ON == 0 {
                return None;
            }
        }
        None
    }
}

/// FORMAT.md's test values of the mix are what its steps give, as the
/// reader above computes them (which finds every key the index holds).
#[test]
fn the_mix_test_values_of_the_format_hold() {
    let doc = std::fs::read_to_string(common::root().join("FORMAT.md")).unwrap();
    let table = &doc[doc.find("Test values:").unwrap()..];
    let start = table.find('|').unwrap();
    let table = &table[start..start + table[start..].find("\n\n").unwrap()];
    let number = |cell: &str| -> u64 {
        let cell = cell.trim().replace(',', "");
        match cell.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).unwrap(),
            None => cell.parse().unwrap(),
        }
    };
    let mut rows = 0;
    for line in table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.contains("bits"))
    {
        let cells: Vec<&str> = line.trim_matches('|').split('|').collect();
        let bits = number(cells[0]) as u32;
        let key = number(cells[1]) as u32;
        let mix = number(cells[2].trim().trim_matches('`')) as u32;
        let register = RegisterSection {
            blocks: 0,
            len: 0,
            bits,
            named: 1,
            slot_len: 2,
        };
        assert_eq!(register.mix(key), mix, "bits {bits}, key {key}");
        rows += 1;
    }
    assert!(rows >= 5, "{rows} rows");
}

/// A reader of FORMAT.md alone finds every recipient of the index with the
/// code that says what the index says of it, and no key next to one.
#[test]
fn the_format_as_written_finds_what_the_index_holds() {
    let bytes = generated_bytes();
    let index = Index::from_bytes(bytes.clone()).unwrap();
    let register = RegisterSection::of(&bytes, CPR_REGISTER);
    let contacts: Vec<(tilmelding::Cpr, tilmelding::Contact)> = index
        .contacts(RecipientKind::Cpr)
        .map(|(recipient, contact)| match recipient {
            Recipient::Cpr(cpr) => (cpr, contact),
            Recipient::Cvr(_) => panic!("a CVR recipient in the CPR register"),
        })
        .collect();
    let keys: std::collections::BTreeSet<u32> = contacts.iter().map(|(c, _)| c.packed()).collect();
    let mut found = 0;
    for (cpr, contact) in contacts {
        let code = register
            .find(&bytes, cpr.packed())
            .expect("the key is found");
        // FORMAT.md 4.4: status, registration, NemSMS, window.
        let window = contact.exemption_start.is_some() || contact.exemption_end.is_some();
        let wanted = contact.status as u8
            | (contact.registration as u8) << 2
            | u8::from(contact.nemsms) << 5
            | u8::from(window) << 6;
        assert_eq!(code, wanted);
        for near in [cpr.packed() - 1, cpr.packed() + 1, cpr.packed() ^ 1 << 20] {
            assert_eq!(register.find(&bytes, near).is_some(), keys.contains(&near));
        }
        found += 1;
    }
    assert_eq!(found, index.metadata().cpr.by_status.iter().sum::<u64>());
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
    // Neither holds a directory of the registers: the file's bytes are all
    // a lookup reads besides the catalog's tables.
    assert_eq!(loaded.heap_size(), opened.heap_size());
    assert!(opened.heap_size() < 1 << 20, "{}", opened.heap_size());
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

/// A block that claims more keys than it has slots, counts that do not add
/// up to the register's header line, and a header line that names no
/// layout are refused at open, naming the section and what is wrong, even
/// with every checksum right.
#[test]
fn a_register_that_does_not_add_up_is_refused_at_open() {
    let original = generated_bytes();
    let register = RegisterSection::of(&original, CPR_REGISTER);
    let blocks = register.blocks(&original);
    let refused = |crafted: &mut Vec<u8>, what: &str| -> String {
        common::reseal(crafted);
        match Index::from_bytes(crafted.clone()) {
            Err(error) => error.to_string(),
            Ok(_) => panic!("{what}: opened"),
        }
    };
    let i = blocks.len() / 2;
    for count in [22u8, 63] {
        let mut crafted = original.clone();
        let flags = &mut crafted[blocks[i].0 + FLAGS_AT];
        *flags = *flags & !COUNT | count;
        let error = refused(&mut crafted, "too many keys");
        let wanted = format!(
            "block {i} says it holds {count} keys ({} at most)",
            register.slots()
        );
        assert!(
            error.contains("cpr_register") && error.contains(&wanted),
            "{error}"
        );
    }
    let (at, _) = *blocks.iter().find(|b| b.1 > 0).unwrap();
    let mut crafted = original.clone();
    crafted[at + FLAGS_AT] -= 1;
    let error = refused(&mut crafted, "a key fewer");
    assert!(error.contains("the header line says"), "{error}");

    let (start, _) = section(&original, CPR_REGISTER);
    for (at, value, wanted) in [
        (17, 2, "block shape 2"),
        (16, 15, "15 key bits"),
        (8, 0, "blocks of 64"),
        (30, 1, "reserved bytes"),
    ] {
        let mut crafted = original.clone();
        crafted[start + at] = value;
        let error = refused(&mut crafted, wanted);
        assert!(
            error.contains("cpr_register") && error.contains(wanted),
            "{wanted}: {error}"
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

    let register = RegisterSection::of(&original, CPR_REGISTER);
    let blocks = register.blocks(&original);
    let expect = |crafted: &mut Vec<u8>, what: &str, words: [&str; 2]| {
        reseal_with_snapshot(crafted);
        let error = verify_error(crafted, what);
        assert!(
            words.iter().all(|word| error.contains(word)),
            "{what}: {error}"
        );
    };

    // Two keys of a block swapped: out of the order of their mix.
    let &(at, _) = blocks.iter().find(|b| b.1 >= 3).unwrap();
    let width = register.slot_len;
    let mut crafted = original.clone();
    crafted[at + width..at + 3 * width].rotate_left(width);
    expect(&mut crafted, "swapped keys", ["cpr_register", "not where"]);

    // A key that is no CPR number (a day the month does not have...): the
    // last slot of a block moved on to the next mix that is not one, in its
    // place in the order of the mixes. Which mixes those are only a reader
    // of the mix knows: try the next few of several blocks.
    let impossible = blocks
        .iter()
        .filter(|b| b.1 >= 1)
        .flat_map(|&(at, count)| (1..8).map(move |step| (at, count - 1, step)))
        .find_map(|(at, last, step)| {
            let mut crafted = original.clone();
            let slot = register.slot(&crafted, at, last) + step;
            let slot_at = at + last * width;
            crafted[slot_at..slot_at + width].copy_from_slice(&slot.to_le_bytes()[..width]);
            reseal_with_snapshot(&mut crafted);
            let error = Index::from_bytes(crafted.clone()).unwrap().verify().err()?;
            error.to_string().contains("impossible").then_some(crafted)
        })
        .expect("a slot that names an impossible key");
    let error = verify_error(&impossible, "impossible key");
    assert!(error.contains("cpr_register"), "{error}");

    // A code in an unused slot of a block that is not full.
    let &(at, count) = blocks.iter().find(|b| b.1 < register.slots()).unwrap();
    let mut crafted = original.clone();
    crafted[at + register.codes_at() + count] = 0x04;
    expect(&mut crafted, "unused slot", ["cpr_register", "not zero"]);

    // A reserved bit in a code byte.
    let &(at, _) = blocks.iter().find(|b| b.1 > 0).unwrap();
    let mut crafted = original.clone();
    crafted[at + register.codes_at()] |= 0x80;
    expect(&mut crafted, "reserved bit", ["cpr_register", "reserved"]);

    // A code that claims an exemption window nobody wrote, and one that
    // loses its window.
    let has_window = |code: u8| code & 0x40 != 0;
    let codes_at = register.codes_at();
    let codes: Vec<usize> = blocks
        .iter()
        .flat_map(|&(at, count)| (0..count).map(move |j| at + codes_at + j))
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

/// Files of formats 1 and 2 (`tests/data/format-1.1.tlm` and
/// `format-2.0.tlm`, the fixture as earlier versions of tilmelding wrote
/// it) are refused with the error that tells the operator to rebuild them,
/// by a lookup's open and as the base of a delta build alike.
#[test]
fn files_of_earlier_formats_ask_for_a_rebuild() {
    for (name, major, minor) in [("format-1.1.tlm", 1, 1), ("format-2.0.tlm", 2, 0)] {
        let path = common::root().join("tests/data").join(name);
        let error = Index::open(&path).unwrap_err();
        assert!(
            matches!(
                error,
                tilmelding::OpenError::Invalid {
                    source: FormatError::UnsupportedVersion { major: m, minor: n },
                    ..
                } if (m, n) == (major, minor)
            ),
            "{name}: {error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(&format!("format {major}.{minor}"))
                && message.contains("rebuild the index"),
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
        assert!(error.to_string().contains("rebuild"), "{name}: {error}");
    }
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
/// length, snapshot id, section table, register header line and the block
/// it looks in.
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
    let (start, _) = section(&bytes, CPR_REGISTER);
    let register = RegisterSection::of(&bytes, CPR_REGISTER);
    // The example's key: 0707907890 packed.
    let block = register.blocks + register.named_block(999_197_890) * BLOCK_LEN;
    let sections = usize::from(bytes[16]);
    for (from, to) in [
        (128, 128 + 32 * sections),
        (start, start + LINE_LEN),
        (block, block + BLOCK_LEN),
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
