//! An items answer written as it is produced, in every format: the items are taken from the
//! dataset under the lock a batch of pointers at a time (an `Item` shares its text), formatted
//! outside it and written a buffer at a time, so that the memory a read holds is bounded by a
//! buffer and one item whatever the dataset's size.
//!
//! An answer that fits in [`INLINE_LIMIT`] is sent whole with its `Content-Length` (and a
//! `truncate` fault then sends half of it); a larger one is sent chunked as it is produced.
//! CSV and HTML need their columns before the first row: they read the page twice, the first time
//! only to gather column names.

use std::io;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::emulator::http::{Body, Response};
use crate::emulator::reply::{ApiError, ApiResult};
use crate::emulator::state::{Item, Shared};
use crate::emulator::util::now_millis;

use super::items_formats::{
    csv_head, csv_row, html_head, html_row, xml_head, xml_row, xml_tail, Columns, HTML_TAIL,
    RSS_HEAD, RSS_TAIL,
};
use super::items_query::{transform, ItemsQuery};

/// Answers up to this size are built whole and sent with a `Content-Length`.
pub(crate) const INLINE_LIMIT: usize = 4 * 1024 * 1024;
/// The buffer a streamed answer is written in.
const CHUNK: usize = 64 * 1024;
/// Items taken per lock.
const BATCH: usize = 1024;

/// Answers one page of a dataset's items with the pagination headers.
pub(crate) fn items_response(
    shared: &Arc<Shared>,
    id: &str,
    q: ItemsQuery,
    status: u16,
) -> ApiResult {
    let (cursor, total, reported_total) = {
        let mut st = shared.lock();
        let ds = st
            .datasets
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("Dataset", id))?;
        ds.read_count += 1;
        ds.accessed_at = now_millis();
        let total = ds.items.len() as u64;
        let reported = match shared.config.total_refresh {
            None => total,
            Some(every) => match ds.reported_total {
                Some((at, count)) if at.elapsed() < every => count,
                _ => {
                    ds.reported_total = Some((std::time::Instant::now(), total));
                    total
                }
            },
        };
        let start = q.offset.min(total);
        let end = match q.limit {
            Some(l) => start.saturating_add(l).min(total),
            None => total,
        };
        // Indices of the dataset's items; `desc` counts from the end.
        let (a, b) = if q.desc {
            (total - end, total - start)
        } else {
            (start, end)
        };
        let cursor = Cursor {
            shared: shared.clone(),
            id: id.to_string(),
            low: a as usize,
            high: b as usize,
            desc: q.desc,
            batch: Vec::new(),
        };
        (cursor, total, reported)
    };
    let scanned = cursor.high - cursor.low;
    let content_type = match q.format.as_str() {
        "json" => "application/json; charset=utf-8",
        "jsonl" => "application/jsonl; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        _ => "application/rss+xml; charset=utf-8",
    };
    let mut headers = vec![
        ("Content-Type".to_string(), content_type.to_string()),
        ("X-Apify-Pagination-Offset".into(), q.offset.to_string()),
        (
            "X-Apify-Pagination-Limit".into(),
            q.limit
                .unwrap_or(total.saturating_sub(q.offset))
                .to_string(),
        ),
        ("X-Apify-Pagination-Count".into(), scanned.to_string()),
        (
            "X-Apify-Pagination-Total".into(),
            reported_total.to_string(),
        ),
        ("X-Apify-Pagination-Desc".into(), q.desc.to_string()),
    ];
    if q.attachment {
        headers.push((
            "Content-Disposition".into(),
            format!("attachment; filename=\"dataset_{id}.{}\"", q.format),
        ));
    }
    let gone = |_| ApiError::not_found("Dataset", id);
    let mut producer = Producer::new(cursor, q).map_err(gone)?;
    let mut first = String::new();
    let done = producer.fill(&mut first, INLINE_LIMIT).map_err(gone)?;
    let body = if done {
        Body::Bytes(first.into_bytes())
    } else {
        Body::Stream(Box::new(move |w: &mut dyn io::Write| {
            w.write_all(first.as_bytes())?;
            drop(first);
            let mut buf = String::with_capacity(CHUNK);
            loop {
                buf.clear();
                let done = producer.fill(&mut buf, CHUNK)?;
                w.write_all(buf.as_bytes())?;
                if done {
                    return Ok(());
                }
            }
        }))
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// A range of a dataset's items, read a batch at a time.
#[derive(Clone)]
struct Cursor {
    shared: Arc<Shared>,
    id: String,
    /// The indices still to read: `low..high`, read from `high` down with `desc`.
    low: usize,
    high: usize,
    desc: bool,
    /// Taken but not yet handed out, in reverse order of handing out.
    batch: Vec<Item>,
}

impl Cursor {
    fn next(&mut self) -> io::Result<Option<Item>> {
        if let Some(item) = self.batch.pop() {
            return Ok(Some(item));
        }
        if self.low >= self.high {
            return Ok(None);
        }
        let n = (self.high - self.low).min(BATCH);
        let st = self.shared.lock();
        let items =
            st.datasets.get(&self.id).map(|d| &d.items).ok_or_else(|| {
                io::Error::other("the dataset was deleted while it was being read")
            })?;
        // Items are only ever appended, so indices taken at the start stay valid.
        if self.desc {
            // `batch` is popped from its end: highest index last, so that it comes out first.
            self.batch
                .extend(items[self.high - n..self.high].iter().cloned());
            self.high -= n;
        } else {
            // Lowest index last, so that it comes out first.
            self.batch
                .extend(items[self.low..self.low + n].iter().rev().cloned());
            self.low += n;
        }
        drop(st);
        Ok(self.batch.pop())
    }
}

#[derive(PartialEq)]
enum Stage {
    Head,
    Items,
    Done,
}

/// Produces the answer's text a buffer at a time.
struct Producer {
    cursor: Cursor,
    q: ItemsQuery,
    /// CSV and HTML: the columns, gathered before the first row.
    columns: Vec<String>,
    stage: Stage,
    /// No item written yet (JSON separators).
    first: bool,
}

impl Producer {
    fn new(cursor: Cursor, q: ItemsQuery) -> io::Result<Producer> {
        let mut columns = Vec::new();
        if q.format == "csv" || q.format == "html" {
            let mut pass = cursor.clone();
            let mut gathered = Columns::default();
            while let Some(item) = pass.next()? {
                for row in rows(&item, &q) {
                    gathered.add(&row);
                }
            }
            columns = gathered.finish(q.fields.as_deref());
        }
        Ok(Producer {
            cursor,
            q,
            columns,
            stage: Stage::Head,
            first: true,
        })
    }

    /// Appends to `out` until it holds at least `want` bytes or the answer is complete; `true`
    /// when it is.
    fn fill(&mut self, out: &mut String, want: usize) -> io::Result<bool> {
        if self.stage == Stage::Head {
            self.head(out);
            self.stage = Stage::Items;
        }
        while self.stage == Stage::Items && out.len() < want {
            match self.cursor.next()? {
                Some(item) => self.item(out, &item),
                None => {
                    self.tail(out);
                    self.stage = Stage::Done;
                }
            }
        }
        Ok(self.stage == Stage::Done)
    }

    fn head(&self, out: &mut String) {
        let q = &self.q;
        // CSV carries a BOM unless told not to; the others only when asked.
        let bom = q.bom.unwrap_or(q.format == "csv");
        if bom {
            out.push('\u{FEFF}');
        }
        match q.format.as_str() {
            "json" => out.push('['),
            "csv" if !q.skip_header_row => csv_head(out, &self.columns, &q.delimiter),
            "html" => html_head(out, &self.columns),
            "xml" => xml_head(out, &q.xml_root),
            "rss" => out.push_str(RSS_HEAD),
            _ => {}
        }
    }

    fn tail(&self, out: &mut String) {
        match self.q.format.as_str() {
            "json" => out.push(']'),
            "jsonl" if !self.first => out.push('\n'),
            "html" => out.push_str(HTML_TAIL),
            "xml" => xml_tail(out, &self.q.xml_root),
            "rss" => out.push_str(RSS_TAIL),
            _ => {}
        }
    }

    fn item(&mut self, out: &mut String, item: &Item) {
        let q = &self.q;
        if q.skip_empty && item.empty {
            return;
        }
        match q.format.as_str() {
            "json" | "jsonl" => {
                let sep = if q.format == "json" { "," } else { "\n" };
                if !q.reshapes(item) {
                    if !self.first {
                        out.push_str(sep);
                    }
                    self.first = false;
                    let text = item.json.as_bytes();
                    // (`<[u8]>::contains` is a memchr: this scan costs next to nothing.)
                    if q.format == "jsonl" && (text.contains(&b'\n') || text.contains(&b'\r')) {
                        // JSONL holds one item per line, but a pretty-printed push is stored
                        // with its line breaks. Those can only be whitespace between tokens (a
                        // JSON string cannot hold a raw one), so spaces stand in for them.
                        out.extend(item.json.chars().map(|c| match c {
                            '\n' | '\r' => ' ',
                            c => c,
                        }));
                    } else {
                        out.push_str(&item.json);
                    }
                    return;
                }
                for row in rows(item, q) {
                    if !self.first {
                        out.push_str(sep);
                    }
                    self.first = false;
                    out.push_str(&Value::Object(row).to_string());
                }
            }
            "csv" => {
                for row in rows(item, q) {
                    csv_row(out, &row, &self.columns, &q.delimiter);
                }
            }
            "html" => {
                for row in rows(item, q) {
                    html_row(out, &row, &self.columns);
                }
            }
            "xml" => {
                for row in rows(item, q) {
                    xml_row(out, &row, &q.xml_row);
                }
            }
            _ => {
                for row in rows(item, q) {
                    xml_row(out, &row, "item");
                }
            }
        }
    }
}

/// The rows an item becomes (unwind can make several), or none when its text does not parse as
/// an object (pushes refuse items too deep to parse, so only an item a run wrote can be that).
fn rows(item: &Item, q: &ItemsQuery) -> Vec<Map<String, Value>> {
    match serde_json::from_str::<Value>(&item.json) {
        Ok(Value::Object(obj)) => transform(obj, q),
        _ => Vec::new(),
    }
}
