//! `apify_json_get`: reading JSON results without a JSON parser.

use super::helpers::*;

const DOC: &str = r#"{
    "id": "run1",
    "status": "SUCCEEDED",
    "exitCode": 0,
    "stats": {"computeUnits": 0.25, "runTimeSecs": 3},
    "options": {"memoryMbytes": 1024},
    "items": [{"url": "https://a.example"}, {"url": "https://b.example", "tags": ["x", "y"]}],
    "a/b": "slash",
    "m~n": "tilde",
    "": "empty key",
    "flag": true,
    "nothing": null,
    "quoted": "say \"hi\"\n"
}"#;

#[test]
fn json_get_answers_strings_unquoted_and_the_rest_as_json() {
    let get = |pointer: &str| {
        json_get(DOC, pointer)
            .unwrap_or_else(|st| panic!("{pointer:?}: {} {:?}", status_name(st), last_message()))
    };
    for (pointer, expected) in [
        // Strings come back unquoted and unescaped.
        ("/status", "SUCCEEDED"),
        ("/quoted", "say \"hi\"\n"),
        // Numbers, booleans and null as their JSON text.
        ("/exitCode", "0"),
        ("/stats/computeUnits", "0.25"),
        ("/options/memoryMbytes", "1024"),
        ("/flag", "true"),
        ("/nothing", "null"),
        // Arrays as JSON text; array indexes.
        ("/items/1/tags", r#"["x","y"]"#),
        ("/items/0/url", "https://a.example"),
        ("/items/1/tags/1", "y"),
        // Escapes: `~1` is `/`, `~0` is `~`; "/" is the empty key.
        ("/a~1b", "slash"),
        ("/m~0n", "tilde"),
        ("/", "empty key"),
    ] {
        assert_eq!(get(pointer), expected, "{pointer}");
    }
    // Objects as JSON text; "" is the whole document.
    let stats: Value = serde_json::from_str(&get("/stats")).unwrap();
    let expected = serde_json::from_str::<Value>(r#"{"computeUnits": 0.25, "runTimeSecs": 3}"#);
    assert_eq!(stats, expected.unwrap());
    let whole: Value = serde_json::from_str(&get("")).unwrap();
    assert_eq!(whole, serde_json::from_str::<Value>(DOC).unwrap());
    // A document that is a scalar.
    assert_eq!(json_get("\"just text\"", "").unwrap(), "just text");
    assert_eq!(json_get("[10, 20]", "/1").unwrap(), "20");
}

#[test]
fn json_get_refuses_what_matches_nothing_or_is_not_a_pointer() {
    // Nothing there: NOT_FOUND naming the pointer (text_call checked the out-parameter).
    for pointer in [
        "/missing",
        "/items/2",
        "/items/-1",
        "/items/01",
        "/status/0",
        "/a/b",
    ] {
        let st = json_get(DOC, pointer).expect_err(pointer);
        expect_failure(st, APIFY_STATUS_NOT_FOUND, pointer);
    }
    // Not a pointer: INVALID_ARGUMENT naming the argument.
    for pointer in ["status", "items/0", " /status", "#/status"] {
        let st = json_get(DOC, pointer).expect_err(pointer);
        expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "'pointer'");
    }
    // Not JSON: INVALID_JSON naming the argument.
    for json in ["{\"status\": ", "", "{} {}", "{'a': 1}", "SUCCEEDED"] {
        let st = json_get(json, "/status").expect_err(json);
        expect_failure(st, APIFY_STATUS_INVALID_JSON, "'json'");
    }
    // A string with a NUL cannot be a C string: a clean failure, nothing written.
    let st = json_get(r#"{"s": "a\u0000b"}"#, "/s").expect_err("NUL");
    expect_failure(st, APIFY_STATUS_INTERNAL, "NUL");
}
