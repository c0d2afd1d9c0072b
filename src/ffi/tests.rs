//! The C ABI driven from Rust: results, outputs written only on success,
//! NULL handling, the last-error message, readers and the maximum age.

use crate::common;
use crate::common::personal::{CPRS, assert_no_cpr};

use std::ffi::{CStr, CString, c_char};
use std::ptr;

use super::index::*;
use super::reader::*;
use super::*;

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn last_error() -> String {
    let needed = tlm_last_error_message(ptr::null_mut(), 0);
    let mut buf = vec![0u8; needed + 1];
    assert_eq!(
        tlm_last_error_message(buf.as_mut_ptr().cast(), buf.len()),
        needed
    );
    CStr::from_bytes_until_nul(&buf)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

fn open(path: &std::path::Path) -> *mut tlm_index {
    let mut index = ptr::null_mut();
    assert_eq!(
        tlm_index_open(c(path.to_str().unwrap()).as_ptr(), &mut index),
        tlm_result::TlmOk
    );
    index
}

const UNTOUCHED: tlm_answer = tlm_answer {
    result: tlm_result::TlmPanic,
    channel: tlm_channel::None,
    reason: tlm_reason::None,
    reserved: 0xffff,
};

type Opener = extern "C" fn(*const c_char, *mut *mut tlm_index) -> tlm_result;

/// An index mapped (`tlm_index_open`) and one read into memory
/// (`tlm_index_load`) answer alike.
#[test]
fn lookups_answer_like_the_table_and_errors_leave_outputs_alone() {
    let (_dir, path) = common::fixture_index();
    for opener in [tlm_index_open as Opener, tlm_index_load] {
        let mut index = ptr::null_mut();
        assert_eq!(
            opener(c(path.to_str().unwrap()).as_ptr(), &mut index),
            tlm_result::TlmOk
        );
        answers_like_the_table(index);
        tlm_index_close(index);
    }
}

fn answers_like_the_table(index: *mut tlm_index) {
    for l in common::lookups() {
        let date: i32 = l.date.replace('-', "").parse().unwrap();
        let mut out = UNTOUCHED;
        let result = tlm_index_lookup(
            index,
            c(&l.material).as_ptr(),
            c(&l.recipient).as_ptr(),
            date,
            &mut out,
        );
        let got = if result == tlm_result::TlmOk {
            assert_eq!(out.result, tlm_result::TlmOk);
            format!("{:?} {:?}", out.channel, out.reason)
        } else {
            assert_eq!(out, UNTOUCHED, "an output was written on failure");
            assert!(!last_error().is_empty());
            format!("error {result:?}")
        };
        let expected = match l.expected.as_str() {
            "error invalid_recipient" => "error TlmInvalidRecipient".to_owned(),
            "error unknown_material" => "error TlmUnknownMaterial".to_owned(),
            "error audience_mismatch" => "error TlmAudienceMismatch".to_owned(),
            answer => answer.replace('_', "").to_lowercase(),
        };
        assert_eq!(got.to_lowercase(), expected.to_lowercase(), "{l:?}");
    }
}

/// `tlm_index_load` fails as `tlm_index_open` does, naming the file.
#[test]
fn a_load_fails_as_an_open_does() {
    let (dir, path) = common::fixture_index();
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let damaged = dir.path().join("damaged.tlm");
    std::fs::write(&damaged, &bytes).unwrap();
    let missing = dir.path().join("missing.tlm");
    let mut index = ptr::null_mut();
    for (file, result) in [
        (&damaged, tlm_result::TlmCorruptIndex),
        (&missing, tlm_result::TlmIo),
    ] {
        let file_c = c(file.to_str().unwrap());
        assert_eq!(tlm_index_open(file_c.as_ptr(), &mut index), result);
        let opened = last_error();
        assert_eq!(tlm_index_load(file_c.as_ptr(), &mut index), result);
        assert_eq!(last_error(), opened);
        assert!(
            opened.contains(file.file_name().unwrap().to_str().unwrap()),
            "{opened}"
        );
    }
    assert_eq!(
        tlm_index_load(ptr::null(), &mut index),
        tlm_result::TlmNullArgument
    );
    let path_c = c(path.to_str().unwrap());
    assert_eq!(
        tlm_index_load(path_c.as_ptr(), ptr::null_mut()),
        tlm_result::TlmNullArgument
    );
    assert!(index.is_null());
}

/// `tlm_index_material` + `tlm_index_lookup_number` answer every row of the table
/// as `tlm_index_lookup` does with the same material and recipient as text.
#[test]
fn resolved_materials_and_numbers_answer_like_text_lookups() {
    let (_dir, path) = common::fixture_index();
    let index = open(&path);
    for l in common::lookups() {
        let date: i32 = l.date.replace('-', "").parse().unwrap();
        let mut expected = UNTOUCHED;
        let by_text = tlm_index_lookup(
            index,
            c(&l.material).as_ptr(),
            c(&l.recipient).as_ptr(),
            date,
            &mut expected,
        );
        let mut material = u32::MAX;
        let resolved = tlm_index_material(index, c(&l.material).as_ptr(), &mut material);
        if resolved != tlm_result::TlmOk {
            assert_eq!(
                (resolved, by_text),
                (tlm_result::TlmUnknownMaterial, resolved)
            );
            assert_eq!(material, u32::MAX, "an output was written on failure");
            continue;
        }
        let Ok(recipient) = l.recipient.parse::<tilmelding::Recipient>() else {
            assert_eq!(by_text, tlm_result::TlmInvalidRecipient, "{l:?}");
            continue;
        };
        let (kind, number) = match recipient {
            tilmelding::Recipient::Cpr(cpr) => (TLM_RECIPIENT_CPR, cpr.digits()),
            tilmelding::Recipient::Cvr(cvr) => (TLM_RECIPIENT_CVR, u64::from(cvr.number())),
        };
        // Twice: the first call may convert the date, the second then
        // answers a common case on the quick path.
        for _ in 0..2 {
            let mut out = UNTOUCHED;
            let result = tlm_index_lookup_number(index, material, kind, number, date, &mut out);
            assert_eq!((result, out), (by_text, expected), "{l:?}");
        }
    }

    // A number the index does not have, bad kinds, numbers and dates.
    let mut out = UNTOUCHED;
    let mut material = 0;
    assert_eq!(
        tlm_index_material(index, c("100").as_ptr(), &mut material),
        tlm_result::TlmOk
    );
    let cpr = 101901234;
    for (material, kind, number, date, expected) in [
        (
            u32::MAX,
            TLM_RECIPIENT_CPR,
            cpr,
            20261122,
            tlm_result::TlmUnknownMaterial,
        ),
        (material, 7, cpr, 20261122, tlm_result::TlmInvalidArgument),
        (
            material,
            TLM_RECIPIENT_CPR,
            3213901234,
            20261122,
            tlm_result::TlmInvalidRecipient,
        ),
        (
            material,
            TLM_RECIPIENT_CPR,
            cpr,
            20260230,
            tlm_result::TlmInvalidArgument,
        ),
    ] {
        assert_eq!(
            tlm_index_lookup_number(index, material, kind, number, date, &mut out),
            expected
        );
        assert_eq!(out, UNTOUCHED);
        assert!(!last_error().contains("3213901234"), "{}", last_error());
    }
    assert_eq!(
        tlm_index_lookup_number(
            index,
            material,
            TLM_RECIPIENT_CPR,
            cpr,
            20261122,
            ptr::null_mut()
        ),
        tlm_result::TlmNullArgument
    );
    assert_eq!(
        tlm_index_material(index, ptr::null(), &mut material),
        tlm_result::TlmNullArgument
    );
    assert_eq!(
        tlm_index_material(index, c("100").as_ptr(), ptr::null_mut()),
        tlm_result::TlmNullArgument
    );
    tlm_index_close(index);
}

/// A CPR number given as an integer has lost its leading zeros: an error
/// message writes it with all ten digits before masking, so that it shows
/// the date part and no digit of the serial.
#[test]
fn invalid_numbers_are_masked_as_written() {
    let (_dir, path) = common::fixture_index();
    let index = open(&path);
    let mut material = 0;
    assert_eq!(
        tlm_index_material(index, c("100").as_ptr(), &mut material),
        tlm_result::TlmOk
    );
    for (number, shown) in [
        (231_901_234, "023190xxxx"),
        (12_345_678, "001234xxxx"),
        (3_213_901_234, "321390xxxx"),
    ] {
        let mut out = UNTOUCHED;
        assert_eq!(
            tlm_index_lookup_number(
                index,
                material,
                TLM_RECIPIENT_CPR,
                number,
                20261122,
                &mut out
            ),
            tlm_result::TlmInvalidRecipient
        );
        let message = last_error();
        assert!(message.contains(&format!("\"{shown}\"")), "{message}");
    }
    tlm_index_close(index);
}

#[test]
fn a_batch_reports_invalid_numbers_per_element() {
    let (_dir, path) = common::fixture_index();
    let index = open(&path);
    let numbers = [101901234u64, 3102901234, 202902345];
    let mut out = [UNTOUCHED; 3];
    let result = tlm_index_lookup_batch(
        index,
        c("100").as_ptr(),
        TLM_RECIPIENT_CPR,
        numbers.as_ptr(),
        3,
        20261122,
        out.as_mut_ptr(),
    );
    assert_eq!(result, tlm_result::TlmOk);
    assert_eq!(
        (out[0].result, out[0].channel, out[0].reason),
        (
            tlm_result::TlmOk,
            tlm_channel::Digital,
            tlm_reason::Registered
        )
    );
    assert_eq!(
        (out[1].result, out[1].channel, out[1].reason),
        (
            tlm_result::TlmInvalidRecipient,
            tlm_channel::None,
            tlm_reason::None
        )
    );
    assert_eq!(
        (out[2].channel, out[2].reason),
        (tlm_channel::Physical, tlm_reason::Exempt)
    );

    let mut out = [UNTOUCHED; 3];
    assert_eq!(
        tlm_index_lookup_batch(
            index,
            c("600").as_ptr(),
            TLM_RECIPIENT_CPR,
            numbers.as_ptr(),
            3,
            20261122,
            out.as_mut_ptr()
        ),
        tlm_result::TlmAudienceMismatch
    );
    assert_eq!(out, [UNTOUCHED; 3], "a failed batch wrote answers");
    assert_eq!(
        tlm_index_lookup_batch(
            index,
            c("100").as_ptr(),
            7,
            numbers.as_ptr(),
            3,
            0,
            out.as_mut_ptr()
        ),
        tlm_result::TlmInvalidArgument
    );
    assert_eq!(
        tlm_index_lookup_batch(
            index,
            c("100").as_ptr(),
            TLM_RECIPIENT_CVR,
            ptr::null(),
            0,
            0,
            ptr::null_mut()
        ),
        tlm_result::TlmOk
    );
    assert_eq!(
        tlm_index_lookup_batch(
            index,
            c("100").as_ptr(),
            TLM_RECIPIENT_CVR,
            ptr::null(),
            2,
            0,
            out.as_mut_ptr()
        ),
        tlm_result::TlmNullArgument
    );
    tlm_index_close(index);
}

#[test]
fn null_arguments_bad_dates_and_bad_files_are_reported() {
    let (dir, path) = common::fixture_index();
    let index = open(&path);
    let mut out = UNTOUCHED;
    let (m, r) = (c("100"), c("0101901234"));
    assert_eq!(
        tlm_index_lookup(ptr::null(), m.as_ptr(), r.as_ptr(), 0, &mut out),
        tlm_result::TlmNullArgument
    );
    assert_eq!(last_error(), "`index` is NULL");
    assert_eq!(
        tlm_index_lookup(index, ptr::null(), r.as_ptr(), 0, &mut out),
        tlm_result::TlmNullArgument
    );
    assert_eq!(
        tlm_index_lookup(index, m.as_ptr(), ptr::null(), 0, &mut out),
        tlm_result::TlmNullArgument
    );
    assert_eq!(
        tlm_index_lookup(index, m.as_ptr(), r.as_ptr(), 0, ptr::null_mut()),
        tlm_result::TlmNullArgument
    );
    assert_eq!(
        tlm_index_lookup(index, m.as_ptr(), r.as_ptr(), 20260230, &mut out),
        tlm_result::TlmInvalidArgument
    );
    let bad_utf8 = [0xffu8, 0];
    assert_eq!(
        tlm_index_lookup(index, bad_utf8.as_ptr().cast(), r.as_ptr(), 0, &mut out),
        tlm_result::TlmInvalidArgument
    );
    assert_eq!(out, UNTOUCHED);
    assert_eq!(
        tlm_index_lookup(index, m.as_ptr(), r.as_ptr(), 0, &mut out),
        tlm_result::TlmOk,
        "0 is today"
    );

    let mut other = ptr::null_mut();
    let missing = dir.path().join("missing.tlm");
    assert_eq!(
        tlm_index_open(c(missing.to_str().unwrap()).as_ptr(), &mut other),
        tlm_result::TlmIo
    );
    assert!(last_error().contains("missing.tlm"));
    assert!(other.is_null());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[300] ^= 1;
    assert_eq!(
        tlm_index_open_bytes(bytes.as_ptr(), bytes.len(), &mut other),
        tlm_result::TlmCorruptIndex
    );
    bytes[8] = 9; // major version
    assert_eq!(
        tlm_index_open_bytes(bytes.as_ptr(), bytes.len(), &mut other),
        tlm_result::TlmUnsupportedVersion
    );
    assert!(
        last_error().contains("rebuild the index"),
        "{}",
        last_error()
    );
    assert_eq!(
        tlm_index_open_bytes(ptr::null(), 0, &mut other),
        tlm_result::TlmCorruptIndex
    );

    let mut info = std::mem::MaybeUninit::<tlm_info>::uninit();
    assert_eq!(tlm_index_info(index, info.as_mut_ptr()), tlm_result::TlmOk);
    // SAFETY: written on success.
    let info = unsafe { info.assume_init() };
    assert_eq!(
        (
            info.format_major,
            info.materials,
            info.cpr_contacts,
            info.cvr_contacts
        ),
        (3, 6, 7, 2)
    );
    let mut small = [0 as c_char; TLM_SNAPSHOT_ID_LEN];
    assert_eq!(
        tlm_index_snapshot_id(index, small.as_mut_ptr(), small.len()),
        tlm_result::TlmBufferTooSmall
    );
    let mut id = [0 as c_char; TLM_SNAPSHOT_ID_LEN + 1];
    assert_eq!(
        tlm_index_snapshot_id(index, id.as_mut_ptr(), id.len()),
        tlm_result::TlmOk
    );
    // SAFETY: NUL-terminated on success.
    assert_eq!(unsafe { CStr::from_ptr(id.as_ptr()) }.to_bytes().len(), 64);

    tlm_index_close(index);
    tlm_index_close(ptr::null_mut());
    tlm_reader_close(ptr::null_mut());
}

#[test]
fn full_verification_finds_what_open_cannot() {
    let (dir, path) = common::fixture_index();
    let mut index = ptr::null_mut();
    assert_eq!(
        tlm_index_open_verified(c(path.to_str().unwrap()).as_ptr(), &mut index),
        tlm_result::TlmOk
    );
    assert_eq!(tlm_index_verify(index), tlm_result::TlmOk);
    tlm_index_close(index);

    // Opens (every checksum was recomputed), fails verification.
    let crafted = common::resealed_after_change(&path);
    let crafted_c = c(crafted.to_str().unwrap());
    let index = open(&crafted);
    assert_eq!(tlm_index_verify(index), tlm_result::TlmCorruptIndex);
    let message = last_error();
    assert!(
        message.starts_with("verification failed: ") && message.contains("snapshot"),
        "{message}"
    );
    tlm_index_close(index);
    let mut other = ptr::null_mut();
    assert_eq!(
        tlm_index_open_verified(crafted_c.as_ptr(), &mut other),
        tlm_result::TlmCorruptIndex
    );
    let message = last_error();
    assert!(
        message.contains("resealed.tlm") && message.contains("snapshot"),
        "{message}"
    );
    assert!(other.is_null());

    // Open's own failures, as `tlm_index_open` reports them.
    let missing = c(dir.path().join("missing.tlm").to_str().unwrap());
    assert_eq!(
        tlm_index_open_verified(missing.as_ptr(), &mut other),
        tlm_result::TlmIo
    );
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[8] = 9; // major version
    std::fs::write(&crafted, &bytes).unwrap();
    assert_eq!(
        tlm_index_open_verified(crafted_c.as_ptr(), &mut other),
        tlm_result::TlmUnsupportedVersion
    );
    assert_eq!(
        tlm_index_open_verified(ptr::null(), &mut other),
        tlm_result::TlmNullArgument
    );
    assert_eq!(
        tlm_index_open_verified(crafted_c.as_ptr(), ptr::null_mut()),
        tlm_result::TlmNullArgument
    );
    assert_eq!(tlm_index_verify(ptr::null()), tlm_result::TlmNullArgument);
    assert!(other.is_null());
}

#[test]
fn the_last_error_message_truncates_and_never_shows_a_cpr_number() {
    let (_dir, path) = common::fixture_index();
    let index = open(&path);
    let mut out = UNTOUCHED;
    assert_eq!(
        tlm_index_lookup(
            index,
            c("600").as_ptr(),
            c("0101901234").as_ptr(),
            20261122,
            &mut out
        ),
        tlm_result::TlmAudienceMismatch
    );
    let message = last_error();
    assert!(
        message.contains("010190-xxxx") && !message.contains("0101901234"),
        "{message}"
    );
    assert_eq!(
        tlm_index_lookup(
            index,
            c("100").as_ptr(),
            c("3102901234").as_ptr(),
            20261122,
            &mut out
        ),
        tlm_result::TlmInvalidRecipient
    );
    let message = last_error();
    assert!(!message.contains("3102901234"), "{message}");
    // Asking for the length with a NULL buffer leaves the message alone.
    assert_eq!(tlm_last_error_message(ptr::null_mut(), 5), message.len());
    assert_eq!(last_error(), message);
    let mut tiny = [0x55 as c_char; 5];
    let needed = tlm_last_error_message(tiny.as_mut_ptr(), tiny.len());
    assert_eq!(needed, message.len());
    // SAFETY: NUL-terminated within the buffer.
    let truncated = unsafe { CStr::from_ptr(tiny.as_ptr()) };
    assert_eq!(truncated.to_bytes(), &message.as_bytes()[..4]);
    // SAFETY: static NUL-terminated strings.
    unsafe {
        assert_eq!(
            CStr::from_ptr(tlm_strerror(11))
                .to_str()
                .unwrap()
                .split(':')
                .next(),
            Some("stale index")
        );
        assert_eq!(
            CStr::from_ptr(tlm_strerror(999)).to_str().unwrap(),
            "unknown result code"
        );
        assert_eq!(
            CStr::from_ptr(tlm_version()).to_str().unwrap(),
            env!("CARGO_PKG_VERSION")
        );
    }
    tlm_index_close(index);
}

#[test]
fn a_reader_swaps_in_a_replaced_file_and_pins_snapshots() {
    let (dir, path) = common::fixture_index();
    let live = dir.path().join("live.tlm");
    std::fs::copy(&path, &live).unwrap();
    let mut reader = ptr::null_mut();
    assert_eq!(
        tlm_reader_open(c(live.to_str().unwrap()).as_ptr(), &mut reader),
        tlm_result::TlmOk
    );
    let mut replaced = 9u32;
    assert_eq!(tlm_reader_refresh(reader, &mut replaced), tlm_result::TlmOk);
    assert_eq!(replaced, 0);

    let mut pinned = ptr::null_mut();
    assert_eq!(tlm_reader_current(reader, &mut pinned), tlm_result::TlmOk);
    let catalog = common::root().join("tests/data/catalog.toml");
    let contacts = dir.path().join("contacts.csv");
    std::fs::write(&contacts, "id;status\n0101901234;closed\n").unwrap();
    let options = tilmelding::BuildOptions {
        as_of: Some(1_000_000_000), // 2001: old enough to be stale under any maximum age
        ..Default::default()
    };
    tilmelding::build(&catalog, &[&contacts], &live, &options, &mut |_| {}).unwrap();
    assert_eq!(tlm_reader_refresh(reader, &mut replaced), tlm_result::TlmOk);
    assert_eq!(replaced, 1);

    let (m, r) = (c("100"), c("0101901234"));
    let mut out = UNTOUCHED;
    assert_eq!(
        tlm_reader_lookup(reader, m.as_ptr(), r.as_ptr(), 20261122, &mut out),
        tlm_result::TlmOk
    );
    assert_eq!(out.reason, tlm_reason::Closed);
    assert_eq!(
        tlm_index_lookup(pinned, m.as_ptr(), r.as_ptr(), 20261122, &mut out),
        tlm_result::TlmOk
    );
    assert_eq!(
        out.reason,
        tlm_reason::Registered,
        "a pinned snapshot keeps its data"
    );
    tlm_index_close(pinned);

    std::fs::remove_file(&live).unwrap();
    assert_eq!(
        tlm_reader_refresh(reader, ptr::null_mut()),
        tlm_result::TlmIo
    );
    let numbers = [101901234u64];
    let mut batch = [UNTOUCHED];
    assert_eq!(
        tlm_reader_lookup_batch(
            reader,
            m.as_ptr(),
            TLM_RECIPIENT_CPR,
            numbers.as_ptr(),
            1,
            20261122,
            batch.as_mut_ptr()
        ),
        tlm_result::TlmOk
    );
    assert_eq!(
        batch[0].reason,
        tlm_reason::Closed,
        "a failed refresh keeps serving"
    );

    // The list is from 2001; a one-second maximum age makes it stale.
    assert_eq!(tlm_reader_set_max_age(reader, 1), tlm_result::TlmOk);
    assert_eq!(
        tlm_reader_lookup(reader, m.as_ptr(), r.as_ptr(), 20261122, &mut out),
        tlm_result::TlmStaleIndex
    );
    assert!(last_error().starts_with("stale index"), "{}", last_error());
    assert_eq!(tlm_reader_set_max_age(reader, 0), tlm_result::TlmOk);
    assert_eq!(
        tlm_reader_refresh_every(reader, 0),
        tlm_result::TlmInvalidArgument
    );
    assert_eq!(tlm_reader_refresh_error(reader, ptr::null_mut(), 0), 0);
    assert_eq!(tlm_reader_refresh_every(reader, 10), tlm_result::TlmOk);
    // The file is gone, so the background refresh fails and says why.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while tlm_reader_refresh_error(reader, ptr::null_mut(), 0) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no background refresh error"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut buf = [0 as c_char; 256];
    tlm_reader_refresh_error(reader, buf.as_mut_ptr(), buf.len());
    // SAFETY: NUL-terminated on return.
    let message = unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("live.tlm"), "{message}");
    tlm_reader_close(reader);
}

#[test]
fn last_error_messages_of_the_c_abi() {
    let (_dir, path) = common::fixture_index();
    let mut index = std::ptr::null_mut();
    let c = |s: &str| CString::new(s).unwrap();
    assert_eq!(
        tlm_index_open(c(path.to_str().unwrap()).as_ptr(), &mut index),
        tlm_result::TlmOk
    );
    let mut out = std::mem::MaybeUninit::<tlm_answer>::uninit();
    for cpr in CPRS.iter().flat_map(|c| {
        [
            c.to_string(),
            format!("{}-{}", &c[..6], &c[6..]),
            format!("{c}0"),
        ]
    }) {
        // The last pair swaps the arguments: the CPR number as the material ID.
        let pairs = [
            ("100", cpr.as_str()),
            ("600", &cpr),
            ("999", &cpr),
            (&cpr, "100"),
        ];
        for (material, recipient) in pairs {
            let result = tlm_index_lookup(
                index,
                c(material).as_ptr(),
                c(recipient).as_ptr(),
                20261122,
                out.as_mut_ptr(),
            );
            if result != tlm_result::TlmOk {
                let mut buf = [0u8; 512];
                tlm_last_error_message(buf.as_mut_ptr().cast(), buf.len());
                let message = CStr::from_bytes_until_nul(&buf).unwrap().to_string_lossy();
                assert_no_cpr("a last-error message", &message);
            }
        }
    }
    tlm_index_close(index);
}

/// The remembered last date never answers for another date, whatever
/// the order of calls and however many threads make them.
#[test]
fn date_arguments_convert_like_the_calendar() {
    let dates = [
        20261122, 20261122, 20261123, 20260230, 20261122, 19000101, 99991231, 20240229, 20230229,
        -1, 20261122, 10000, 20261123,
    ];
    std::thread::scope(|scope| {
        for shift in 0..4 {
            scope.spawn(move || {
                for i in 0..2000 {
                    let yyyymmdd = dates[(i * (shift + 1) + shift) % dates.len()];
                    assert_eq!(
                        date_arg(yyyymmdd).ok(),
                        Date::from_yyyymmdd(yyyymmdd).ok(),
                        "{yyyymmdd}"
                    );
                }
            });
        }
    });
    assert_eq!(date_arg(0), Ok(Date::today()));
}

fn text(name: *const c_char) -> &'static str {
    assert!(!name.is_null());
    // SAFETY: the name functions return static NUL-terminated strings.
    unsafe { CStr::from_ptr(name) }.to_str().unwrap()
}

/// The names the C ABI gives are the CLI's, numbered as in the header; a
/// number that is no channel or reason gets NULL.
#[test]
fn channel_and_reason_names_are_the_clis() {
    assert_eq!(text(tlm_channel_name(0)), "none");
    assert_eq!(text(tlm_reason_name(0)), "none");
    for channel in [Channel::Digital, Channel::Nemsms, Channel::Physical] {
        assert_eq!(text(tlm_channel_name(channel as u32)), channel.as_str());
        assert_eq!(tlm_channel::from(channel) as u32, channel as u32);
    }
    for reason in Reason::ALL {
        assert_eq!(text(tlm_reason_name(reason as u32)), reason.as_str());
        assert_eq!(tlm_reason::from(reason) as u32, reason as u32);
    }
    for n in [4, 255, 256, u32::MAX] {
        assert!(tlm_channel_name(n).is_null(), "{n}");
    }
    for n in [10, 255, u32::MAX] {
        assert!(tlm_reason_name(n).is_null(), "{n}");
    }
}

/// `tlm_strerror` describes each result by its number, and only those.
#[test]
fn every_result_has_its_own_description() {
    let mut seen = std::collections::HashSet::new();
    for (n, result) in tlm_result::ALL.iter().enumerate() {
        assert_eq!(*result as u32, n as u32);
        let description = text(tlm_strerror(n as u32));
        assert_eq!(description, result.description().to_str().unwrap());
        assert!(seen.insert(description), "{description} twice");
    }
    assert_eq!(text(tlm_strerror(0)), "success");
    assert_eq!(
        text(tlm_strerror(11)),
        "stale index: the list is older than the maximum age allowed; publish a newer index"
    );
    assert_eq!(text(tlm_strerror(12)), "unknown result code");
    assert_eq!(text(tlm_strerror(u32::MAX)), "unknown result code");
}
