//! The boundary every exported function goes through: panics caught,
//! pointers checked, errors recorded for `tlm_last_error_message`.

use std::cell::RefCell;
use std::ffi::c_char;
use std::mem::MaybeUninit;

use super::tlm_result;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records the detail of a failure on this thread and returns its code.
pub(crate) fn fail(code: tlm_result, message: impl std::fmt::Display) -> tlm_result {
    LAST_ERROR.with(|last| {
        let mut last = last.borrow_mut();
        last.clear();
        use std::fmt::Write;
        let _ = write!(last, "{message}");
    });
    code
}

/// Copies this thread's last error message and a NUL into `buf`, truncated
/// to fit; returns the message's full length.
pub(crate) fn last_error_into(buf: &mut [MaybeUninit<u8>]) -> usize {
    LAST_ERROR.with(|last| copy_c_string(&last.borrow(), buf))
}

/// Copies `text` and a NUL into `buf`, cut at a character boundary to fit
/// (nothing when `buf` is empty); returns `text`'s full length.
pub(crate) fn copy_c_string(text: &str, buf: &mut [MaybeUninit<u8>]) -> usize {
    if let Some(room) = buf.len().checked_sub(1) {
        let mut n = text.len().min(room);
        while !text.is_char_boundary(n) {
            n -= 1;
        }
        for (slot, byte) in buf.iter_mut().zip(text.bytes().take(n).chain([0])) {
            slot.write(byte);
        }
    }
    text.len()
}

/// Runs an exported function's body, turning a panic into `TLM_PANIC`.
macro_rules! ffi_boundary {
    ($body:block) => {{
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> ::std::result::Result<(), $crate::ffi::tlm_result> { $body },
        )) {
            Ok(Ok(())) => $crate::ffi::tlm_result::TlmOk,
            Ok(Err(code)) => code,
            Err(_) => $crate::ffi::boundary::fail(
                $crate::ffi::tlm_result::TlmPanic,
                "internal error (panic) in tilmelding; please report it",
            ),
        }
    }};
}
pub(crate) use ffi_boundary;

/// A required pointer argument as a reference.
///
/// # Safety
///
/// `ptr` must be NULL or valid for reads of a `T` for `'a`.
#[inline]
pub(crate) unsafe fn arg_ref<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, tlm_result> {
    // SAFETY: the caller guarantees that a non-NULL `ptr` is valid for `'a`.
    unsafe { ptr.as_ref() }.ok_or_else(|| null(name))
}

/// A required output pointer, to memory the caller may not have initialised.
///
/// # Safety
///
/// `ptr` must be NULL or valid for writes of a `T` for `'a`.
#[inline]
pub(crate) unsafe fn arg_out<'a, T>(
    ptr: *mut T,
    name: &str,
) -> Result<&'a mut MaybeUninit<T>, tlm_result> {
    // SAFETY: the caller guarantees that a non-NULL `ptr` is valid for writes
    // for `'a`; `MaybeUninit` makes no claim about the current contents.
    unsafe { ptr.cast::<MaybeUninit<T>>().as_mut() }.ok_or_else(|| null(name))
}

/// A required NUL-terminated UTF-8 string argument.
///
/// # Safety
///
/// `ptr` must be NULL or point to a NUL-terminated string valid for `'a`.
#[inline]
pub(crate) unsafe fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, tlm_result> {
    if ptr.is_null() {
        return Err(null(name));
    }
    // Material IDs and recipients are a few ASCII bytes. One pass finds the
    // end and whether every byte is ASCII, which makes the text UTF-8 with
    // nothing more to check; `strlen` and a UTF-8 validation took two calls
    // and about 100 instructions per string.
    let start = ptr.cast::<u8>();
    let (mut len, mut seen) = (0, 0u8);
    loop {
        // SAFETY: the caller guarantees a NUL-terminated string, so every
        // byte up to and including the NUL can be read.
        let byte = unsafe { *start.add(len) };
        if byte == 0 {
            break;
        }
        seen |= byte;
        len += 1;
    }
    // SAFETY: the `len` bytes before the NUL, read above; the caller
    // guarantees they live, unchanged, for `'a`.
    let bytes = unsafe { std::slice::from_raw_parts(start, len) };
    if seen.is_ascii() {
        // SAFETY: every byte is below 0x80, and ASCII is UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).map_err(|_| {
        fail(
            tlm_result::TlmInvalidArgument,
            format_args!("`{name}` is not valid UTF-8"),
        )
    })
}

/// A buffer argument of `len` elements; NULL is allowed only when `len` is 0.
///
/// # Safety
///
/// A non-NULL `ptr` must be valid for reads of `len` elements for `'a`.
#[inline]
pub(crate) unsafe fn arg_slice<'a, T>(
    ptr: *const T,
    len: usize,
    name: &str,
) -> Result<&'a [T], tlm_result> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable, initialised elements.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An output buffer of `len` elements; NULL is allowed only when `len` is 0.
///
/// # Safety
///
/// A non-NULL `ptr` must be valid for writes of `len` elements for `'a`, and
/// not alias any other argument.
#[inline]
pub(crate) unsafe fn arg_slice_mut<'a, T>(
    ptr: *mut T,
    len: usize,
    name: &str,
) -> Result<&'a mut [MaybeUninit<T>], tlm_result> {
    if len == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: non-NULL, and the caller guarantees `len` writable elements;
    // `MaybeUninit` makes no claim about their current contents.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr.cast::<MaybeUninit<T>>(), len) })
}

#[cold]
fn null(name: &str) -> tlm_result {
    fail(
        tlm_result::TlmNullArgument,
        format_args!("`{name}` is NULL"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> String {
        let mut buf = [MaybeUninit::new(0u8); 128];
        let n = last_error_into(&mut buf).min(127);
        // SAFETY: the first `n` bytes were written just now.
        let bytes: Vec<u8> = buf[..n]
            .iter()
            .map(|b| unsafe { b.assume_init() })
            .collect();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn a_panic_becomes_a_result_code_and_a_message() {
        let result = ffi_boundary!({
            let empty: &[u8] = &[];
            let _ = empty[std::hint::black_box(3)];
            Ok(())
        });
        assert_eq!(result, tlm_result::TlmPanic);
        assert!(
            message().starts_with("internal error (panic)"),
            "{}",
            message()
        );
    }

    #[test]
    fn errors_pass_through_and_success_is_ok() {
        assert_eq!(ffi_boundary!({ Ok(()) }), tlm_result::TlmOk);
        let result = ffi_boundary!({ Err(fail(tlm_result::TlmIo, "disk on fire")) });
        assert_eq!(result, tlm_result::TlmIo);
        assert_eq!(message(), "disk on fire");
    }

    #[test]
    fn string_arguments_are_read_to_the_nul_and_must_be_utf8() {
        let read = |bytes: &[u8]| {
            let bytes = [bytes, &[0]].concat();
            // SAFETY: NUL-terminated, and alive for the call.
            unsafe { arg_str(bytes.as_ptr().cast(), "text") }.map(str::to_owned)
        };
        assert_eq!(read(b""), Ok(String::new()));
        assert_eq!(read(b"100234"), Ok("100234".into()));
        assert_eq!(read(b"0101901234"), Ok("0101901234".into()));
        assert_eq!(
            read("m\u{e6}rke \u{1F4EC}".as_bytes()),
            Ok("m\u{e6}rke \u{1F4EC}".into())
        );
        assert_eq!(read(&[b'a'; 300]), Ok("a".repeat(300)));
        for invalid in [
            &b"\xff"[..],
            b"abc\x80",
            b"\xc3",
            b"\xed\xa0\x80",
            b"ok\xf8\x88\x80\x80\x80",
        ] {
            assert_eq!(
                read(invalid),
                Err(tlm_result::TlmInvalidArgument),
                "{invalid:?}"
            );
            assert!(
                message().contains("`text` is not valid UTF-8"),
                "{}",
                message()
            );
        }
        // SAFETY: NULL is allowed.
        let null = unsafe { arg_str(std::ptr::null(), "text") };
        assert_eq!(null, Err(tlm_result::TlmNullArgument));
    }

    #[test]
    fn copies_are_cut_at_character_boundaries() {
        let mut buf = [MaybeUninit::new(0xffu8); 4];
        assert_eq!(copy_c_string("æøå", &mut buf), 6);
        // SAFETY: written above: "æ" (2 bytes), then NUL.
        let bytes: Vec<u8> = buf[..3]
            .iter()
            .map(|b| unsafe { b.assume_init() })
            .collect();
        assert_eq!(bytes, "æ\0".as_bytes());
        assert_eq!(copy_c_string("abc", &mut []), 3);
    }
}
