//! The C ABI (`include/tilmelding.h`, generated from this module by cbindgen).
//!
//! Conventions: every symbol starts with `tlm_`; handles are opaque and
//! created and freed only here; every function returns a `tlm_result` (or is
//! infallible), checks every pointer, writes its outputs only on success,
//! and never lets a panic cross into the caller. Detail of the last failure
//! on a thread is kept for `tlm_last_error_message`.

#![allow(non_camel_case_types)]
// These functions are for C callers, whose pointer contracts are stated in
// each function's documentation (and checked as far as they can be); marking
// them `unsafe` in Rust would tell a C caller nothing.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub(crate) mod boundary;
mod reader;

pub use reader::*;

use std::ffi::{CStr, c_char};
use std::mem::MaybeUninit;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use self::boundary::{
    arg_out, arg_ref, arg_slice, arg_slice_mut, arg_str, fail, ffi_boundary, last_error_into,
};
use crate::recipient::quote_for_message;
use crate::{
    Answer, Channel, Date, FormatError, Index, LookupError, MaterialId, OpenError, Reason,
    Recipient, RecipientKind,
};

/// The outcome of a call. Fixed width (`uint32_t`); numbers are never reused.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tlm_result {
    /// Success.
    TlmOk = 0,
    /// A required pointer argument was NULL.
    TlmNullArgument = 1,
    /// An argument is invalid: a string that is not UTF-8, an impossible date, an unknown recipient kind.
    TlmInvalidArgument = 2,
    /// The index file could not be opened, read or mapped.
    TlmIo = 3,
    /// The bytes are not a valid index (damaged, truncated, or not an index at all).
    TlmCorruptIndex = 4,
    /// The index was written in a format version this library does not read.
    TlmUnsupportedVersion = 5,
    /// The material ID is not in the index.
    TlmUnknownMaterial = 6,
    /// The recipient is not a valid CPR or CVR number.
    TlmInvalidRecipient = 7,
    /// The material has no subscription group for the recipient's audience.
    TlmAudienceMismatch = 8,
    /// The caller's buffer is too small for the result.
    TlmBufferTooSmall = 9,
    /// An internal error (a bug) was caught at the boundary.
    TlmPanic = 10,
    /// The index's list is older than the maximum age set for it: publish a newer index.
    TlmStaleIndex = 11,
}

/// The channel a letter takes (`uint8_t`); mirrors `tilmelding::Channel`.
/// cbindgen:prefix-with-name=true
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tlm_channel {
    /// No answer (the element's `result` is not `TLM_OK`).
    None = 0,
    /// Digital Post (channel code D).
    Digital = 1,
    /// NemSMS (channel code S).
    Nemsms = 2,
    /// Physical post, on paper (channel code F).
    Physical = 3,
}

/// Why the letter takes its channel (`uint8_t`); mirrors `tilmelding::Reason`.
/// cbindgen:prefix-with-name=true
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tlm_reason {
    /// No answer (the element's `result` is not `TLM_OK`).
    None = 0,
    /// Registered for Digital Post (or, for NemSMS material, subscribes to NemSMS).
    Registered = 1,
    /// The sender system's certificate expired before the date.
    SenderCertificateExpired = 2,
    /// The date is before the activation date of the material's group.
    GroupNotActive = 3,
    /// Not in the contact register, or status unknown.
    NotRegistered = 4,
    /// Closed: deceased or dissolved.
    Closed = 5,
    /// Registration unconfirmed or awaiting registration.
    PendingRegistration = 6,
    /// Exempt from Digital Post on the date.
    Exempt = 7,
    /// Exempt, but the material is sent digitally by special law.
    MandatoryDespiteExemption = 8,
    /// NemSMS material, and the recipient does not subscribe to NemSMS.
    NoNemsms = 9,
}

/// The kind of recipient numbers in a batch (`uint32_t`).
pub type tlm_recipient_kind = u32;
/// CPR numbers: the ten digits DDMMYYSSSS read as one integer (0101901234 is 101901234).
pub const TLM_RECIPIENT_CPR: tlm_recipient_kind = 0;
/// CVR numbers: the eight-digit number.
pub const TLM_RECIPIENT_CVR: tlm_recipient_kind = 1;

/// Length of a snapshot id as text, without the NUL: 64 hex digits.
pub const TLM_SNAPSHOT_ID_LEN: usize = 64;

/// One answer: `result` is `TLM_OK` and `channel` and `reason` say where the
/// letter goes and why; or, in a batch, `result` says why this recipient has
/// no answer (`TLM_INVALID_RECIPIENT`) and `channel` and `reason` are 0.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct tlm_answer {
    /// `TLM_OK`, or why this element has no answer.
    pub result: tlm_result,
    /// Where the letter goes.
    pub channel: tlm_channel,
    /// Why.
    pub reason: tlm_reason,
    /// Zero.
    pub reserved: u16,
}

/// Facts about an open index.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct tlm_info {
    /// Format major version.
    pub format_major: u16,
    /// Format minor version.
    pub format_minor: u16,
    /// Number of materials.
    pub materials: u32,
    /// Number of subscription groups.
    pub groups: u32,
    /// Number of sender systems.
    pub sender_systems: u32,
    /// When the index was built, Unix seconds.
    pub build_time: i64,
    /// When the contact list was extracted, Unix seconds.
    pub as_of: i64,
    /// CPR recipients in the register.
    pub cpr_contacts: u64,
    /// CVR recipients in the register.
    pub cvr_contacts: u64,
    /// Size of the index file in bytes.
    pub file_size: u64,
}

/// An open index. Opaque: created by `tlm_index_open*` or `tlm_reader_current`,
/// freed by `tlm_index_close`.
pub struct tlm_index {
    index: Arc<Index>,
}

/// Opens the index file at `path` (UTF-8, NUL-terminated): maps it into
/// memory and checks it fully (header, bounds, every checksum).
///
/// On success writes a new handle to `*out` and returns `TLM_OK`; on failure
/// leaves `*out` untouched and returns `TLM_IO`, `TLM_CORRUPT_INDEX`,
/// `TLM_UNSUPPORTED_VERSION`, `TLM_NULL_ARGUMENT` or `TLM_INVALID_ARGUMENT`.
///
/// The handle must be freed with `tlm_index_close`. The file must not be
/// truncated or rewritten in place while it is open; replace it by renaming
/// a new file over it. Thread safety: may be called from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_index_open(path: *const c_char, out: *mut *mut tlm_index) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a NUL-terminated string or NULL.
        let path = unsafe { arg_str(path, "path") }?;
        // SAFETY: the caller passes a writable pointer or NULL.
        let out = unsafe { arg_out(out, "out") }?;
        let index = Arc::new(Index::open(path).map_err(open_error)?);
        out.write(Box::into_raw(Box::new(tlm_index { index })));
        Ok(())
    })
}

/// Opens an index from `len` bytes at `data`, which are copied: the caller
/// may free them when this returns. Checks and results as `tlm_index_open`.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_index_open_bytes(
    data: *const u8,
    len: usize,
    out: *mut *mut tlm_index,
) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes `len` readable bytes (or NULL with 0).
        let data = unsafe { arg_slice(data, len, "data") }?;
        // SAFETY: the caller passes a writable pointer or NULL.
        let out = unsafe { arg_out(out, "out") }?;
        let index = Arc::new(Index::from_bytes(data.to_vec()).map_err(open_error)?);
        out.write(Box::into_raw(Box::new(tlm_index { index })));
        Ok(())
    })
}

/// Frees an index handle from `tlm_index_open`, `tlm_index_open_bytes` or
/// `tlm_reader_current`. NULL is a no-op.
///
/// No other thread may be using the handle, and it must not be used after
/// this call. Closing the same handle twice is undefined behaviour.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_index_close(index: *mut tlm_index) {
    let _ = ffi_boundary!({
        if !index.is_null() {
            // SAFETY: a non-NULL handle came from `Box::into_raw` in
            // `tlm_index_open*` and, by the contract above, is freed once.
            drop(unsafe { Box::from_raw(index) });
        }
        Ok(())
    });
}

/// Which channel a letter of `material_id` to `recipient` takes on
/// `date_yyyymmdd` (e.g. 20261122; 0 means today in Danish time), and why.
///
/// `recipient` is a CPR (`DDMMYYSSSS` or `DDMMYY-SSSS`) or CVR (`12345678`,
/// `DK12345678`) number. On success writes `*out` (with `result` `TLM_OK`)
/// and returns `TLM_OK`; otherwise returns `TLM_STALE_INDEX` (a maximum age
/// is set and the list is older), `TLM_UNKNOWN_MATERIAL`,
/// `TLM_INVALID_RECIPIENT`, `TLM_AUDIENCE_MISMATCH`, `TLM_INVALID_ARGUMENT`
/// (bad date or UTF-8) or `TLM_NULL_ARGUMENT`, and leaves `*out` untouched.
///
/// Allocates nothing on success (the first call with date 0 loads the
/// time-zone rules once). Thread safety: any number of threads may look up
/// on one handle at once.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_lookup(
    index: *const tlm_index,
    material_id: *const c_char,
    recipient: *const c_char,
    date_yyyymmdd: i32,
    out: *mut tlm_answer,
) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let index = &unsafe { arg_ref(index, "index") }?.index;
        // SAFETY: the caller passes NUL-terminated strings or NULL.
        let material_id = unsafe { arg_str(material_id, "material_id") }?;
        // SAFETY: as above.
        let recipient_text = unsafe { arg_str(recipient, "recipient") }?;
        // SAFETY: the caller passes a writable pointer or NULL.
        let out = unsafe { arg_out(out, "out") }?;
        lookup_on(index, material_id, recipient_text, date_yyyymmdd, out)
    })
}

/// Resolves `material_id` once, for `tlm_lookup_number`: writes the
/// material's number in this index to `*out` and returns `TLM_OK`, or returns
/// `TLM_UNKNOWN_MATERIAL` (or `TLM_INVALID_ARGUMENT`, `TLM_NULL_ARGUMENT`) and
/// leaves `*out` untouched.
///
/// The number is valid on this handle only: another index (a newer list, or
/// the snapshot a reader serves after a refresh) may number its materials
/// differently. Thread safety: any thread, concurrently with lookups.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_index_material(
    index: *const tlm_index,
    material_id: *const c_char,
    out: *mut u32,
) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let index = &unsafe { arg_ref(index, "index") }?.index;
        // SAFETY: the caller passes a NUL-terminated string or NULL.
        let material_id = unsafe { arg_str(material_id, "material_id") }?;
        // SAFETY: the caller passes a writable pointer or NULL.
        let out = unsafe { arg_out(out, "out") }?;
        let material = index
            .material(material_id)
            .ok_or_else(|| lookup_error(LookupError::UnknownMaterial, material_id, ""))?;
        out.write(material.number());
        Ok(())
    })
}

/// `tlm_lookup` for hot loops: the material as numbered by
/// `tlm_index_material` on the same handle, the recipient as a number of
/// `kind` (as in `tlm_lookup_batch`). Nothing to parse or resolve per call.
///
/// On success writes `*out` and returns `TLM_OK`; otherwise returns
/// `TLM_STALE_INDEX`, `TLM_UNKNOWN_MATERIAL` (a number this index does not
/// have), `TLM_INVALID_RECIPIENT`, `TLM_AUDIENCE_MISMATCH`,
/// `TLM_INVALID_ARGUMENT` (bad kind or date) or `TLM_NULL_ARGUMENT`, and
/// leaves `*out` untouched. Allocates nothing. Thread safety: as `tlm_lookup`.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_lookup_number(
    index: *const tlm_index,
    material: u32,
    kind: tlm_recipient_kind,
    recipient: u64,
    date_yyyymmdd: i32,
    out: *mut tlm_answer,
) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let index = &unsafe { arg_ref(index, "index") }?.index;
        // SAFETY: the caller passes a writable pointer or NULL.
        let out = unsafe { arg_out(out, "out") }?;
        check_fresh(index)?;
        let kind = kind_arg(kind)?;
        let date = date_arg(date_yyyymmdd)?;
        let material_name = || format!("#{material}");
        let recipient = Recipient::from_number(kind, recipient).map_err(|e| {
            fail(
                tlm_result::TlmInvalidRecipient,
                format_args!(
                    "{kind} number {}: {e}",
                    quote_for_message(&kind.number_as_written(recipient))
                ),
            )
        })?;
        let answer = index
            .answer(MaterialId::from_number(material), &recipient, date)
            .map_err(|e| lookup_error(e, &material_name(), &recipient.masked().to_string()))?;
        out.write(answer.into());
        Ok(())
    })
}

/// Looks up `count` recipients of one `kind` (`TLM_RECIPIENT_CPR` or
/// `TLM_RECIPIENT_CVR`), given as numbers, for `material_id` on
/// `date_yyyymmdd` (0 = today, Danish time), writing `count` answers to `out`.
///
/// A number that is not a valid CPR/CVR gets `result` `TLM_INVALID_RECIPIENT`
/// in its element; the batch goes on. The whole call fails (and writes
/// nothing) on a stale index (`TLM_STALE_INDEX`), an unknown material
/// (`TLM_UNKNOWN_MATERIAL`), a material with no group for `kind`
/// (`TLM_AUDIENCE_MISMATCH`), a bad kind or date (`TLM_INVALID_ARGUMENT`), or
/// NULL buffers with `count > 0` (`TLM_NULL_ARGUMENT`). `out` must not
/// overlap `recipients`.
///
/// Allocates nothing on success. Thread safety: as `tlm_lookup`.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_lookup_batch(
    index: *const tlm_index,
    material_id: *const c_char,
    kind: tlm_recipient_kind,
    recipients: *const u64,
    count: usize,
    date_yyyymmdd: i32,
    out: *mut tlm_answer,
) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let index = &unsafe { arg_ref(index, "index") }?.index;
        // SAFETY: the caller passes a NUL-terminated string or NULL.
        let material_id = unsafe { arg_str(material_id, "material_id") }?;
        // SAFETY: the caller passes `count` readable numbers (or NULL with 0).
        let recipients = unsafe { arg_slice(recipients, count, "recipients") }?;
        // SAFETY: the caller passes room for `count` answers (or NULL with 0).
        let out = unsafe { arg_slice_mut(out, count, "out") }?;
        lookup_batch_on(index, material_id, kind, recipients, date_yyyymmdd, out)
    })
}

/// Writes facts about the index (format version, times, counts) to `*out`.
/// Thread safety: any thread, concurrently with lookups.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_index_info(index: *const tlm_index, out: *mut tlm_info) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let index = &unsafe { arg_ref(index, "index") }?.index;
        // SAFETY: the caller passes a writable pointer or NULL.
        let out = unsafe { arg_out(out, "out") }?;
        let m = index.metadata();
        let count = |s: &crate::KindStats| s.by_status.iter().sum();
        out.write(tlm_info {
            format_major: m.format_version.0,
            format_minor: m.format_version.1,
            materials: m.materials,
            groups: m.groups,
            sender_systems: m.sender_systems,
            build_time: m.build_time,
            as_of: m.as_of,
            cpr_contacts: count(&m.cpr),
            cvr_contacts: count(&m.cvr),
            file_size: m.file_size,
        });
        Ok(())
    })
}

/// Writes the index's snapshot id (64 lowercase hex digits and a NUL) to
/// `buf`, which must hold at least `TLM_SNAPSHOT_ID_LEN + 1` bytes; otherwise
/// returns `TLM_BUFFER_TOO_SMALL` and writes nothing. Log it with every
/// answer to tie the answer to the list that gave it.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_index_snapshot_id(
    index: *const tlm_index,
    buf: *mut c_char,
    len: usize,
) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let index = &unsafe { arg_ref(index, "index") }?.index;
        if len <= TLM_SNAPSHOT_ID_LEN {
            return Err(fail(
                tlm_result::TlmBufferTooSmall,
                format_args!(
                    "the snapshot id needs {} bytes, the buffer has {len}",
                    TLM_SNAPSHOT_ID_LEN + 1
                ),
            ));
        }
        // SAFETY: the caller passes `len` writable bytes or NULL.
        let buf = unsafe { arg_slice_mut(buf.cast::<u8>(), len, "buf") }?;
        let hex = index.metadata().snapshot_id_hex();
        for (slot, byte) in buf.iter_mut().zip(hex.bytes().chain([0])) {
            slot.write(byte);
        }
        Ok(())
    })
}

/// Sets the maximum age of the index's list in seconds (0 turns the check
/// off, the default): once the list's as-of time is older than that, every
/// lookup on this index returns `TLM_STALE_INDEX`, so that an index that was
/// not replaced in time cannot silently decide a letter. Affects every handle
/// on the same index (see `tlm_reader_current`). Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_index_set_max_age(
    index: *const tlm_index,
    max_age_seconds: u64,
) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let index = &unsafe { arg_ref(index, "index") }?.index;
        index.set_max_age(max_age(max_age_seconds));
        Ok(())
    })
}

/// A static, NUL-terminated description of a result code (never NULL; an
/// unknown code gives "unknown result code"). Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_strerror(result: u32) -> *const c_char {
    let text: &'static CStr = match result {
        0 => c"success",
        1 => c"a required argument is NULL",
        2 => c"invalid argument",
        3 => c"cannot open or read the index file",
        4 => c"the index file is damaged or not an index",
        5 => c"the index file's format version is not supported; rebuild it with this version",
        6 => c"unknown material",
        7 => c"invalid recipient: not a valid CPR or CVR number",
        8 => c"audience mismatch: the material has no group for this kind of recipient",
        9 => c"buffer too small",
        10 => c"internal error (panic)",
        11 => c"stale index: the list is older than the maximum age allowed; publish a newer index",
        _ => c"unknown result code",
    };
    text.as_ptr()
}

/// Copies the detail of the last failure on the calling thread (a message
/// naming the file, the argument or the masked recipient) into `buf` as a
/// NUL-terminated string, truncated to `len - 1` bytes; returns the
/// message's full length without the NUL, so a caller can retry with a
/// bigger buffer; a truncated copy ends at a character boundary. With `buf`
/// NULL nothing is written, whatever `len`. Returns 0 and writes "" if
/// nothing has failed on this thread. A success does not clear the message:
/// read it right after the failing call. Messages never hold a full CPR number.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_last_error_message(buf: *mut c_char, len: usize) -> usize {
    let mut needed = 0;
    if buf.is_null() {
        // Asking for the length must not replace the message being asked about.
        return last_error_into(&mut []);
    }
    let _ = ffi_boundary!({
        // SAFETY: the caller passes `len` writable bytes (or NULL with 0).
        let buf = unsafe { arg_slice_mut(buf.cast::<u8>(), len, "buf") }?;
        needed = last_error_into(buf);
        Ok(())
    });
    needed
}

/// The library's version, e.g. "0.1.0" (static, NUL-terminated).
#[unsafe(no_mangle)]
pub extern "C" fn tlm_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

pub(crate) fn lookup_on(
    index: &Index,
    material_id: &str,
    recipient_text: &str,
    date_yyyymmdd: i32,
    out: &mut MaybeUninit<tlm_answer>,
) -> Result<(), tlm_result> {
    check_fresh(index)?;
    let date = date_arg(date_yyyymmdd)?;
    let material = index
        .material(material_id)
        .ok_or_else(|| lookup_error(LookupError::UnknownMaterial, material_id, ""))?;
    let recipient = recipient_text.parse::<Recipient>().map_err(|e| {
        fail(
            tlm_result::TlmInvalidRecipient,
            format_args!(
                "{} is not a valid CPR or CVR number: {e}",
                quote_for_message(recipient_text)
            ),
        )
    })?;
    let answer = index
        .answer(material, &recipient, date)
        .map_err(|e| lookup_error(e, material_id, &recipient.masked().to_string()))?;
    out.write(answer.into());
    Ok(())
}

pub(crate) fn lookup_batch_on(
    index: &Index,
    material_id: &str,
    kind: tlm_recipient_kind,
    recipients: &[u64],
    date_yyyymmdd: i32,
    out: &mut [MaybeUninit<tlm_answer>],
) -> Result<(), tlm_result> {
    check_fresh(index)?;
    let kind = kind_arg(kind)?;
    let date = date_arg(date_yyyymmdd)?;
    let material = index
        .material(material_id)
        .ok_or_else(|| lookup_error(LookupError::UnknownMaterial, material_id, ""))?;
    index
        .for_each_answer(material, kind, recipients, date, |i, answer| {
            out[i].write(match answer {
                Ok(answer) => answer.into(),
                Err(e) => tlm_answer {
                    result: result_of(e),
                    channel: tlm_channel::None,
                    reason: tlm_reason::None,
                    reserved: 0,
                },
            });
        })
        .map_err(|e| lookup_error(e, material_id, kind.as_str()))?;
    Ok(())
}

impl From<Answer> for tlm_answer {
    fn from(a: Answer) -> tlm_answer {
        let channel = match a.channel {
            Channel::Digital => tlm_channel::Digital,
            Channel::Nemsms => tlm_channel::Nemsms,
            Channel::Physical => tlm_channel::Physical,
        };
        let reason = match a.reason {
            Reason::Registered => tlm_reason::Registered,
            Reason::SenderCertificateExpired => tlm_reason::SenderCertificateExpired,
            Reason::GroupNotActive => tlm_reason::GroupNotActive,
            Reason::NotRegistered => tlm_reason::NotRegistered,
            Reason::Closed => tlm_reason::Closed,
            Reason::PendingRegistration => tlm_reason::PendingRegistration,
            Reason::Exempt => tlm_reason::Exempt,
            Reason::MandatoryDespiteExemption => tlm_reason::MandatoryDespiteExemption,
            Reason::NoNemsms => tlm_reason::NoNemsms,
        };
        tlm_answer {
            result: tlm_result::TlmOk,
            channel,
            reason,
            reserved: 0,
        }
    }
}

fn result_of(e: LookupError) -> tlm_result {
    match e {
        LookupError::UnknownMaterial => tlm_result::TlmUnknownMaterial,
        LookupError::InvalidRecipient => tlm_result::TlmInvalidRecipient,
        LookupError::AudienceMismatch => tlm_result::TlmAudienceMismatch,
        LookupError::StaleIndex => tlm_result::TlmStaleIndex,
    }
}

fn lookup_error(e: LookupError, material: &str, recipient: &str) -> tlm_result {
    // The material ID is the caller's text too: swapped arguments would
    // otherwise put a CPR number in the message.
    let material = quote_for_message(material);
    if recipient.is_empty() {
        fail(result_of(e), format_args!("material {material}: {e}"))
    } else {
        fail(
            result_of(e),
            format_args!("material {material}, {recipient}: {e}"),
        )
    }
}

#[inline]
fn check_fresh(index: &Index) -> Result<(), tlm_result> {
    if index.is_stale() {
        return Err(stale(index));
    }
    Ok(())
}

#[cold]
fn stale(index: &Index) -> tlm_result {
    let hms = |d: Duration| {
        let s = d.as_secs();
        format!("{}h{:02}m{:02}s", s / 3600, s % 3600 / 60, s % 60)
    };
    fail(
        tlm_result::TlmStaleIndex,
        format_args!(
            "{} (the list is {} old; the maximum age is {})",
            LookupError::StaleIndex,
            hms(index.age()),
            hms(index.max_age().unwrap_or_default())
        ),
    )
}

pub(crate) fn open_error(e: OpenError) -> tlm_result {
    let code = match e.format_error() {
        None => tlm_result::TlmIo,
        Some(FormatError::UnsupportedVersion { .. }) => tlm_result::TlmUnsupportedVersion,
        Some(_) => tlm_result::TlmCorruptIndex,
    };
    fail(code, e)
}

pub(crate) fn max_age(seconds: u64) -> Option<Duration> {
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

fn kind_arg(kind: tlm_recipient_kind) -> Result<RecipientKind, tlm_result> {
    match kind {
        TLM_RECIPIENT_CPR => Ok(RecipientKind::Cpr),
        TLM_RECIPIENT_CVR => Ok(RecipientKind::Cvr),
        other => Err(fail(
            tlm_result::TlmInvalidArgument,
            format_args!("`kind` {other} is neither TLM_RECIPIENT_CPR nor TLM_RECIPIENT_CVR"),
        )),
    }
}

#[inline]
fn date_arg(yyyymmdd: i32) -> Result<Date, tlm_result> {
    // Callers look up many letters for one date: remember the last date
    // converted (the argument in the high half, the day number in the low
    // half of one atomic word, so a reader never sees a mixed pair). 0, the
    // "today" argument, is never remembered.
    static LAST: AtomicU64 = AtomicU64::new(0);
    let last = LAST.load(Ordering::Relaxed);
    if (last >> 32) as i32 == yyyymmdd
        && yyyymmdd != 0
        && let Some(date) = Date::from_days(last as u32 as i32)
    {
        return Ok(date);
    }
    let date = convert_date(yyyymmdd)?;
    if yyyymmdd != 0 {
        let packed = u64::from(yyyymmdd as u32) << 32 | u64::from(date.days() as u32);
        LAST.store(packed, Ordering::Relaxed);
    }
    Ok(date)
}

#[inline(never)]
fn convert_date(yyyymmdd: i32) -> Result<Date, tlm_result> {
    if yyyymmdd == 0 {
        return Ok(Date::today());
    }
    Date::from_yyyymmdd(yyyymmdd).map_err(|e| {
        fail(
            tlm_result::TlmInvalidArgument,
            format_args!("date {yyyymmdd} is not a YYYYMMDD date: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The remembered last date never answers for another date, whatever
    /// the order of calls and however many threads make them.
    #[test]
    fn date_arguments_convert_like_the_calendar() {
        let dates = [
            20261122, 20261122, 20261123, 20260230, 20261122, 19000101, 99991231, 20240229,
            20230229, -1, 20261122, 10000, 20261123,
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
}
