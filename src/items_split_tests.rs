//! Tests of the item splitter: it splits exactly as serde_json does, whole or streamed.

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
fn digit_words_find_every_non_digit() {
    // The word-at-a-time digit scan: every byte value at every position of a word of digits.
    for b in 0..=255u8 {
        for at in 0..8 {
            let mut word = *b"01234567";
            word[at] = b;
            let expected = if b.is_ascii_digit() {
                0
            } else {
                0x80 << (8 * at)
            };
            assert_eq!(
                non_digits(u64::from_le_bytes(word)),
                expected,
                "{b:#x} at {at}"
            );
        }
    }
    // Numbers across word ends, as serde_json reads them.
    for n in 1..30 {
        let digits = "1234567890".repeat(3);
        let d = &digits[..n];
        agree(&format!(
            "[{d}, -{d}, 0.{d}, {d}e{d}, {d}.{d}E-{d}, {{\"k\":{d}}}, {{\"k\":-0.{d}e+{d}}}]"
        ));
        refused(format!("[{d}x]").as_bytes());
        refused(format!("[{{\"k\":{d}.]").as_bytes());
    }
}

#[test]
fn nesting_past_a_word_of_levels_keeps_each_container() {
    // 100 levels (serde_json goes to 128): the innermost 64 in a word, the others spilled.
    let open = "[{\"a\":".repeat(50);
    let close = "}]".repeat(50);
    let page = format!("[{open}1{close}, {{\"b\":{open}2{close}}}]");
    assert_eq!(agree(&page), 2);
    // A wrong closing bracket at each level is found where it is.
    for level in 0..100 {
        let mut bytes = page.clone().into_bytes();
        let at = 1 + open.len() + 1 + level;
        bytes[at] = if bytes[at] == b'}' { b']' } else { b'}' };
        let err = refused(&bytes);
        assert_eq!(err.offset, at, "{}", String::from_utf8_lossy(&bytes));
    }
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

/// Splits `page` given in pieces cut at random places, as a streamed answer arrives; answers the
/// elements' texts or the error.
fn split_streamed(page: &[u8], rng: &mut Rng) -> Result<Vec<String>, SplitError> {
    let mut splitter = StreamSplitter::new();
    let (mut texts_, mut pending, mut at) = (Vec::new(), Vec::new(), 0);
    loop {
        let take = (rng.below(12) as usize).min(page.len() - at);
        pending.extend_from_slice(&page[at..at + take]);
        at += take;
        let last = at == page.len();
        let mut ranges = Vec::new();
        let used = splitter.split(&pending, last, &mut ranges)?;
        texts_.extend(texts(&pending, &ranges).into_iter().map(str::to_string));
        pending.drain(..used);
        if last {
            assert!(pending.is_empty(), "{pending:?} left");
            return Ok(texts_);
        }
    }
}

#[test]
fn streamed_pages_split_as_whole_ones() {
    let mut rng = Rng(7);
    for round in 0..4000 {
        let mut page = String::new();
        if round % 50 == 0 {
            page.push('\u{feff}');
        }
        whitespace(&mut rng, &mut page);
        page.push('[');
        whitespace(&mut rng, &mut page);
        for k in 0..rng.below(6) {
            if k > 0 {
                page.push(',');
                whitespace(&mut rng, &mut page);
            }
            value(&mut rng, 0, &mut page);
            whitespace(&mut rng, &mut page);
        }
        page.push(']');
        whitespace(&mut rng, &mut page);
        let mut bytes = page.into_bytes();
        // Half the pages damaged: cut short or one byte changed.
        if round % 2 == 1 {
            if rng.below(2) == 0 {
                bytes.truncate(rng.below(bytes.len() as u64) as usize);
            } else {
                let at = rng.below(bytes.len() as u64) as usize;
                let damage = b"[]{},:\" \\\n\x01xe.-0";
                bytes[at] = damage[rng.below(damage.len() as u64) as usize];
            }
        }
        // UTF-8 is the streaming caller's to check.
        if std::str::from_utf8(&bytes).is_err() {
            continue;
        }
        let whole = split_items(&bytes);
        let streamed = split_streamed(&bytes, &mut rng);
        match (&whole, &streamed) {
            (Ok(ranges), Ok(got)) => assert_eq!(&texts(&bytes, ranges), got),
            (Err(a), Err(b)) => assert_eq!(a, b, "{:?}", String::from_utf8_lossy(&bytes)),
            _ => panic!(
                "disagree on {:?}: whole {whole:?}, streamed {streamed:?}",
                String::from_utf8_lossy(&bytes)
            ),
        }
    }
}

#[test]
fn long_strings_are_checked_at_every_offset() {
    // Strings longer than a word, with an escape, a quote or a control character at each offset:
    // the word-at-a-time paths (with and without control characters elsewhere in the page) must
    // find each one where a byte-by-byte scan would.
    let mut rng = Rng(11);
    let specials: &[&str] = &[
        "\\\"", "\\\\", "\\u00e9", "\\n", "\"", "\\", "\u{1}", "\n", "é",
    ];
    for len in 0..40 {
        for at in 0..=len {
            for special in specials {
                for newline_outside in [false, true] {
                    let mut text = "abcdefghijklmnopqrstuvwxyz0123456789ABCD"[..len].to_string();
                    text.insert_str(at, special);
                    let sep = if newline_outside { "\n" } else { "" };
                    let page = format!("[{{\"key\":\"{text}\"}},{sep}\"{text}{text}\"]");
                    let bytes = page.as_bytes();
                    let ours = split_items(bytes);
                    match (&ours, serde_items(bytes)) {
                        (Ok(ranges), Some(theirs)) => assert_eq!(texts(bytes, ranges), theirs),
                        (Err(e), None) => {
                            if *special == "\u{1}" {
                                // The first control character is where the page goes wrong.
                                assert_eq!(e.offset, page.find('\u{1}').unwrap(), "{page:?}");
                            }
                        }
                        (_, theirs) => panic!(
                            "disagree on {page:?}: ours {ours:?}, serde_json accepts: {}",
                            theirs.is_some()
                        ),
                    }
                    let streamed = split_streamed(bytes, &mut rng);
                    match (&ours, &streamed) {
                        (Ok(ranges), Ok(got)) => assert_eq!(&texts(bytes, ranges), got),
                        (Err(a), Err(b)) => assert_eq!(a, b, "{page:?}"),
                        _ => panic!("streamed disagrees on {page:?}: {ours:?}, {streamed:?}"),
                    }
                }
            }
        }
    }
}
