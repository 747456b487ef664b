//! The argument-check table against the committed header (tests/header.rs keeps it equal to
//! the generated one): every fallible function is in the table with the header's pointer
//! parameters (function pointers, inline or of a typedef such as `apify_write_fn`, count as
//! pointers), so a new function or argument cannot be missed.

use super::table_functions::{functions, INFALLIBLE};

/// A function of the header: name, return type and parameters (name, is a pointer).
type Declaration = (String, String, Vec<(String, bool)>);

/// The functions declared in the header.
fn header_functions() -> Vec<Declaration> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/apify.h"))
        .expect("include/apify.h is readable");
    // Drop block comments, line comments and preprocessor lines.
    let mut code = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("block comments are closed");
        rest = &rest[start + end + 2..];
    }
    code.push_str(rest);
    let code: Vec<&str> = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    let code = code.join(" ").replace("extern \"C\" {", " ");
    // Typedefs of function pointers (`typedef int (*apify_write_fn)(...)`): their parameters are
    // pointers too.
    let fn_pointer_types: Vec<&str> = code
        .split(';')
        .filter(|decl| decl.contains("typedef"))
        .filter_map(|decl| decl.split_once("(*")?.1.split_once(')'))
        .map(|(name, _)| name.trim())
        .collect();
    code.split(';')
        .filter_map(|decl| {
            let open = decl.find('(')?;
            let head = decl[..open].trim();
            if head.contains("typedef") {
                return None;
            }
            let split = head.rfind(|c: char| c.is_whitespace() || c == '*')?;
            let name = head[split + 1..].to_string();
            let ret = head[..=split]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let close = decl.rfind(')')?;
            let params = top_level_params(&decl[open + 1..close])
                .into_iter()
                .filter(|p| !p.is_empty() && *p != "void")
                .map(|p| {
                    // An inline function pointer (`void (*handler)(int level, ...)`) is named
                    // inside its first parentheses.
                    let inline_fn = p
                        .split_once("(*")
                        .and_then(|(_, rest)| rest.split_once(')'))
                        .map(|(name, _)| name.trim());
                    let pname = inline_fn.unwrap_or_else(|| {
                        p.rsplit(|c: char| c.is_whitespace() || c == '*')
                            .next()
                            .unwrap_or_default()
                    });
                    let fn_pointer = p.split_whitespace().any(|w| fn_pointer_types.contains(&w));
                    (pname.to_string(), p.contains('*') || fn_pointer)
                })
                .collect();
            name.starts_with("apify_").then_some((name, ret, params))
        })
        .collect()
}

/// A parameter list split at its top-level commas (not those of a function pointer's own
/// parameters), each trimmed.
fn top_level_params(list: &str) -> Vec<&str> {
    let (mut params, mut depth, mut start) = (Vec::new(), 0usize, 0);
    for (i, c) in list.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                params.push(list[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    params.push(list[start..].trim());
    params
}

#[test]
fn top_level_params_keep_a_function_pointers_parameters_together() {
    assert_eq!(
        top_level_params("void (*handler)(int level, const char *message, void *u), void *u"),
        [
            "void (*handler)(int level, const char *message, void *u)",
            "void *u"
        ]
    );
    assert_eq!(
        top_level_params("const char *a, int b"),
        ["const char *a", "int b"]
    );
    assert_eq!(top_level_params("void"), ["void"]);
}

#[test]
fn the_table_covers_every_function_and_pointer_of_the_header() {
    let header = header_functions();
    assert!(header.len() > 30, "too few functions parsed: {header:?}");
    let table = functions();
    let mut problems = Vec::new();
    for (name, ret, params) in &header {
        let pointers: Vec<&str> = params
            .iter()
            .filter(|p| p.1)
            .map(|p| p.0.as_str())
            .collect();
        match table.iter().find(|f| f.name == name) {
            Some(f) => {
                let ours: Vec<&str> = f.params.iter().map(|p| p.0).collect();
                if ours != pointers {
                    problems.push(format!(
                        "{name}: the header's pointer parameters are {pointers:?}, the table has {ours:?}"
                    ));
                }
            }
            None if INFALLIBLE.contains(&name.as_str()) => {
                if ret == "apify_status" {
                    problems.push(format!("{name} returns apify_status: add it to the table"));
                }
            }
            None => problems.push(format!("{name} ({ret}) is not in the argument-check table")),
        }
    }
    for f in &table {
        if !header.iter().any(|h| h.0 == f.name) {
            problems.push(format!("{} is in the table but not in the header", f.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
