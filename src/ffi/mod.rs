//! The C ABI (`include/tilmelding.h`, generated from this module by cbindgen).
//!
//! Conventions: every symbol starts with `tlm_`; handles are opaque and
//! created and freed only here; every function returns a `tlm_result` (or is
//! infallible), checks every pointer, writes its outputs only on success,
//! and never lets a panic cross into the caller. Detail of the last failure
//! on a thread is kept for `tlm_last_error_message`.

#![allow(non_camel_case_types)]
// These functions are for C callers, whose pointer contracts are stated in
// each function's documentation (and checked as far as they can be). The
// module is private, so safe Rust outside this crate cannot call them; marking
// them `unsafe` in Rust would tell a C caller nothing.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod boundary;
mod index;
mod reader;
#[cfg(test)]
mod tests;

use std::ffi::{CStr, c_char};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use self::boundary::{arg_slice_mut, fail, ffi_boundary, last_error_into};
use crate::recipient::quote_for_message;
use crate::{
    Answer, Channel, Date, FormatError, Index, LookupError, MaterialId, OpenError, Reason,
    Recipient, RecipientKind,
};

/// The outcome of a call. Fixed width (`uint32_t`); numbers are never reused.
// The prefix becomes the C names' `TLM_`.
#[allow(clippy::enum_variant_names)]
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

impl tlm_result {
    /// Every result, in number order: `ALL[n]` is the result numbered `n`.
    const ALL: [tlm_result; 12] = [
        tlm_result::TlmOk,
        tlm_result::TlmNullArgument,
        tlm_result::TlmInvalidArgument,
        tlm_result::TlmIo,
        tlm_result::TlmCorruptIndex,
        tlm_result::TlmUnsupportedVersion,
        tlm_result::TlmUnknownMaterial,
        tlm_result::TlmInvalidRecipient,
        tlm_result::TlmAudienceMismatch,
        tlm_result::TlmBufferTooSmall,
        tlm_result::TlmPanic,
        tlm_result::TlmStaleIndex,
    ];

    fn from_u32(n: u32) -> Option<tlm_result> {
        tlm_result::ALL.get(n as usize).copied()
    }

    /// What `tlm_strerror` says of the result.
    fn description(self) -> &'static CStr {
        match self {
            tlm_result::TlmOk => c"success",
            tlm_result::TlmNullArgument => c"a required argument is NULL",
            tlm_result::TlmInvalidArgument => c"invalid argument",
            tlm_result::TlmIo => c"cannot open or read the index file",
            tlm_result::TlmCorruptIndex => c"the index file is damaged or not an index",
            tlm_result::TlmUnsupportedVersion => {
                c"the index file's format version is not supported; rebuild it with this version"
            }
            tlm_result::TlmUnknownMaterial => c"unknown material",
            tlm_result::TlmInvalidRecipient => c"invalid recipient: not a valid CPR or CVR number",
            tlm_result::TlmAudienceMismatch => {
                c"audience mismatch: the material has no group for this kind of recipient"
            }
            tlm_result::TlmBufferTooSmall => c"buffer too small",
            tlm_result::TlmPanic => c"internal error (panic)",
            tlm_result::TlmStaleIndex => {
                c"stale index: the list is older than the maximum age allowed; publish a newer index"
            }
        }
    }
}

impl tlm_channel {
    fn from_u32(n: u32) -> Option<tlm_channel> {
        match n {
            0 => Some(tlm_channel::None),
            _ => Channel::from_number(n).map(tlm_channel::from),
        }
    }

    fn name(self) -> &'static CStr {
        match Channel::from_number(self as u32) {
            Some(channel) => channel.as_c_str(),
            None => c"none",
        }
    }
}

impl From<Channel> for tlm_channel {
    fn from(channel: Channel) -> tlm_channel {
        match channel {
            Channel::Digital => tlm_channel::Digital,
            Channel::Nemsms => tlm_channel::Nemsms,
            Channel::Physical => tlm_channel::Physical,
        }
    }
}

impl tlm_reason {
    fn from_u32(n: u32) -> Option<tlm_reason> {
        match n {
            0 => Some(tlm_reason::None),
            _ => Reason::from_number(n).map(tlm_reason::from),
        }
    }

    fn name(self) -> &'static CStr {
        match Reason::from_number(self as u32) {
            Some(reason) => reason.as_c_str(),
            None => c"none",
        }
    }
}

impl From<Reason> for tlm_reason {
    fn from(reason: Reason) -> tlm_reason {
        match reason {
            Reason::Registered => tlm_reason::Registered,
            Reason::SenderCertificateExpired => tlm_reason::SenderCertificateExpired,
            Reason::GroupNotActive => tlm_reason::GroupNotActive,
            Reason::NotRegistered => tlm_reason::NotRegistered,
            Reason::Closed => tlm_reason::Closed,
            Reason::PendingRegistration => tlm_reason::PendingRegistration,
            Reason::Exempt => tlm_reason::Exempt,
            Reason::MandatoryDespiteExemption => tlm_reason::MandatoryDespiteExemption,
            Reason::NoNemsms => tlm_reason::NoNemsms,
        }
    }
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

/// A static, NUL-terminated description of a result code (never NULL; an
/// unknown code gives "unknown result code"). Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_strerror(result: u32) -> *const c_char {
    tlm_result::from_u32(result)
        .map_or(c"unknown result code", tlm_result::description)
        .as_ptr()
}

/// The name of a channel as the CLI prints it ("digital", "nemsms",
/// "physical"; "none" for `TLM_CHANNEL_NONE`): a static, NUL-terminated
/// string, never to be freed. NULL for a number that is no channel.
/// Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_channel_name(channel: u32) -> *const c_char {
    tlm_channel::from_u32(channel).map_or(std::ptr::null(), |c| c.name().as_ptr())
}

/// The name of a reason as the CLI prints it (e.g. "registered",
/// "not_registered"; "none" for `TLM_REASON_NONE`): a static, NUL-terminated
/// string, never to be freed. NULL for a number that is no reason.
/// Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_reason_name(reason: u32) -> *const c_char {
    tlm_reason::from_u32(reason).map_or(std::ptr::null(), |r| r.name().as_ptr())
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

impl From<Answer> for tlm_answer {
    fn from(a: Answer) -> tlm_answer {
        tlm_answer {
            result: tlm_result::TlmOk,
            channel: a.channel.into(),
            reason: a.reason.into(),
            reserved: 0,
        }
    }
}

fn result_of(e: LookupError) -> tlm_result {
    tlm_result::from_u32(e.number()).expect("every lookup error has a tlm_result")
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

#[inline]
fn kind_arg(kind: tlm_recipient_kind) -> Result<RecipientKind, tlm_result> {
    match known_kind(kind) {
        Some(kind) => Ok(kind),
        None => Err(fail(
            tlm_result::TlmInvalidArgument,
            format_args!("`kind` {kind} is neither TLM_RECIPIENT_CPR nor TLM_RECIPIENT_CVR"),
        )),
    }
}

/// The kind a `tlm_recipient_kind` argument names, if it names one.
#[inline(always)]
fn known_kind(kind: tlm_recipient_kind) -> Option<RecipientKind> {
    match kind {
        TLM_RECIPIENT_CPR => Some(RecipientKind::Cpr),
        TLM_RECIPIENT_CVR => Some(RecipientKind::Cvr),
        _ => None,
    }
}

/// The last date argument converted: the argument in the high half, the day
/// number in the low half of one atomic word, so that a reader never sees a
/// mixed pair. Callers look up many letters for one date. 0, the "today"
/// argument, is never remembered.
static LAST_DATE: AtomicU64 = AtomicU64::new(0);

/// The date argument `yyyymmdd` if it is the last one converted.
#[inline(always)]
fn converted_date(yyyymmdd: i32) -> Option<Date> {
    let last = LAST_DATE.load(Ordering::Relaxed);
    if (last >> 32) as i32 == yyyymmdd && yyyymmdd != 0 {
        return Date::from_days(last as u32 as i32);
    }
    None
}

#[inline]
fn date_arg(yyyymmdd: i32) -> Result<Date, tlm_result> {
    if let Some(date) = converted_date(yyyymmdd) {
        return Ok(date);
    }
    let date = convert_date(yyyymmdd)?;
    if yyyymmdd != 0 {
        let packed = u64::from(yyyymmdd as u32) << 32 | u64::from(date.days() as u32);
        LAST_DATE.store(packed, Ordering::Relaxed);
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
