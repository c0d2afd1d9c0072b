//! Entry points for the fuzz targets in `fuzz/`, compiled only under
//! `cfg(fuzzing)` (which `cargo fuzz` sets): not part of the API.

use std::collections::BTreeMap;

use crate::format::{
    self, Code, Counts, FormatError, HEADER_LEN, Header, KeyCheck, Register, SECTION_ENTRY_LEN,
    SectionKind,
};

pub use crate::recipient::mask_input;

/// Where the header holds the file length (FORMAT.md).
const FILE_LEN_AT: usize = 104;
/// Where the header holds its own checksum, over the bytes before it.
const HEADER_CRC_AT: usize = HEADER_LEN - 4;

/// `bytes` laid out again with the header checksum, every section checksum,
/// the snapshot id and the file length recomputed, so that a mutated file
/// gets past the checks that would otherwise refuse it before any parser
/// (meta, fst, register) sees it. `None` if the header does not
/// decode even then (shorter than a header, wrong magic or major version, a
/// field out of range).
///
/// The section table is taken as it stands, each section clamped to the
/// file, rather than read with `read_sections`: a mutation that inserts or
/// removes bytes shifts every later section, which `read_sections` refuses
/// but which still makes sections worth parsing. Entries of unknown kinds are
/// dropped (`assemble` writes only known ones).
pub fn reseal(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut header = bytes.get(..HEADER_LEN)?.to_vec();
    // Decoded alone, the header must give its own length.
    header[FILE_LEN_AT..FILE_LEN_AT + 8].copy_from_slice(&(HEADER_LEN as u64).to_le_bytes());
    let crc = crc32fast::hash(&header[..HEADER_CRC_AT]);
    header[HEADER_CRC_AT..].copy_from_slice(&crc.to_le_bytes());
    let header = Header::decode(&header).ok()?;

    let clamp = |n: u64| usize::try_from(n).map_or(bytes.len(), |n| n.min(bytes.len()));
    let sections: Vec<(SectionKind, &[u8])> = bytes[HEADER_LEN..]
        .chunks_exact(SECTION_ENTRY_LEN)
        .take(header.section_count as usize)
        .filter_map(|entry| {
            let kind = format::u32_at(entry, 0);
            let kind = SectionKind::ALL.into_iter().find(|k| *k as u32 == kind)?;
            let start = clamp(format::u64_at(entry, 8));
            let end = clamp(format::u64_at(entry, 16)).saturating_add(start);
            Some((kind, &bytes[start..end.min(bytes.len())]))
        })
        .collect();
    Some(format::assemble(header, &sections))
}

/// The register section of `entries` (key → code byte, the code's window
/// and reserved bits cleared), as the builder encodes it.
pub fn encode_register(entries: &BTreeMap<u32, u8>) -> Vec<u8> {
    let codes: Vec<(u32, u8)> = entries.iter().map(|(&k, &c)| (k, c & CODE_BITS)).collect();
    format::encode_register(&codes)
}

/// The bits of a code byte a register without windows may hold.
const CODE_BITS: u8 = 0x3F;

/// `entries` (key → code byte) encoded as the builder encodes a register:
/// it opens and verifies, every key is found with its code, no other key of
/// `probes` or around the keys is found, and the register lists exactly the
/// entries, in order. Panics on any difference.
pub fn register_matches(entries: &BTreeMap<u32, u8>, probes: &[u32]) {
    let section = encode_register(entries);
    let register = open(&section).expect("what the builder writes opens");
    assert_eq!(register.len(), entries.len() as u64);
    register
        .verify(&section, NAMES, KeyCheck::Each(|_| true))
        .expect("what the builder writes verifies");
    let listed: Vec<(u32, u8)> = register
        .contacts(&section)
        .map(|(k, c)| (k, format::encode(&c)))
        .collect();
    let expected: Vec<(u32, u8)> = entries.iter().map(|(&k, &c)| (k, c & CODE_BITS)).collect();
    assert_eq!(listed, expected, "the register lists other entries");
    let code = |key| {
        register
            .probe(key)
            .and_then(|p| register.code(&section, &p))
    };
    for (&key, &c) in entries.iter().take(SAMPLE * 16) {
        assert_eq!(code(key).map(|c| c.0), Some(c & CODE_BITS), "key {key:#x}");
    }
    let around = entries
        .keys()
        .take(SAMPLE)
        .flat_map(|&k| [k.wrapping_sub(1), k.wrapping_add(1), k ^ 0x8000]);
    for probe in probes.iter().copied().take(SAMPLE).chain(around) {
        assert_eq!(
            code(probe).map(|c| c.0),
            entries.get(&probe).map(|c| c & CODE_BITS),
            "key {probe:#x}"
        );
    }
}

/// Arbitrary bytes as a register section: refused at open, or every
/// lookup answers, never a panic; and if they verify as well, the register
/// lists increasing keys, each of which a lookup finds with its listed
/// code.
pub fn register_bytes(bytes: &[u8], probes: &[u32]) {
    let Ok(register) = open(bytes) else {
        return;
    };
    let code = |key| register.probe(key).and_then(|p| register.code(bytes, &p));
    let listed: Vec<(u32, Code)> = register
        .contacts(bytes)
        .take(1 << 16)
        .map(|(k, c)| (k, Code(format::encode(&c))))
        .collect();
    for &probe in probes.iter().take(SAMPLE) {
        let _ = code(probe);
    }
    if register
        .verify(bytes, NAMES, KeyCheck::Each(|_| true))
        .is_err()
    {
        return;
    }
    assert!(
        listed.windows(2).all(|w| w[0].0 < w[1].0),
        "verified keys that do not increase"
    );
    for (key, listed) in listed.into_iter().take(SAMPLE * 16) {
        // Windows are empty here, so the listed code has no window bit.
        assert_eq!(
            code(key).map(|c| c.0 & CODE_BITS),
            Some(listed.0),
            "key {key:#x}"
        );
    }
}

/// Query values per check, at most, so that a run stays fast.
const SAMPLE: usize = 256;

const NAMES: [&str; 2] = ["register", "windows"];

/// A register section alone, at the start of the bytes, without windows.
fn open(section: &[u8]) -> Result<Register, FormatError> {
    let end = section.len();
    Register::open(section, 0..end, end..end, Counts::of(section), NAMES)
}

/// Arbitrary bytes as an NgDP page and as NDJSON: reading fails cleanly or
/// maps every contact, never a panic, and no message quotes a digit run
/// longer than the six a masked CPR number keeps, but for a CVR number
/// (the input's numbers are personal data). A page that reads must be what its counts say, or the
/// check must say why not.
pub fn ngdp(bytes: &[u8]) {
    use crate::extract::ngdp::{self, Shape, check_pages};

    let path = std::path::Path::new("fuzz.json");
    for shape in [Shape::Pages, Shape::Ndjson] {
        let mut messages = Vec::new();
        let mut contacts = 0u64;
        let read = ngdp::read(
            std::io::Cursor::new(bytes.to_vec()),
            path,
            0,
            shape,
            &mut |position, mapped| {
                assert_eq!(ngdp::unpack(position).0, 0);
                let _ = mapped.record.recipient.masked().to_string();
                contacts += 1;
            },
            &mut |error| messages.push(error.to_string()),
            &mut |_| {},
        );
        match read {
            Ok(read) => {
                assert_eq!(read.contacts, contacts + messages.len() as u64);
                if let Some(page) = read.page {
                    if let Err(problems) = check_pages(&[(path.to_owned(), page)]) {
                        messages.extend(problems);
                    }
                }
            }
            Err(error) => messages.push(error.to_string()),
        }
        for message in &messages {
            for run in message.split(|c: char| !c.is_ascii_digit()) {
                // Counts are written with thousands separators and
                // positions are small: seven digits in a row come from the
                // input, and only a CVR number (not personal) may show.
                let cvr = run.len() == 8 && run.parse::<crate::Cvr>().is_ok();
                assert!(run.len() < 7 || cvr, "a message quotes a number: {message}");
            }
        }
    }
}
