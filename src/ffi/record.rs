//! `apify_record`: a key-value record's bytes and content type.

use std::ffi::{c_char, CString};
use std::ptr;

use super::boundary::{ffi_plain, free_box};
use super::errors::{Failure, APIFY_STATUS_INTERNAL};
use crate::Record;

/// A key-value record: bytes and content type.
pub struct apify_record {
    data: Vec<u8>,
    content_type: CString,
}

/// A record handle for an out-parameter.
pub(super) fn new_record(record: Record) -> Result<Box<apify_record>, Failure> {
    let content_type = CString::new(record.content_type.replace('\0', ""))
        .map_err(|_| Failure::new(APIFY_STATUS_INTERNAL, "bad content type"))?;
    Ok(Box::new(apify_record {
        data: record.data,
        content_type,
    }))
}

/// The record's bytes (valid until `apify_record_free`); NULL for a NULL record.
#[no_mangle]
pub unsafe extern "C" fn apify_record_data(r: *const apify_record) -> *const u8 {
    ffi_plain!(ptr::null() => { r.as_ref().map_or(ptr::null(), |r| r.data.as_ptr()) })
}

/// The record's length in bytes; 0 for a NULL record.
#[no_mangle]
pub unsafe extern "C" fn apify_record_len(r: *const apify_record) -> usize {
    ffi_plain!(0 => { r.as_ref().map_or(0, |r| r.data.len()) })
}

/// The record's content type (valid until `apify_record_free`); NULL for a NULL record.
#[no_mangle]
pub unsafe extern "C" fn apify_record_content_type(r: *const apify_record) -> *const c_char {
    ffi_plain!(ptr::null() => { r.as_ref().map_or(ptr::null(), |r| r.content_type.as_ptr()) })
}

/// Frees a record. NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn apify_record_free(r: *mut apify_record) {
    ffi_plain!(() => { free_box(r) })
}
