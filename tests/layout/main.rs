//! The crate's module layout: no import cycles (in the emulator nor anywhere in `src/`), no
//! emulator file over 600 lines, and the emulator and the client never import each other.
//!
//! Plain Rust, no dependencies: it tokenizes every file under `src/` (comments and literals
//! skipped), collects every path that starts with `crate::`, `super::`, `self::` or a child
//! module's name (in `use` trees and in expressions alike), resolves it through the module tree
//! and the `pub use` re-exports to the module that defines the item, and checks the graph of
//! file modules that results.

mod graph;
mod modules;
mod tokens;

use std::collections::BTreeMap;

use graph::{cycles, files_in_cycles};
use modules::{load, Crate};
use tokens::{read_tree, tokenize, Tok};

const EMULATOR: &str = "crate::emulator";
const MAX_EMULATOR_LINES: usize = 600;

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

/// The rule for the whole crate (client, C ABI and their tests alike): no module imports a
/// module that imports it back, directly or through others.
#[test]
fn crate_has_no_import_cycle() {
    let c = load();
    let g = c.edges();
    let in_cycles: Vec<String> = files_in_cycles(&g, c.files.len())
        .into_iter()
        .map(|f| c.files[f].module.clone())
        .collect();
    let found = cycles(&g, |_| true);
    let report: Vec<String> = found.iter().map(|cy| describe(&c, &g, cy)).collect();
    assert!(
        in_cycles.is_empty() && report.is_empty(),
        "modules in an import cycle: {in_cycles:?}{}",
        report.join("\n")
    );
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
        let emulator_to_client = in_emulator(from) && !in_emulator(&module);
        let client_to_emulator = !in_emulator(from) && in_emulator(&module) && !test_code;
        if emulator_to_client || client_to_emulator {
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

/// The path reader itself: it must read `use` groups (with `self` and renames) and expression
/// paths, and must not see paths in comments, strings, char literals or raw strings.
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
