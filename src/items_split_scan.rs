//! The item splitter's scanners for strings, numbers and literals (the tokens that take most
//! of a page's bytes), a word or a vector at a time.

use super::{error, Scan};

/// `literal` at `i` (whose first byte is already known to match); the index after it.
pub(super) fn scan_literal(page: &[u8], i: usize, literal: &'static [u8]) -> Scan<usize> {
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
#[inline(always)]
pub(super) fn scan_number(page: &[u8], mut i: usize) -> Scan<usize> {
    let digit = |j: usize| page.get(j).is_some_and(u8::is_ascii_digit);
    let digits = |j: usize| digits_end(page, j);
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

/// The first index at or after `j` that is not an ASCII digit: eight bytes a step.
#[inline(always)]
fn digits_end(page: &[u8], mut j: usize) -> usize {
    while let Some(chunk) = page.get(j..j + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let hits = non_digits(word);
        if hits != 0 {
            return j + (hits.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while page.get(j).is_some_and(u8::is_ascii_digit) {
        j += 1;
    }
    j
}

/// High bit set in each byte of `word` that is not an ASCII digit (exact for every byte: no
/// carry crosses bytes). A digit is 0x3_ with a low nibble that stays below 16 when 6 is added.
#[inline(always)]
pub(super) fn non_digits(word: u64) -> u64 {
    let nibbles = ONES * 0x0f;
    let off = ((word & !nibbles) ^ (ONES * 0x30)) | (((word & nibbles) + ONES * 6) & !nibbles);
    (((off & !HIGHS) + !HIGHS) | off) & HIGHS
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

/// The string whose opening quote is at `i`; the index after its closing quote. The common
/// case, a string without escapes, is found here inline, 16 bytes at a time; `CONTROLS`:
/// `page` may hold control characters (below 0x20), which must then be looked for too (else
/// only '"' and '\\' end a run of plain bytes). Escapes, control characters and the end of the
/// page go on out of line in [`scan_string_rest`].
#[inline(always)]
pub(super) fn scan_string<const CONTROLS: bool>(page: &[u8], i: usize) -> Scan<usize> {
    let mut i = i + 1;
    // Keys and other short strings end in their first word: that one alone, before 16-byte steps.
    if let Some(chunk) = page.get(i..i + 8) {
        let hits = special::<CONTROLS>(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        if hits != 0 {
            let at = (hits.trailing_zeros() / 8) as usize;
            if chunk[at] == b'"' {
                return Ok(i + at + 1);
            }
            return scan_string_rest(page, i + at);
        }
        i += 8;
    }
    // Then two words a step: one branch and one bounds check per 16 bytes.
    let mut steps = 0;
    while let Some(block) = page.get(i..i + 16) {
        if !CONTROLS && steps == 2 {
            // Longer strings: memchr's vector search (worth its call from about 40 bytes on).
            return match memchr::memchr2(b'"', b'\\', &page[i..]) {
                Some(at) if page[i + at] == b'"' => Ok(i + at + 1),
                Some(at) => scan_string_rest(page, i + at),
                None => scan_string_rest(page, page.len()),
            };
        }
        steps += 1;
        let (lo, hi) = block.split_at(8);
        let lo = special::<CONTROLS>(u64::from_le_bytes(lo.try_into().expect("8 bytes")));
        let hi = special::<CONTROLS>(u64::from_le_bytes(hi.try_into().expect("8 bytes")));
        if lo | hi != 0 {
            // The lowest hit of a word is exact (see `bytes_below`); `hi` counts if `lo` has none.
            let at = if lo != 0 {
                lo.trailing_zeros() / 8
            } else {
                8 + hi.trailing_zeros() / 8
            } as usize;
            if block[at] == b'"' {
                return Ok(i + at + 1);
            }
            return scan_string_rest(page, i + at);
        }
        i += 16;
    }
    if let Some(chunk) = page.get(i..i + 8) {
        let hits = special::<CONTROLS>(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        if hits != 0 {
            let at = (hits.trailing_zeros() / 8) as usize;
            if chunk[at] == b'"' {
                return Ok(i + at + 1);
            }
            return scan_string_rest(page, i + at);
        }
        i += 8;
    }
    scan_string_rest(page, i)
}

/// High bit set in each byte of `word` that may end a run of plain string bytes: '"', '\\' and,
/// when `CONTROLS`, a control character (same caveat as [`bytes_below`]).
#[inline(always)]
fn special<const CONTROLS: bool>(word: u64) -> u64 {
    let hits = bytes_equal(word, b'"') | bytes_equal(word, b'\\');
    if CONTROLS {
        hits | bytes_below(word, 0x20)
    } else {
        hits
    }
}

/// The rest of a string from `i`, a byte inside it (after its opening quote) where a run of
/// plain bytes ended or fewer than eight bytes are left: as [`scan_string`], checking every
/// byte.
#[inline(never)]
fn scan_string_rest(page: &[u8], mut i: usize) -> Scan<usize> {
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

/// Whether `page` holds a control character (below 0x20) anywhere: a minimum over all bytes,
/// which the compiler vectorizes. Without one (compact JSON), strings need no check for them.
pub(super) fn has_control(page: &[u8]) -> bool {
    page.iter().fold(u8::MAX, |m, &b| m.min(b)) < 0x20
}
