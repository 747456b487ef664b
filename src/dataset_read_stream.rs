//! A window's worker: streams one page, splits it as it arrives and hands the complete items
//! on in chunks (see the parent module).

use std::io::Read;
use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use super::{CHUNKS_AHEAD, CHUNK_BYTES, MAX_ITEM_BYTES};
use crate::dataset::{DatasetClient, ItemsOptions};
use crate::error::{Error, Result};
use crate::items_split::StreamSplitter;

/// Chunk buffers the reader gave back, for the workers to fill again: a read allocates the few
/// chunks it has in flight at once, not one per chunk (and so does not spread them over the
/// allocator arenas of the threads of every page).
#[derive(Clone, Default)]
pub(super) struct Pool(Arc<Mutex<Vec<Buffers>>>);

/// A chunk's bytes and item ranges, empty.
type Buffers = (Vec<u8>, Vec<Range<usize>>);

impl Pool {
    /// Buffers for a chunk: from the pool, or new. The bytes are `CHUNK_BYTES` (or more) long and
    /// all initialized, so that reads go straight into them: `read_to_end` would zero the spare
    /// capacity of every chunk again (a memset of the whole page, ~9% of a read's instructions).
    fn take(&self) -> Buffers {
        let spare = self.0.lock().ok().and_then(|mut p| p.pop());
        match spare {
            Some((mut bytes, ranges)) => {
                // Only the tail past the last chunk's text is zeroed: its text is initialized.
                bytes.resize(CHUNK_BYTES.max(bytes.len()), 0);
                (bytes, ranges)
            }
            None => (vec![0; CHUNK_BYTES], Vec::new()),
        }
    }

    pub(super) fn give(&self, chunk: Chunk) {
        self.give_buffers((chunk.text.into_bytes(), chunk.ranges));
    }

    fn give_buffers(&self, (bytes, mut ranges): Buffers) {
        // Not the buffer of a huge item, and no more than a read has in flight.
        if bytes.capacity() < CHUNK_BYTES || bytes.capacity() > 2 * CHUNK_BYTES {
            return;
        }
        // The bytes stay: their length is what `take` need not zero again.
        ranges.clear();
        if let Ok(mut p) = self.0.lock() {
            if p.len() < CHUNKS_AHEAD + 4 {
                p.push((bytes, ranges));
            }
        }
    }
}

/// Complete items of a page: their text and each one's range in it.
#[derive(Default)]
pub(crate) struct Chunk {
    pub(crate) text: String,
    pub(crate) ranges: Vec<Range<usize>>,
}

/// What a window's worker hands on, in order: the head, chunks, the end (or an error).
pub(super) enum Msg {
    Head {
        count: Option<u64>,
        total: Option<u64>,
    },
    Chunk(Chunk),
    End,
}

/// A worker: requests one window and sends its head; once the window's turn comes (`go`), its
/// items in chunks and its end (or the error), waiting while `CHUNKS_AHEAD` chunks are not
/// taken yet. A window ahead so costs a connection and a thread, not its bytes: memory is the
/// same whatever the dataset's size. The worker stops as soon as the reader drops the window.
pub(super) fn stream_window(
    dataset: &DatasetClient,
    options: &ItemsOptions,
    pool: &Pool,
    tx: &SyncSender<Result<Msg>>,
    go: &Receiver<()>,
) {
    if let Err(e) = stream_window_inner(dataset, options, pool, tx, go) {
        let _ = tx.send(Err(e));
    }
}

fn stream_window_inner(
    dataset: &DatasetClient,
    options: &ItemsOptions,
    pool: &Pool,
    tx: &SyncSender<Result<Msg>>,
    go: &Receiver<()>,
) -> Result<()> {
    let reply = dataset.items_stream(options)?;
    let header = |n: &str| reply.header(n).and_then(|v| v.trim().parse().ok());
    let head = Msg::Head {
        count: header("x-apify-pagination-count"),
        total: header("x-apify-pagination-total"),
    };
    if tx.send(Ok(head)).is_err() || go.recv().is_err() {
        return Ok(());
    }
    let path = dataset.items_path();
    let decode = |message: String| Error::Decode {
        method: "GET".into(),
        path: path.clone(),
        message,
    };
    // Streamed, the page is not read under the transport's cap: the same cap, counted here.
    let cap = dataset.page_cap(options.limit);
    let mut reader = reply.into_reader().take(cap.saturating_add(1));
    let mut splitter = StreamSplitter::new();
    // `buf[..filled]` are the page's bytes not handed on yet; all of `buf` is initialized.
    let (mut buf, mut ranges) = pool.take();
    let mut filled = 0;
    loop {
        // Items longer than a chunk: read on until one is complete.
        if filled == buf.len() {
            buf.resize(2 * buf.len(), 0);
        }
        let want = buf.len() - filled;
        let got = read_full(&mut reader, &mut buf[filled..]).map_err(|e| Error::Transport {
            method: "GET".into(),
            path: path.clone(),
            message: format!("reading the page failed: {e}"),
            attempt: 1,
            sent: crate::Sent::Yes,
            source: Some(crate::Cause::new(e)),
        })?;
        filled += got;
        let last = got < want;
        if splitter.used() + filled > cap as usize {
            return Err(Error::ResponseTooLarge {
                method: "GET".into(),
                path,
                limit: cap,
                attempt: 1,
            });
        }
        let used = splitter
            .split(&buf[..filled], last, &mut ranges)
            .map_err(|e| decode(e.to_string()))?;
        if ranges.is_empty() {
            if filled > MAX_ITEM_BYTES {
                return Err(decode(format!(
                    "an item at byte {} is longer than {MAX_ITEM_BYTES} bytes",
                    splitter.used()
                )));
            }
            buf.copy_within(used..filled, 0);
            filled -= used;
        } else {
            let (mut rest, next_ranges) = pool.take();
            if rest.len() < filled - used {
                rest.resize(filled - used, 0);
            }
            rest[..filled - used].copy_from_slice(&buf[used..filled]);
            filled -= used;
            buf.truncate(used);
            let start = splitter.used() - used;
            let text = String::from_utf8(buf).map_err(|e| {
                let at = start + e.utf8_error().valid_up_to();
                decode(format!(
                    "not a JSON array of items: invalid UTF-8 at byte {at}"
                ))
            })?;
            if tx.send(Ok(Msg::Chunk(Chunk { text, ranges }))).is_err() {
                return Ok(());
            }
            (buf, ranges) = (rest, next_ranges);
        }
        if last {
            // The next window's worker fills it again (no new zeroed buffer per window); all
            // of it stays, as initialized bytes not to zero again.
            pool.give_buffers((buf, ranges));
            let _ = tx.send(Ok(Msg::End));
            return Ok(());
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
