//! Entry points for the fuzz targets in `fuzz/`, compiled only under
//! `cfg(fuzzing)` (which `cargo fuzz` sets): not part of the API.

use roaring::RoaringBitmap;

use crate::format::{self, HEADER_LEN, Header, Probe, SECTION_ENTRY_LEN, SectionKind};

pub use crate::recipient::mask_input;

/// Where the header holds the file length (FORMAT.md).
const FILE_LEN_AT: usize = 104;
/// Where the header holds its own checksum, over the bytes before it.
const HEADER_CRC_AT: usize = HEADER_LEN - 4;

/// `bytes` laid out again with the header checksum, every section checksum,
/// the snapshot id and the file length recomputed, so that a mutated file
/// gets past the checks that would otherwise refuse it before any parser
/// (meta, fst, roaring, register) sees it. `None` if the header does not
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

/// Range widths that `any_in` is asked about around each probe: within a
/// word, across words, across a container, across two.
const WIDTHS: [u32; 9] = [0, 1, 63, 64, 65, 1000, 65535, 70000, 1 << 20];

/// Serializes `bitmap` with the `roaring` crate and checks that our reader
/// parses and validates the bytes and answers every query as the crate does:
/// at `probes`, around (a sample of) the members and at container edges.
/// Panics on any difference.
pub fn roaring_matches(bitmap: &RoaringBitmap, probes: &[u32]) {
    let mut bytes = Vec::with_capacity(bitmap.serialized_size());
    bitmap
        .serialize_into(&mut bytes)
        .expect("writing to a Vec never fails");
    compare(&bytes, bitmap, probes);
}

/// Arbitrary bytes as a serialized bitmap: refused, or every query answers
/// (never a panic), also when given other bytes than the parsed ones. Bytes
/// that pass `validate_contents` as well must be a bitmap that the `roaring`
/// crate reads, all of it, with the same members and answers.
pub fn roaring_bytes(bytes: &[u8], probes: &[u32]) {
    let Ok(layout) = Probe::parse_layout(bytes) else {
        return;
    };
    assert_eq!(layout.byte_len(), bytes.len());
    assert_eq!(layout.container_keys().count(), layout.container_count());
    assert!(layout.heap_size() >= 16 * layout.container_count());
    let _ = format!("{layout:?}");
    let keys: Vec<u32> = layout.container_keys().take(64).collect();
    let values: Vec<u32> = (probes.iter().copied().take(SAMPLE))
        .chain(
            keys.iter()
                .flat_map(|k| [0, 1, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF].map(|low| k << 16 | low)),
        )
        .collect();
    // Queries never panic, neither with the parsed bytes nor with others.
    for other in [bytes, &bytes[..bytes.len() / 2], &[]] {
        for &value in &values {
            let _ = layout.rank(other, value);
            let _ = layout.contains(other, value);
            if let Some(probe) = layout.probe(value) {
                assert_eq!(probe.value(), value);
                assert!(probe.rank_hint() <= probe.rank_last());
                let _ = (probe.byte_hint(), layout.rank_at(other, &probe));
            }
            for width in WIDTHS {
                let _ = layout.any_in(other, value, value.saturating_add(width));
            }
        }
        // A run container of 6 bytes can hold 65536 members: bounded.
        let _ = layout.iter(other).take(1 << 16).count();
    }

    if layout.validate_contents(bytes).is_err() {
        return;
    }
    let mut rest = bytes;
    let bitmap = RoaringBitmap::deserialize_from(&mut rest)
        .unwrap_or_else(|e| panic!("validate_contents accepts what roaring refuses: {e}"));
    assert!(rest.is_empty(), "roaring reads {} bytes fewer", rest.len());
    compare(bytes, &bitmap, &values);
}

/// Query values per check, at most, so that a run stays fast; each is asked
/// about at every width of [`WIDTHS`].
const SAMPLE: usize = 256;

/// Checks every answer of our reader on `bytes` against `bitmap`, which the
/// bytes serialize: the members, and ranks and ranges at `probes`, around a
/// sample of the members and at the edges of a sample of the containers.
/// Expected answers come from the crate's members as a sorted `Vec`, where
/// each costs a binary search (the crate's `rank` walks every container).
fn compare(bytes: &[u8], bitmap: &RoaringBitmap, probes: &[u32]) {
    let layout = Probe::parse_layout(bytes)
        .unwrap_or_else(|e| panic!("a serialization that roaring reads is refused: {e}"));
    assert_eq!(layout.validate_contents(bytes), Ok(()));
    assert_eq!(u64::from(layout.len()), bitmap.len());
    assert_eq!(layout.is_empty(), bitmap.is_empty());
    assert_eq!(layout.byte_len(), bytes.len());
    let members: Vec<u32> = bitmap.iter().collect();
    assert!(
        layout.iter(bytes).eq(members.iter().copied()),
        "the members differ"
    );
    let mut keys: Vec<u32> = members.iter().map(|value| value >> 16).collect();
    keys.dedup();
    assert!(layout.container_keys().eq(keys.iter().copied()));
    assert_eq!(layout.container_count(), keys.len());

    let mut values: Vec<u32> = probes.iter().copied().take(SAMPLE).collect();
    let step = keys.len().div_ceil(SAMPLE / 4).max(1);
    for key in keys.iter().step_by(step) {
        values.extend([key << 16, key << 16 | 0xFFFF]);
    }
    let step = members.len().div_ceil(SAMPLE / 4).max(1);
    for (rank, &member) in members.iter().enumerate().step_by(step) {
        assert_eq!(
            layout.rank(bytes, member),
            Some(rank as u32),
            "rank of {member}"
        );
        values.extend([
            member.wrapping_sub(1),
            member.wrapping_add(1),
            member ^ 0x8000,
        ]);
    }
    if let Some(&last) = members.last() {
        values.push(last);
    }
    for &value in &values {
        // Members below `value`, and the first member from `value` on.
        let below = members.partition_point(|&member| member < value);
        let next = members.get(below).copied();
        let expected = (next == Some(value)).then_some(below as u32);
        assert_eq!(bitmap.contains(value), expected.is_some());
        assert_eq!(layout.rank(bytes, value), expected, "rank of {value}");
        assert_eq!(layout.contains(bytes, value), expected.is_some(), "{value}");
        let probe = layout.probe(value);
        assert_eq!(probe.is_some(), keys.binary_search(&(value >> 16)).is_ok());
        if let Some(probe) = probe {
            assert_eq!(probe.value(), value);
            assert_eq!(
                layout.rank_at(bytes, &probe),
                expected,
                "rank_at of {value}"
            );
            assert!(probe.rank_hint() <= probe.rank_last());
            assert!(expected.is_none_or(|rank| probe.rank_hint() <= rank));
            assert!(probe.byte_hint() <= bytes.len());
        }
        for width in WIDTHS {
            let hi = value.saturating_add(width);
            assert_eq!(
                layout.any_in(bytes, value, hi),
                next.is_some_and(|next| next <= hi),
                "any in {value}..={hi}"
            );
        }
    }
    assert!(!layout.any_in(bytes, 1, 0));
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
