//! The request journal (`/_emulator/requests`): what each API request was and how it was
//! answered, bounded by entries and by bytes so that hostile clients cannot grow it without end.
//!
//! An entry keeps at most [`MAX_HEADERS`] headers, each value cut at [`MAX_HEADER_VALUE`] bytes
//! (the number dropped is counted), and never a token: the `Authorization` value and any `token`
//! query value are masked. Entries are shared (`Arc`), so a read copies only the pointers of its
//! page under the state lock and serializes outside it.

use std::collections::VecDeque;
use std::sync::Arc;

/// Entries the journal keeps before dropping the oldest.
pub(crate) const JOURNAL_CAP: usize = 100_000;
/// Headers kept per entry (the first ones received).
pub(crate) const MAX_HEADERS: usize = 32;
/// Bytes kept of a header value; longer ones end in `…`.
pub(crate) const MAX_HEADER_VALUE: usize = 1024;
/// Bytes kept of a header name, a path or a query.
const MAX_NAME: usize = 128;
const MAX_TARGET: usize = 4096;
/// What an entry costs besides its strings (the struct, the `Arc`, the deque slot).
const ENTRY_OVERHEAD: usize = 256;
/// What each kept header costs besides its text (two `String`s and the tuple).
const HEADER_OVERHEAD: usize = 64;

/// One line of the request journal.
#[derive(Debug)]
pub(crate) struct JournalEntry {
    pub at: u64,
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    /// Headers beyond [`MAX_HEADERS`] that were not kept.
    pub dropped_headers: usize,
    pub body_size: usize,
    pub status: u16,
    pub fault: Option<String>,
    /// Why the HTTP layer refused the request before routing (`body-too-large`, ...); the
    /// method and path are then what was read of them, maybe empty.
    pub rejected: Option<&'static str>,
}

impl JournalEntry {
    /// An entry from the request's parts: headers capped and the token masked.
    pub(crate) fn new(
        at: u64,
        method: &str,
        path: &str,
        query: &str,
        headers: &[(String, String)],
    ) -> JournalEntry {
        let kept = headers
            .iter()
            .take(MAX_HEADERS)
            .map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("authorization") {
                    match v.split_once(' ') {
                        Some((scheme, _)) => format!("{} ***", cut(scheme, MAX_NAME)),
                        None => "***".to_string(),
                    }
                } else {
                    cut(v, MAX_HEADER_VALUE)
                };
                (cut(k, MAX_NAME), v)
            })
            .collect();
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some(("token", _)) => "token=***",
                _ => p,
            })
            .collect::<Vec<_>>()
            .join("&");
        JournalEntry {
            at,
            method: cut(method, MAX_NAME),
            path: cut(path, MAX_TARGET),
            query: cut(&query, MAX_TARGET),
            headers: kept,
            dropped_headers: headers.len().saturating_sub(MAX_HEADERS),
            body_size: 0,
            status: 0,
            fault: None,
            rejected: None,
        }
    }

    /// About what the entry holds in memory.
    fn cost(&self) -> usize {
        ENTRY_OVERHEAD
            + self.method.len()
            + self.path.len()
            + self.query.len()
            + self.fault.as_ref().map_or(0, String::len)
            + self
                .headers
                .iter()
                .map(|(k, v)| HEADER_OVERHEAD + k.len() + v.len())
                .sum::<usize>()
    }
}

/// `s` cut to at most `max` bytes on a character boundary, `…` marking a cut.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The journal: oldest first, within both caps.
pub(crate) struct Journal {
    entries: VecDeque<(Arc<JournalEntry>, usize)>,
    bytes: usize,
    max_bytes: usize,
    /// Entries dropped to stay within the caps since the last clear.
    pub evicted: u64,
}

impl Journal {
    pub(crate) fn new(max_bytes: usize) -> Journal {
        Journal {
            entries: VecDeque::new(),
            bytes: 0,
            max_bytes,
            evicted: 0,
        }
    }

    /// Appends an entry, dropping the oldest ones beyond either cap.
    pub(crate) fn push(&mut self, entry: JournalEntry) {
        let cost = entry.cost();
        self.bytes += cost;
        self.entries.push_back((Arc::new(entry), cost));
        while self.entries.len() > JOURNAL_CAP
            || (self.bytes > self.max_bytes && self.entries.len() > 1)
        {
            let Some((_, c)) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= c;
            self.evicted += 1;
        }
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
        self.evicted = 0;
    }

    /// The bytes the kept entries account for.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The entries that pass `keep`: how many there are, and the `limit` of them from `offset`
    /// (shared, not copied).
    pub(crate) fn page(
        &self,
        keep: impl Fn(&JournalEntry) -> bool,
        offset: usize,
        limit: usize,
    ) -> (usize, Vec<Arc<JournalEntry>>) {
        let mut total = 0;
        let mut page = Vec::new();
        for (e, _) in &self.entries {
            if keep(e) {
                if total >= offset && page.len() < limit {
                    page.push(e.clone());
                }
                total += 1;
            }
        }
        (total, page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(n: usize, value: &str) -> Vec<(String, String)> {
        (0..n)
            .map(|i| (format!("x-h{i}"), value.to_string()))
            .collect()
    }

    #[test]
    fn entries_keep_few_short_headers_and_no_token() {
        let mut h = vec![(
            "authorization".to_string(),
            "Bearer secret-token".to_string(),
        )];
        h.extend(headers(100, &"v".repeat(5000)));
        let e = JournalEntry::new(0, "GET", "/v2/x", "token=secret&a=1", &h);
        assert_eq!(e.headers.len(), MAX_HEADERS);
        assert_eq!(e.dropped_headers, 101 - MAX_HEADERS);
        assert_eq!(e.headers[0].1, "Bearer ***");
        assert_eq!(e.query, "token=***&a=1");
        assert!(e.headers[1].1.len() <= MAX_HEADER_VALUE + '…'.len_utf8());
        assert!(e.headers[1].1.ends_with('…'));
    }

    #[test]
    fn the_byte_cap_drops_the_oldest() {
        let mut j = Journal::new(64 * 1024);
        for i in 0..1000 {
            j.push(JournalEntry::new(
                i,
                "GET",
                "/p",
                "",
                &headers(32, "0123456789"),
            ));
        }
        assert!(j.bytes() <= 64 * 1024);
        let (total, page) = j.page(|_| true, 0, usize::MAX);
        assert_eq!(total, page.len());
        assert!(total < 1000 && total > 10, "{total}");
        assert_eq!(page.last().unwrap().at, 999);
        assert_eq!(j.evicted, 1000 - total as u64);
    }

    #[test]
    fn pages_count_every_match() {
        let mut j = Journal::new(usize::MAX);
        for i in 0..10 {
            let m = if i % 2 == 0 { "GET" } else { "POST" };
            j.push(JournalEntry::new(i, m, "/p", "", &[]));
        }
        let (total, page) = j.page(|e| e.method == "GET", 1, 2);
        assert_eq!(total, 5);
        let at: Vec<u64> = page.iter().map(|e| e.at).collect();
        assert_eq!(at, [2, 4]);
    }
}
