//! A window's worker requests its page and hands the answer on; the reader then reads the body
//! itself, splitting it into chunks of complete items as it arrives (see the parent module).

use std::io::Read;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};

use super::{CHUNK_BYTES, MAX_ITEM_BYTES};
use crate::dataset::{DatasetClient, ItemsOptions};
use crate::error::{Error, Result};
use crate::items_split::StreamSplitter;

/// Chunk buffers the reader gave back, to fill again: a read allocates the two chunks it has
/// at once (the one handed out and the one being filled), not one per chunk.
#[derive(Default)]
pub(super) struct Pool(Vec<Buffers>);

/// A chunk's bytes and item ranges, empty.
type Buffers = (Vec<u8>, Vec<Range<usize>>);

/// Buffers kept at most.
const POOLED: usize = 4;

impl Pool {
    /// Buffers for a chunk: from the pool, or new. The bytes are `CHUNK_BYTES` (or more) long and
    /// all initialized, so that reads go straight into them: `read_to_end` would zero the spare
    /// capacity of every chunk again (a memset of the whole page, ~9% of a read's instructions).
    fn take(&mut self) -> Buffers {
        match self.0.pop() {
            Some((mut bytes, ranges)) => {
                // Only the tail past the last chunk's text is zeroed: its text is initialized.
                bytes.resize(CHUNK_BYTES.max(bytes.len()), 0);
                (bytes, ranges)
            }
            None => (vec![0; CHUNK_BYTES], Vec::new()),
        }
    }

    pub(super) fn give(&mut self, chunk: Chunk) {
        self.give_buffers((chunk.text.into_bytes(), chunk.ranges));
    }

    fn give_buffers(&mut self, (bytes, mut ranges): Buffers) {
        // Not the buffer of a huge item, and no more than a read uses.
        if bytes.capacity() < CHUNK_BYTES || bytes.capacity() > 2 * CHUNK_BYTES {
            return;
        }
        // The bytes stay: their length is what `take` need not zero again.
        ranges.clear();
        if self.0.len() < POOLED {
            self.0.push((bytes, ranges));
        }
    }
}

/// Complete items of a page: their text and each one's range in it.
#[derive(Default)]
pub(crate) struct Chunk {
    pub(crate) text: String,
    pub(crate) ranges: Vec<Range<usize>>,
}

/// What a window's worker hands on: the answer's head and its body, not read yet.
pub(super) struct Opened {
    pub(super) count: Option<u64>,
    pub(super) total: Option<u64>,
    pub(super) body: Body,
}

/// A window to open: its options, and where the answer goes.
type Job = (ItemsOptions, SyncSender<Result<Opened>>);

/// A read's worker threads: each requests one window at a time and hands on the answer (or the
/// error). A window ahead so costs a connection and a worker while its request is out, not its
/// bytes; its body is read by the reader, on the reader's thread, when its turn comes (no
/// hand-over between threads per chunk: waking a thread costs more than reading a chunk).
/// Workers are kept for the whole read (a thread per window cost ~3% of a read's CPU at
/// 10,000-item pages) and end when the read is dropped.
pub(super) struct Openers {
    dataset: DatasetClient,
    jobs: Sender<Job>,
    queue: Arc<Mutex<Receiver<Job>>>,
    /// Workers waiting for a job. Only `open` takes from it, so checking then taking is exact.
    free: Arc<AtomicUsize>,
}

impl Openers {
    pub(super) fn new(dataset: &DatasetClient) -> Openers {
        let (jobs, queue) = channel();
        Openers {
            dataset: dataset.clone(),
            jobs,
            queue: Arc::new(Mutex::new(queue)),
            free: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Requests a window now: on a waiting worker, else on a new one.
    pub(super) fn open(&self, options: ItemsOptions, tx: SyncSender<Result<Opened>>) {
        if self.free.load(Ordering::Acquire) > 0 {
            self.free.fetch_sub(1, Ordering::AcqRel);
        } else {
            let (dataset, queue, free) =
                (self.dataset.clone(), self.queue.clone(), self.free.clone());
            std::thread::spawn(move || loop {
                // The lock is held while waiting: the other free workers wait behind it.
                let job = match queue.lock() {
                    Ok(q) => q.recv(),
                    Err(_) => return,
                };
                // The read was dropped.
                let Ok((options, tx)) = job else { return };
                let _ = tx.send(open(&dataset, &options));
                free.fetch_add(1, Ordering::AcqRel);
            });
        }
        // The receiver lives as long as a worker does: a failed send has no one to tell.
        let _ = self.jobs.send((options, tx));
    }
}

fn open(dataset: &DatasetClient, options: &ItemsOptions) -> Result<Opened> {
    let reply = dataset.items_stream(options)?;
    let header = |n: &str| reply.header(n).and_then(|v| v.trim().parse().ok());
    let (count, total) = (
        header("x-apify-pagination-count"),
        header("x-apify-pagination-total"),
    );
    // Streamed, the page is not read under the transport's cap: the same cap, counted here.
    let cap = dataset.page_cap(options.limit);
    Ok(Opened {
        count,
        total,
        body: Body {
            reader: reply.into_reader().take(cap.saturating_add(1)),
            cap,
            path: dataset.items_path(),
            splitter: StreamSplitter::new(),
            buffers: None,
            filled: 0,
            ended: false,
        },
    })
}

/// A page's body being read and split.
pub(super) struct Body {
    reader: std::io::Take<Box<dyn Read + Send + 'static>>,
    cap: u64,
    path: String,
    splitter: StreamSplitter,
    /// `buffers.0[..filled]` are the page's bytes not handed on yet; all of it is initialized.
    buffers: Option<Buffers>,
    filled: usize,
    ended: bool,
}

impl Body {
    /// The next chunk of the page's complete items, read as far as needed; `None` after the
    /// last one.
    pub(super) fn next_chunk(&mut self, pool: &mut Pool) -> Result<Option<Chunk>> {
        if self.ended {
            return Ok(None);
        }
        let (mut buf, mut ranges) = self.buffers.take().unwrap_or_else(|| pool.take());
        // Any error ends the page (the reader decides what comes next).
        self.ended = true;
        if !self.fill_chunk(pool, &mut buf, &mut ranges)? {
            pool.give_buffers((buf, ranges));
            return Ok(None);
        }
        Ok(Some(Chunk {
            text: self.text(buf)?,
            ranges,
        }))
    }

    /// Reads into `buf` until it holds complete items (their ranges in `ranges`, `buf` cut after
    /// the last one; the bytes after them go to `self.buffers`, and `self.ended` is cleared
    /// unless the page ended); `false` at the end of the page with no item.
    fn fill_chunk(
        &mut self,
        pool: &mut Pool,
        buf: &mut Vec<u8>,
        ranges: &mut Vec<Range<usize>>,
    ) -> Result<bool> {
        loop {
            // Items longer than a chunk: read on until one is complete.
            if self.filled == buf.len() {
                buf.resize(2 * buf.len(), 0);
            }
            let want = buf.len() - self.filled;
            let got = read_full(&mut self.reader, &mut buf[self.filled..]).map_err(|e| {
                Error::Transport {
                    method: "GET".into(),
                    path: self.path.clone(),
                    message: format!("reading the page failed: {e}"),
                    attempt: 1,
                    sent: crate::Sent::Yes,
                    source: Some(crate::Cause::new(e)),
                }
            })?;
            self.filled += got;
            let last = got < want;
            if self.splitter.used() + self.filled > self.cap as usize {
                return Err(Error::ResponseTooLarge {
                    method: "GET".into(),
                    path: self.path.clone(),
                    limit: self.cap,
                    attempt: 1,
                });
            }
            let used = self
                .splitter
                .split(&buf[..self.filled], last, ranges)
                .map_err(|e| self.decode(e.to_string()))?;
            if ranges.is_empty() {
                if self.filled > MAX_ITEM_BYTES {
                    return Err(self.decode(format!(
                        "an item at byte {} is longer than {MAX_ITEM_BYTES} bytes",
                        self.splitter.used()
                    )));
                }
                buf.copy_within(used..self.filled, 0);
                self.filled -= used;
                if last {
                    return Ok(false);
                }
                continue;
            }
            // The bytes after the last complete item start the next chunk.
            let (mut rest, next_ranges) = pool.take();
            let left = self.filled - used;
            if rest.len() < left {
                rest.resize(left, 0);
            }
            rest[..left].copy_from_slice(&buf[used..self.filled]);
            self.filled = left;
            buf.truncate(used);
            if last {
                // Nothing follows the last item (the splitter checked that).
                pool.give_buffers((rest, next_ranges));
            } else {
                self.buffers = Some((rest, next_ranges));
                self.ended = false;
            }
            return Ok(true);
        }
    }

    /// A chunk's bytes as text (its items end where the splitter checked them).
    fn text(&self, buf: Vec<u8>) -> Result<String> {
        let start = self.splitter.used() - buf.len();
        String::from_utf8(buf).map_err(|e| {
            let at = start + e.utf8_error().valid_up_to();
            self.decode(format!(
                "not a JSON array of items: invalid UTF-8 at byte {at}"
            ))
        })
    }

    fn decode(&self, message: String) -> Error {
        Error::Decode {
            method: "GET".into(),
            path: self.path.clone(),
            message,
        }
    }
}

/// Reads until `buf` is full or the reader ends; the bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
