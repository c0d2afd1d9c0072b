//! The C ABI of [`Reader`]: an index path that is replaced while it is read.

use std::ffi::c_char;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::boundary::{
    arg_out, arg_ref, arg_slice, arg_slice_mut, arg_str, copy_c_string, fail, ffi_boundary,
};
use super::index::{lookup_batch_on, lookup_on, tlm_index};
use super::{max_age, open_error, tlm_answer, tlm_recipient_kind, tlm_result};
use crate::{Reader, Refresh, Refresher};

/// A reader of an index path that is replaced while it is read. Opaque:
/// created by `tlm_reader_open`, freed by `tlm_reader_close`.
pub struct tlm_reader {
    reader: Arc<Reader>,
    refresher: Mutex<Option<Refresher>>,
}

/// Opens a reader on the index file at `path`: like `tlm_index_open`, but
/// `tlm_reader_refresh` can later swap in a file renamed over the path.
/// Free with `tlm_reader_close`. Results as `tlm_index_open`.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_reader_open(path: *const c_char, out: *mut *mut tlm_reader) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a NUL-terminated string or NULL.
        let path = unsafe { arg_str(path, "path") }?;
        // SAFETY: the caller passes a writable pointer or NULL.
        let out = unsafe { arg_out(out, "out") }?;
        let reader = Reader::open(path).map_err(open_error)?;
        out.write(Box::into_raw(Box::new(tlm_reader {
            reader: Arc::new(reader),
            refresher: Mutex::new(None),
        })));
        Ok(())
    })
}

/// Frees a reader, stopping its background refresh if one runs (waiting up
/// to about 50 ms for it). NULL is a no-op. No other thread may be using the
/// reader, and it must not be used after this call. Index handles from
/// `tlm_reader_current` stay valid until closed.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_reader_close(reader: *mut tlm_reader) {
    let _ = ffi_boundary!({
        if !reader.is_null() {
            // SAFETY: a non-NULL handle came from `Box::into_raw` in
            // `tlm_reader_open` and, by the contract above, is freed once.
            drop(unsafe { Box::from_raw(reader) });
        }
        Ok(())
    });
}

/// Checks whether the file at the reader's path was replaced; if so opens
/// it, checks it fully and swaps it in atomically. Lookups in flight finish
/// on the old index, which is released when the last one ends.
///
/// On success writes 1 to `*replaced` if a new index was swapped in, else 0
/// (`replaced` may be NULL). On failure (`TLM_IO` for a missing file,
/// `TLM_CORRUPT_INDEX`, ...) the current index keeps serving and
/// `tlm_last_error_message` says why. A NULL `reader` gives
/// `TLM_NULL_ARGUMENT`. Thread safety: any thread, concurrently with
/// lookups; concurrent refreshes run one at a time.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_reader_refresh(reader: *const tlm_reader, replaced: *mut u32) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let reader = &unsafe { arg_ref(reader, "reader") }?.reader;
        let refresh = reader.refresh().map_err(open_error)?;
        if !replaced.is_null() {
            // SAFETY: non-NULL, and the caller passes a writable pointer.
            let replaced = unsafe { arg_out(replaced, "replaced") }?;
            replaced.write(u32::from(matches!(refresh, Refresh::Replaced { .. })));
        }
        Ok(())
    })
}

/// Starts refreshing the reader every `interval_ms` milliseconds on a
/// background thread, until `tlm_reader_close` (a second call replaces the
/// first). Failed refreshes keep the current index serving;
/// `tlm_reader_refresh_error` tells why the latest one failed. A NULL
/// `reader` gives `TLM_NULL_ARGUMENT`, an interval of 0 `TLM_INVALID_ARGUMENT`.
/// Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_reader_refresh_every(
    reader: *const tlm_reader,
    interval_ms: u64,
) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let handle = unsafe { arg_ref(reader, "reader") }?;
        if interval_ms == 0 {
            return Err(fail(tlm_result::TlmInvalidArgument, "`interval_ms` is 0"));
        }
        let refresher = handle
            .reader
            .refresh_every(Duration::from_millis(interval_ms));
        let mut slot = handle.refresher.lock().unwrap_or_else(|p| p.into_inner());
        *slot = Some(refresher);
        Ok(())
    })
}

/// Sets the maximum age (seconds, 0 = off) for the index serving now and
/// every index a refresh swaps in; see `tlm_index_set_max_age`. A NULL
/// `reader` gives `TLM_NULL_ARGUMENT`. Thread safety: any thread, also while
/// a refresh runs (the setting is never lost to a concurrent swap).
#[unsafe(no_mangle)]
pub extern "C" fn tlm_reader_set_max_age(
    reader: *const tlm_reader,
    max_age_seconds: u64,
) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let reader = &unsafe { arg_ref(reader, "reader") }?.reader;
        reader.set_max_age(max_age(max_age_seconds));
        Ok(())
    })
}

/// Writes to `*out` a new handle on the index serving now, which stays valid
/// (and keeps its file mapped) until closed with `tlm_index_close`, whatever
/// refreshes happen meanwhile. Use it to make several lookups, and read the
/// snapshot id they came from, against one snapshot. NULL arguments give
/// `TLM_NULL_ARGUMENT`. Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_reader_current(
    reader: *const tlm_reader,
    out: *mut *mut tlm_index,
) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let reader = &unsafe { arg_ref(reader, "reader") }?.reader;
        // SAFETY: the caller passes a writable pointer or NULL.
        let out = unsafe { arg_out(out, "out") }?;
        out.write(Box::into_raw(Box::new(tlm_index {
            index: reader.index(),
        })));
        Ok(())
    })
}

/// `tlm_index_lookup` on the index serving now; results, NULL handling and thread
/// safety as there. To tie the answer to its snapshot, look up on a handle
/// from `tlm_reader_current` instead.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_reader_lookup(
    reader: *const tlm_reader,
    material_id: *const c_char,
    recipient: *const c_char,
    date_yyyymmdd: i32,
    out: *mut tlm_answer,
) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let reader = &unsafe { arg_ref(reader, "reader") }?.reader;
        // SAFETY: the caller passes NUL-terminated strings or NULL.
        let material_id = unsafe { arg_str(material_id, "material_id") }?;
        // SAFETY: as above.
        let recipient_text = unsafe { arg_str(recipient, "recipient") }?;
        // SAFETY: the caller passes a writable pointer or NULL.
        let out = unsafe { arg_out(out, "out") }?;
        lookup_on(
            &reader.load(),
            material_id,
            recipient_text,
            date_yyyymmdd,
            out,
        )
    })
}

/// `tlm_index_lookup_batch` on the index serving now (one snapshot for the whole
/// batch); results, NULL handling and thread safety as there.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_reader_lookup_batch(
    reader: *const tlm_reader,
    material_id: *const c_char,
    kind: tlm_recipient_kind,
    recipients: *const u64,
    count: usize,
    date_yyyymmdd: i32,
    out: *mut tlm_answer,
) -> tlm_result {
    ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let reader = &unsafe { arg_ref(reader, "reader") }?.reader;
        // SAFETY: the caller passes a NUL-terminated string or NULL.
        let material_id = unsafe { arg_str(material_id, "material_id") }?;
        // SAFETY: the caller passes `count` readable numbers (or NULL with 0).
        let recipients = unsafe { arg_slice(recipients, count, "recipients") }?;
        // SAFETY: the caller passes room for `count` answers (or NULL with 0).
        let out = unsafe { arg_slice_mut(out, count, "out") }?;
        lookup_batch_on(
            &reader.load(),
            material_id,
            kind,
            recipients,
            date_yyyymmdd,
            out,
        )
    })
}

/// Copies why the latest background refresh (`tlm_reader_refresh_every`)
/// failed into `buf`, as `tlm_last_error_message` does, and returns the
/// message's length: 0 (and "") when the latest one succeeded or none ran.
/// A NULL `reader` returns 0. Thread safety: any thread. The message
/// belongs to the background thread and may change between two calls: when
/// retrying with a bigger buffer, read up to the NUL rather than trusting the
/// earlier length. A failed manual `tlm_reader_refresh` is reported by its
/// own result and `tlm_last_error_message`, not here.
#[unsafe(no_mangle)]
pub extern "C" fn tlm_reader_refresh_error(
    reader: *const tlm_reader,
    buf: *mut c_char,
    len: usize,
) -> usize {
    let mut needed = 0;
    let _ = ffi_boundary!({
        // SAFETY: the caller passes a live handle or NULL.
        let Ok(handle) = (unsafe { arg_ref(reader, "reader") }) else {
            return Ok(());
        };
        let slot = handle.refresher.lock().unwrap_or_else(|p| p.into_inner());
        let message = slot
            .as_ref()
            .and_then(Refresher::last_error)
            .unwrap_or_default();
        let buf = if buf.is_null() {
            &mut []
        } else {
            // SAFETY: non-NULL, and the caller passes `len` writable bytes.
            unsafe { arg_slice_mut(buf.cast::<u8>(), len, "buf") }?
        };
        needed = copy_c_string(&message, buf);
        Ok(())
    });
    needed
}
