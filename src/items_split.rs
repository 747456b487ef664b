//! Splitting a page of dataset items (the JSON array that `GET /v2/datasets/{id}/items` returns)
//! into the byte ranges of its elements, without building a value or copying an item (issue 13).
//!
//! [`split_items`] checks the whole page with `std::str::from_utf8`, then makes one pass over the
//! bytes with a small explicit stack (no recursion, so no depth limit of its own) and a
//! word-at-a-time scan through string contents. It checks the page as strictly as
//! `serde_json::from_slice::<Vec<&RawValue>>` does, so both accept and refuse the same pages, with
//! two differences: a UTF-8 byte order mark at the start is skipped (serde_json refuses it), and
//! nesting deeper than serde_json's 128 levels is accepted (parsing such an item later fails
//! there). Like serde_json for a `RawValue`, a `\u` escape is only checked for its four hex
//! digits: a lone surrogate is only an error once the string is decoded.

use std::fmt;
use std::ops::Range;

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
pub(crate) fn split_items(page: &[u8]) -> Result<Vec<Range<usize>>, SplitError> {
    if let Err(e) = std::str::from_utf8(page) {
        let offset = e.valid_up_to();
        return Err(error(page, offset, "valid UTF-8"));
    }
    let mut i = if page.starts_with(BOM) { BOM.len() } else { 0 };
    i = skip_whitespace(page, i);
    if page.get(i) != Some(&b'[') {
        return Err(error(page, i, "'[' (the start of the array)"));
    }
    i = skip_whitespace(page, i + 1);
    let mut items = Vec::new();
    if page.get(i) == Some(&b']') {
        return finish(page, i + 1, items);
    }

    // The containers open inside the current item: `true` for an object, `false` for an array.
    let mut stack: Vec<bool> = Vec::new();
    let mut start = i;
    // What a value at `i` may also be, for the error message: `]` just after `[`.
    let mut value_or_end = true;
    loop {
        // A value starts at `i` (whitespace skipped).
        if stack.is_empty() {
            start = i;
        }
        match page.get(i) {
            Some(b'{') => {
                i = skip_whitespace(page, i + 1);
                if page.get(i) == Some(&b'}') {
                    i += 1;
                } else {
                    stack.push(true);
                    i = key_and_colon(page, i, "a string key or '}'")?;
                    value_or_end = false;
                    continue;
                }
            }
            Some(b'[') => {
                i = skip_whitespace(page, i + 1);
                if page.get(i) == Some(&b']') {
                    i += 1;
                } else {
                    stack.push(false);
                    value_or_end = true;
                    continue;
                }
            }
            Some(b'"') => i = scan_string(page, i)?,
            Some(b'-' | b'0'..=b'9') => i = scan_number(page, i)?,
            Some(b't') => i = scan_literal(page, i, b"true")?,
            Some(b'f') => i = scan_literal(page, i, b"false")?,
            Some(b'n') => i = scan_literal(page, i, b"null")?,
            _ if value_or_end => return Err(error(page, i, "a value or ']'")),
            _ => return Err(error(page, i, "a value")),
        }
        // A value ended just before `i`: close containers until a comma starts the next value.
        loop {
            if stack.is_empty() {
                items.push(start..i);
            }
            i = skip_whitespace(page, i);
            match (page.get(i), stack.last()) {
                (Some(b','), Some(true)) => {
                    i = skip_whitespace(page, i + 1);
                    i = key_and_colon(page, i, "a string key")?;
                    break;
                }
                (Some(b','), _) => {
                    i = skip_whitespace(page, i + 1);
                    break;
                }
                (Some(b'}'), Some(true)) | (Some(b']'), Some(false)) => {
                    stack.pop();
                    i += 1;
                }
                (Some(b']'), None) => return finish(page, i + 1, items),
                (_, None) => return Err(error(page, i, "',' or ']' after an item")),
                (_, Some(false)) => return Err(error(page, i, "',' or ']' after a value")),
                (_, Some(true)) => return Err(error(page, i, "',' or '}' after a value")),
            }
        }
        value_or_end = false;
    }
}

/// A key at `i` (else the error says `expected`), then `:`; the index of the value after them.
#[inline]
fn key_and_colon(page: &[u8], i: usize, expected: &'static str) -> Result<usize, SplitError> {
    if page.get(i) != Some(&b'"') {
        return Err(error(page, i, expected));
    }
    let i = skip_whitespace(page, scan_string(page, i)?);
    if page.get(i) != Some(&b':') {
        return Err(error(page, i, "':' after a key"));
    }
    Ok(skip_whitespace(page, i + 1))
}

/// After the closing `]` at `i`: only whitespace may follow.
fn finish(
    page: &[u8],
    i: usize,
    items: Vec<Range<usize>>,
) -> Result<Vec<Range<usize>>, SplitError> {
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
fn error(page: &[u8], offset: usize, expected: &'static str) -> SplitError {
    SplitError {
        offset,
        expected,
        found: page.get(offset).copied(),
    }
}

/// The first index at or after `i` that is not JSON whitespace (space, tab, LF, CR).
#[inline]
fn skip_whitespace(page: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = page.get(i) {
        i += 1;
    }
    i
}

/// `literal` at `i` (whose first byte is already known to match); the index after it.
fn scan_literal(page: &[u8], i: usize, literal: &'static [u8]) -> Result<usize, SplitError> {
    let end = i + literal.len();
    match page.get(i..end) {
        Some(text) if text == literal => Ok(end),
        _ => {
            let bad = (i..end.min(page.len()))
                .find(|&j| page[j] != literal[j - i])
                .unwrap_or(page.len());
            Err(error(
                page,
                bad,
                match literal {
                    b"true" => "the rest of 'true'",
                    b"false" => "the rest of 'false'",
                    _ => "the rest of 'null'",
                },
            ))
        }
    }
}

/// The number starting at `i` (a `-` or a digit); the index after it.
fn scan_number(page: &[u8], mut i: usize) -> Result<usize, SplitError> {
    let digit = |j: usize| page.get(j).is_some_and(u8::is_ascii_digit);
    let digits = |mut j: usize| {
        while digit(j) {
            j += 1;
        }
        j
    };
    if page[i] == b'-' {
        i += 1;
    }
    match page.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i + 1),
        _ => return Err(error(page, i, "a digit")),
    }
    if page.get(i) == Some(&b'.') {
        if !digit(i + 1) {
            return Err(error(page, i + 1, "a digit after '.'"));
        }
        i = digits(i + 1);
    }
    if let Some(b'e' | b'E') = page.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = page.get(i) {
            i += 1;
        }
        if !digit(i) {
            return Err(error(page, i, "a digit in the exponent"));
        }
        i = digits(i);
    }
    Ok(i)
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// High bit set in each byte of `word` that is below `n` (`n` <= 0x80); exact for the lowest such
/// byte (a borrow only spills into bytes above a true hit), which is all [`scan_string`] uses.
#[inline]
fn bytes_below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(ONES * n as u64) & !word & HIGHS
}

/// High bit set in each byte of `word` equal to `b` (same caveat as [`bytes_below`]).
#[inline]
fn bytes_equal(word: u64, b: u8) -> u64 {
    bytes_below(word ^ (ONES * b as u64), 1)
}

/// The string whose opening quote is at `i`; the index after its closing quote.
fn scan_string(page: &[u8], i: usize) -> Result<usize, SplitError> {
    let mut i = i + 1;
    loop {
        // Skip eight plain bytes at a time: none is '"', '\\' or a control character.
        while let Some(chunk) = page.get(i..i + 8) {
            let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            let hits = bytes_equal(word, b'"') | bytes_equal(word, b'\\') | bytes_below(word, 0x20);
            if hits != 0 {
                i += (hits.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        match page.get(i) {
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => {
                i += 1;
                match page.get(i) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 1,
                    Some(b'u') => {
                        for j in i + 1..i + 5 {
                            if !page.get(j).is_some_and(u8::is_ascii_hexdigit) {
                                return Err(error(page, j, "a hex digit in a \\u escape"));
                            }
                        }
                        i += 5;
                    }
                    _ => return Err(error(
                        page,
                        i,
                        "an escape ('\"', '\\', '/', 'b', 'f', 'n', 'r', 't' or 'u') after '\\'",
                    )),
                }
            }
            Some(0x00..=0x1f) => {
                return Err(error(
                    page,
                    i,
                    "no control character in a string (escape it)",
                ))
            }
            Some(_) => i += 1,
            None => return Err(error(page, i, "'\"' (the string is not closed)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    /// xorshift64*: enough randomness for generating test pages, reproducible from the seed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len() as u64) as usize]
        }
    }

    fn whitespace(rng: &mut Rng, out: &mut String) {
        if rng.below(3) == 0 {
            for _ in 0..rng.below(4) {
                out.push_str(rng.pick(&[" ", "\t", "\n", "\r", "  ", "\r\n"]));
            }
        }
    }

    fn string(rng: &mut Rng, out: &mut String) {
        out.push('"');
        for _ in 0..rng.below(12) {
            let piece = match rng.below(10) {
                0 => rng
                    .pick(&["\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"])
                    .to_string(),
                1 => format!("\\u{:04x}", rng.below(0x1_0000)),
                2 => format!("\\u{:04X}", rng.below(0x1_0000)),
                3 => rng
                    .pick(&["é", "ß", "€", "漢", "😀", "𝄞", "\u{10FFFF}", "\u{7f}"])
                    .to_string(),
                4 => rng
                    .pick(&["]", "[", "{", "}", ",", ":", " ", "'", "true", "0"])
                    .to_string(),
                5 => "abcdefghijklmnopqrstuvwxyz0123456789"[..rng.below(36) as usize].to_string(),
                _ => char::from(b' ' + rng.below(95) as u8)
                    .to_string()
                    .replace('\\', "\\\\")
                    .replace('"', "\\\""),
            };
            out.push_str(&piece);
        }
        out.push('"');
    }

    fn number(rng: &mut Rng, out: &mut String) {
        if rng.below(2) == 0 {
            out.push('-');
        }
        if rng.below(4) == 0 {
            out.push('0');
        } else {
            out.push_str(&((1 + rng.below(u64::MAX - 1)) >> rng.below(64)).to_string());
        }
        if rng.below(3) == 0 {
            out.push('.');
            out.push_str(&rng.below(1_000_000).to_string());
        }
        if rng.below(3) == 0 {
            out.push_str(rng.pick(&["e", "E", "e+", "E-", "e-"]));
            out.push_str(&rng.below(400).to_string());
        }
    }

    fn value(rng: &mut Rng, depth: u32, out: &mut String) {
        let containers = if depth < 6 { 2 } else { 0 };
        match rng.below(6 + containers) {
            0 | 1 => string(rng, out),
            2 | 3 => number(rng, out),
            4 => out.push_str(rng.pick(&["true", "false", "null"])),
            5 if depth > 0 => string(rng, out),
            5 => object(rng, depth, out),
            6 => object(rng, depth, out),
            _ => array(rng, depth, out),
        }
    }

    fn object(rng: &mut Rng, depth: u32, out: &mut String) {
        out.push('{');
        whitespace(rng, out);
        for k in 0..rng.below(5) {
            if k > 0 {
                out.push(',');
                whitespace(rng, out);
            }
            string(rng, out);
            whitespace(rng, out);
            out.push(':');
            whitespace(rng, out);
            value(rng, depth + 1, out);
            whitespace(rng, out);
        }
        out.push('}');
    }

    fn array(rng: &mut Rng, depth: u32, out: &mut String) {
        out.push('[');
        whitespace(rng, out);
        for k in 0..rng.below(5) {
            if k > 0 {
                out.push(',');
                whitespace(rng, out);
            }
            value(rng, depth + 1, out);
            whitespace(rng, out);
        }
        out.push(']');
    }

    /// What serde_json's RawValue path gives: each element's text.
    fn serde_items(page: &[u8]) -> Option<Vec<&str>> {
        serde_json::from_slice::<Vec<&RawValue>>(page)
            .ok()
            .map(|raw| raw.iter().map(|r| r.get()).collect())
    }

    fn texts<'a>(page: &'a [u8], ranges: &[Range<usize>]) -> Vec<&'a str> {
        ranges
            .iter()
            .map(|r| std::str::from_utf8(&page[r.clone()]).unwrap())
            .collect()
    }

    /// Both accept `page` and give the same items; returns their count.
    fn agree(page: &str) -> usize {
        let ours = split_items(page.as_bytes()).unwrap_or_else(|e| panic!("{e}: {page:?}"));
        let theirs = serde_items(page.as_bytes()).unwrap_or_else(|| panic!("serde: {page:?}"));
        assert_eq!(texts(page.as_bytes(), &ours), theirs, "{page:?}");
        ours.len()
    }

    /// Both refuse `page`; returns our error.
    fn refused(page: &[u8]) -> SplitError {
        let err = split_items(page).expect_err(&String::from_utf8_lossy(page));
        assert!(
            serde_items(page).is_none(),
            "serde_json accepts {:?}",
            String::from_utf8_lossy(page)
        );
        err
    }

    #[test]
    fn random_pages_split_as_serde_json_does() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut items = 0;
        for _ in 0..5000 {
            let mut page = String::new();
            whitespace(&mut rng, &mut page);
            page.push('[');
            whitespace(&mut rng, &mut page);
            for k in 0..rng.below(8) {
                if k > 0 {
                    page.push(',');
                    whitespace(&mut rng, &mut page);
                }
                value(&mut rng, 0, &mut page);
                whitespace(&mut rng, &mut page);
            }
            page.push(']');
            whitespace(&mut rng, &mut page);
            items += agree(&page);
        }
        assert!(items > 10_000, "{items} items");
    }

    #[test]
    fn random_damage_is_refused_when_serde_json_refuses() {
        // Cut a random page short, or change one byte to a structural one, and both must agree.
        let mut rng = Rng(42);
        for _ in 0..5000 {
            let mut page = String::from("[");
            for k in 0..1 + rng.below(4) {
                if k > 0 {
                    page.push(',');
                }
                value(&mut rng, 0, &mut page);
            }
            page.push(']');
            let mut bytes = page.into_bytes();
            if rng.below(2) == 0 {
                bytes.truncate(rng.below(bytes.len() as u64) as usize);
            } else {
                let at = rng.below(bytes.len() as u64) as usize;
                let damage = b"[]{},:\" \\\n\x01xe.-0";
                bytes[at] = damage[rng.below(damage.len() as u64) as usize];
            }
            let ours = split_items(&bytes);
            let theirs = serde_items(&bytes);
            match (&ours, &theirs) {
                (Ok(ranges), Some(texts_)) => assert_eq!(&texts(&bytes, ranges), texts_),
                (Err(_), None) => {}
                _ => panic!(
                    "disagree on {:?}: ours {ours:?}, serde_json accepts: {}",
                    String::from_utf8_lossy(&bytes),
                    theirs.is_some()
                ),
            }
        }
    }

    #[test]
    fn adversarial_pages() {
        assert_eq!(agree("[]"), 0);
        assert_eq!(agree(" \r\n\t[ \n ] \n"), 0);
        assert_eq!(agree(r#"["],[{}\"\\", "{\"a\":[1,2]}", "\\\\"]"#), 3);
        assert_eq!(agree(r#"[{"k\"]":"v\\"},{"\\\\":"\\\\\\\""}]"#), 2);
        assert_eq!(agree(r#"["\\\\"  ,  "\\"   ,"\"\\"]"#), 3);
        assert_eq!(agree("[1 ,\n\n\t\r 2\n,\r3]"), 3);
        assert_eq!(
            agree(r#"[{}, [], "", 0, -0.0e+0, 1E-2, true, false, null]"#),
            9
        );
        assert_eq!(agree(r#"[{"a":{"b":[{"c":[]}]}}, [[[]],[{}]]]"#), 2);
        assert_eq!(agree(r#"["😀\ud83d\ude00\u00e9", "\uDFFF", "𝄞"]"#), 3);
        // 8-byte words: quotes and backslashes at every position of a word.
        for n in 0..20 {
            let s = "x".repeat(n);
            agree(&format!(
                r#"["{s}", "{s}\"", "{s}\\", "{s}\\\"{s}", {{"{s}":"{s}"}}]"#
            ));
        }
        // Deep nesting, as deep as serde_json goes (it stops at 128 levels).
        let deep = format!("[{}1{}]", "[{\"a\":".repeat(60), "}]".repeat(60));
        assert_eq!(agree(&deep), 1);
        // Deeper than serde_json goes: still one item, it is the caller's parse that refuses it.
        let deeper = format!("[{}1{}, 2]", "[".repeat(100_000), "]".repeat(100_000));
        let ranges = split_items(deeper.as_bytes()).unwrap();
        assert_eq!(ranges, vec![1..200_002, 200_004..200_005]);
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let page = "\u{FEFF}[ {\"a\":1} ,\"b\" ]";
        let ranges = split_items(page.as_bytes()).unwrap();
        assert_eq!(texts(page.as_bytes(), &ranges), [r#"{"a":1}"#, r#""b""#]);
        assert_eq!(ranges[0], 5..12);
        assert!(split_items("\u{FEFF}[]".as_bytes()).unwrap().is_empty());
        // Only at the start, and only once.
        refused("[\u{FEFF}]".as_bytes());
        refused("\u{FEFF}\u{FEFF}[]".as_bytes());
    }

    #[test]
    fn invalid_pages_are_refused_where_they_go_wrong() {
        let cases: &[(&[u8], usize, &str)] = &[
            (b"", 0, "'['"),
            (b"   ", 3, "'['"),
            (b"{}", 0, "'['"),
            (b"1", 0, "'['"),
            (b"[", 1, "a value or ']'"),
            (b"[1", 2, "',' or ']' after an item"),
            (b"[{}", 3, "',' or ']' after an item"),
            (b"[[1]", 4, "',' or ']' after an item"),
            (b"[{]", 2, "a string key or '}'"),
            (b"[[}]", 2, "a value or ']'"),
            (b"[{\"a\":1]", 7, "',' or '}' after a value"),
            (b"[[1}]", 3, "',' or ']' after a value"),
            (b"[1]]", 3, "the end of the page"),
            (b"[1] x", 4, "the end of the page"),
            (b"[1][2]", 3, "the end of the page"),
            (b"[1,]", 3, "a value"),
            (b"[1,2,]", 5, "a value"),
            (b"[,1]", 1, "a value or ']'"),
            (b"[{\"a\":1,}]", 8, "a string key"),
            (b"[[1,]]", 4, "a value"),
            (b"[1 2]", 3, "',' or ']' after an item"),
            (b"[{} {}]", 4, "',' or ']' after an item"),
            (b"[\"a\" \"b\"]", 5, "',' or ']' after an item"),
            (b"[{\"a\":1 \"b\":2}]", 8, "',' or '}' after a value"),
            (b"[{\"a\" 1}]", 6, "':' after a key"),
            (b"[{1:2}]", 2, "a string key or '}'"),
            (b"[{\"a\":}]", 6, "a value"),
            (b"[\"abc]", 6, "the string is not closed"),
            (b"[\"abc\\\"]", 8, "the string is not closed"),
            (b"[\"a\nb\"]", 3, "no control character"),
            (b"[\"a\tb\"]", 3, "no control character"),
            (b"[\"\x00\"]", 2, "no control character"),
            (b"[\"\\x\"]", 3, "an escape"),
            (b"[\"\\u12g4\"]", 6, "a hex digit"),
            (b"[\"\\u12\"]", 6, "a hex digit"),
            (b"[\"\xff\"]", 2, "valid UTF-8"),
            (b"[\"\xe2\x82\"]", 2, "valid UTF-8"),
            (b"[\"\xed\xa0\x80\"]", 2, "valid UTF-8"),
            (b"[tru]", 4, "the rest of 'true'"),
            (b"[nul", 4, "the rest of 'null'"),
            (b"[falsy]", 5, "the rest of 'false'"),
            (b"[truex]", 5, "',' or ']' after an item"),
            (b"[x]", 1, "a value or ']'"),
            (b"[-]", 2, "a digit"),
            (b"[01]", 2, "',' or ']' after an item"),
            (b"[1.]", 3, "a digit after '.'"),
            (b"[.5]", 1, "a value or ']'"),
            (b"[1e]", 3, "a digit in the exponent"),
            (b"[1e+]", 4, "a digit in the exponent"),
            (b"[+1]", 1, "a value or ']'"),
            (b"[1\x0c]", 2, "',' or ']' after an item"),
            (b"[\xc2\xa0]", 1, "a value or ']'"),
        ];
        for &(page, offset, expected) in cases {
            let err = refused(page);
            let shown = String::from_utf8_lossy(page);
            assert_eq!(err.offset, offset, "{shown:?}: {err}");
            assert!(err.to_string().contains(expected), "{shown:?}: {err}");
            assert_eq!(err.found, page.get(offset).copied(), "{shown:?}");
        }
    }

    #[test]
    fn error_messages_name_the_offset_and_the_expectation() {
        let err = split_items(b"[1,]").unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a JSON array of items: at byte 3, expected a value, found ']'"
        );
        let err = split_items(b"[1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a JSON array of items: at byte 2, expected ',' or ']' after an item, \
             found the end of the page"
        );
        let err = split_items(b"[\"\x01\"]").unwrap_err();
        assert!(err.to_string().ends_with("found byte 0x01"), "{err}");
    }
}
