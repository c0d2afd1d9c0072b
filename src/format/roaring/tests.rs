use super::container::{BITMAP_BYTES, Container, read_u32};
use super::directory::{Directory, SEGMENTS};
use super::parse::{RoaringError, SERIAL_COOKIE, SERIAL_COOKIE_NO_RUNCONTAINER};
use super::*;
use ::roaring::RoaringBitmap;
use proptest::prelude::*;

fn serialize(rb: &RoaringBitmap) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(rb.serialized_size());
    rb.serialize_into(&mut bytes).unwrap();
    bytes
}

fn cookie(bytes: &[u8]) -> u32 {
    read_u32(bytes, 0).unwrap()
}

fn has_run_cookie(bytes: &[u8]) -> bool {
    cookie(bytes) & 0xFFFF == SERIAL_COOKIE
}

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Checks every query against `rb`, and returns the serialized bytes.
fn check(rb: &RoaringBitmap) -> Vec<u8> {
    let bytes = serialize(rb);
    let layout = RoaringLayout::parse(&bytes).unwrap();
    assert_eq!(u64::from(layout.len()), rb.len());
    assert_eq!(layout.is_empty(), rb.is_empty());
    assert_eq!(layout.byte_len(), bytes.len());
    assert_eq!(layout.validate_contents(&bytes), Ok(()));
    assert!(layout.heap_size() >= layout.container_count() * 16);
    assert!(layout.iter(&bytes).eq(rb.iter()), "iter differs");

    let members: Vec<u32> = rb.iter().collect();
    let step = (members.len() / 3000).max(1);
    let mut probes: Vec<u32> = vec![0, 1, u32::MAX, u32::MAX - 1, 65535, 65536];
    for (position, &value) in members.iter().enumerate().step_by(step) {
        assert_eq!(
            layout.rank(&bytes, value),
            Some(position as u32),
            "rank of member {value}"
        );
        assert!(layout.contains(&bytes, value));
        probes.extend([value.wrapping_sub(1), value.wrapping_add(1), value ^ 0x8000]);
    }
    if let (Some(&first), Some(&last)) = (members.first(), members.last()) {
        assert_eq!(layout.rank(&bytes, first), Some(0));
        assert_eq!(layout.rank(&bytes, last), Some(layout.len() - 1));
        probes.extend([first & 0xFFFF_0000, last | 0xFFFF]);
    }
    let mut rng = Rng(u64::from(layout.len()) | 1);
    probes.extend((0..200).map(|_| rng.next() as u32));
    // Ranges around the probes, of every width up to two containers.
    for (i, &lo) in probes.iter().enumerate() {
        let width = [0, 1, 63, 64, 65, 1000, 65535, 70000][i % 8];
        let hi = lo.saturating_add(width);
        let below_lo = if lo == 0 { 0 } else { rb.rank(lo - 1) };
        let expected = rb.rank(hi) > below_lo;
        assert_eq!(
            layout.any_in(&bytes, lo, hi),
            expected,
            "any in {lo}..={hi}"
        );
    }
    for value in probes {
        let expected = rb.contains(value).then(|| (rb.rank(value) - 1) as u32);
        assert_eq!(layout.rank(&bytes, value), expected, "rank of {value}");
        assert_eq!(
            layout.contains(&bytes, value),
            rb.contains(value),
            "{value}"
        );
    }
    bytes
}

/// Every query on bytes that `parse` accepted: must not panic; if the
/// contents validate, the answers must agree with each other.
fn exercise(bytes: &[u8]) {
    let Ok(layout) = RoaringLayout::parse(bytes) else {
        return;
    };
    assert_eq!(layout.byte_len(), bytes.len());
    let valid = layout.validate_contents(bytes).is_ok();
    let mut count: u64 = 0;
    let mut previous: Option<u32> = None;
    for value in layout.iter(bytes) {
        if valid {
            assert!(previous.is_none_or(|p| p < value));
        }
        // Query the first members, then every 97th: a corrupted length can
        // declare 65536 members per container.
        if count < 512 || count.is_multiple_of(97) {
            let rank = layout.rank(bytes, value);
            let contains = layout.contains(bytes, value);
            if valid {
                assert_eq!(rank, Some(count as u32));
                assert!(contains);
            }
        }
        previous = Some(value);
        count += 1;
    }
    if valid {
        assert_eq!(count, u64::from(layout.len()));
    }
    for value in [0, 1, 7, 255, 256, 4096, 65535, 65536, 1 << 20, u32::MAX] {
        let rank = layout.rank(bytes, value);
        let contains = layout.contains(bytes, value);
        if valid {
            assert_eq!(rank.is_some(), contains);
        }
    }
    // Other bytes: unspecified answers, but no panic.
    let short = bytes.get(..bytes.len() / 2).unwrap_or_default();
    for other in [short, &[][..]] {
        let _ = layout.validate_contents(other);
        let _ = layout.iter(other).take(1000).count();
        for value in [0, 1, 65535, 65536, u32::MAX] {
            let _ = layout.rank(other, value);
            let _ = layout.contains(other, value);
        }
    }
}

/// How many single-byte changes [`corrupt_all`] tries per byte.
#[derive(Clone, Copy, PartialEq)]
enum Changes {
    /// All 255 other values, each followed by every query.
    Every,
    /// A few telling values, each followed by every query.
    Sampled,
    /// A few values, each followed by parse, validation and one rank, at
    /// every byte of the first and last 256 and every 13th byte between
    /// (for 8 KiB bitmap containers).
    Light,
}

/// Every strict prefix must fail to parse, and so must one extra byte;
/// single-byte changes must either fail to parse or leave all queries
/// panic-free (and consistent when the contents validate).
fn corrupt_all(bytes: &[u8], changes: Changes) {
    for end in 0..bytes.len() {
        assert!(
            RoaringLayout::parse(&bytes[..end]).is_err(),
            "prefix of {end} bytes parsed"
        );
    }
    let mut extended = bytes.to_vec();
    extended.push(0);
    assert!(matches!(
        RoaringLayout::parse(&extended),
        Err(RoaringError::TrailingBytes { .. })
    ));

    let mut copy = bytes.to_vec();
    for position in 0..bytes.len() {
        if changes == Changes::Light
            && position >= 256
            && position + 256 < bytes.len()
            && position % 13 != 0
        {
            continue;
        }
        let original = copy[position];
        let values: Vec<u8> = match changes {
            Changes::Every => (0..=u8::MAX).collect(),
            Changes::Sampled => vec![
                0,
                1,
                2,
                0x7F,
                0x80,
                0xFE,
                0xFF,
                original.wrapping_add(1),
                original.wrapping_sub(1),
                original ^ 0x10,
            ],
            Changes::Light => vec![original ^ 1, original ^ 0x80, 0, 0xFF],
        };
        for byte in values {
            if byte == original {
                continue;
            }
            copy[position] = byte;
            if changes == Changes::Light {
                let _ = RoaringLayout::parse(&copy).map(|layout| {
                    let _ = layout.validate_contents(&copy);
                    let _ = layout.rank(&copy, u32::from(original));
                });
            } else {
                exercise(&copy);
            }
        }
        copy[position] = original;
    }
}

/// Little-endian byte builder for hand-made fixtures.
#[derive(Default)]
struct Builder(Vec<u8>);

impl Builder {
    fn u16(mut self, value: u16) -> Self {
        self.0.extend_from_slice(&value.to_le_bytes());
        self
    }
    fn u32(mut self, value: u32) -> Self {
        self.0.extend_from_slice(&value.to_le_bytes());
        self
    }
    fn u8(mut self, value: u8) -> Self {
        self.0.push(value);
        self
    }
    fn bytes(mut self, value: &[u8]) -> Self {
        self.0.extend_from_slice(value);
        self
    }
}

#[test]
fn container_record_is_small() {
    assert_eq!(std::mem::size_of::<Container>(), 16);
}

#[test]
fn empty_bitmap() {
    let bytes = check(&RoaringBitmap::new());
    // roaring writes the no-run cookie with a count of 0.
    assert_eq!(bytes, Builder::default().u32(12346).u32(0).0);
    let layout = RoaringLayout::parse(&bytes).unwrap();
    assert!(layout.is_empty());
    assert_eq!(layout.container_count(), 0);
    assert_eq!(layout.heap_size(), 0);
    assert_eq!(layout.rank(&bytes, 0), None);
    assert!(!layout.contains(&bytes, u32::MAX));
    assert_eq!(layout.iter(&bytes).next(), None);
    corrupt_all(&bytes, Changes::Every);
}

#[test]
fn edge_values() {
    for values in [
        vec![0],
        vec![u32::MAX],
        vec![0, u32::MAX],
        vec![65535, 65536],
        vec![0, 1, 2, u32::MAX - 2, u32::MAX - 1, u32::MAX],
    ] {
        let rb: RoaringBitmap = values.iter().copied().collect();
        let bytes = check(&rb);
        assert_eq!(cookie(&bytes), SERIAL_COOKIE_NO_RUNCONTAINER);
    }
}

#[test]
fn hand_built_no_run_cookie() {
    // Containers {1, 5, 9} at key 0 and {7} at key 5; offsets 24 and 30.
    let bytes = Builder::default()
        .u32(12346)
        .u32(2)
        .u16(0)
        .u16(2)
        .u16(5)
        .u16(0)
        .u32(24)
        .u32(30)
        .u16(1)
        .u16(5)
        .u16(9)
        .u16(7)
        .0;
    let rb: RoaringBitmap = [1, 5, 9, (5 << 16) | 7].into_iter().collect();
    assert_eq!(bytes, serialize(&rb));
    assert_eq!(check(&rb), bytes);
    let layout = RoaringLayout::parse(&bytes).unwrap();
    assert_eq!(layout.container_count(), 2);
    assert_eq!(layout.rank(&bytes, 9), Some(2));
    assert_eq!(layout.rank(&bytes, (5 << 16) | 7), Some(3));
    assert_eq!(layout.rank(&bytes, (4 << 16) | 7), None);
    assert_eq!(layout.rank(&bytes, (6 << 16) | 7), None);
    corrupt_all(&bytes, Changes::Every);
}

#[test]
fn hand_built_bitmap_container() {
    // Even low values 0..10000 at key 3 (5000 members: a bitmap).
    let mut words = vec![0u8; BITMAP_BYTES];
    for value in (0..10000usize).step_by(2) {
        words[value / 8] |= 1 << (value % 8);
    }
    let bytes = Builder::default()
        .u32(12346)
        .u32(1)
        .u16(3)
        .u16(4999)
        .u32(16)
        .bytes(&words)
        .0;
    let rb: RoaringBitmap = (0..10000).step_by(2).map(|v| (3 << 16) | v).collect();
    assert_eq!(bytes, serialize(&rb));
    check(&rb);
    let layout = RoaringLayout::parse(&bytes).unwrap();
    assert_eq!(layout.rank(&bytes, (3 << 16) | 9998), Some(4999));
    assert_eq!(layout.rank(&bytes, (3 << 16) | 9999), None);
    corrupt_all(&bytes, Changes::Light);
}

#[test]
fn hand_built_run_cookie_without_offsets() {
    // Run container 10..=14 and 20 at key 0, array {3} at key 1.
    let bytes = Builder::default()
        .u32(12347 | (1 << 16))
        .u8(0b01)
        .u16(0)
        .u16(5)
        .u16(1)
        .u16(0)
        .u16(2)
        .u16(10)
        .u16(4)
        .u16(20)
        .u16(0)
        .u16(3)
        .0;
    let layout = RoaringLayout::parse(&bytes).unwrap();
    assert_eq!(layout.validate_contents(&bytes), Ok(()));
    let members: Vec<u32> = layout.iter(&bytes).collect();
    assert_eq!(members, [10, 11, 12, 13, 14, 20, 65536 + 3]);
    let rb = RoaringBitmap::deserialize_from(&bytes[..]).unwrap();
    assert!(rb.iter().eq(members.iter().copied()));
    for (position, value) in members.iter().enumerate() {
        assert_eq!(layout.rank(&bytes, *value), Some(position as u32));
    }
    assert_eq!(layout.rank(&bytes, 15), None);
    assert_eq!(layout.rank(&bytes, 9), None);
    corrupt_all(&bytes, Changes::Every);
}

#[test]
fn roaring_writes_run_containers() {
    // insert_range builds run containers directly (ranges over 2 values).
    let mut rb = RoaringBitmap::new();
    rb.insert_range(100..1000);
    let bytes = check(&rb);
    assert_eq!(cookie(&bytes), 12347);
    assert_eq!(bytes.len(), 4 + 1 + 4 + 2 + 4);
    corrupt_all(&bytes, Changes::Every);

    // remove_run_compression goes back to the no-run cookie.
    rb.remove_run_compression();
    let bytes = check(&rb);
    assert_eq!(cookie(&bytes), SERIAL_COOKIE_NO_RUNCONTAINER);

    // optimize() turns it back into runs.
    rb.optimize();
    assert!(has_run_cookie(&check(&rb)));

    // A full container is a single run, with or without optimize().
    let mut full = RoaringBitmap::new();
    full.insert_range(65536..131072);
    let bytes = check(&full);
    assert!(has_run_cookie(&bytes));

    // Mixed kinds and >= 4 containers: offset header present.
    let mut mixed = RoaringBitmap::new();
    mixed.insert_range(0..70000);
    mixed.extend((0..6000).map(|v| (5 << 16) | (v * 7)));
    mixed.extend([(9 << 16) | 1, (9 << 16) | 3]);
    mixed.insert_range((12 << 16) + 5..(12 << 16) + 9);
    mixed.insert(u32::MAX);
    let bytes = check(&mixed);
    let count = (cookie(&bytes) >> 16) + 1;
    assert_eq!(count, 6);
    assert!(has_run_cookie(&bytes));
    corrupt_all(&bytes, Changes::Light);

    // Run and array, < 4 containers: no offset header.
    let mut small = RoaringBitmap::new();
    small.insert_range(5..9);
    small.extend([65536 + 2, 65536 + 4, 131072]);
    let bytes = check(&small);
    assert_eq!(cookie(&bytes), 12347 | (2 << 16));
    corrupt_all(&bytes, Changes::Every);

    // Four containers, all tiny, with one run: smallest offset-header case.
    let mut four = RoaringBitmap::new();
    four.insert_range(0..3);
    four.extend([65536, 2 * 65536 + 9, 3 * 65536 + 1]);
    let bytes = check(&four);
    assert_eq!(cookie(&bytes), 12347 | (3 << 16));
    corrupt_all(&bytes, Changes::Every);
}

#[test]
fn many_runs_rank_from_both_ends() {
    let mut rb = RoaringBitmap::new();
    for start in (0..65536u32).step_by(37) {
        rb.insert_range(start..start + 20);
    }
    rb.insert_range(1 << 20..(1 << 20) + 65536);
    rb.optimize();
    assert!(has_run_cookie(&check(&rb)));
    // Bitmap container with members near both ends of its words.
    let mut dense = RoaringBitmap::new();
    dense.extend((0..65536u32).filter(|v| v % 3 != 0));
    assert_eq!(cookie(&check(&dense)), SERIAL_COOKIE_NO_RUNCONTAINER);
}

fn error_of(bytes: &[u8]) -> RoaringError {
    RoaringLayout::parse(bytes).unwrap_err()
}

#[test]
fn structural_errors() {
    assert_eq!(
        error_of(&[0x3a, 0x30]),
        RoaringError::Truncated {
            needed: 4,
            available: 2
        }
    );
    assert_eq!(
        error_of(&Builder::default().u32(12346).0),
        RoaringError::Truncated {
            needed: 8,
            available: 4
        }
    );
    assert_eq!(
        error_of(&Builder::default().u32(12345).u32(0).0),
        RoaringError::BadCookie(12345)
    );
    assert_eq!(
        error_of(&Builder::default().u32(12346).u32(65537).0),
        RoaringError::TooManyContainers { count: 65537 }
    );
    // Header of 2 containers needs 8 + 16 bytes.
    assert_eq!(
        error_of(&Builder::default().u32(12346).u32(2).u32(0).0),
        RoaringError::Truncated {
            needed: 24,
            available: 12
        }
    );
    let keys = Builder::default()
        .u32(12346)
        .u32(2)
        .u16(5)
        .u16(0)
        .u16(5)
        .u16(0)
        .u32(24)
        .u32(26)
        .u16(1)
        .u16(1)
        .0;
    assert_eq!(
        error_of(&keys),
        RoaringError::KeysNotIncreasing {
            container: 1,
            key: 5,
            previous: 5
        }
    );
    let offset = Builder::default()
        .u32(12346)
        .u32(1)
        .u16(0)
        .u16(0)
        .u32(18)
        .u16(1)
        .u16(1)
        .0;
    assert_eq!(
        error_of(&offset),
        RoaringError::BadOffset {
            container: 0,
            offset: 18,
            expected: 16
        }
    );
    let trailing = Builder::default()
        .u32(12346)
        .u32(1)
        .u16(0)
        .u16(0)
        .u32(16)
        .u16(1)
        .u16(1)
        .0;
    assert_eq!(
        error_of(&trailing),
        RoaringError::TrailingBytes {
            expected: 18,
            actual: 20
        }
    );
    let short = Builder::default()
        .u32(12346)
        .u32(1)
        .u16(0)
        .u16(1)
        .u32(16)
        .u16(1)
        .0;
    assert_eq!(
        error_of(&short),
        RoaringError::ContainerTruncated {
            container: 0,
            offset: 16,
            needed: 20,
            available: 18
        }
    );
    let no_runs = Builder::default().u32(12347).u8(1).u16(0).u16(0).u16(0).0;
    assert!(matches!(
        error_of(&no_runs),
        RoaringError::InvalidContainer {
            container: 0,
            offset: 9,
            ..
        }
    ));
    let too_many_runs = Builder::default()
        .u32(12347)
        .u8(1)
        .u16(0)
        .u16(0)
        .u16(2)
        .u32(0)
        .u32(0)
        .0;
    assert!(matches!(
        error_of(&too_many_runs),
        RoaringError::InvalidContainer { container: 0, .. }
    ));
    // Messages say what and where.
    let message = error_of(&offset).to_string();
    assert!(message.contains("container 0") && message.contains("18"));
}

/// 65536 full single-run containers hold 2^32 members: one too many.
#[test]
fn cardinality_must_fit_u32() {
    let build = |last_card_minus_one: u16| {
        let mut b = Builder::default().u32(12347 | (0xFFFF << 16));
        b = b.bytes(&[0xFF; 8192]);
        for key in 0..=u16::MAX {
            let card = if key == u16::MAX {
                last_card_minus_one
            } else {
                u16::MAX
            };
            b = b.u16(key).u16(card);
        }
        let header = 4 + 8192 + 8 * 65536;
        for index in 0..65536u32 {
            b = b.u32(header + 6 * index);
        }
        for key in 0..=u16::MAX {
            let card = if key == u16::MAX {
                last_card_minus_one
            } else {
                u16::MAX
            };
            b = b.u16(1).u16(0).u16(card);
        }
        b.0
    };
    let bytes = build(u16::MAX);
    assert_eq!(
        error_of(&bytes),
        RoaringError::CardinalityOverflow { container: 65535 }
    );
    let bytes = build(u16::MAX - 1);
    let layout = RoaringLayout::parse(&bytes).unwrap();
    assert_eq!(layout.len(), u32::MAX);
    assert_eq!(layout.container_count(), 65536);
    assert_eq!(layout.validate_contents(&bytes), Ok(()));
    assert_eq!(layout.rank(&bytes, 0), Some(0));
    assert_eq!(layout.rank(&bytes, u32::MAX - 1), Some(u32::MAX - 1));
    assert_eq!(layout.rank(&bytes, u32::MAX), None);
    assert_eq!(layout.heap_size(), 65536 * (16 + 64) + 65536 * 4);
}

#[test]
fn content_errors() {
    let detail = |bytes: &[u8]| match RoaringLayout::parse(bytes)
        .unwrap()
        .validate_contents(bytes)
    {
        Err(RoaringError::InvalidContainer { detail, .. }) => detail,
        other => panic!("expected an invalid container, got {other:?}"),
    };
    let array = |values: &[u16]| {
        let mut b = Builder::default()
            .u32(12346)
            .u32(1)
            .u16(0)
            .u16(values.len() as u16 - 1)
            .u32(16);
        for &v in values {
            b = b.u16(v);
        }
        b.0
    };
    assert!(detail(&array(&[3, 3])).contains("increasing"));
    assert!(detail(&array(&[4, 3])).contains("increasing"));
    let runs = |card_minus_one: u16, runs: &[(u16, u16)]| {
        let mut b = Builder::default()
            .u32(12347)
            .u8(1)
            .u16(0)
            .u16(card_minus_one)
            .u16(runs.len() as u16);
        for &(start, length) in runs {
            b = b.u16(start).u16(length);
        }
        b.0
    };
    assert!(detail(&runs(3, &[(5, 1), (6, 1)])).contains("overlap"));
    assert!(detail(&runs(3, &[(9, 1), (5, 1)])).contains("overlap"));
    assert!(detail(&runs(3, &[(5, 1), (7, 1)])).contains("adjacent"));
    assert!(detail(&runs(3, &[(5, 1), (8, 0)])).contains("add up"));
    assert!(detail(&runs(1, &[(65535, 1)])).contains("65535"));
    let mut words = vec![0u8; BITMAP_BYTES];
    words[..600].fill(0xFF);
    let bitmap = Builder::default()
        .u32(12346)
        .u32(1)
        .u16(0)
        .u16(4800)
        .u32(16)
        .bytes(&words)
        .0;
    assert!(detail(&bitmap).contains("population"));
    // Valid fixtures of each kind pass.
    for bytes in [array(&[1, 2, 60000]), runs(3, &[(5, 1), (8, 1)])] {
        let layout = RoaringLayout::parse(&bytes).unwrap();
        assert_eq!(layout.validate_contents(&bytes), Ok(()));
    }
}

/// Array containers of every size around the rank directory's and the
/// window's boundaries (segments of 1, 2, 64 and more than 64 values; fewer
/// values than the window), spread evenly or bunched at either end or in the
/// middle: every one of the 65536 values of the container gets the rank
/// `roaring` gives it.
#[test]
fn array_ranks_around_every_boundary() {
    let sizes = [
        1, 2, 31, 32, 33, 63, 64, 65, 95, 96, 97, 2047, 2048, 2049, 2112, 4095, 4096,
    ];
    let spreads: [fn(u32, u32) -> u32; 4] = [
        |i, n| i * (65536 / n),
        |i, _| i,
        |i, n| 65535 - (n - 1 - i),
        |i, _| 30000 + 3 * i,
    ];
    for n in sizes {
        for (which, spread) in spreads.iter().enumerate() {
            let high = 7 << 16;
            let rb: RoaringBitmap = (0..n).map(|i| high | spread(i, n)).collect();
            assert_eq!(rb.len(), u64::from(n), "size {n}, spread {which}");
            let bytes = serialize(&rb);
            let layout = RoaringLayout::parse(&bytes).unwrap();
            for low in 0..=0xFFFF {
                let value = high | low;
                let expected = rb.contains(value).then(|| (rb.rank(value) - 1) as u32);
                assert_eq!(
                    layout.rank(&bytes, value),
                    expected,
                    "size {n}, spread {which}, value {low}"
                );
            }
        }
    }
}

/// A value set with containers under `keys`, of varied kinds.
fn build(keys: &[u16], seed: u64, kinds: u8) -> RoaringBitmap {
    let mut rng = Rng(seed | 1);
    let mut rb = RoaringBitmap::new();
    for (index, &key) in keys.iter().enumerate() {
        let high = u32::from(key) << 16;
        match (kinds >> (2 * (index % 4))) & 3 {
            // Sparse array.
            0 => {
                let n = rng.next() % 300 + 1;
                rb.extend((0..n).map(|_| high | (rng.next() as u32 & 0xFFFF)));
            }
            // Dense bitmap (> 4096 members).
            1 => {
                let threshold = rng.next() % 200 + 30;
                rb.extend(
                    (0..65536u32)
                        .filter(|_| rng.next() % 256 < threshold)
                        .map(|low| high | low),
                );
            }
            // Ranges (run containers), sometimes with stray values.
            2 => {
                for _ in 0..rng.next() % 20 + 1 {
                    let start = rng.next() as u32 & 0xFFFF;
                    let len = (rng.next() % 3000) as u32 + 1;
                    rb.insert_range(high | start..=high | (start + len).min(0xFFFF));
                }
                for _ in 0..rng.next() % 4 {
                    rb.insert(high | (rng.next() as u32 & 0xFFFF));
                }
            }
            // Every other value in a stretch: arrays or bitmaps that
            // optimize() keeps.
            _ => {
                let start = rng.next() as u32 % 30000;
                let n = rng.next() as u32 % 12000 + 1;
                rb.extend((start..start + 2 * n).step_by(2).map(|low| high | low));
            }
        }
    }
    rb
}

fn keys_strategy(max: usize) -> impl Strategy<Value = Vec<u16>> {
    prop::collection::btree_set(
        prop_oneof![0u16..8, any::<u16>(), (u16::MAX - 8)..=u16::MAX],
        0..max,
    )
    .prop_map(|keys| keys.into_iter().collect())
}

fn value_strategy() -> impl Strategy<Value = u32> {
    prop_oneof![
        any::<u32>(),
        0u32..300,
        (u32::MAX - 300)..=u32::MAX,
        (0u32..6, any::<u16>()).prop_map(|(key, low)| (key << 16) | u32::from(low)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sparse_sets_match_roaring(values in prop::collection::vec(value_strategy(), 0..400)) {
        let rb: RoaringBitmap = values.into_iter().collect();
        let bytes = check(&rb);
        prop_assert_eq!(cookie(&bytes), SERIAL_COOKIE_NO_RUNCONTAINER);
    }

    #[test]
    fn mixed_sets_match_roaring(
        keys in keys_strategy(7),
        seed in any::<u64>(),
        kinds in any::<u8>(),
        optimize in any::<bool>(),
        strip_runs in any::<bool>(),
    ) {
        let mut rb = build(&keys, seed, kinds);
        if optimize {
            rb.optimize();
        }
        if strip_runs {
            rb.remove_run_compression();
        }
        let bytes = check(&rb);
        if strip_runs {
            prop_assert_eq!(cookie(&bytes), SERIAL_COOKIE_NO_RUNCONTAINER);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        exercise(&bytes);
    }

    #[test]
    fn cookie_prefixed_bytes_never_panic(
        run_cookie in any::<bool>(),
        count in 0u32..6,
        rest in prop::collection::vec(prop_oneof![any::<u8>(), 0u8..4], 0..200),
    ) {
        let head = if run_cookie {
            Builder::default().u32(12347 | (count << 16))
        } else {
            Builder::default().u32(12346).u32(count)
        };
        exercise(&head.bytes(&rest).0);
    }

}

proptest! {
    // Each case tries every value of every byte: keep the count small.
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn small_serialized_bitmaps_survive_corruption(
        values in prop::collection::vec(value_strategy(), 0..6),
        range in (0u32..200, 0u32..20),
        with_range in any::<bool>(),
    ) {
        let mut rb: RoaringBitmap = values.into_iter().collect();
        if with_range {
            rb.insert_range(range.0..range.0 + range.1);
        }
        let bytes = check(&rb);
        corrupt_all(&bytes, Changes::Sampled);
    }
}

/// The directory's count of entries below a value: the vector count (on
/// x86_64) agrees with the portable sum on every increasing directory, at
/// every boundary, and stays within 0..=SEGMENTS on entries that do not
/// increase.
#[test]
fn directory_count_below_agrees_with_the_portable_sum() {
    let mut rng = Rng(0x5EED_D12E);
    for round in 0..2_000 {
        let cardinality = 1 + (rng.next() % 4096) as usize;
        let mut values: Vec<u16> = (0..cardinality)
            .map(|_| rng.next() as u16)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if round % 7 == 0 {
            // Values at both ends of the range.
            values.insert(0, 0);
            values.push(u16::MAX);
            values.dedup();
        }
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let directory = Directory::of_array(&bytes);
        let mut probes: Vec<u16> = directory
            .entries
            .iter()
            .flat_map(|&e| [e.wrapping_sub(1), e, e.wrapping_add(1)])
            .collect();
        probes.extend([0, 1, u16::MAX - 1, u16::MAX, rng.next() as u16]);
        for low in probes {
            assert_eq!(
                directory.below(low),
                directory.below_portable(low),
                "{cardinality} values, low {low}"
            );
        }
    }
    for _ in 0..2_000 {
        let mut directory = Directory::default();
        for entry in &mut directory.entries {
            *entry = rng.next() as u16;
        }
        let below = directory.below(rng.next() as u16);
        assert!(below <= SEGMENTS as u32);
    }
}
