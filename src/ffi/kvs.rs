//! Key-value stores: records, keys page by page or by iterator, and the store itself.

use std::ffi::{c_char, c_int};

use super::boundary::{bytes, ffi, ffi_plain, free_box, next_of};
use super::client_handle::apify_client;
use super::errors::{apify_status, Failure, APIFY_STATUS_NOT_FOUND};
use super::json::to_json;
use super::options::{parse_object, KeysOpts};
use super::record::{apify_record, new_record};
use crate::KeyIter;

/// An iterator over a key-value store's keys. Use from one thread at a time.
pub struct apify_key_iter {
    inner: KeyIter,
    failed: Option<Failure>,
}

/// Gets a record; NOT_FOUND when it does not exist.
///
/// API: `keyValueStore_record_get`
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_get_record(
    c: *const apify_client,
    store_id: *const c_char,
    key: *const c_char,
    out_record: *mut *mut apify_record,
) -> apify_status {
    ffi!((c: client, store_id: str, key: str) -> out_record => {
        new_record(c.key_value_store(store_id).fetch_record(key)?)?
    })
}

/// Whether a record exists (`*out_exists` 1 or 0), without reading it; NOT_FOUND when the store
/// does not exist.
///
/// API: `keyValueStore_record_head`
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_record_exists(
    c: *const apify_client,
    store_id: *const c_char,
    key: *const c_char,
    out_exists: *mut c_int,
) -> apify_status {
    ffi!((c: client, store_id: str, key: str) -> out_exists => {
        c.key_value_store(store_id).record_exists(key)?
    })
}

/// Stores `len` bytes at `data` (NULL allowed when `len` is 0) with a content type.
///
/// API: `keyValueStore_record_put`
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_set_record(
    c: *const apify_client,
    store_id: *const c_char,
    key: *const c_char,
    data: *const u8,
    len: usize,
    content_type: *const c_char,
) -> apify_status {
    ffi!((c: client, store_id: str, key: str, content_type: str) => {
        let data = bytes(data, len, "data")?;
        c.key_value_store(store_id).set_record(key, data, content_type)?
    })
}

/// Deletes a record (a missing record is not an error; a missing store is NOT_FOUND).
///
/// API: `keyValueStore_record_delete`
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_delete_record(
    c: *const apify_client,
    store_id: *const c_char,
    key: *const c_char,
) -> apify_status {
    ffi!((c: client, store_id: str, key: str) => { c.key_value_store(store_id).delete_record(key)? })
}

/// One page of keys: `{"items": [{"key", "size"}], "isTruncated", "nextExclusiveStartKey"}`.
/// Options: limit, exclusiveStartKey, prefix, collection.
///
/// API: `keyValueStore_keys_get`
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_list_keys(
    c: *const apify_client,
    store_id: *const c_char,
    options_json: *const c_char,
    out_page_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, store_id: str, options_json: opt_json) -> out_page_json => {
        let opts: KeysOpts = parse_object(options_json, "key options")?;
        to_json(&c.key_value_store(store_id).list_keys(&opts.keys_options())?)?
    })
}

/// An iterator over all keys of a store, following nextExclusiveStartKey. Options: limit (page
/// size), exclusiveStartKey, prefix, collection.
///
/// API: `keyValueStore_keys_get`
#[no_mangle]
pub unsafe extern "C" fn apify_key_iter_new(
    c: *const apify_client,
    store_id: *const c_char,
    options_json: *const c_char,
    out_iter: *mut *mut apify_key_iter,
) -> apify_status {
    ffi!((c: client, store_id: str, options_json: opt_json) -> out_iter => {
        let opts: KeysOpts = parse_object(options_json, "key options")?;
        let keys = opts.keys_options();
        if let Some(l) = keys.limit {
            if !(1..=1000).contains(&l) {
                return Err(Failure::invalid(format!("option limit must be 1 to 1000, got {l}")));
            }
        }
        crate::client::id_segment("the key-value store id", store_id)?;
        let inner = c.key_value_store(store_id).iter_keys(&keys);
        Box::new(apify_key_iter { inner, failed: None })
    })
}

/// The next key; OK with `*out_key` = NULL at the end. After a failure every later call answers
/// the same failure (never a false end).
#[no_mangle]
pub unsafe extern "C" fn apify_key_iter_next(
    it: *mut apify_key_iter,
    out_key: *mut *mut c_char,
) -> apify_status {
    ffi!((it: iter) -> out_key => { next_of(&mut it.inner, &mut it.failed, |k| k.key)? })
}

/// Frees a key iterator. NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn apify_key_iter_free(it: *mut apify_key_iter) {
    ffi_plain!(() => { free_box(it) })
}

/// The store's metadata (`id`, `name`, ...); NOT_FOUND when there is none.
///
/// API: `keyValueStore_get`
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_get(
    c: *const apify_client,
    store_id: *const c_char,
    out_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, store_id: str) -> out_json => {
        match c.key_value_store(store_id).get()? {
            Some(v) => to_json(&v)?,
            None => return Err(Failure::new(
                APIFY_STATUS_NOT_FOUND,
                format!("there is no key-value store '{store_id}'"),
            )),
        }
    })
}

/// The store with this name, created if there is none (NULL: a new unnamed store); its
/// metadata, with `id`.
///
/// API: `keyValueStores_post`
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_get_or_create(
    c: *const apify_client,
    name: *const c_char,
    out_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, name: opt_str) -> out_json => {
        to_json(&c.get_or_create_key_value_store(name)?)?
    })
}

/// Deletes a key-value store; NOT_FOUND when there is none.
///
/// API: `keyValueStore_delete`
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_delete(
    c: *const apify_client,
    store_id: *const c_char,
) -> apify_status {
    ffi!((c: client, store_id: str) => { c.key_value_store(store_id).delete()? })
}
