//! Reading a whole dataset: pages streamed by worker threads, split into items as they arrive
//! and handed out strictly in order, each row exactly once.
//!
//! Pages are contiguous windows `[offset, offset + limit)` of the dataset's rows, each one
//! request. A worker thread per window makes its request and hands the answer on; the reader
//! reads each body when its turn comes, splitting it into chunks of complete items (about
//! `CHUNK_BYTES` each) as it arrives. The windows after the current one are requested while it
//! is read (their round trips are hidden), so memory is two chunks whatever the page size and
//! the dataset's size: pages can be as large as the API allows (one round trip for up to
//! 250,000 items). The offset advances by the rows the server scanned
//! (`X-Apify-Pagination-Count`), so filters (`clean`, `skipEmpty`, `skipHidden`, `fields`) never
//! shift it. A window that scanned fewer rows than it asked for is where the data ended when it
//! was read: the iteration ends there (windows planned after it are dropped unread), and
//! [`DatasetIter::next_offset`] says where a later read goes on, so rows written meanwhile (a
//! running run) are neither missed nor repeated. `Total` only bounds how far ahead windows are
//! planned, never when the iteration ends. A window cut in the middle is read again from the row
//! after the last one handed out when rows and items match one to one (no `clean`, `skipEmpty`,
//! `unwind` or `view`); with those, from its start if nothing of it was handed out yet, else the
//! iteration ends with the error.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::mpsc::{sync_channel, Receiver};

use serde::de::DeserializeOwned;

use crate::dataset::{DatasetClient, ItemsOptions};
use crate::error::{Error, Result};

#[path = "dataset_read_stream.rs"]
mod stream;
use stream::{Body, Chunk, Opened, Openers, Pool};

/// The API's most items per request.
pub const MAX_ITEMS_PER_REQUEST: u64 = 250_000;
/// Bytes a page (one request) aims at by default ([`ReadOptions::page_bytes`]): as many items
/// as the API gives at once, for items up to about 256 bytes. Pages are streamed, so this
/// bounds no memory.
pub const DEFAULT_PAGE_BYTES: u64 = 64 << 20;
/// Pages requested ahead of the one being read by default ([`ReadOptions::prefetch_pages`]).
pub const DEFAULT_PREFETCH_PAGES: usize = 1;
/// Bytes read at a time before splitting them and handing the complete items out.
pub(crate) const CHUNK_BYTES: usize = 256 << 10;
/// The item size assumed for the first page, before any is known.
const FIRST_GUESS_ITEM_BYTES: u64 = 256;
/// The largest single item accepted (the API's own limit is 9 MB a push).
const MAX_ITEM_BYTES: usize = 64 << 20;
/// Times in a row a read goes on after windows cut in the middle with no item handed out in
/// between (a read that keeps making progress goes on).
const RESUMES: u32 = 3;

/// How an iterator sizes its pages and how far it reads ahead. Pages are streamed and split as
/// they arrive, one after the other: memory stays at about 1 MiB of chunks (plus the largest
/// item, and a connection per page requested ahead), whatever the page size.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Exactly this many items a page (no adaptation); `None`: pages of about `page_bytes`,
    /// learned from the item size of the pages read so far.
    pub page_size: Option<u64>,
    /// Bytes a page aims at when `page_size` is not set (default 64 MiB: up to the API's
    /// 250,000 items a request). Fewer bytes mean more requests, not less memory.
    pub page_bytes: u64,
    /// Pages requested ahead of the one being read, so that their round trips overlap it (each
    /// is read when its turn comes; default 1; 0: one request at a time). Halved after a page
    /// that was rate limited.
    pub prefetch_pages: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            page_size: None,
            page_bytes: DEFAULT_PAGE_BYTES,
            prefetch_pages: DEFAULT_PREFETCH_PAGES,
        }
    }
}

setters!(ReadOptions {
    /// Sets a fixed page size in items.
    page_size: some u64,
    /// Sets the bytes a page aims at.
    page_bytes: set u64,
    /// Sets how many pages are read ahead.
    prefetch_pages: set usize,
});

/// A window being read.
struct Window {
    offset: u64,
    limit: u64,
    rx: Receiver<Result<Opened>>,
    /// The answer's body, once the worker handed it on.
    body: Option<Body>,
    /// `X-Apify-Pagination-Count`, once the head came (`Some(None)`: no such header).
    count: Option<Option<u64>>,
    /// Items and bytes handed out so far.
    items: u64,
    bytes: u64,
}

/// Plans, fetches and hands out the pages of a read, in order (see the module docs).
pub(crate) struct PageReader {
    dataset: DatasetClient,
    options: ItemsOptions,
    read: ReadOptions,
    /// Items per window now (fixed, or learned).
    page_limit: u64,
    /// Where the window being read starts (after the rows handed out before it).
    offset: u64,
    /// Where the next window to plan starts.
    planned: u64,
    /// Rows still wanted from `offset` on (the caller's `limit`).
    remaining: Option<u64>,
    /// Rows the dataset had, as the first page said (a hint for planning only).
    total_hint: Option<u64>,
    /// The window being read, and the windows requested after it, in order.
    current: Option<Window>,
    ahead: VecDeque<Window>,
    /// Windows open at once (1 + prefetch, lowered after a 429).
    parallel: usize,
    /// Whether every row scanned is one item (no filter drops or multiplies rows).
    rows_are_items: bool,
    resumes: u32,
    pool: Pool,
    openers: Openers,
    /// Whether reading ahead has begun (the first page's head said the total, or it was read).
    sized: bool,
    done: bool,
}

/// Iterates over a dataset's items page by page (see [`DatasetClient::iter_items_with`]). Use
/// `Box<RawValue>` ([`RawItem`](crate::RawItem)) as `T` to get each item's own JSON text.
pub struct DatasetIter<T> {
    reader: PageReader,
    chunk: Chunk,
    next: usize,
    error_sent: bool,
    _item: PhantomData<fn() -> T>,
}

impl DatasetClient {
    /// All items (from `offset`, up to `limit` in all), fetched exactly `page_size` at a time,
    /// a few pages ahead (see [`iter_items_with`](Self::iter_items_with) for pages sized by
    /// bytes): memory stays bounded by the pages in flight. It advances by the rows the server
    /// scanned, stops after a page that scanned fewer rows than asked for, and never trusts
    /// `Total`.
    ///
    /// ```no_run
    /// # let client = apify::Client::from_env()?;
    /// for item in client.dataset("DATASET_ID").iter_items::<serde_json::Value>(&Default::default(), 1000) {
    ///     println!("{}", item?);
    /// }
    /// # Ok::<(), apify::Error>(())
    /// ```
    ///
    /// API: `dataset_items_get`, `actorRun_dataset_items_get`
    /// API: `actor_runs_last_dataset_items_get`
    /// API: `actorTask_runs_last_dataset_items_get`
    pub fn iter_items<T: DeserializeOwned>(
        &self,
        options: &ItemsOptions,
        page_size: u64,
    ) -> DatasetIter<T> {
        self.iter_items_with(options, &ReadOptions::default().page_size(page_size.max(1)))
    }

    /// All items (from `options.offset`, up to `options.limit` in all), with pages sized and
    /// read ahead as `read` says (see [`ReadOptions`]): memory is bounded by the pages in flight,
    /// never by the dataset; every row comes exactly once, in order, with filters, `desc`, and a
    /// dataset still being written.
    ///
    /// ```no_run
    /// # let client = apify::Client::from_env()?;
    /// use apify::{ItemsOptions, ReadOptions};
    /// for item in client.dataset("DATASET_ID").iter_items_with::<serde_json::Value>(&ItemsOptions::default(), &ReadOptions::default()) {
    ///     println!("{}", item?);
    /// }
    /// # Ok::<(), apify::Error>(())
    /// ```
    ///
    /// API: `dataset_items_get`, `actorRun_dataset_items_get`
    /// API: `actor_runs_last_dataset_items_get`
    /// API: `actorTask_runs_last_dataset_items_get`
    pub fn iter_items_with<T: DeserializeOwned>(
        &self,
        options: &ItemsOptions,
        read: &ReadOptions,
    ) -> DatasetIter<T> {
        DatasetIter {
            reader: PageReader::new(self, options, read),
            chunk: Chunk::default(),
            next: 0,
            error_sent: false,
            _item: PhantomData,
        }
    }
}

impl PageReader {
    pub(crate) fn new(
        dataset: &DatasetClient,
        options: &ItemsOptions,
        read: &ReadOptions,
    ) -> PageReader {
        let page_limit = read
            .page_size
            .unwrap_or(read.page_bytes.max(1) / FIRST_GUESS_ITEM_BYTES)
            .clamp(1, MAX_ITEMS_PER_REQUEST);
        let offset = options.offset.unwrap_or(0);
        let rows_are_items = !(options.clean
            || options.skip_empty
            || !options.unwind.is_empty()
            || options.view.is_some());
        PageReader {
            dataset: dataset.clone(),
            options: options.clone(),
            read: read.clone(),
            page_limit,
            offset,
            planned: offset,
            remaining: options.limit,
            total_hint: None,
            current: None,
            ahead: VecDeque::new(),
            // Until the first page says how large the dataset is, one window.
            parallel: 1,
            rows_are_items,
            resumes: 0,
            pool: Pool::default(),
            openers: Openers::new(dataset),
            sized: false,
            done: false,
        }
    }

    /// Plans and starts windows until `parallel` are open or nothing more is wanted.
    fn fill(&mut self) {
        loop {
            let open = self.ahead.len() + usize::from(self.current.is_some());
            if open >= self.parallel {
                return;
            }
            let planned_rows = self.planned - self.offset;
            let limit = match self.remaining {
                Some(r) if r <= planned_rows => return,
                Some(r) => (r - planned_rows).min(self.page_limit),
                None => self.page_limit,
            };
            // Beyond the known total, one window (which finds the end) is enough.
            let beyond_total = self.total_hint.is_some_and(|t| self.planned >= t);
            if beyond_total && open > 0 {
                return;
            }
            let mut options = self.options.clone();
            options.offset = Some(self.planned);
            options.limit = Some(limit);
            let (tx, rx) = sync_channel(1);
            self.openers.open(options, tx);
            self.ahead.push_back(Window {
                offset: self.planned,
                limit,
                rx,
                body: None,
                count: None,
                items: 0,
                bytes: 0,
            });
            self.planned += limit;
        }
    }

    /// Drops every window (and so its connection) and plans again from
    /// `offset`.
    fn replan(&mut self) {
        self.current = None;
        self.ahead.clear();
        self.planned = self.offset;
    }

    /// The next chunk of items, in order; `None` at the end.
    pub(crate) fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        loop {
            if self.done {
                return Ok(None);
            }
            let mut window = match self.current.take() {
                Some(w) => w,
                None => {
                    if matches!(self.remaining, Some(0)) {
                        self.done = true;
                        return Ok(None);
                    }
                    self.fill();
                    match self.ahead.pop_front() {
                        Some(w) => w,
                        None => {
                            self.done = true;
                            return Ok(None);
                        }
                    }
                }
            };
            if let Some(body) = &mut window.body {
                match body.next_chunk(&mut self.pool) {
                    Ok(Some(chunk)) => {
                        self.resumes = 0;
                        window.items += chunk.ranges.len() as u64;
                        window.bytes += chunk.text.len() as u64;
                        self.current = Some(window);
                        return Ok(Some(chunk));
                    }
                    Ok(None) => self.window_read(window),
                    Err(e) => self.window_failed(window, e)?,
                }
                continue;
            }
            let opened = window.rx.recv().unwrap_or_else(|_| {
                Err(Error::InvalidArgument(
                    "a dataset page reader stopped unexpectedly".into(),
                ))
            });
            match opened {
                Ok(Opened { count, total, body }) => {
                    window.count = Some(count);
                    window.body = Some(body);
                    self.current = Some(window);
                    if !self.sized && total.is_some() {
                        // The dataset's size is known: the next windows go out while this one
                        // is read.
                        self.total_hint = total;
                        self.widen();
                    }
                }
                Err(e) => self.window_failed(window, e)?,
            }
        }
    }

    /// From the first page on, windows are read ahead.
    fn widen(&mut self) {
        if !self.sized {
            self.sized = true;
            self.parallel = 1 + self.read.prefetch_pages;
            self.fill();
        }
    }

    /// A window was read to its end: the offset moves past the rows it scanned.
    fn window_read(&mut self, w: Window) {
        let count = w.count.flatten().unwrap_or(w.items);
        if self.read.page_size.is_none() && w.items > 0 {
            let per_item = (w.bytes / w.items).max(1);
            self.page_limit =
                (self.read.page_bytes.max(1) / per_item).clamp(1, MAX_ITEMS_PER_REQUEST);
        }
        self.offset = w.offset + count;
        if let Some(r) = &mut self.remaining {
            *r = r.saturating_sub(count);
        }
        let ended = match w.count.flatten() {
            Some(c) => c < w.limit,
            // Without the header, rows scanned are unknown: only an empty window ends it.
            None => w.items == 0,
        };
        // Without a total, reading ahead starts once a page was read.
        if !self.sized {
            self.sized = true;
            self.parallel = 1 + self.read.prefetch_pages;
        }
        if ended || count == 0 {
            self.done = true;
            self.ahead.clear();
        } else if count < w.limit {
            self.replan();
        }
    }

    /// A window failed: read it again where that keeps every row once, or answer the error.
    fn window_failed(&mut self, w: Window, e: Error) -> Result<()> {
        let headed = w.count.is_some();
        if w.items > 0 && self.rows_are_items {
            // Rows and items match: go on after the last item handed out.
            self.offset = w.offset + w.items;
            if let Some(r) = &mut self.remaining {
                *r = r.saturating_sub(w.items);
            }
        }
        self.replan();
        if w.items > 0 && !self.rows_are_items {
            return Err(e);
        }
        if e.http_status() == Some(429) && self.parallel > 1 {
            // Rate limited while reading ahead: fewer at once, and this window again.
            self.parallel = (self.parallel / 2).max(1);
            log::warn!(target: "apify", "dataset read rate limited, retrying with {} page(s) at once from now on", self.parallel);
            return Ok(());
        }
        let cut = matches!(e, Error::Transport { .. } | Error::Timeout { .. });
        if headed && cut && self.resumes < RESUMES {
            // Cut in the middle (the request itself was already retried by the transport).
            self.resumes += 1;
            log::warn!(target: "apify", "dataset page cut short, retrying from offset {}: {e}", self.offset);
            return Ok(());
        }
        Err(e)
    }

    /// Gives a chunk's buffers back once its items are handed out.
    pub(crate) fn recycle(&mut self, chunk: Chunk) {
        self.pool.give(chunk);
    }

    /// The offset after the rows of the windows read so far (where a new read would go on).
    fn offset(&self) -> u64 {
        self.offset
    }

    fn decode_error(&self, message: String) -> Error {
        Error::Decode {
            method: "GET".into(),
            path: self.dataset.items_path(),
            message,
        }
    }
}

impl<T: DeserializeOwned> DatasetIter<T> {
    /// The offset after the rows of the pages read so far (where a new iterator would go on):
    /// after the last item handed out once its page was read to the end.
    pub fn next_offset(&self) -> u64 {
        self.reader.offset()
    }
}

impl<T: DeserializeOwned> Iterator for DatasetIter<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        loop {
            if let Some(r) = self.chunk.ranges.get(self.next) {
                self.next += 1;
                // Straight from the page's text: no intermediate value.
                let item = serde_json::from_str(&self.chunk.text[r.clone()])
                    .map_err(|e| self.reader.decode_error(e.to_string()));
                if item.is_err() {
                    self.error_sent = true;
                    self.chunk = Chunk::default();
                }
                return Some(item);
            }
            if self.error_sent {
                return None;
            }
            match self.reader.next_chunk() {
                Ok(Some(chunk)) => {
                    let done = std::mem::replace(&mut self.chunk, chunk);
                    self.reader.recycle(done);
                    self.next = 0;
                }
                Ok(None) => return None,
                Err(e) => {
                    // One error ends the iteration; the caller may start a new one at the offset.
                    self.error_sent = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// A read that lends each item's JSON text straight from its page's bytes: no copy and no
/// allocation per item, for callers that only forward the text
/// ([`DatasetClient::read_raw_items`]). Pages are read as [`DatasetIter`] reads them.
///
/// ```no_run
/// # let client = apify::Client::from_env()?;
/// let mut items = client.dataset("DATASET_ID").read_raw_items(&Default::default(), &Default::default());
/// while let Some(text) = items.next_text()? {
///     println!("{text}");
/// }
/// # Ok::<(), apify::Error>(())
/// ```
pub struct RawItems {
    reader: PageReader,
    chunk: Chunk,
    next: usize,
}

impl DatasetClient {
    /// Like [`iter_items_with`](Self::iter_items_with), lending each item's JSON text from its
    /// page instead of making an owned item.
    ///
    /// API: `dataset_items_get`, `actorRun_dataset_items_get`
    /// API: `actor_runs_last_dataset_items_get`
    /// API: `actorTask_runs_last_dataset_items_get`
    pub fn read_raw_items(&self, options: &ItemsOptions, read: &ReadOptions) -> RawItems {
        RawItems::new(self, options, read)
    }
}

impl RawItems {
    pub(crate) fn new(
        dataset: &DatasetClient,
        options: &ItemsOptions,
        read: &ReadOptions,
    ) -> RawItems {
        RawItems {
            reader: PageReader::new(dataset, options, read),
            chunk: Chunk::default(),
            next: 0,
        }
    }

    /// The next item's JSON text; `None` at the end. Borrowed until the next call.
    #[inline]
    pub fn next_text(&mut self) -> Result<Option<&str>> {
        if self.next >= self.chunk.ranges.len() && !self.next_chunk()? {
            return Ok(None);
        }
        let r = self.chunk.ranges[self.next].clone();
        self.next += 1;
        Ok(Some(&self.chunk.text[r]))
    }

    /// Whether the next item is already here (then [`RawItems::next_buffered`] answers it).
    #[cfg(feature = "capi")]
    #[inline]
    pub(crate) fn has_buffered(&self) -> bool {
        self.next < self.chunk.ranges.len()
    }

    /// The next item's UTF-8 text, already here (see [`RawItems::has_buffered`]): the per-item
    /// path of the C iterator, with no `Result` to build and look at, and as bytes: slicing the
    /// `str` would read the item's first and last bytes to check char boundaries (a cache miss
    /// per item when the caller does not read the text; items start and end at ASCII bytes).
    #[cfg(feature = "capi")]
    #[inline]
    pub(crate) fn next_buffered(&mut self) -> &[u8] {
        let r = self.chunk.ranges[self.next].clone();
        self.next += 1;
        &self.chunk.text.as_bytes()[r]
    }

    /// Moves to the next chunk with items; `false` at the end. Out of line: once a chunk, so
    /// that the per-item path above stays small.
    #[inline(never)]
    fn next_chunk(&mut self) -> Result<bool> {
        while self.next >= self.chunk.ranges.len() {
            match self.reader.next_chunk()? {
                Some(chunk) => {
                    let done = std::mem::replace(&mut self.chunk, chunk);
                    self.reader.recycle(done);
                    self.next = 0;
                }
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    /// The offset after the rows of the pages read so far (as [`DatasetIter::next_offset`]).
    pub fn next_offset(&self) -> u64 {
        self.reader.offset()
    }
}
