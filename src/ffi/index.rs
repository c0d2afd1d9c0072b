//! `tlm_index_*`: an open index and the lookups on it.

use std::ffi::c_char;
use std::mem::MaybeUninit;
use std::sync::Arc;

use super::boundary::{arg_out, arg_ref, arg_slice, arg_slice_mut, arg_str, fail, ffi_boundary};
use super::*;

/// An open index. Opaque: created by `tlm_index_open*` or `tlm_reader_current`,
/// freed by `tlm_index_close`.
pub struct tlm_index {
    pub(super) index: Arc<Index>,
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
    // SAFETY: passed on from the caller, as the helper requires.
    unsafe { open_path(path, out, |p| Index::open(p)) }
}

/// Opens the index file at `path` with `open` into a new handle at `*out`:
/// the body of the functions that open by path.
///
/// # Safety
/// `path` is NULL or NUL-terminated; `out` is NULL or writable.
unsafe fn open_path(
    path: *const c_char,
    out: *mut *mut tlm_index,
    open: fn(&str) -> Result<Index, crate::OpenError>,
) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a NUL-terminated string or NULL.
        let path = unsafe { arg_str(path, "path") }?;
        // SAFETY: the caller passes a writable pointer or NULL.
        let out = unsafe { arg_out(out, "out") }?;
        let index = Arc::new(open(path).map_err(open_error)?);
        out.write(Box::into_raw(Box::new(tlm_index { index })));
        Ok(())
    })
}

/// Reads the index file at `path` into the process's own memory, backed by
/// huge pages where the system grants them, with the checks of
/// `tlm_index_open`, whose results it gives.
///
/// For servers that answer single lookups while doing other work: with the
/// index out of the cache, a lookup then costs fewer memory reads (no page
/// table walk). The cost: the file's size in private memory for each
/// process, where mappings of one file share it. The file may be rewritten
/// or removed once this returns. Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_index_load(path: *const c_char, out: *mut *mut tlm_index) -> tlm_result {
    // SAFETY: passed on from the caller, as the helper requires.
    unsafe { open_path(path, out, |p| Index::load(p)) }
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

/// `tlm_index_open`, and then verifies the file fully: recomputes the
/// snapshot id from the bytes and checks every section's contents (the
/// registers' keys in order, every code byte, the materials map against the
/// catalog), which a checksum cannot: a file resealed after a change fails
/// here. Takes about 20 ms for a national index on two cores: the file's hash
/// and the check of every key, shared between two threads.
///
/// Results as `tlm_index_open`; a file that opens but fails verification
/// gives `TLM_CORRUPT_INDEX`, `tlm_last_error_message` naming the file and the
/// first problem found.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_index_open_verified(
    path: *const c_char,
    out: *mut *mut tlm_index,
) -> tlm_result {
    // SAFETY: passed on from the caller, as the helper requires.
    unsafe { open_path(path, out, |p| Index::open_verified(p)) }
}

/// Verifies an open index as `tlm_index_open_verified` does: for a handle
/// from `tlm_index_open_bytes` or `tlm_reader_current`, or to check an index
/// again. Returns `TLM_OK`, `TLM_CORRUPT_INDEX` (`tlm_last_error_message`
/// names the first problem found) or `TLM_NULL_ARGUMENT`. Thread safety: any
/// thread, concurrently with lookups on the same handle.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_index_verify(index: *const tlm_index) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let index = &unsafe { arg_ref(index, "index") }?.index;
        index.verify().map_err(|e| {
            fail(
                tlm_result::TlmCorruptIndex,
                format_args!("verification failed: {e}"),
            )
        })
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
pub extern "C" fn tlm_index_lookup(
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

/// Resolves `material_id` once, for `tlm_index_lookup_number`: writes the
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

/// `tlm_index_lookup` for hot loops: the material as numbered by
/// `tlm_index_material` on the same handle, the recipient as a number of
/// `kind` (as in `tlm_index_lookup_batch`). Nothing to parse or resolve per call.
///
/// On success writes `*out` and returns `TLM_OK`; otherwise returns
/// `TLM_STALE_INDEX`, `TLM_UNKNOWN_MATERIAL` (a number this index does not
/// have), `TLM_INVALID_RECIPIENT`, `TLM_AUDIENCE_MISMATCH`,
/// `TLM_INVALID_ARGUMENT` (bad kind or date) or `TLM_NULL_ARGUMENT`, and
/// leaves `*out` untouched. Allocates nothing. Thread safety: as `tlm_index_lookup`.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_index_lookup_number(
    index: *const tlm_index,
    material: u32,
    kind: tlm_recipient_kind,
    recipient: u64,
    date_yyyymmdd: i32,
    out: *mut tlm_answer,
) -> tlm_result {
    ffi_boundary!({
        // The common case first, inline: a date converted before, no
        // maximum age, a valid kind and number, and an answer from
        // `Index::quick_answer`. Anything else takes the whole path, out of
        // line, which checks every argument and answers every case alike.
        // With it inline, a call took more instructions and saved more
        // registers, and fewer lookups' memory waits overlapped in a loop.
        // SAFETY: the caller passes a live handle or NULL.
        if let Some(handle) = unsafe { index.as_ref() }
            && !out.is_null()
            && let Some(answer) =
                quick_number(&handle.index, material, kind, recipient, date_yyyymmdd)
        {
            // SAFETY: the caller passes a writable pointer, here not NULL.
            unsafe { out.write(answer.into()) };
            return Ok(());
        }
        // SAFETY: passed on from the caller, as the function requires.
        unsafe { lookup_number(index, material, kind, recipient, date_yyyymmdd, out) }
    })
}

/// [`tlm_index_lookup_number`] in the common case: `None` for anything else.
#[inline(always)]
fn quick_number(
    index: &Index,
    material: u32,
    kind: tlm_recipient_kind,
    number: u64,
    date_yyyymmdd: i32,
) -> Option<Answer> {
    let date = converted_date(date_yyyymmdd)?;
    let kind = known_kind(kind)?;
    if index.has_max_age() {
        return None;
    }
    let recipient = Recipient::from_number(kind, number).ok()?;
    index.quick_answer(MaterialId::from_number(material), &recipient, date)
}

/// [`tlm_index_lookup_number`] in every case, out of line.
///
/// # Safety
/// As the caller of [`tlm_index_lookup_number`] promises.
#[inline(never)]
unsafe fn lookup_number(
    index: *const tlm_index,
    material: u32,
    kind: tlm_recipient_kind,
    recipient: u64,
    date_yyyymmdd: i32,
    out: *mut tlm_answer,
) -> Result<(), tlm_result> {
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
    // The whole answer: the quick one was tried, or could have been given
    // and the full one is the same.
    let answer = index
        .full_answer(MaterialId::from_number(material), &recipient, date)
        .map_err(|e| lookup_error(e, &material_name(), &recipient.masked().to_string()))?;
    out.write(answer.into());
    Ok(())
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
/// Allocates nothing on success. Thread safety: as `tlm_index_lookup`.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_index_lookup_batch(
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

pub(super) fn lookup_on(
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

pub(super) fn lookup_batch_on(
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
        .fill_answers(material, kind, recipients, date, out, |answer| {
            MaybeUninit::new(match answer {
                Ok(answer) => answer.into(),
                Err(e) => tlm_answer {
                    result: result_of(e),
                    channel: tlm_channel::None,
                    reason: tlm_reason::None,
                    reserved: 0,
                },
            })
        })
        .map_err(|e| lookup_error(e, material_id, kind.as_str()))?;
    Ok(())
}
