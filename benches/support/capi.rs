//! The part of the C ABI (`include/tilmelding.h`) the benchmark calls, declared
//! as a C caller sees it. The symbols are the library's own `#[no_mangle]`
//! functions, linked in with the rest of the crate.

#![allow(non_camel_case_types, dead_code)]

use std::ffi::c_char;

/// `tlm_result`: `TLM_OK` is 0.
pub type tlm_result = u32;
pub const TLM_OK: tlm_result = 0;
/// `tlm_recipient_kind`.
pub const TLM_RECIPIENT_CPR: u32 = 0;

/// An opaque `tlm_index`.
#[repr(C)]
pub struct tlm_index {
    _private: [u8; 0],
}

/// `tlm_answer`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct tlm_answer {
    pub result: tlm_result,
    pub channel: u8,
    pub reason: u8,
    pub reserved: u16,
}

unsafe extern "C" {
    pub fn tlm_index_open(path: *const c_char, out: *mut *mut tlm_index) -> tlm_result;
    pub fn tlm_index_close(index: *mut tlm_index);
    pub fn tlm_index_material(
        index: *const tlm_index,
        material_id: *const c_char,
        out: *mut u32,
    ) -> tlm_result;
    pub fn tlm_index_lookup(
        index: *const tlm_index,
        material_id: *const c_char,
        recipient: *const c_char,
        date_yyyymmdd: i32,
        out: *mut tlm_answer,
    ) -> tlm_result;
    pub fn tlm_index_lookup_number(
        index: *const tlm_index,
        material: u32,
        kind: u32,
        number: u64,
        date_yyyymmdd: i32,
        out: *mut tlm_answer,
    ) -> tlm_result;
    pub fn tlm_index_lookup_batch(
        index: *const tlm_index,
        material_id: *const c_char,
        kind: u32,
        recipients: *const u64,
        count: usize,
        date_yyyymmdd: i32,
        out: *mut tlm_answer,
    ) -> tlm_result;
}
