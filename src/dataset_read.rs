//! Reading a whole dataset: pages sized by bytes, fetched ahead by worker threads and handed
//! out strictly in order, each row exactly once.
//!
//! Pages are contiguous windows `[offset, offset + limit)` of the dataset's rows. Each is read
//! whole on a worker thread (bytes and pagination headers only) and parsed on the caller's
//! thread when its turn comes. The offset advances by the rows the server scanned
//! (`X-Apify-Pagination-Count`), so filters (`clean`, `skipEmpty`, `skipHidden`, `fields`) never
//! shift it. A window that scanned fewer rows than it asked for is where the data ended when it
//! was read: every window planned after it is dropped unread and reading goes on from exactly
//! there, one page at a time, so rows written meanwhile (a running run) are neither missed nor
//! repeated; a window that scanned nothing ends the iteration. `Total` only bounds how far
//! ahead windows are planned, never when the iteration ends.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::thread::JoinHandle;

use serde::de::DeserializeOwned;

use crate::dataset::{DatasetClient, ItemsOptions};
use crate::error::{Error, Result};

/// The API's most items per request.
pub const MAX_ITEMS_PER_REQUEST: u64 = 250_000;
/// Bytes a page aims at by default ([`ReadOptions::page_bytes`]).
pub const DEFAULT_PAGE_BYTES: u64 = 2 << 20;
/// Pages fetched ahead of the one being read by default ([`ReadOptions::prefetch_pages`]).
pub const DEFAULT_PREFETCH_PAGES: usize = 4;
/// The item size assumed for the first page, before any is known.
const FIRST_GUESS_ITEM_BYTES: u64 = 1024;

/// How an iterator sizes its pages and how far it reads ahead. Memory stays bounded by about
/// `(prefetch_pages + 1) * page_bytes` (or pages of `page_size` items).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Exactly this many items a page (no adaptation); `None`: pages of about `page_bytes`,
    /// learned from the item size of the pages read so far.
    pub page_size: Option<u64>,
    /// Bytes a page aims at when `page_size` is not set (default 2 MiB).
    pub page_bytes: u64,
    /// Pages requested ahead of the one being read, in parallel (default 4; 0: one page at a
    /// time). Halved after a page that was rate limited.
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

/// A page as a worker read it: the body and the pagination headers.
struct RawPage {
    body: Vec<u8>,
    count: Option<u64>,
    total: Option<u64>,
}

/// A window being read.
struct Fetch {
    offset: u64,
    limit: u64,
    handle: JoinHandle<Result<RawPage>>,
}

/// Plans, fetches and hands out the pages of a read, in order (see the module docs).
pub(crate) struct PageReader {
    dataset: DatasetClient,
    options: ItemsOptions,
    read: ReadOptions,
    /// Items per window now (fixed, or learned).
    page_limit: u64,
    /// Where the next page to hand out starts (after the rows handed out so far).
    offset: u64,
    /// Where the next window to plan starts.
    planned: u64,
    /// Rows still wanted from `offset` on (the caller's `limit`).
    remaining: Option<u64>,
    /// Rows the dataset had, as the first page said (a hint for planning only).
    total_hint: Option<u64>,
    /// Windows read ahead, in order.
    inflight: VecDeque<Fetch>,
    /// Parallel windows allowed (1 + prefetch, lowered after a 429).
    parallel: usize,
    done: bool,
}

/// Iterates over a dataset's items page by page (see [`DatasetClient::iter_items_with`]). Use
/// `Box<RawValue>` ([`RawItem`](crate::RawItem)) as `T` to get each item's own JSON text.
pub struct DatasetIter<T> {
    reader: PageReader,
    buffer: std::vec::IntoIter<T>,
    error_sent: bool,
    _item: PhantomData<fn() -> T>,
}

impl DatasetClient {
    /// All items (from `offset`, up to `limit` in all), fetched exactly `page_size` at a time,
    /// a few pages ahead (see [`iter_items_with`](Self::iter_items_with) for pages sized by
    /// bytes): memory stays bounded by the pages in flight. It advances by the rows the server
    /// scanned, stops on a page that scanned none, and never trusts `Total`.
    ///
    /// ```no_run
    /// # let client = apify::Client::from_env()?;
    /// for item in client.dataset("DATASET_ID").iter_items::<serde_json::Value>(&Default::default(), 1000) {
    ///     println!("{}", item?);
    /// }
    /// # Ok::<(), apify::Error>(())
    /// ```
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
    pub fn iter_items_with<T: DeserializeOwned>(
        &self,
        options: &ItemsOptions,
        read: &ReadOptions,
    ) -> DatasetIter<T> {
        DatasetIter {
            reader: PageReader::new(self, options, read),
            buffer: Vec::new().into_iter(),
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
        PageReader {
            dataset: dataset.clone(),
            options: options.clone(),
            read: read.clone(),
            page_limit,
            offset,
            planned: offset,
            remaining: options.limit,
            total_hint: None,
            inflight: VecDeque::new(),
            // Until the first page says how large the dataset is, one window.
            parallel: 1,
            done: false,
        }
    }

    /// Plans and starts windows until `parallel` are in flight or nothing more is wanted.
    fn fill(&mut self) {
        while self.inflight.len() < self.parallel {
            let planned_rows = self.planned - self.offset;
            let wanted = match self.remaining {
                Some(r) if r <= planned_rows => return,
                Some(r) => (r - planned_rows).min(self.page_limit),
                None => self.page_limit,
            };
            // Beyond the known total, one window (which finds the end) is enough.
            let beyond_total = self.total_hint.is_some_and(|t| self.planned >= t);
            if beyond_total && !self.inflight.is_empty() {
                return;
            }
            let (offset, limit) = (self.planned, wanted);
            let mut options = self.options.clone();
            options.offset = Some(offset);
            options.limit = Some(limit);
            let dataset = self.dataset.clone();
            let handle = std::thread::spawn(move || {
                let reply = dataset.items_reply(&options)?;
                let header = |n: &str| reply.header(n).and_then(|v| v.trim().parse().ok());
                let (count, total) = (
                    header("x-apify-pagination-count"),
                    header("x-apify-pagination-total"),
                );
                Ok(RawPage {
                    body: reply.bytes()?,
                    count,
                    total,
                })
            });
            self.inflight.push_back(Fetch {
                offset,
                limit,
                handle,
            });
            self.planned = offset + limit;
        }
    }

    /// Drops every window read ahead (their threads finish their request and exit) and plans
    /// again from `offset`.
    fn replan(&mut self) {
        self.inflight.clear();
        self.planned = self.offset;
    }

    /// The next page in order, made by `parse` from its body (`parse` answers what it made and
    /// how many items the body held); `None` at the end.
    pub(crate) fn next_page<R>(
        &mut self,
        parse: impl FnOnce(Vec<u8>) -> Result<(R, usize)>,
    ) -> Result<Option<R>> {
        let (fetch, page) = loop {
            if self.done || matches!(self.remaining, Some(0)) {
                self.done = true;
                return Ok(None);
            }
            self.fill();
            let Some(fetch) = self.inflight.pop_front() else {
                self.done = true;
                return Ok(None);
            };
            match fetch.handle.join() {
                Ok(Ok(page)) => break ((fetch.offset, fetch.limit), page),
                Ok(Err(e)) => {
                    self.replan();
                    if e.http_status() == Some(429) && self.parallel > 1 {
                        // Rate limited while reading ahead: fewer at once, and this window again.
                        self.parallel = (self.parallel / 2).max(1);
                        log::warn!(target: "apify", "dataset read rate limited: {} page(s) at once from now on", self.parallel);
                        continue;
                    }
                    return Err(e);
                }
                Err(_) => {
                    self.replan();
                    return Err(Error::InvalidArgument(
                        "a dataset page reader panicked".into(),
                    ));
                }
            }
        };
        let body_len = page.body.len() as u64;
        let (made, items) = parse(page.body)?;
        let count = page.count.unwrap_or(items as u64);
        if self.total_hint.is_none() {
            self.total_hint = page.total;
            self.parallel = 1 + self.read.prefetch_pages;
        }
        if self.read.page_size.is_none() && items > 0 {
            let per_item = (body_len / items as u64).max(1);
            self.page_limit =
                (self.read.page_bytes.max(1) / per_item).clamp(1, MAX_ITEMS_PER_REQUEST);
        }
        self.offset = fetch.0 + count;
        if let Some(r) = &mut self.remaining {
            *r = r.saturating_sub(count);
        }
        if count == 0 {
            self.done = true;
            self.inflight.clear();
        } else if count < fetch.1 {
            // The data ended inside this window when it was read: what was planned after it
            // may have missed rows written since. Go on from here.
            self.replan();
        }
        Ok(Some(made))
    }

    /// The offset after the rows handed out so far (where a new read would go on).
    fn offset(&self) -> u64 {
        self.offset
    }
}

impl<T: DeserializeOwned> DatasetIter<T> {
    /// The offset after the rows handed out so far (where a new iterator would go on).
    pub fn next_offset(&self) -> u64 {
        self.reader.offset()
    }
}

impl<T: DeserializeOwned> Iterator for DatasetIter<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        loop {
            if let Some(item) = self.buffer.next() {
                return Some(Ok(item));
            }
            if self.error_sent {
                return None;
            }
            let path = self.reader.dataset.items_path();
            let page = self.reader.next_page(|body| {
                let items: Vec<T> = crate::dataset::parse_items(&body, "GET", path)?;
                let n = items.len();
                Ok((items, n))
            });
            match page {
                Ok(Some(items)) => self.buffer = items.into_iter(),
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
    page: Vec<u8>,
    ranges: std::vec::IntoIter<std::ops::Range<usize>>,
}

impl DatasetClient {
    /// Like [`iter_items_with`](Self::iter_items_with), lending each item's JSON text from its
    /// page instead of making an owned item.
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
            page: Vec::new(),
            ranges: Vec::new().into_iter(),
        }
    }

    /// The next item's JSON text; `None` at the end. Borrowed until the next call.
    pub fn next_text(&mut self) -> Result<Option<&str>> {
        loop {
            if let Some(r) = self.ranges.next() {
                // The page was checked as UTF-8 when it was split.
                return Ok(Some(std::str::from_utf8(&self.page[r]).unwrap_or("")));
            }
            let path = self.reader.dataset.items_path();
            let page = self.reader.next_page(|body| {
                let ranges = split_page(&body, path)?;
                let n = ranges.len();
                Ok(((body, ranges), n))
            })?;
            match page {
                Some((body, ranges)) => {
                    self.page = body;
                    self.ranges = ranges.into_iter();
                }
                None => return Ok(None),
            }
        }
    }
}

/// The byte ranges of a page's items (a JSON array), found by the purpose-built scanner (about
/// 1.8x the speed of borrowing them through serde_json's `RawValue`; see `items_split`).
fn split_page(body: &[u8], path: String) -> Result<Vec<std::ops::Range<usize>>> {
    crate::items_split::split_items(body).map_err(|e| Error::Decode {
        method: "GET".into(),
        path,
        message: e.to_string(),
    })
}
