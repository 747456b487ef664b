//! A tokenizer for Rust source, as far as paths need it, and a reader of paths and `use` trees.

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Punct(&'static str),
    Other,
}

/// Rust tokens as far as paths need them; comments, strings, chars and lifetimes are dropped.
pub fn tokenize(src: &str) -> Vec<Tok> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            // Block comments nest in Rust.
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == b'"' {
            i = skip_string(b, i);
        } else if c == b'\'' {
            i = skip_char_or_lifetime(b, i);
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                i += 1;
            }
            let word = &src[start..i];
            let next = b.get(i).copied();
            if matches!(word, "r" | "br" | "cr") && matches!(next, Some(b'"') | Some(b'#')) {
                i = skip_raw_string(b, i);
            } else if matches!(word, "b" | "c") && next == Some(b'"') {
                i = skip_string(b, i);
            } else if word == "b" && next == Some(b'\'') {
                i = skip_char_or_lifetime(b, i);
            } else {
                out.push(Tok::Ident(word.to_string()));
            }
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Other);
        } else if b[i..].starts_with(b"::") {
            out.push(Tok::Punct("::"));
            i += 2;
        } else {
            out.push(match c {
                b'{' => Tok::Punct("{"),
                b'}' => Tok::Punct("}"),
                b',' => Tok::Punct(","),
                b';' => Tok::Punct(";"),
                b'*' => Tok::Punct("*"),
                _ => Tok::Other,
            });
            i += 1;
        }
    }
    out
}

fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

fn skip_raw_string(b: &[u8], mut i: usize) -> usize {
    let mut hashes = 0;
    while i < b.len() && b[i] == b'#' {
        hashes += 1;
        i += 1;
    }
    i += 1; // the opening quote
    while i < b.len() {
        if b[i] == b'"'
            && b[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == b'#')
                .count()
                == hashes
        {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

fn skip_char_or_lifetime(b: &[u8], i: usize) -> usize {
    if b.get(i + 1) == Some(&b'\\') {
        let mut j = i + 3;
        while j < b.len() && b[j] != b'\'' {
            j += 1;
        }
        return j + 1;
    }
    // One (possibly multi-byte) character and a closing quote: a char literal.
    let width = match b.get(i + 1) {
        Some(&c) if c >= 0xF0 => 4,
        Some(&c) if c >= 0xE0 => 3,
        Some(&c) if c >= 0xC0 => 2,
        _ => 1,
    };
    if b.get(i + 1 + width) == Some(&b'\'') {
        return i + 2 + width;
    }
    // A lifetime or label: skip the quote; its name is read as an identifier and is harmless.
    i + 1
}

/// Reads a path (or `use` tree) at `i`, appending each full path it names to `out`.
pub fn read_tree(toks: &[Tok], i: &mut usize, mut prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    loop {
        let Some(Tok::Ident(seg)) = toks.get(*i) else {
            out.push(prefix);
            return;
        };
        prefix.push(seg.clone());
        *i += 1;
        if toks.get(*i) != Some(&Tok::Punct("::")) {
            out.push(prefix);
            return;
        }
        *i += 1;
        match toks.get(*i) {
            Some(Tok::Punct("{")) => {
                *i += 1;
                while *i < toks.len() && toks[*i] != Tok::Punct("}") {
                    let before = *i;
                    read_tree(toks, i, prefix.clone(), out);
                    if *i == before {
                        *i += 1;
                    }
                    // `x as y`: skip the rename.
                    while !matches!(toks.get(*i), None | Some(Tok::Punct("}" | ","))) {
                        *i += 1;
                    }
                    if toks.get(*i) == Some(&Tok::Punct(",")) {
                        *i += 1;
                    }
                }
                *i += 1;
                return;
            }
            Some(Tok::Punct("*")) => {
                *i += 1;
                out.push(prefix);
                return;
            }
            _ => {}
        }
    }
}
