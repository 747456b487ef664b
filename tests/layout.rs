//! The crate's module layout: no import cycles (in the emulator nor anywhere in `src/`), no
//! emulator file over 600 lines, and the emulator and the client never import each other.
//!
//! Plain Rust, no dependencies: it tokenizes every file under `src/` (comments and literals
//! skipped), collects every path that starts with `crate::`, `super::`, `self::` or a child
//! module's name (in `use` trees and in expressions alike), resolves it through the module tree
//! and the `pub use` re-exports to the module that defines the item, and checks the graph of
//! file modules that results.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

const EMULATOR: &str = "crate::emulator";
const MAX_EMULATOR_LINES: usize = 600;

/// Items of `src/emulator/mod.rs` its submodules may use without that counting as an edge to
/// the root module: the configuration is plain data (std types only) that the root defines for
/// the public API, so `state -> emulator -> state` is not a real circle. (It can move to a
/// `config.rs` once the HTTP work that adds fields to it has landed; then this list goes.)
const ROOT_DATA_ITEMS: &[(&str, &str)] = &[
    ("crate::emulator", "EmulatorConfig"),
    ("crate::emulator", "DEFAULT_TOKEN"),
];

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Punct(&'static str),
    Other,
}

/// Rust tokens as far as paths need them; comments, strings, chars and lifetimes are dropped.
fn tokenize(src: &str) -> Vec<Tok> {
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
fn read_tree(toks: &[Tok], i: &mut usize, mut prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
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

struct FileMod {
    module: String,
    file: PathBuf,
    lines: usize,
    toks: Vec<Tok>,
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are `crate::a::b`; `src/lib.rs` is `crate`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut segs = vec!["crate".to_string()];
    for part in rel.iter() {
        let part = part.to_str().unwrap();
        if part != "mod" && part != "lib" {
            segs.push(part.to_string());
        }
    }
    segs.join("::")
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // Binaries are crates of their own.
            if path.file_name().unwrap() != "bin" {
                collect_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// One use of a path: the file it is in, the scope (module) it is read in, and its segments.
struct Use {
    file: usize,
    scope: String,
    segs: Vec<String>,
    /// Part of a `use` item (and so a name it brings into `scope`).
    is_use: bool,
}

struct Crate {
    files: Vec<FileMod>,
    modules: BTreeSet<String>,
    uses: Vec<Use>,
    /// (scope, name) -> index into `uses` of the `use` that brings `name` into `scope`.
    imports: HashMap<(String, String), usize>,
}

fn load() -> Crate {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    collect_files(&src, &mut paths);
    paths.sort();
    let files: Vec<FileMod> = paths
        .into_iter()
        .map(|file| {
            let text = fs::read_to_string(&file).unwrap();
            FileMod {
                module: module_of(&src, &file),
                lines: text.lines().count(),
                toks: tokenize(&text),
                file,
            }
        })
        .collect();
    let mut modules: BTreeSet<String> = files.iter().map(|f| f.module.clone()).collect();
    let mut uses = Vec::new();
    for (fi, f) in files.iter().enumerate() {
        let t = &f.toks;
        // Inline `mod x { ... }` blocks are scopes of their own (for `super`).
        let mut scopes: Vec<(String, usize)> = vec![(f.module.clone(), 0)];
        let mut depth = 0usize;
        let mut in_use = false;
        let mut i = 0;
        while i < t.len() {
            let scope = scopes.last().unwrap().0.clone();
            match &t[i] {
                Tok::Punct("{") => depth += 1,
                Tok::Punct("}") => {
                    depth = depth.saturating_sub(1);
                    if scopes.len() > 1 && scopes.last().unwrap().1 == depth {
                        scopes.pop();
                    }
                }
                Tok::Punct(";") => in_use = false,
                Tok::Ident(w) if w == "mod" => {
                    if let (Some(Tok::Ident(name)), Some(Tok::Punct("{"))) =
                        (t.get(i + 1), t.get(i + 2))
                    {
                        let inner = format!("{scope}::{name}");
                        modules.insert(inner.clone());
                        scopes.push((inner, depth));
                    }
                }
                Tok::Ident(w) if w == "use" => in_use = true,
                Tok::Ident(_) => {
                    let after_sep = i > 0 && t[i - 1] == Tok::Punct("::");
                    if !after_sep && t.get(i + 1) == Some(&Tok::Punct("::")) {
                        let mut found = Vec::new();
                        let mut j = i;
                        read_tree(t, &mut j, Vec::new(), &mut found);
                        for segs in found {
                            uses.push(Use {
                                file: fi,
                                scope: scope.clone(),
                                segs,
                                is_use: in_use,
                            });
                        }
                        i = j.max(i + 1);
                        continue;
                    }
                    // `use a::{b, c};` with the tree starting at a brace is not used here.
                }
                _ => {}
            }
            i += 1;
        }
    }
    let mut imports = HashMap::new();
    for (k, u) in uses.iter().enumerate() {
        if u.is_use {
            let name = u.segs.last().unwrap().clone();
            let name = if name == "self" && u.segs.len() > 1 {
                u.segs[u.segs.len() - 2].clone()
            } else {
                name
            };
            imports.insert((u.scope.clone(), name), k);
        }
    }
    Crate {
        files,
        modules,
        uses,
        imports,
    }
}

impl Crate {
    /// The module that defines what `segs` names in `scope`, with the item's name when the path
    /// goes on past that module; `None` for paths into other crates.
    fn resolve(
        &self,
        scope: &str,
        segs: &[String],
        depth: u32,
    ) -> Option<(String, Option<String>)> {
        if depth > 16 {
            return None;
        }
        let mut cur: Vec<String> = match segs[0].as_str() {
            "crate" => vec!["crate".into()],
            "self" => scope.split("::").map(String::from).collect(),
            "super" => {
                let mut s: Vec<String> = scope.split("::").map(String::from).collect();
                s.pop();
                s
            }
            child => {
                let path = format!("{scope}::{child}");
                if self.modules.contains(&path) {
                    path.split("::").map(String::from).collect()
                } else if let Some(&k) = self.imports.get(&(scope.to_string(), child.to_string())) {
                    // A name brought in by `use` (e.g. `use super::state; state::X`).
                    let u = &self.uses[k];
                    let mut full = u.segs.clone();
                    if full.last().is_some_and(|s| s == "self") {
                        full.pop();
                    }
                    if full == segs {
                        return None;
                    }
                    full.extend(segs[1..].iter().cloned());
                    return self.resolve(&u.scope, &full, depth + 1);
                } else {
                    return None;
                }
            }
        };
        for (n, seg) in segs.iter().enumerate().skip(1) {
            match seg.as_str() {
                "super" => {
                    cur.pop();
                }
                "self" => {}
                _ => {
                    let here = cur.join("::");
                    let next = format!("{here}::{seg}");
                    if self.modules.contains(&next) {
                        cur.push(seg.clone());
                    } else if let Some(&k) = self.imports.get(&(here.clone(), seg.clone())) {
                        // A re-export: follow it from where it was written.
                        let u = &self.uses[k];
                        let mut full = u.segs.clone();
                        if full.last().is_some_and(|s| s == "self") {
                            full.pop();
                        }
                        full.extend(segs[n + 1..].iter().cloned());
                        return self.resolve(&u.scope, &full, depth + 1);
                    } else {
                        return Some((here, Some(seg.clone())));
                    }
                }
            }
        }
        Some((cur.join("::"), None))
    }

    /// The file module that holds `module` (inline modules belong to their file).
    fn file_of(&self, module: &str) -> Option<usize> {
        self.files
            .iter()
            .enumerate()
            .filter(|(_, f)| module == f.module || module.starts_with(&format!("{}::", f.module)))
            .max_by_key(|(_, f)| f.module.len())
            .map(|(i, _)| i)
    }

    /// Edges between file modules: from -> to -> one example path (for the failure message).
    fn edges(&self) -> BTreeMap<usize, BTreeMap<usize, String>> {
        let mut g: BTreeMap<usize, BTreeMap<usize, String>> = BTreeMap::new();
        for u in &self.uses {
            let Some((module, item)) = self.resolve(&u.scope, &u.segs, 0) else {
                continue;
            };
            if ROOT_DATA_ITEMS
                .iter()
                .any(|(m, i)| *m == module && item.as_deref() == Some(*i))
            {
                continue;
            }
            let Some(to) = self.file_of(&module) else {
                continue;
            };
            if to != u.file {
                g.entry(u.file)
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| u.segs.join("::"));
            }
        }
        g
    }

    fn name(&self, file: usize) -> String {
        let f = &self.files[file];
        let rel = f
            .file
            .iter()
            .skip_while(|p| *p != "src")
            .collect::<PathBuf>();
        format!("{} ({})", f.module, rel.display())
    }
}

/// Every elementary cycle found by a depth-first search, each as a list of files.
fn cycles(
    g: &BTreeMap<usize, BTreeMap<usize, String>>,
    keep: impl Fn(usize) -> bool,
) -> Vec<Vec<usize>> {
    fn visit(
        n: usize,
        g: &BTreeMap<usize, BTreeMap<usize, String>>,
        keep: &dyn Fn(usize) -> bool,
        color: &mut HashMap<usize, u8>,
        stack: &mut Vec<usize>,
        found: &mut Vec<Vec<usize>>,
    ) {
        color.insert(n, 1);
        stack.push(n);
        for &m in g
            .get(&n)
            .map(|e| e.keys().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            if !keep(m) {
                continue;
            }
            match color.get(&m).copied().unwrap_or(0) {
                0 => visit(m, g, keep, color, stack, found),
                1 => {
                    let at = stack.iter().position(|&s| s == m).unwrap();
                    found.push(stack[at..].to_vec());
                }
                _ => {}
            }
        }
        stack.pop();
        color.insert(n, 2);
    }
    let mut color = HashMap::new();
    let mut found = Vec::new();
    for &n in g.keys() {
        if keep(n) && !color.contains_key(&n) {
            visit(n, g, &keep, &mut color, &mut Vec::new(), &mut found);
        }
    }
    found
}

fn describe(c: &Crate, g: &BTreeMap<usize, BTreeMap<usize, String>>, cycle: &[usize]) -> String {
    let mut s = String::new();
    for (k, &from) in cycle.iter().enumerate() {
        let to = cycle[(k + 1) % cycle.len()];
        s.push_str(&format!(
            "\n    {} -> {}   (via `{}`)",
            c.name(from),
            c.files[to].module,
            g[&from][&to]
        ));
    }
    s
}

fn in_emulator(module: &str) -> bool {
    module == EMULATOR || module.starts_with(&format!("{EMULATOR}::"))
}

#[test]
fn emulator_has_no_import_cycle() {
    let c = load();
    let g = c.edges();
    let found = cycles(&g, |f| in_emulator(&c.files[f].module));
    let report: Vec<String> = found.iter().map(|cy| describe(&c, &g, cy)).collect();
    assert!(
        report.is_empty(),
        "emulator import cycles:{}",
        report.join("\n")
    );
}

#[test]
fn crate_has_no_import_cycle() {
    let c = load();
    let g = c.edges();
    let found = cycles(&g, |_| true);
    let report: Vec<String> = found.iter().map(|cy| describe(&c, &g, cy)).collect();
    assert!(report.is_empty(), "import cycles:{}", report.join("\n"));
}

#[test]
fn no_emulator_file_over_600_lines() {
    let c = load();
    let big: Vec<String> = c
        .files
        .iter()
        .filter(|f| in_emulator(&f.module) && f.lines > MAX_EMULATOR_LINES)
        .map(|f| format!("{} has {} lines", f.file.display(), f.lines))
        .collect();
    assert!(
        big.is_empty(),
        "emulator files over {MAX_EMULATOR_LINES} lines:\n{}",
        big.join("\n")
    );
}

#[test]
fn emulator_and_client_never_import_each_other() {
    let c = load();
    let mut wrong = Vec::new();
    for u in &c.uses {
        let Some((module, _)) = c.resolve(&u.scope, &u.segs, 0) else {
            continue;
        };
        let from = &c.files[u.file].module;
        // Test-only modules inside the client (the C ABI's tests start an emulator) are not
        // client code.
        let test_code = from.split("::").any(|s| s == "tests");
        if in_emulator(from) && !in_emulator(&module) {
            wrong.push(format!(
                "{} uses {} ({module})",
                c.name(u.file),
                u.segs.join("::")
            ));
        } else if !in_emulator(from) && in_emulator(&module) && !test_code {
            wrong.push(format!(
                "{} uses {} ({module})",
                c.name(u.file),
                u.segs.join("::")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "emulator/client imports:\n{}",
        wrong.join("\n")
    );
}

/// The checker itself: it must see a cycle through `super::`, a `use` group, a re-export and a
/// plain expression path, and must not see paths in comments or strings.
#[test]
fn the_checker_finds_what_it_should() {
    let toks = tokenize(
        "use super::{a::{self, B}, c as d}; // crate::x::y\n let s = \"crate::z::w\"; \
         let ch = '\"'; fn f<'a>() { crate::e::f(); r#\"crate::q\"#; }",
    );
    let mut paths = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if matches!(&toks[i], Tok::Ident(w) if w == "super" || w == "crate") {
            read_tree(&toks, &mut i, Vec::new(), &mut paths);
        } else {
            i += 1;
        }
    }
    let paths: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        paths,
        ["super::a::self", "super::a::B", "super::c", "crate::e::f"]
    );
}

#[test]
fn the_cycle_search_finds_a_circle_and_only_it() {
    let mut g: BTreeMap<usize, BTreeMap<usize, String>> = BTreeMap::new();
    for (a, b) in [(0, 1), (1, 2), (2, 0), (3, 0), (3, 4)] {
        g.entry(a).or_default().insert(b, String::new());
    }
    assert_eq!(cycles(&g, |_| true), vec![vec![0, 1, 2]]);
    assert!(cycles(&g, |n| n != 2).is_empty());
}
