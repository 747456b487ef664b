//! Datasets: items page by page or by iterator, pushes, exports, and the dataset itself.

use std::ffi::{c_char, c_int, c_void, CString};
use std::io::Read;
use std::ptr;

use serde_json::value::RawValue;

use super::boundary::{ffi, ffi_plain, free_box, IntoC};
use super::client_handle::apify_client;
use super::errors::{apify_status, Failure, APIFY_STATUS_CANCELLED, APIFY_STATUS_INVALID_JSON};
use super::json::{join_raw, to_json};
use super::options::{parse_object, ItemsOpts};
use crate::dataset_read::RawItems;
use crate::{Error, ItemsPage};

/// The formats `apify_dataset_export` takes.
const EXPORT_FORMATS: &[&str] = &["json", "jsonl", "csv", "xlsx", "xml", "html", "rss"];
/// Bytes handed to the write callback at most at once (the memory an export uses).
const EXPORT_BUFFER: usize = 64 * 1024;

/// An iterator over a dataset's items. Use from one thread at a time.
pub struct apify_dataset_iter {
    /// Items as ranges of their page's bytes: `_next_view` lends them, `_next` copies them.
    inner: RawItems,
    failed: Option<Failure>,
}

impl apify_dataset_iter {
    /// The next item's UTF-8 text (`None` at the end), valid until the next call; after a
    /// failure, the same failure every time (never a false end).
    #[inline]
    fn next_text(&mut self) -> Result<Option<&[u8]>, Failure> {
        if self.failed.is_none() && self.inner.has_buffered() {
            return Ok(Some(self.inner.next_buffered()));
        }
        self.next_slow()
    }

    /// `next_text` once a chunk (or after a failure): out of line, so that the per-item path
    /// stays small.
    #[inline(never)]
    fn next_slow(&mut self) -> Result<Option<&[u8]>, Failure> {
        if let Some(f) = &self.failed {
            return Err(Failure {
                message: format!("the iterator stopped at an earlier error: {}", f.message),
                ..f.clone()
            });
        }
        match self.inner.next_text() {
            Ok(text) => Ok(text.map(str::as_bytes)),
            Err(e) => {
                let f = Failure::from(e);
                self.failed = Some(f.clone());
                Err(f)
            }
        }
    }
}

/// The data sink of `apify_dataset_export`: gets `len` bytes; non-zero stops the export.
pub type apify_write_fn =
    Option<unsafe extern "C" fn(data: *const u8, len: usize, userdata: *mut c_void) -> c_int>;

/// One page of items: `{"items": [...], "offset", "limit", "count", "total"}`. Options:
/// offset, limit, desc, fields, omit, clean, skipEmpty, skipHidden, unwind, flatten, view.
///
/// API: `dataset_items_get`
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_list_items(
    c: *const apify_client,
    dataset_id: *const c_char,
    options_json: *const c_char,
    out_page_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, dataset_id: str, options_json: opt_json) -> out_page_json => {
        let opts: ItemsOpts = parse_object(options_json, "dataset options")?;
        let page: ItemsPage<Box<RawValue>> =
            c.dataset(dataset_id).list_items(&opts.items_options())?;
        format!(
            "{{\"items\":{},\"offset\":{},\"limit\":{},\"count\":{},\"total\":{}}}",
            join_raw(&page.items),
            page.offset,
            page.limit,
            page.count,
            page.total
        )
    })
}

/// An iterator over all items (from offset, up to limit). Takes the dataset-items options and:
/// chunkSize (exactly this many items a page, 1 to 250000), or pageBytes (pages of about this
/// many bytes, learned from the items read; default 64 MiB, i.e. up to 250000 items a request;
/// 1024 to 1 GiB); prefetchPages (pages requested ahead by worker threads so that their round
/// trips overlap, each read when its turn comes; default 1, 0 to 64). Items come strictly in
/// order, each exactly once, also with filters and while the dataset is being written. Pages
/// are streamed and split as they arrive: memory is about 1 MiB whatever the page size and the
/// dataset's size (plus the largest item).
///
/// API: `dataset_items_get`
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_iter_new(
    c: *const apify_client,
    dataset_id: *const c_char,
    options_json: *const c_char,
    out_iter: *mut *mut apify_dataset_iter,
) -> apify_status {
    ffi!((c: client, dataset_id: str, options_json: opt_json) -> out_iter => {
        let opts: ItemsOpts = parse_object(options_json, "dataset options")?;
        crate::client::id_segment("the dataset id", dataset_id)?;
        let read = opts.read_options()?;
        let inner = RawItems::new(&c.dataset(dataset_id), &opts.items_options(), &read);
        Box::new(apify_dataset_iter {
            inner,
            failed: None,
        })
    })
}

/// The next item's JSON text as the server sent it; OK with `*out_item_json` = NULL at the end.
/// After a failure every later call answers the same failure (never a false end); start a new
/// iterator at the offset you reached to go on.
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_iter_next(
    it: *mut apify_dataset_iter,
    out_item_json: *mut *mut c_char,
) -> apify_status {
    ffi!((it: iter) -> out_item_json => {
        ItemCopy(it.next_text()?.map(|text| {
            // Room for the NUL: one allocation and one copy per item.
            let mut owned = Vec::with_capacity(text.len() + 1);
            owned.extend_from_slice(text);
            // SAFETY: an item's JSON text has no NUL byte: the splitter refuses control
            // characters in strings and anything but JSON tokens and whitespace outside them.
            unsafe { CString::from_vec_unchecked(owned) }
        }))
    })
}

/// An item's C copy, or NULL at the end.
struct ItemCopy(Option<CString>);

impl IntoC<*mut c_char> for ItemCopy {
    fn into_c(self) -> Result<*mut c_char, Failure> {
        Ok(self.0.map_or(ptr::null_mut(), CString::into_raw))
    }
}

/// The next item's JSON text without a copy: `*out_item` points at `*out_len` bytes of UTF-8
/// JSON (NOT NUL-terminated) owned by the iterator, valid until the next call on this iterator
/// (`_next`, `_next_view` or `_free`); do not free it. OK with `*out_item` = NULL and
/// `*out_len` = 0 at the end. Failures as `apify_dataset_iter_next` (outputs untouched). The
/// copying `apify_dataset_iter_next` remains for callers that keep items.
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_iter_next_view(
    it: *mut apify_dataset_iter,
    out_item: *mut *const c_char,
    out_len: *mut usize,
) -> apify_status {
    ffi!((it: iter, out_item: out, out_len: out) => {
        let (ptr, len) = match it.next_text()? {
            Some(text) => (text.as_ptr().cast::<c_char>(), text.len()),
            None => (ptr::null(), 0),
        };
        out_item.write(ptr)?;
        out_len.write(len)?;
    })
}

/// Frees a dataset iterator. NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_iter_free(it: *mut apify_dataset_iter) {
    ffi_plain!(() => { free_box(it) })
}

/// Pushes items: a JSON object or an array of objects, split under the 9 MB request limit.
///
/// API: `dataset_items_post`
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_push_items(
    c: *const apify_client,
    dataset_id: *const c_char,
    items_json: *const c_char,
) -> apify_status {
    ffi!((c: client, dataset_id: str, items_json: str) => {
        let invalid_json = |e: serde_json::Error| {
            Failure::new(
                APIFY_STATUS_INVALID_JSON,
                format!("argument 'items_json' is not valid JSON: {e}"),
            )
        };
        let items: Vec<Box<RawValue>> = if items_json.trim_start().starts_with('[') {
            serde_json::from_str(items_json).map_err(invalid_json)?
        } else {
            vec![serde_json::from_str(items_json).map_err(invalid_json)?]
        };
        for (i, item) in items.iter().enumerate() {
            if !item.get().trim_start().starts_with('{') {
                return Err(Failure::invalid(format!(
                    "item {i} is not a JSON object; dataset items must be objects"
                )));
            }
        }
        let texts: Vec<&str> = items.iter().map(|i| i.get()).collect();
        c.dataset(dataset_id).push_json_texts(&texts)?
    })
}

/// Streams the dataset's items in `format` (json, jsonl, csv, xlsx, xml, html, rss) to `write`,
/// a buffer (at most 64 KiB) at a time, whatever the dataset's size; the dataset-items options
/// apply. A non-zero answer from `write` stops with CANCELLED. An unknown format is
/// INVALID_ARGUMENT.
///
/// API: `dataset_items_get`
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_export(
    c: *const apify_client,
    dataset_id: *const c_char,
    format: *const c_char,
    options_json: *const c_char,
    write: apify_write_fn,
    userdata: *mut c_void,
) -> apify_status {
    ffi!((c: client, dataset_id: str, format: str, options_json: opt_json, write: func) => {
        if !EXPORT_FORMATS.contains(&format) {
            return Err(Failure::invalid(format!(
                "argument 'format': unknown export format '{format}' (known: {})",
                EXPORT_FORMATS.join(", ")
            )));
        }
        let opts: ItemsOpts = parse_object(options_json, "dataset options")?;
        let mut reader = c.dataset(dataset_id).export(format, &opts.items_options())?;
        let mut buf = vec![0u8; EXPORT_BUFFER];
        loop {
            let n = reader.read(&mut buf).map_err(|e| {
                Failure::from(Error::Transport {
                    method: "GET".into(),
                    path: format!("/v2/datasets/{dataset_id}/items"),
                    message: format!("reading the export failed: {e}"),
                    attempt: 1,
                    sent: crate::Sent::Yes,
                    source: Some(crate::Cause::new(e)),
                })
            })?;
            if n == 0 {
                break;
            }
            if write(buf.as_ptr(), n, userdata) != 0 {
                return Err(Failure::new(
                    APIFY_STATUS_CANCELLED,
                    "the write callback stopped the export",
                ));
            }
        }
    })
}

/// The dataset's metadata (`id`, `name`, `itemCount`, ...); NOT_FOUND when there is none.
///
/// API: `dataset_get`
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_get(
    c: *const apify_client,
    dataset_id: *const c_char,
    out_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, dataset_id: str) -> out_json => {
        match c.dataset(dataset_id).get()? {
            Some(v) => to_json(&v)?,
            None => return Err(Failure::new(
                super::errors::APIFY_STATUS_NOT_FOUND,
                format!("there is no dataset '{dataset_id}'"),
            )),
        }
    })
}

/// The dataset with this name, created if there is none (NULL: a new unnamed dataset); its
/// metadata, with `id`.
///
/// API: `datasets_post`
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_get_or_create(
    c: *const apify_client,
    name: *const c_char,
    out_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, name: opt_str) -> out_json => { to_json(&c.get_or_create_dataset(name)?)? })
}

/// Deletes a dataset; NOT_FOUND when there is none.
///
/// API: `dataset_delete`
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_delete(
    c: *const apify_client,
    dataset_id: *const c_char,
) -> apify_status {
    ffi!((c: client, dataset_id: str) => { c.dataset(dataset_id).delete()? })
}
