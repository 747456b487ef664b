//! The route table of the Apify API v2: every operation's method, path template and operationId.
//! Derived from the official OpenAPI document; used to name an operation the emulator does not
//! implement (501) and to tell an unknown path (404) from a known one. The table is data, kept in
//! `operations.txt` (one operation a line) and parsed once.

use std::sync::LazyLock;

/// One operation of the API.
pub(crate) struct Operation {
    pub method: &'static str,
    /// The path with `{name}` placeholders, as in the spec.
    pub template: &'static str,
    pub id: &'static str,
}

const TABLE: &str = include_str!("operations.txt");

static OPERATIONS: LazyLock<Vec<Operation>> = LazyLock::new(|| parse(TABLE));

/// Every operation of the API, in the order of the spec.
pub(crate) fn operations() -> &'static [Operation] {
    &OPERATIONS
}

/// Lines of `METHOD TEMPLATE operationId`; blank lines and `#` comments are skipped. The table
/// ships inside the binary, so a malformed line is a build defect: the unit test below catches it.
fn parse(table: &'static str) -> Vec<Operation> {
    table
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let op = Operation {
                method: parts.next()?,
                template: parts.next()?,
                id: parts.next()?,
            };
            parts.next().is_none().then_some(op)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_table_is_an_operation() {
        let lines = TABLE
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .count();
        let ops = operations();
        assert_eq!(ops.len(), lines, "a line of operations.txt did not parse");
        for op in ops {
            assert!(
                ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"].contains(&op.method),
                "{}",
                op.method
            );
            assert!(op.template.starts_with("/v2/"), "{}", op.template);
        }
        assert!(ops
            .iter()
            .any(|o| o.method == "GET" && o.template == "/v2/actors" && o.id == "actors_get"));
    }

    #[test]
    fn a_malformed_line_is_left_out() {
        assert_eq!(
            parse("GET /v2/x a\nGET /v2/y\nGET /v2/z c extra\n").len(),
            1
        );
    }
}
