//! Splitting a page of dataset items (the JSON array that `GET /v2/datasets/{id}/items` returns)
//! into the byte ranges of its elements, without building a value or copying an item (issue 13).
//!
//! [`split_items`] checks the whole page with `std::str::from_utf8`, then makes one pass over the
//! bytes with a small explicit stack (no recursion, so no depth limit of its own) and a
//! word-at-a-time scan through string contents (16 bytes a step). A first pass (a vectorized
//! minimum) finds whether the piece holds any control character: compact JSON has none, and then
//! strings need looking only for '"' and '\\', and whitespace can only be spaces; otherwise every
//! check is made. It checks the page as strictly as
//! `serde_json::from_slice::<Vec<&RawValue>>` does, so both accept and refuse the same pages, with
//! two differences: a UTF-8 byte order mark at the start is skipped (serde_json refuses it), and
//! nesting deeper than serde_json's 128 levels is accepted (parsing such an item later fails
//! there). Like serde_json for a `RawValue`, a `\u` escape is only checked for its four hex
//! digits: a lone surrogate is only an error once the string is decoded.

use std::fmt;
use std::ops::Range;

#[path = "items_split_scan.rs"]
mod scan;
#[cfg(test)]
use scan::non_digits;
use scan::{has_control, scan_literal, scan_number, scan_string};

/// Why a page is not a JSON array: where, and what the splitter expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SplitError {
    /// Byte offset in the page (counting a byte order mark, if any) where the problem is.
    pub(crate) offset: usize,
    /// What was expected at `offset`, in words (`"',' or ']' after an item"`).
    pub(crate) expected: &'static str,
    /// The byte found at `offset`, or `None` at the end of the page.
    pub(crate) found: Option<u8>,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a JSON array of items: at byte {}, expected {}, found ",
            self.offset, self.expected
        )?;
        match self.found {
            None => f.write_str("the end of the page"),
            Some(b) if b.is_ascii_graphic() || b == b' ' => write!(f, "'{}'", b as char),
            Some(b) => write!(f, "byte 0x{b:02x}"),
        }
    }
}

impl std::error::Error for SplitError {}

/// What the scanning functions answer: an error boxed, so that a result fits in two registers
/// (the error path is rare: once at the end of a streamed piece).
type Scan<T> = Result<T, Box<SplitError>>;

/// The UTF-8 byte order mark, skipped at the start of a page.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The byte ranges of the elements of the JSON array `page`, in order: each range covers exactly
/// the element's text (no surrounding whitespace), so `&page[range]` is the element's JSON and,
/// since the whole page is checked to be UTF-8, valid `&str` too. One `Vec` is allocated for the
/// ranges (plus a small stack for nesting inside elements), nothing per item.
///
/// Accepts what `serde_json::from_slice::<Vec<&RawValue>>` accepts (JSON whitespace anywhere it is
/// allowed, any elements: objects, arrays, strings, numbers, `true`, `false`, `null`), plus a
/// UTF-8 byte order mark at the start, which is skipped, and nesting of any depth. Strings are
/// checked fully (closed, no control characters, escapes `\" \\ \/ \b \f \n \r \t \uXXXX` with
/// four hex digits; surrogates are not paired up), numbers against the JSON grammar
/// (`-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`), literals exactly. Elements need not be
/// objects: checking that is the caller's job.
///
/// Refuses, with the byte offset and what was expected there: invalid UTF-8, anything but `[`
/// first, unbalanced or mismatched brackets, a missing or trailing comma, a missing colon or a key
/// that is not a string, an unclosed string, a control character in a string, a bad escape or
/// number, and anything but whitespace after the closing `]`.
// The whole-page form: what the streamed one is tested against, and what examples/bench_split
// measures.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn split_items(page: &[u8]) -> Result<Vec<Range<usize>>, SplitError> {
    split_page(page).map_err(|e| *e)
}

fn split_page(page: &[u8]) -> Scan<Vec<Range<usize>>> {
    if let Err(e) = std::str::from_utf8(page) {
        let offset = e.valid_up_to();
        return Err(error(page, offset, "valid UTF-8"));
    }
    let mut i = if page.starts_with(BOM) { BOM.len() } else { 0 };
    i = skip_whitespace(page, i);
    if page.get(i) != Some(&b'[') {
        return Err(error(page, i, "'[' (the start of the array)"));
    }
    let mut items = Vec::new();
    let end = if has_control(page) {
        scan_array::<true>(page, i + 1, true, &mut items, &mut (0, 0))?
    } else {
        scan_array::<false>(page, i + 1, true, &mut items, &mut (0, 0))?
    };
    finish(page, end, items)
}

/// Scans the array's elements from `i` (just after `[` when `first`, else just after a comma
/// between elements) up to its closing `]`, pushing each element's range to `items`; answers the
/// index after the `]`. At each comma between elements, `commit` becomes (the index after it,
/// the elements pushed so far): where a scan of a page cut short can go on. A page cut short
/// fails at its end (the error's `found` is `None`), never earlier. `CONTROLS`: as for
/// [`scan_string`].
fn scan_array<const CONTROLS: bool>(
    page: &[u8],
    i: usize,
    first: bool,
    items: &mut Vec<Range<usize>>,
    commit: &mut (usize, usize),
) -> Scan<usize> {
    let mut i = skip_ws::<CONTROLS>(page, i);
    if first && page.get(i) == Some(&b']') {
        return Ok(i + 1);
    }
    // For nested values, kept from item to item.
    let mut stack = Stack::default();
    // What an element at `i` may also be, for the error message: `]` just after `[`.
    let mut value_or_end = first;
    loop {
        let start = i;
        // Most items are objects of strings and numbers: one tight pass over each; anything
        // else (or wrong) goes through the general scan, which says exactly what is wrong.
        let flat = if page.get(i) == Some(&b'{') {
            flat_object::<CONTROLS>(page, i, &mut stack)
        } else {
            None
        };
        i = match flat {
            Some(end) => end,
            None => scan_value::<CONTROLS>(page, i, value_or_end, &mut stack)?,
        };
        items.push(start..i);
        match peek::<CONTROLS>(page, &mut i) {
            Some(b',') => {
                i = skip_ws::<CONTROLS>(page, i + 1);
                *commit = (i, items.len());
            }
            Some(b']') => return Ok(i + 1),
            _ => return Err(error(page, i, "',' or ']' after an item")),
        }
        value_or_end = false;
    }
}

/// The object at `i` (its `{`) when it is valid; `None` if it is not, or is cut short (then
/// [`scan_value`] scans it again to say where and why). Member values that are objects or
/// arrays are scanned by [`scan_value`]; strings, numbers and literals here, with no stack.
#[inline(always)]
fn flat_object<const CONTROLS: bool>(page: &[u8], i: usize, stack: &mut Stack) -> Option<usize> {
    let mut i = i + 1;
    if peek::<CONTROLS>(page, &mut i) == Some(b'}') {
        return Some(i + 1);
    }
    loop {
        if peek::<CONTROLS>(page, &mut i) != Some(b'"') {
            return None;
        }
        i = scan_string::<CONTROLS>(page, i).ok()?;
        if peek::<CONTROLS>(page, &mut i) != Some(b':') {
            return None;
        }
        i += 1;
        i = match peek::<CONTROLS>(page, &mut i) {
            Some(b'"') => scan_string::<CONTROLS>(page, i).ok()?,
            Some(b'-' | b'0'..=b'9') => scan_number(page, i).ok()?,
            Some(b'{' | b'[') => scan_value::<CONTROLS>(page, i, false, stack).ok()?,
            Some(b't') => scan_literal(page, i, b"true").ok()?,
            Some(b'f') => scan_literal(page, i, b"false").ok()?,
            Some(b'n') => scan_literal(page, i, b"null").ok()?,
            _ => return None,
        };
        match peek::<CONTROLS>(page, &mut i) {
            Some(b',') => i += 1,
            Some(b'}') => return Some(i + 1),
            _ => return None,
        }
    }
}

/// The byte at `i` after any whitespace there (moving `i` past it): one load when there is
/// none, as in compact JSON.
#[inline(always)]
fn peek<const CONTROLS: bool>(page: &[u8], i: &mut usize) -> Option<u8> {
    let b = page.get(*i).copied();
    match b {
        Some(b' ') => {}
        Some(b'\t' | b'\n' | b'\r') if CONTROLS => {}
        _ => return b,
    }
    *i = skip_ws::<CONTROLS>(page, *i + 1);
    page.get(*i).copied()
}

/// The containers open inside the value being scanned, innermost last: `true` for an object,
/// `false` for an array. The innermost 64 are bits of a word (no memory access to push, pop or
/// look at the top); deeper ones go to `spill`.
#[derive(Default)]
struct Stack {
    depth: usize,
    bits: u64,
    spill: Vec<bool>,
}

impl Stack {
    #[inline(always)]
    fn push(&mut self, object: bool) {
        if self.depth >= 64 {
            self.spill.push(self.bits >> 63 != 0);
        }
        self.bits = self.bits << 1 | u64::from(object);
        self.depth += 1;
    }

    #[inline(always)]
    fn pop(&mut self) {
        self.depth -= 1;
        self.bits >>= 1;
        if self.depth >= 64 {
            self.bits |= u64::from(self.spill.pop().unwrap_or(false)) << 63;
        }
    }

    /// The innermost container, if any: `Some(true)` for an object.
    #[inline(always)]
    fn top(&self) -> Option<bool> {
        (self.depth > 0).then_some(self.bits & 1 != 0)
    }
}

/// The value at `i` (an element of the page's array: whitespace already skipped); the index
/// after it. `value_or_end`: a `]` could also have been at `i` (just after `[`), for the error
/// message.
fn scan_value<const CONTROLS: bool>(
    page: &[u8],
    mut i: usize,
    mut value_or_end: bool,
    stack: &mut Stack,
) -> Scan<usize> {
    stack.depth = 0;
    stack.spill.clear();
    loop {
        // A value starts at `i` (whitespace skipped).
        match page.get(i) {
            Some(b'{') => {
                i = skip_ws::<CONTROLS>(page, i + 1);
                if page.get(i) == Some(&b'}') {
                    i += 1;
                } else {
                    stack.push(true);
                    i = key_and_colon::<CONTROLS>(page, i, "a string key or '}'")?;
                    value_or_end = false;
                    continue;
                }
            }
            Some(b'[') => {
                i = skip_ws::<CONTROLS>(page, i + 1);
                if page.get(i) == Some(&b']') {
                    i += 1;
                } else {
                    stack.push(false);
                    value_or_end = true;
                    continue;
                }
            }
            Some(b'"') => i = scan_string::<CONTROLS>(page, i)?,
            Some(b'-' | b'0'..=b'9') => i = scan_number(page, i)?,
            Some(b't') => i = scan_literal(page, i, b"true")?,
            Some(b'f') => i = scan_literal(page, i, b"false")?,
            Some(b'n') => i = scan_literal(page, i, b"null")?,
            _ if value_or_end => return Err(error(page, i, "a value or ']'")),
            _ => return Err(error(page, i, "a value")),
        }
        // A value ended just before `i`: close containers until a comma starts the next value.
        loop {
            let Some(object) = stack.top() else {
                return Ok(i);
            };
            i = skip_ws::<CONTROLS>(page, i);
            match (page.get(i), object) {
                (Some(b','), true) => {
                    i = skip_ws::<CONTROLS>(page, i + 1);
                    i = key_and_colon::<CONTROLS>(page, i, "a string key")?;
                    break;
                }
                (Some(b','), false) => {
                    i = skip_ws::<CONTROLS>(page, i + 1);
                    break;
                }
                (Some(b'}'), true) | (Some(b']'), false) => {
                    stack.pop();
                    i += 1;
                }
                (_, false) => return Err(error(page, i, "',' or ']' after a value")),
                (_, true) => return Err(error(page, i, "',' or '}' after a value")),
            }
        }
        value_or_end = false;
    }
}

/// Where a page read piece by piece stands, between two pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The start of the page: a byte order mark, whitespace, `[`.
    Open,
    /// Just after `[`: an element or `]`.
    First,
    /// Just after a comma: an element.
    Next,
    /// After the closing `]`: only whitespace.
    Closed,
}

/// Splits a page that arrives piece by piece (a streamed answer) into its elements as
/// [`split_items`] would, checking the same grammar: each call takes the bytes not used yet
/// followed by the newly arrived ones, and answers the ranges of the elements that are complete
/// in them and how many bytes those used (the rest is given again, with more after it). UTF-8 is
/// the caller's to check on the bytes used (they end at an element boundary); error offsets
/// count from the start of the page.
#[derive(Debug)]
pub(crate) struct StreamSplitter {
    expect: Expect,
    /// Bytes of the page used by earlier calls.
    base: usize,
}

impl StreamSplitter {
    pub(crate) fn new() -> StreamSplitter {
        StreamSplitter {
            expect: Expect::Open,
            base: 0,
        }
    }

    /// Bytes of the page used so far.
    pub(crate) fn used(&self) -> usize {
        self.base
    }

    /// Appends to `items` the ranges of the complete elements at the start of `buf` and answers
    /// the bytes of `buf` they used; `last`: `buf` ends the page (then anything incomplete is an
    /// error).
    pub(crate) fn split(
        &mut self,
        buf: &[u8],
        last: bool,
        items: &mut Vec<Range<usize>>,
    ) -> Result<usize, SplitError> {
        let used = self.split_inner(buf, last, items).map_err(|mut e| {
            e.offset += self.base;
            *e
        })?;
        self.base += used;
        Ok(used)
    }

    fn split_inner(
        &mut self,
        buf: &[u8],
        last: bool,
        items: &mut Vec<Range<usize>>,
    ) -> Scan<usize> {
        let (mut i, mut first) = (0, false);
        match self.expect {
            Expect::Open => {
                if !last && buf.len() < BOM.len() && BOM.starts_with(buf) {
                    return Ok(0);
                }
                i = if buf.starts_with(BOM) { BOM.len() } else { 0 };
                i = skip_whitespace(buf, i);
                match buf.get(i) {
                    Some(b'[') => {
                        i += 1;
                        first = true;
                        self.expect = Expect::First;
                    }
                    None if !last => return Ok(i),
                    _ => return Err(error(buf, i, "'[' (the start of the array)")),
                }
            }
            Expect::First => first = true,
            Expect::Next => {}
            Expect::Closed => {
                let end = skip_whitespace(buf, 0);
                return finish(buf, end, Vec::new()).map(|_| end);
            }
        }
        let before = items.len();
        let mut commit = (i, before);
        let scanned = if has_control(buf) {
            scan_array::<true>(buf, i, first, items, &mut commit)
        } else {
            scan_array::<false>(buf, i, first, items, &mut commit)
        };
        match scanned {
            Ok(end) => {
                self.expect = Expect::Closed;
                let end = skip_whitespace(buf, end);
                finish(buf, end, Vec::new()).map(|_| end)
            }
            Err(e) if !last && e.offset >= buf.len() => {
                // Cut short: keep what is complete, go on from the last comma next time.
                items.truncate(commit.1);
                if commit.1 > before {
                    self.expect = Expect::Next;
                }
                Ok(commit.0)
            }
            Err(e) => Err(e),
        }
    }
}

/// A key at `i` (else the error says `expected`), then `:`; the index of the value after them.
#[inline(always)]
fn key_and_colon<const CONTROLS: bool>(
    page: &[u8],
    i: usize,
    expected: &'static str,
) -> Scan<usize> {
    if page.get(i) != Some(&b'"') {
        return Err(error(page, i, expected));
    }
    let i = skip_ws::<CONTROLS>(page, scan_string::<CONTROLS>(page, i)?);
    if page.get(i) != Some(&b':') {
        return Err(error(page, i, "':' after a key"));
    }
    Ok(skip_ws::<CONTROLS>(page, i + 1))
}

/// After the closing `]` at `i`: only whitespace may follow.
fn finish(page: &[u8], i: usize, items: Vec<Range<usize>>) -> Scan<Vec<Range<usize>>> {
    let i = skip_whitespace(page, i);
    if i == page.len() {
        Ok(items)
    } else {
        Err(error(
            page,
            i,
            "the end of the page (nothing but whitespace after the array)",
        ))
    }
}

/// The error at `offset`, with the byte found there.
#[cold]
#[inline(never)]
fn error(page: &[u8], offset: usize, expected: &'static str) -> Box<SplitError> {
    Box::new(SplitError {
        offset,
        expected,
        found: page.get(offset).copied(),
    })
}

/// [`skip_whitespace`] inside the array, where `!CONTROLS` says the page has no tab, LF or CR:
/// then only spaces can be whitespace (and compact JSON has none).
#[inline(always)]
fn skip_ws<const CONTROLS: bool>(page: &[u8], mut i: usize) -> usize {
    if CONTROLS {
        return skip_whitespace(page, i);
    }
    while page.get(i) == Some(&b' ') {
        i += 1;
    }
    i
}

/// The first index at or after `i` that is not JSON whitespace (space, tab, LF, CR).
#[inline(always)]
fn skip_whitespace(page: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = page.get(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
#[path = "items_split_tests.rs"]
mod tests;
