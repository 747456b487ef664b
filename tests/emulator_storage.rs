//! Datasets and key-value stores of the emulator, driven over real HTTP on 127.0.0.1 with a
//! plain client: storage lifecycle, pushing items (plain and compressed), the dataset-items query
//! engine and its output formats, a 1,000,000-item dataset, key listing and records.
#![cfg(feature = "emulator")]

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{Api, Resp};
use serde::Deserialize;
use serde_json::{json, Value};

/// The API's request body limit (9 MB).
const LIMIT: usize = 9_437_184;

// ---------------------------------------------------------------- helpers

/// Percent-encodes one path segment or query value (everything but unreserved characters).
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        w.write_all(data).unwrap();
    }
    out
}

/// A numeric response header.
fn num_header(resp: &Resp, name: &str) -> u64 {
    resp.header(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number"))
}

/// (offset, limit, count, total) from the pagination headers.
fn pagination(resp: &Resp) -> (u64, u64, u64, u64) {
    (
        num_header(resp, "x-apify-pagination-offset"),
        num_header(resp, "x-apify-pagination-limit"),
        num_header(resp, "x-apify-pagination-count"),
        num_header(resp, "x-apify-pagination-total"),
    )
}

/// A GET on its own connection, bypassing the test client, for JSONL answers: the client takes
/// every `Content-Type` that starts with `application/json` for JSON, `application/jsonl` too,
/// and panics on a body of several lines. Returns the status, the headers (lower-case names) and
/// the body.
fn raw_get(api: &Api, path: &str) -> Resp {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        api.addr(),
        api.token
    );
    let answer = api.raw(request.as_bytes(), Duration::from_secs(60));
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8(answer[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = answer[split + 4..].to_vec();
    let resp = Resp {
        status,
        headers,
        body,
    };
    if let Some(len) = resp.header("content-length") {
        assert_eq!(len.parse::<usize>().unwrap(), resp.body.len(), "{path}");
    }
    resp
}

/// Creates a dataset (named when `name` is given) and returns its id.
fn new_dataset(api: &Api, name: Option<&str>) -> String {
    let path = match name {
        Some(n) => format!("/v2/datasets?name={}", enc(n)),
        None => "/v2/datasets".to_string(),
    };
    let resp = api.post_empty(&path);
    assert!(
        resp.status == 201 || resp.status == 200,
        "create dataset: {} {}",
        resp.status,
        resp.text()
    );
    resp.data()["id"].as_str().unwrap().to_string()
}

/// Creates a key-value store (named when `name` is given) and returns its id.
fn new_store(api: &Api, name: Option<&str>) -> String {
    let path = match name {
        Some(n) => format!("/v2/key-value-stores?name={}", enc(n)),
        None => "/v2/key-value-stores".to_string(),
    };
    let resp = api.post_empty(&path);
    assert!(resp.status == 201 || resp.status == 200, "{}", resp.text());
    resp.data()["id"].as_str().unwrap().to_string()
}

/// Pushes a raw JSON body to a dataset.
fn push_raw(api: &Api, id: &str, body: &[u8]) -> Resp {
    api.request(
        "POST",
        &format!("/v2/datasets/{id}/items"),
        &[("Content-Type", "application/json")],
        Some(body),
    )
}

/// Pushes a JSON value and expects 201.
fn push(api: &Api, id: &str, items: &Value) {
    push_raw(api, id, items.to_string().as_bytes()).expect(201);
}

/// `GET items` with a query (without `?`) as JSON, expecting 200.
fn items(api: &Api, id: &str, query: &str) -> (Vec<Value>, Resp) {
    let resp = api
        .get(&format!("/v2/datasets/{id}/items?{query}"))
        .expect(200);
    let list = resp.json().as_array().expect("items are an array").clone();
    (list, resp)
}

/// The item count a dataset reports about itself.
fn item_count(api: &Api, id: &str) -> u64 {
    api.get(&format!("/v2/datasets/{id}")).expect(200).data()["itemCount"]
        .as_u64()
        .unwrap()
}

fn is_platform_id(id: &str) -> bool {
    id.len() == 17 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

fn is_iso_millis(s: &str) -> bool {
    regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        .unwrap()
        .is_match(s)
}

/// Storage listings are ordered by `createdAt`, which has millisecond resolution; the emulator
/// keeps no creation sequence to order storages made within the same millisecond (they come out
/// in id order), so listing tests create theirs a few milliseconds apart.
fn apart() {
    std::thread::sleep(Duration::from_millis(3));
}

/// Ids and names that no storage has, in many shapes; each is already one encoded segment.
fn unknown_ids() -> Vec<String> {
    vec![
        "AAAAAAAAAAAAAAAAA".to_string(),
        "x".to_string(),
        "no-such-name".to_string(),
        "emulator~no-such-name".to_string(),
        "someone-else~no-such-name".to_string(),
        enc("a/b"),
        enc("a b"),
        enc("a?b#c"),
        enc(".."),
        enc("%"),
        enc("100%25"),
        enc("naïve-ünïcode-€"),
        enc("\"quoted\" <tag> 'x' {y}"),
        enc("tab\tnew\nline"),
        "%00".to_string(),
        "%FF%FE".to_string(),
        "a".repeat(600),
    ]
}

// ---------------------------------------------------------------- datasets

#[test]
fn dataset_create_unnamed_and_get_by_id() {
    let api = Api::start();
    let resp = api.post_empty("/v2/datasets").expect(201);
    let ds = resp.data();
    let id = ds["id"].as_str().unwrap();
    assert!(is_platform_id(id), "id {id}");
    assert!(ds["name"].is_null());
    assert_eq!(ds["itemCount"], 0);
    assert_eq!(ds["cleanItemCount"], 0);
    assert!(is_iso_millis(ds["createdAt"].as_str().unwrap()));
    assert!(is_iso_millis(ds["modifiedAt"].as_str().unwrap()));
    assert!(resp
        .header("location")
        .is_some_and(|l| l.ends_with(&format!("/v2/datasets/{id}"))));

    let got = api.get(&format!("/v2/datasets/{id}")).expect(200).data();
    assert_eq!(got["id"], id);
    assert!(got["name"].is_null());

    // Two unnamed datasets are two datasets.
    let other = new_dataset(&api, None);
    assert_ne!(other, id);
}

#[test]
fn dataset_named_is_get_or_create_and_reachable_by_name() {
    let api = Api::start();
    let first = api.post_empty("/v2/datasets?name=my-items").expect(201);
    let id = first.data()["id"].as_str().unwrap().to_string();
    assert_eq!(first.data()["name"], "my-items");

    push(&api, &id, &json!({"a": 1}));
    let again = api.post_empty("/v2/datasets?name=my-items").expect(200);
    assert_eq!(again.data()["id"], id.as_str());
    // The existing dataset is returned, with its items.
    assert_eq!(again.data()["itemCount"], 1);

    for by in ["my-items", "emulator~my-items", id.as_str()] {
        let ds = api.get(&format!("/v2/datasets/{by}")).expect(200).data();
        assert_eq!(ds["id"], id.as_str(), "by {by}");
        assert_eq!(ds["name"], "my-items");
    }
    let (list, _) = items(&api, "my-items", "");
    assert_eq!(list, vec![json!({"a": 1})]);

    // Another name makes another dataset; an empty name makes an unnamed one.
    let other = api.post_empty("/v2/datasets?name=other-items").expect(201);
    assert_ne!(other.data()["id"], id.as_str());
    let unnamed = api.post_empty("/v2/datasets?name=").expect(201).data();
    assert!(unnamed["name"].is_null());
}

#[test]
fn dataset_invalid_names_are_refused() {
    let api = Api::start();
    for bad in [
        "bad name",
        "under_score",
        "-leading",
        "trailing-",
        "dots.dots",
        "slash/slash",
        "ünïcode",
        &"a".repeat(64),
    ] {
        let resp = api
            .post_empty(&format!("/v2/datasets?name={}", enc(bad)))
            .expect(400);
        assert_eq!(resp.error_type(), "invalid-value", "name {bad:?}");
    }
    // 63 characters is fine.
    api.post_empty(&format!("/v2/datasets?name={}", "a".repeat(63)))
        .expect(201);
    // Nothing named was created by the refusals.
    let list = api.get("/v2/datasets").expect(200).data();
    assert_eq!(list["total"], 1);
}

#[test]
fn dataset_update_renames_and_sets_title() {
    let api = Api::start();
    let id = new_dataset(&api, Some("old-name"));
    new_dataset(&api, Some("taken"));

    let ds = api
        .put_json(&format!("/v2/datasets/{id}"), &json!({"name": "new-name"}))
        .expect(200)
        .data();
    assert_eq!(ds["id"], id.as_str());
    assert_eq!(ds["name"], "new-name");
    assert_eq!(
        api.get("/v2/datasets/old-name").expect(404).error_type(),
        "record-not-found"
    );
    assert_eq!(
        api.get("/v2/datasets/new-name").expect(200).data()["id"],
        id.as_str()
    );

    // Title only: the name stays.
    let ds = api
        .put_json("/v2/datasets/new-name", &json!({"title": "My items"}))
        .expect(200)
        .data();
    assert_eq!(ds["title"], "My items");
    assert_eq!(ds["name"], "new-name");

    // Renaming onto another dataset's name is refused and changes nothing.
    let resp = api
        .put_json(&format!("/v2/datasets/{id}"), &json!({"name": "taken"}))
        .expect(400);
    assert_eq!(resp.error_type(), "invalid-value");
    assert_eq!(
        api.get(&format!("/v2/datasets/{id}")).expect(200).data()["name"],
        "new-name"
    );
    // Renaming to its own name is fine.
    api.put_json(&format!("/v2/datasets/{id}"), &json!({"name": "new-name"}))
        .expect(200);

    // Invalid names and bodies.
    let resp = api
        .put_json(&format!("/v2/datasets/{id}"), &json!({"name": "bad name"}))
        .expect(400);
    assert_eq!(resp.error_type(), "invalid-value");
    api.put_json(&format!("/v2/datasets/{id}"), &json!({"name": 5}))
        .expect(400);
    // A title of the wrong type is refused, not taken for a cleared title.
    let resp = api
        .put_json(&format!("/v2/datasets/{id}"), &json!({"title": 5}))
        .expect(400);
    assert_eq!(resp.error_type(), "invalid-request");
    assert_eq!(
        api.get(&format!("/v2/datasets/{id}")).expect(200).data()["title"],
        "My items"
    );
    api.put_json(&format!("/v2/datasets/{id}"), &json!([1, 2]))
        .expect(400);
    api.request(
        "PUT",
        &format!("/v2/datasets/{id}"),
        &[("Content-Type", "application/json")],
        Some(b"{\"name\": "),
    )
    .expect(400);

    // `name: null` makes it unnamed: it leaves the default listing.
    let ds = api
        .put_json(&format!("/v2/datasets/{id}"), &json!({"name": null}))
        .expect(200)
        .data();
    assert!(ds["name"].is_null());
    api.get("/v2/datasets/new-name").expect(404);
    let names: Vec<Value> = api.get("/v2/datasets").expect(200).data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("taken")]);

    // Unknown dataset.
    api.put_json("/v2/datasets/no-such-dataset", &json!({"title": "x"}))
        .expect(404);
}

#[test]
fn dataset_delete_then_gone() {
    let api = Api::start();
    let id = new_dataset(&api, Some("doomed"));
    push(&api, &id, &json!([{"a": 1}, {"a": 2}]));
    let keep = new_dataset(&api, Some("kept"));
    push(&api, &keep, &json!({"k": 1}));

    let resp = api.delete(&format!("/v2/datasets/{id}")).expect(204);
    assert!(resp.body.is_empty());
    for path in [
        format!("/v2/datasets/{id}"),
        format!("/v2/datasets/{id}/items"),
        "/v2/datasets/doomed".to_string(),
    ] {
        assert_eq!(api.get(&path).expect(404).error_type(), "record-not-found");
    }
    assert_eq!(
        push_raw(&api, &id, b"{}").expect(404).error_type(),
        "record-not-found"
    );
    assert_eq!(
        api.delete(&format!("/v2/datasets/{id}"))
            .expect(404)
            .error_type(),
        "record-not-found"
    );
    // The name is free again: a new dataset, empty.
    let reborn = api
        .post_empty("/v2/datasets?name=doomed")
        .expect(201)
        .data();
    assert_ne!(reborn["id"], id.as_str());
    assert_eq!(reborn["itemCount"], 0);
    // The other dataset is untouched.
    assert_eq!(items(&api, "kept", "").0, vec![json!({"k": 1})]);

    // Delete by name.
    api.delete("/v2/datasets/kept").expect(204);
    api.get(&format!("/v2/datasets/{keep}")).expect(404);
}

#[test]
fn dataset_list_named_unnamed_and_pages() {
    let api = Api::start();
    let empty = api.get("/v2/datasets").expect(200).data();
    assert_eq!(empty["total"], 0);
    assert_eq!(empty["count"], 0);
    assert_eq!(empty["items"], json!([]));

    let a = new_dataset(&api, Some("list-a"));
    apart();
    let u1 = new_dataset(&api, None);
    apart();
    let b = new_dataset(&api, Some("list-b"));
    apart();
    let c = new_dataset(&api, Some("list-c"));
    apart();
    let u2 = new_dataset(&api, None);
    push(&api, &b, &json!([{"x": 1}, {}, {"x": 3}]));

    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect()
    };

    // Named only by default, oldest first.
    let list = api.get("/v2/datasets").expect(200).data();
    assert_eq!(ids(&list), vec![a.clone(), b.clone(), c.clone()]);
    assert_eq!(list["total"], 3);
    assert_eq!(list["count"], 3);
    assert_eq!(list["offset"], 0);
    assert_eq!(list["desc"], false);
    let listed_b = &list["items"][1];
    assert_eq!(listed_b["itemCount"], 3);
    assert_eq!(listed_b["cleanItemCount"], 2);
    assert_eq!(listed_b["name"], "list-b");

    // Unnamed datasets are listed with `name: null` (spec defect `unnamed-dataset-name-null` in
    // tests/common/openapi.rs).
    let all = api.get("/v2/datasets?unnamed=1").expect(200).data();
    assert_eq!(ids(&all), vec![a.clone(), u1, b.clone(), c.clone(), u2]);
    assert_eq!(all["total"], 5);
    let all = api.get("/v2/datasets?unnamed=true").expect(200).data();
    assert_eq!(all["total"], 5);

    let page = api.get("/v2/datasets?offset=1&limit=1").expect(200).data();
    assert_eq!(ids(&page), vec![b.clone()]);
    assert_eq!(page["total"], 3);
    assert_eq!(page["count"], 1);
    assert_eq!(page["offset"], 1);
    assert_eq!(page["limit"], 1);

    let desc = api.get("/v2/datasets?desc=1").expect(200).data();
    assert_eq!(ids(&desc), vec![c.clone(), b.clone(), a.clone()]);
    assert_eq!(desc["desc"], true);
    let desc = api
        .get("/v2/datasets?desc=true&offset=1&limit=5")
        .expect(200)
        .data();
    assert_eq!(ids(&desc), vec![b, a]);

    let past = api.get("/v2/datasets?offset=10").expect(200).data();
    assert_eq!(past["count"], 0);
    assert_eq!(past["total"], 3);

    for bad in ["limit=abc", "offset=-1", "desc=maybe", "unnamed=2"] {
        let resp = api.get(&format!("/v2/datasets?{bad}")).expect(400);
        assert_eq!(resp.error_type(), "invalid-parameter", "{bad}");
    }
}

/// Every route under `{collection}/{id}` answers 404 for every unknown id (`record-not-found`
/// wherever there is a body to carry it).
fn assert_unknown_ids_are_404(api: &Api, collection: &str, routes: &[(&str, &str)]) {
    for id in unknown_ids() {
        for (method, suffix) in routes {
            let path = format!("{collection}/{id}{suffix}");
            let resp = api.request(
                method,
                &path,
                &[("Content-Type", "application/json")],
                Some(b"{}"),
            );
            assert_eq!(resp.status, 404, "{method} {path}: {}", resp.text());
            if *method != "HEAD" {
                assert_eq!(resp.error_type(), "record-not-found", "{method} {path}");
            }
        }
    }
}

#[test]
fn dataset_unknown_ids_of_any_shape_are_404() {
    let api = Api::start();
    let real = new_dataset(&api, Some("real"));
    assert_unknown_ids_are_404(
        &api,
        "/v2/datasets",
        &[
            ("GET", ""),
            ("PUT", ""),
            ("DELETE", ""),
            ("GET", "/items"),
            ("POST", "/items"),
            ("HEAD", "/items"),
        ],
    );
    // The real one is untouched by all that.
    assert_eq!(item_count(&api, &real), 0);
    assert_eq!(api.get("/v2/datasets").expect(200).data()["total"], 1);
}

// ---------------------------------------------------------------- pushing items

#[test]
fn push_one_object_an_array_and_an_empty_array() {
    let api = Api::start();
    let id = new_dataset(&api, None);

    let resp = push_raw(&api, &id, br#"{"first": true}"#).expect(201);
    assert_eq!(resp.json(), json!({}));
    assert!(resp
        .header("location")
        .is_some_and(|l| l.ends_with(&format!("/v2/datasets/{id}/items"))));
    push_raw(&api, &id, br#"[{"n": 1}, {"n": 2}, {"n": 3}]"#).expect(201);
    push_raw(&api, &id, b"[]").expect(201);
    push_raw(&api, &id, b"  [ ]  ").expect(201);

    let (list, _) = items(&api, &id, "");
    assert_eq!(
        list,
        vec![
            json!({"first": true}),
            json!({"n": 1}),
            json!({"n": 2}),
            json!({"n": 3})
        ]
    );
    assert_eq!(item_count(&api, &id), 4);

    // By name too.
    new_dataset(&api, Some("pushed-by-name"));
    push(&api, "pushed-by-name", &json!({"by": "name"}));
    assert_eq!(
        items(&api, "pushed-by-name", "").0,
        vec![json!({"by": "name"})]
    );
}

#[test]
fn push_keeps_exact_item_text_and_key_order() {
    let api = Api::start();
    let id = new_dataset(&api, None);
    // Key order, spacing, number spellings and escapes are kept byte for byte.
    let texts = [
        r#"{"z":1,"a":2,"m":{"y":true,"b":null}}"#,
        r#"{"big": 12345678901234567890123, "f": 1.50, "e": 1E+2, "neg": -0.0}"#,
        r#"{"esc":"\u00e9\n\"q\"\/","uni":"žluťoučký 🐎"}"#,
        r#"{"b":[3,2,1],"a":[]}"#,
    ];
    push_raw(&api, &id, format!("[{}]", texts.join(",")).as_bytes()).expect(201);
    push_raw(&api, &id, b" \n {\"single\" : \"spaced\"  }  \r\n").expect(201);

    let resp = api
        .get(&format!("/v2/datasets/{id}/items"))
        .expect(200)
        .text();
    let expected = format!("[{},{}]", texts.join(","), r#"{"single" : "spaced"  }"#);
    assert_eq!(resp, expected);

    // JSONL: one item per line, same text.
    let jsonl = raw_get(&api, &format!("/v2/datasets/{id}/items?format=jsonl"))
        .expect(200)
        .text();
    let lines: Vec<&str> = jsonl.lines().collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0], texts[0]);
    assert_eq!(lines[2], texts[2]);
}

#[test]
fn jsonl_has_one_line_per_item_even_for_pretty_printed_pushes() {
    let api = Api::start();
    let id = new_dataset(&api, None);
    let pretty = "[\n  {\n    \"a\": 1,\r\n    \"b\": \"x\\ny\"\n  },\n  {\"c\": [\n 1,\n 2\n]}\n]";
    push_raw(&api, &id, pretty.as_bytes()).expect(201);
    let jsonl = raw_get(&api, &format!("/v2/datasets/{id}/items?format=jsonl"))
        .expect(200)
        .text();
    let lines: Vec<&str> = jsonl.lines().collect();
    assert_eq!(lines.len(), 2, "{jsonl:?}");
    let parsed: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        parsed,
        vec![json!({"a": 1, "b": "x\ny"}), json!({"c": [1, 2]})]
    );
    // The JSON format still parses to the same items.
    assert_eq!(
        items(&api, &id, "").0,
        vec![json!({"a": 1, "b": "x\ny"}), json!({"c": [1, 2]})]
    );
}

#[test]
fn push_accepts_gzip_deflate_and_brotli_bodies() {
    let api = Api::start();
    let id = new_dataset(&api, None);
    let body = |tag: &str| -> Vec<u8> {
        let list: Vec<Value> = (0..200)
            .map(|i| json!({"enc": tag, "i": i, "pad": "p".repeat(50)}))
            .collect();
        serde_json::to_vec(&list).unwrap()
    };
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("gzip", "gzip", gzip(&body("gzip"))),
        ("x-gzip", "x-gzip", gzip(&body("x-gzip"))),
        ("deflate", "deflate", zlib(&body("deflate"))),
        ("raw-deflate", "deflate", raw_deflate(&body("raw-deflate"))),
        ("br", "br", brotli(&body("br"))),
        ("identity", "identity", body("identity")),
        ("upper", "GZIP", gzip(&body("upper"))),
    ];
    for (tag, encoding, bytes) in &cases {
        assert!(bytes.len() < body(tag).len() || *encoding == "identity");
        api.request(
            "POST",
            &format!("/v2/datasets/{id}/items"),
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", encoding),
            ],
            Some(bytes),
        )
        .expect(201);
    }
    let (list, resp) = items(&api, &id, "");
    assert_eq!(list.len(), 200 * cases.len());
    assert_eq!(
        num_header(&resp, "x-apify-pagination-total"),
        list.len() as u64
    );
    for (n, (tag, _, _)) in cases.iter().enumerate() {
        for i in 0..200 {
            let item = &list[n * 200 + i];
            assert_eq!(item["enc"], *tag);
            assert_eq!(item["i"], i);
        }
    }
}

#[test]
fn push_refuses_bad_bodies_and_stores_nothing() {
    let api = Api::start();
    let id = new_dataset(&api, None);
    push(&api, &id, &json!({"before": 1}));

    // A non-object item: 400 naming its index, and the whole push is refused.
    for (body, index) in [
        (r#"[{"a":1},{"b":2},3]"#, 2),
        (r#"[{"a":1},"text"]"#, 1),
        (r#"[null]"#, 0),
        (r#"[{"a":1},[{"nested":1}]]"#, 1),
    ] {
        let resp = push_raw(&api, &id, body.as_bytes()).expect(400);
        assert!(resp.error_type().starts_with("invalid"), "{body}");
        let message = resp.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            message.contains(&format!("index {index}")),
            "{body}: {message}"
        );
    }
    for body in ["42", "\"just a string\"", "null", "true"] {
        let resp = push_raw(&api, &id, body.as_bytes()).expect(400);
        assert!(resp.error_type().starts_with("invalid"), "{body}");
    }
    // Malformed JSON and non-UTF-8 bodies.
    for body in [
        &b"{\"a\": "[..],
        b"[{\"a\":1},",
        b"{\"a\":1} trailing",
        b"{'single': 'quotes'}",
        b"not json",
        b"\xff\xfe{}",
        b"",
        b"   ",
    ] {
        let resp = push_raw(&api, &id, body).expect(400);
        assert!(resp.error_type().starts_with("invalid"), "{body:?}");
    }
    // A body that says gzip but is not.
    let resp = api
        .request(
            "POST",
            &format!("/v2/datasets/{id}/items"),
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            Some(b"{\"plain\": true}"),
        )
        .expect(400);
    assert_eq!(resp.error_type(), "invalid-request");
    // An encoding the API does not know.
    for encoding in ["compress", "zstd", "gzip, br"] {
        let resp = api
            .request(
                "POST",
                &format!("/v2/datasets/{id}/items"),
                &[
                    ("Content-Type", "application/json"),
                    ("Content-Encoding", encoding),
                ],
                Some(b"{}"),
            )
            .expect(415);
        assert_eq!(resp.error_type(), "unsupported-content-encoding");
    }
    assert_eq!(items(&api, &id, "").0, vec![json!({"before": 1})]);
}

/// A JSON array of small items padded to exactly `size` bytes.
fn array_of_size(size: usize, tag: &str) -> Vec<u8> {
    let item = format!(r#"{{"tag":"{tag}","pad":"{}"}}"#, "x".repeat(1000));
    let mut out = String::from("[");
    while out.len() + item.len() + 2 < size - 1100 {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&item);
    }
    // The last item's padding makes up the difference.
    let rest = size - out.len() - 1 - format!(r#",{{"tag":"{tag}","pad":""}}"#).len();
    out.push_str(&format!(
        r#",{{"tag":"{tag}","pad":"{}"}}"#,
        "y".repeat(rest)
    ));
    out.push(']');
    assert_eq!(out.len(), size);
    out.into_bytes()
}

#[test]
fn push_over_nine_megabytes_is_413_and_nothing_is_lost() {
    let api = Api::start();
    let id = new_dataset(&api, Some("big-pushes"));
    push(&api, &id, &json!([{"keep": 1}, {"keep": 2}]));

    // Exactly at the limit: accepted.
    let at_limit = array_of_size(LIMIT, "at-limit");
    push_raw(&api, &id, &at_limit).expect(201);
    let accepted = item_count(&api, &id);
    assert!(accepted > 2);

    // One byte over: 413 `request-too-large`.
    let over = array_of_size(LIMIT + 1, "over");
    let resp = push_raw(&api, &id, &over).expect(413);
    assert_eq!(resp.error_type(), "request-too-large");
    // The same client (and its kept-alive connection) goes on working.
    assert_eq!(item_count(&api, &id), accepted);

    // Far over and chunked (no Content-Length): 413 too. Sent by hand, as the server may answer
    // before it has read the whole body.
    let huge = array_of_size(LIMIT * 2, "chunked");
    let text = {
        use std::io::Read;
        let mut s = std::net::TcpStream::connect(api.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let head = format!(
            "POST /v2/datasets/{id}/items HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            api.addr(),
            api.token
        );
        s.write_all(head.as_bytes()).unwrap();
        for chunk in huge.chunks(1 << 20) {
            let mut c = format!("{:X}\r\n", chunk.len()).into_bytes();
            c.extend_from_slice(chunk);
            c.extend_from_slice(b"\r\n");
            if s.write_all(&c).is_err() {
                break;
            }
        }
        let _ = s.write_all(b"0\r\n\r\n");
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    };
    assert!(text.starts_with("HTTP/1.1 413 "), "{text}");
    assert!(text.contains("request-too-large"), "{text}");

    // A small compressed body that inflates past the limit: 413 as well.
    let bomb = gzip(&array_of_size(LIMIT + 10, "bomb"));
    assert!(bomb.len() < 1_000_000);
    let resp = api
        .request(
            "POST",
            &format!("/v2/datasets/{id}/items"),
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            Some(&bomb),
        )
        .expect(413);
    assert_eq!(resp.error_type(), "request-too-large");

    // The server keeps serving and the dataset lost nothing.
    assert_eq!(item_count(&api, &id), accepted);
    let (list, _) = items(&api, &id, "limit=2");
    assert_eq!(list, vec![json!({"keep": 1}), json!({"keep": 2})]);
    let (list, _) = items(&api, &id, "fields=tag&offset=2");
    assert!(list.iter().all(|i| i["tag"] == "at-limit"));
    push(&api, &id, &json!({"after": true}));
    assert_eq!(item_count(&api, &id), accepted + 1);
}

// ---------------------------------------------------------------- reading items

/// A dataset of `n` items `{"i": i}`.
fn numbered(api: &Api, n: usize) -> String {
    let id = new_dataset(api, None);
    let list: Vec<Value> = (0..n).map(|i| json!({"i": i})).collect();
    push(api, &id, &Value::Array(list));
    id
}

fn indexes(list: &[Value]) -> Vec<u64> {
    list.iter().map(|v| v["i"].as_u64().unwrap()).collect()
}

#[test]
fn items_pages_with_offset_limit_desc_and_headers() {
    let api = Api::start();
    let id = numbered(&api, 10);

    let (list, resp) = items(&api, &id, "");
    assert_eq!(indexes(&list), (0..10).collect::<Vec<_>>());
    let (offset, _, count, total) = pagination(&resp);
    assert_eq!((offset, count, total), (0, 10, 10));
    assert_eq!(resp.header("x-apify-pagination-desc"), Some("false"));
    assert!(resp
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));

    let (list, resp) = items(&api, &id, "offset=3&limit=4");
    assert_eq!(indexes(&list), vec![3, 4, 5, 6]);
    assert_eq!(pagination(&resp), (3, 4, 4, 10));

    // The last, short page.
    let (list, resp) = items(&api, &id, "offset=8&limit=5");
    assert_eq!(indexes(&list), vec![8, 9]);
    assert_eq!(pagination(&resp), (8, 5, 2, 10));

    // Past the end: empty, Count 0.
    let (list, resp) = items(&api, &id, "offset=10&limit=5");
    assert!(list.is_empty());
    assert_eq!(pagination(&resp), (10, 5, 0, 10));
    let (list, resp) = items(&api, &id, "offset=1000");
    assert!(list.is_empty());
    assert_eq!(num_header(&resp, "x-apify-pagination-count"), 0);

    // limit=0 is an empty page.
    let (list, resp) = items(&api, &id, "limit=0");
    assert!(list.is_empty());
    assert_eq!(num_header(&resp, "x-apify-pagination-count"), 0);

    // desc: newest first; offset counts from the newest.
    let (list, resp) = items(&api, &id, "desc=1");
    assert_eq!(indexes(&list), (0..10).rev().collect::<Vec<_>>());
    assert_eq!(resp.header("x-apify-pagination-desc"), Some("true"));
    let (list, resp) = items(&api, &id, "desc=true&offset=2&limit=3");
    assert_eq!(indexes(&list), vec![7, 6, 5]);
    assert_eq!(pagination(&resp), (2, 3, 3, 10));
    let (list, _) = items(&api, &id, "desc=1&offset=8&limit=5");
    assert_eq!(indexes(&list), vec![1, 0]);
    let (list, _) = items(&api, &id, "desc=1&offset=20");
    assert!(list.is_empty());
    let (list, _) = items(&api, &id, "desc=0&limit=2");
    assert_eq!(indexes(&list), vec![0, 1]);

    // An empty dataset.
    let empty = new_dataset(&api, None);
    let (list, resp) = items(&api, &empty, "");
    assert!(list.is_empty());
    assert_eq!(resp.text(), "[]");
    assert_eq!(num_header(&resp, "x-apify-pagination-total"), 0);
}

#[test]
fn items_head_answers_headers_without_a_body() {
    let api = Api::start();
    let id = numbered(&api, 7);
    let resp = api.request(
        "HEAD",
        &format!("/v2/datasets/{id}/items?offset=2&limit=3"),
        &[],
        None,
    );
    assert_eq!(resp.status, 200);
    assert!(resp.body.is_empty());
    assert_eq!(pagination(&resp), (2, 3, 3, 7));
    assert!(resp
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));
    let get = api
        .get(&format!("/v2/datasets/{id}/items?offset=2&limit=3"))
        .expect(200);
    assert_eq!(
        num_header(&resp, "content-length"),
        get.body.len() as u64,
        "HEAD announces the GET body's length"
    );
    let resp = api.request(
        "HEAD",
        &format!("/v2/datasets/{id}/items?format=csv"),
        &[],
        None,
    );
    assert_eq!(resp.status, 200);
    assert!(resp.header("content-type").unwrap().starts_with("text/csv"));
    // The server still serves the connection afterwards.
    assert_eq!(items(&api, &id, "limit=1").0, vec![json!({"i": 0})]);
    let resp = api.request(
        "HEAD",
        &format!("/v2/datasets/{id}/items?limit=x"),
        &[],
        None,
    );
    assert_eq!(resp.status, 400);
}

#[test]
fn items_fields_keep_the_order_given_and_omit_drops() {
    let api = Api::start();
    let id = new_dataset(&api, None);
    push(
        &api,
        &id,
        &json!([
            {"a": 1, "b": 2, "c": 3, "d": {"x": 1}},
            {"c": 30, "b": 20},
            {"z": 0}
        ]),
    );
    let url = |q: &str| format!("/v2/datasets/{id}/items?{q}");
    assert_eq!(
        api.get(&url("fields=c,a")).expect(200).text(),
        r#"[{"c":3,"a":1},{"c":30},{}]"#
    );
    assert_eq!(
        api.get(&url("fields=d,b,missing")).expect(200).text(),
        r#"[{"d":{"x":1},"b":2},{"b":20},{}]"#
    );
    assert_eq!(
        api.get(&url("omit=a,c")).expect(200).text(),
        r#"[{"b":2,"d":{"x":1}},{"b":20},{"z":0}]"#
    );
    assert_eq!(
        api.get(&url("fields=a,b,c&omit=b")).expect(200).text(),
        r#"[{"a":1,"c":3},{"c":30},{}]"#
    );
    // Encoded commas and spaces around names.
    assert_eq!(
        api.get(&url("fields=b%2C%20a")).expect(200).text(),
        r#"[{"b":2,"a":1},{"b":20},{}]"#
    );
    // Count is still the rows scanned.
    let resp = api.get(&url("fields=a&limit=2")).expect(200);
    assert_eq!(num_header(&resp, "x-apify-pagination-count"), 2);
}

#[test]
fn items_unwind_arrays_and_objects() {
    let api = Api::start();
    let id = new_dataset(&api, None);
    push(
        &api,
        &id,
        &json!([
            {"id": 1, "tags": ["x", "y"]},
            {"id": 2, "offers": [{"price": 10}, {"price": 20}]},
            {"id": 3, "meta": {"k": "v", "n": 1}},
            {"id": 4, "tags": "not-an-array"},
            {"id": 5}
        ]),
    );
    let (list, resp) = items(&api, &id, "unwind=tags");
    assert_eq!(
        list,
        vec![
            json!({"id": 1, "tags": "x"}),
            json!({"id": 1, "tags": "y"}),
            json!({"id": 2, "offers": [{"price": 10}, {"price": 20}]}),
            json!({"id": 3, "meta": {"k": "v", "n": 1}}),
            json!({"id": 4, "tags": "not-an-array"}),
            json!({"id": 5}),
        ]
    );
    // Count is the rows scanned, not the rows produced.
    assert_eq!(num_header(&resp, "x-apify-pagination-count"), 5);

    let (list, _) = items(&api, &id, "unwind=offers&limit=2");
    assert_eq!(
        list,
        vec![
            json!({"id": 1, "tags": ["x", "y"]}),
            json!({"id": 2, "price": 10}),
            json!({"id": 2, "price": 20}),
        ]
    );
    let (list, _) = items(&api, &id, "unwind=meta&offset=2&limit=1");
    assert_eq!(list, vec![json!({"id": 3, "k": "v", "n": 1})]);

    // Several fields, one after the other.
    let (list, _) = items(&api, &id, "unwind=tags,offers&limit=2");
    assert_eq!(list.len(), 4);
    // Unwind then pick fields.
    let (list, _) = items(&api, &id, "unwind=offers&fields=price&offset=1&limit=1");
    assert_eq!(list, vec![json!({"price": 10}), json!({"price": 20})]);
}

#[test]
fn items_flatten_nested_objects() {
    let api = Api::start();
    let id = new_dataset(&api, None);
    push(
        &api,
        &id,
        &json!([
            {"a": 1, "o": {"b": {"c": 2}, "d": 3}, "z": 4},
            {"o": "scalar"}
        ]),
    );
    assert_eq!(
        api.get(&format!("/v2/datasets/{id}/items?flatten=o"))
            .expect(200)
            .text(),
        r#"[{"a":1,"o.b.c":2,"o.d":3,"z":4},{"o":"scalar"}]"#
    );
    // Flattened names can be picked with fields.
    assert_eq!(
        api.get(&format!(
            "/v2/datasets/{id}/items?flatten=o&fields=o.d,a&limit=1"
        ))
        .expect(200)
        .text(),
        r#"[{"o.d":3,"a":1}]"#
    );
}

#[test]
fn items_skip_hidden_skip_empty_and_clean_report_rows_scanned() {
    let api = Api::start();
    let id = new_dataset(&api, None);
    push(
        &api,
        &id,
        &json!([
            {"i": 0, "#debug": {"x": 1}},
            {},
            {"i": 2},
            {},
            {"#only": "hidden"},
            {"i": 5, "#h": 1, "v": "#not-hidden"}
        ]),
    );
    let ds = api.get(&format!("/v2/datasets/{id}")).expect(200).data();
    assert_eq!(ds["itemCount"], 6);
    assert_eq!(ds["cleanItemCount"], 4);

    let (list, resp) = items(&api, &id, "skipHidden=1");
    assert_eq!(
        list,
        vec![
            json!({"i": 0}),
            json!({}),
            json!({"i": 2}),
            json!({}),
            json!({}),
            json!({"i": 5, "v": "#not-hidden"})
        ]
    );
    assert_eq!(num_header(&resp, "x-apify-pagination-count"), 6);

    let (list, resp) = items(&api, &id, "skipEmpty=true");
    assert_eq!(list.len(), 4);
    assert_eq!(list[0], json!({"i": 0, "#debug": {"x": 1}}));
    assert_eq!(num_header(&resp, "x-apify-pagination-count"), 6);

    let (list, resp) = items(&api, &id, "clean=1");
    assert_eq!(
        list,
        vec![
            json!({"i": 0}),
            json!({"i": 2}),
            json!({}),
            json!({"i": 5, "v": "#not-hidden"})
        ]
    );
    assert_eq!(pagination(&resp).2, 6);

    // A page of empties only: an empty body that still scanned its rows.
    let (list, resp) = items(&api, &id, "clean=true&offset=1&limit=1");
    assert!(list.is_empty());
    assert_eq!(pagination(&resp), (1, 1, 1, 6));
    let (list, resp) = items(&api, &id, "skipEmpty=1&offset=3&limit=1");
    assert!(list.is_empty());
    assert_eq!(num_header(&resp, "x-apify-pagination-count"), 1);

    // With desc.
    let (list, resp) = items(&api, &id, "clean=1&desc=1&limit=3");
    assert_eq!(list, vec![json!({"i": 5, "v": "#not-hidden"}), json!({})]);
    assert_eq!(num_header(&resp, "x-apify-pagination-count"), 3);

    // An item of only whitespace between its braces is empty too.
    let spaced = new_dataset(&api, None);
    push_raw(&api, &spaced, b"[{ }, {\"a\": 1}, {\n}]").expect(201);
    let (list, resp) = items(&api, &spaced, "skipEmpty=1");
    assert_eq!(list, vec![json!({"a": 1})]);
    assert_eq!(num_header(&resp, "x-apify-pagination-count"), 3);
    assert_eq!(
        api.get(&format!("/v2/datasets/{spaced}"))
            .expect(200)
            .data()["cleanItemCount"],
        1
    );

    // clean=0 / skipEmpty=false change nothing.
    let (list, _) = items(&api, &id, "clean=0&skipEmpty=false&skipHidden=0");
    assert_eq!(list.len(), 6);
}

#[test]
fn items_iteration_by_count_sees_every_clean_item_once() {
    let api = Api::start();
    let id = new_dataset(&api, None);
    let all: Vec<Value> = (0..1000)
        .map(|i| {
            if i % 3 == 2 {
                json!({})
            } else {
                json!({"i": i, "#debug": i})
            }
        })
        .collect();
    push(&api, &id, &Value::Array(all));

    let cases = [
        (1, false),
        (7, false),
        (3, false),
        (100, false),
        (333, false),
        (1000, false),
        (5000, false),
        (1, true),
        (10, true),
        (250, true),
    ];
    for (page_size, desc) in cases {
        let mut seen = Vec::new();
        let mut offset = 0;
        let mut requests = 0;
        // Pages that scanned rows but hold no item: a loop stopping on an empty page ends early.
        let mut empty_pages = 0;
        loop {
            let (list, resp) = items(
                &api,
                &id,
                &format!("clean=1&offset={offset}&limit={page_size}&desc={desc}"),
            );
            requests += 1;
            let (h_offset, _, count, total) = pagination(&resp);
            assert_eq!(h_offset, offset);
            assert_eq!(total, 1000);
            assert!(list.len() as u64 <= count);
            if count == 0 {
                assert!(list.is_empty());
                break;
            }
            if list.is_empty() {
                empty_pages += 1;
            }
            for item in &list {
                assert!(item.get("#debug").is_none(), "hidden field leaked");
                seen.push(item["i"].as_u64().expect("no empty item"));
            }
            offset += count;
            assert!(requests < 2000, "iteration does not end");
        }
        let mut expected: Vec<u64> = (0..1000).filter(|i| i % 3 != 2).collect();
        if desc {
            expected.reverse();
        }
        assert_eq!(seen, expected, "page size {page_size}, desc {desc}");
        assert_eq!(offset, 1000);
        if page_size == 1 {
            assert_eq!(empty_pages, 333);
        }
    }
}

/// Pushes from several connections at once all land, each sender's items in its order.
#[test]
fn concurrent_pushes_lose_nothing() {
    let api = Api::start();
    let id = new_dataset(&api, None);
    let store = new_store(&api, None);
    std::thread::scope(|scope| {
        for t in 0..4 {
            let client = Api::connect(&api.base, &api.token);
            let (id, store) = (id.clone(), store.clone());
            scope.spawn(move || {
                for n in 0..50 {
                    let batch: Vec<Value> =
                        (0..10).map(|k| json!({"t": t, "n": n * 10 + k})).collect();
                    push(&client, &id, &Value::Array(batch));
                    put_record(
                        &client,
                        &store,
                        &format!("t{t}-{n:02}"),
                        "text/plain",
                        format!("{t}/{n}").as_bytes(),
                    );
                }
            });
        }
    });
    let (list, resp) = items(&api, &id, "");
    assert_eq!(list.len(), 2000);
    assert_eq!(num_header(&resp, "x-apify-pagination-total"), 2000);
    for t in 0..4 {
        let mine: Vec<u64> = list
            .iter()
            .filter(|i| i["t"] == t)
            .map(|i| i["n"].as_u64().unwrap())
            .collect();
        assert_eq!(mine, (0..500).collect::<Vec<_>>(), "sender {t}");
    }
    let (keys, _) = keys_page(&api, &store, "");
    assert_eq!(keys.len(), 200);
    assert_eq!(
        api.get(&format!("/v2/key-value-stores/{store}/records/t3-49"))
            .expect(200)
            .text(),
        "3/49"
    );
}

#[test]
fn items_csv_with_header_delimiter_and_bom() {
    let api = Api::start();
    let id = new_dataset(&api, None);
    push(
        &api,
        &id,
        &json!([
            {"name": "plain", "n": 1, "nested": {"a": 1, "b": [1, 2]}},
            {"name": "comma, \"quote\"", "extra": "x\ny", "n": null},
            {}
        ]),
    );
    let url = |q: &str| format!("/v2/datasets/{id}/items?format=csv{q}");
    let resp = api.get(&url("")).expect(200);
    assert!(resp.header("content-type").unwrap().starts_with("text/csv"));
    assert!(resp.body.starts_with(b"\xEF\xBB\xBF"), "BOM is on for csv");
    let text = resp.text();
    let text = text.trim_start_matches('\u{FEFF}');
    let expected = "name,n,nested/a,nested/b/0,nested/b/1,extra\n\
                    plain,1,1,1,2,\n\
                    \"comma, \"\"quote\"\"\",,,,,\"x\ny\"\n\
                    ,,,,,\n";
    assert_eq!(text, expected);
    assert_eq!(num_header(&resp, "x-apify-pagination-count"), 3);

    let resp = api.get(&url("&bom=0")).expect(200);
    assert!(resp.body.starts_with(b"name,"));
    let resp = api.get(&url("&bom=false&skipHeaderRow=1")).expect(200);
    assert!(resp.text().starts_with("plain,1,"));
    let resp = api.get(&url("&bom=0&delimiter=%3B&limit=1")).expect(200);
    assert_eq!(
        resp.text(),
        "name;n;nested/a;nested/b/0;nested/b/1\nplain;1;1;1;2\n"
    );
    let resp = api
        .get(&url("&bom=0&delimiter=%09&fields=n,name&limit=2"))
        .expect(200);
    assert_eq!(
        resp.text(),
        "n\tname\n1\tplain\n\t\"comma, \"\"quote\"\"\"\n"
    );
    // With fields, the columns follow the order given, whichever item has them first.
    let resp = api
        .get(&url("&bom=0&fields=extra,nested,name&limit=2"))
        .expect(200);
    assert_eq!(
        resp.text(),
        "extra,nested/a,nested/b/0,nested/b/1,name\n,1,1,2,plain\n\"x\ny\",,,,\"comma, \"\"quote\"\"\"\n"
    );
    let html = api
        .get(&format!(
            "/v2/datasets/{id}/items?format=html&fields=extra,name&limit=2"
        ))
        .expect(200)
        .text();
    assert!(
        html.contains("<tr><th>extra</th><th>name</th></tr>"),
        "{html}"
    );
    // clean drops the empty item (its row of empty cells).
    let resp = api.get(&url("&bom=0&clean=1")).expect(200);
    assert_eq!(resp.text(), expected.trim_end_matches(",,,,,\n"));
    // A delimiter is one character; an empty one is the default comma.
    let resp = api.get(&url("&delimiter=%3B%3B")).expect(400);
    assert_eq!(resp.error_type(), "invalid-parameter");
    let resp = api.get(&url("&bom=0&delimiter=&limit=1")).expect(200);
    assert!(resp.text().starts_with("name,n,"));
}

#[test]
fn items_jsonl_html_xml_and_rss() {
    let api = Api::start();
    let id = new_dataset(&api, None);
    push(
        &api,
        &id,
        &json!([
            {"title": "a <b> & c", "n": 1},
            {"title": "second", "list": [1, 2], "o": {"k": "v"}}
        ]),
    );
    let get = |q: &str| api.get(&format!("/v2/datasets/{id}/items?{q}")).expect(200);
    let get_jsonl = |q: &str| raw_get(&api, &format!("/v2/datasets/{id}/items?{q}")).expect(200);

    let resp = get_jsonl("format=jsonl");
    assert!(resp
        .header("content-type")
        .unwrap()
        .starts_with("application/jsonl"));
    assert_eq!(
        resp.text(),
        "{\"title\":\"a <b> & c\",\"n\":1}\n{\"title\":\"second\",\"list\":[1,2],\"o\":{\"k\":\"v\"}}\n"
    );
    assert!(!resp.body.starts_with(b"\xEF\xBB\xBF"));
    let resp = get_jsonl("format=jsonl&bom=1&limit=1");
    assert_eq!(
        resp.body,
        b"\xEF\xBB\xBF{\"title\":\"a <b> & c\",\"n\":1}\n"
    );
    let resp = get_jsonl("format=jsonl&offset=5");
    assert_eq!(resp.text(), "");

    let html = get("format=html");
    assert!(html
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let text = html.text();
    assert!(text.contains("<table>"), "{text}");
    assert!(text.contains("<th>title</th>"));
    assert!(text.contains("<td>a &lt;b&gt; &amp; c</td>"), "{text}");
    assert!(!text.contains("<b>"));

    let xml = get("format=xml");
    assert!(xml
        .header("content-type")
        .unwrap()
        .starts_with("application/xml"));
    let text = xml.text();
    assert!(text.starts_with("<?xml"));
    assert!(text.contains("<items>") && text.trim_end().ends_with("</items>"));
    assert_eq!(text.matches("<item>").count(), 2);
    assert!(
        text.contains("<title>a &lt;b&gt; &amp; c</title>"),
        "{text}"
    );
    assert!(text.contains("<o><k>v</k></o>"), "{text}");

    let xml = get("format=xml&xmlRoot=rows&xmlRow=row&limit=1").text();
    assert!(xml.contains("<rows>") && xml.contains("</rows>"), "{xml}");
    assert!(xml.contains("<row><title>a &lt;b&gt; &amp; c</title><n>1</n></row>"));
    assert!(!xml.contains("<item>"));

    let rss = get("format=rss");
    assert!(rss
        .header("content-type")
        .unwrap()
        .starts_with("application/rss+xml"));
    let text = rss.text();
    assert!(
        text.contains("<rss") && text.contains("<channel>"),
        "{text}"
    );
    assert_eq!(text.matches("<item>").count(), 2);
    assert!(text.contains("<title>second</title>"));

    // Format names are case-insensitive; attachment sets Content-Disposition.
    let resp = get("format=CSV&attachment=1");
    assert!(resp
        .header("content-disposition")
        .is_some_and(|d| d.contains("attachment") && d.contains(".csv")));
}

#[test]
fn items_refuse_unknown_formats_and_invalid_values() {
    let api = Api::start();
    let id = numbered(&api, 3);
    for q in [
        "format=pdf",
        "format=xlsx2",
        "limit=abc",
        "limit=-1",
        "limit=1.5",
        "offset=x",
        "offset=-3",
        "desc=yes",
        "clean=2",
        "skipEmpty=maybe",
        "skipHidden=%20",
        "bom=nope",
        "skipHeaderRow=3",
    ] {
        let resp = api.get(&format!("/v2/datasets/{id}/items?{q}"));
        assert_eq!(resp.status, 400, "{q}: {}", resp.text());
        assert_eq!(resp.error_type(), "invalid-parameter", "{q}");
    }
    // Empty values stand for absent parameters.
    let (list, _) = items(
        &api,
        &id,
        "format=&limit=&offset=&desc=&fields=&omit=&unwind=&flatten=&clean=&delimiter=",
    );
    assert_eq!(
        list,
        vec![json!({"i": 0}), json!({"i": 1}), json!({"i": 2})]
    );
    // Unknown parameters are ignored.
    assert_eq!(items(&api, &id, "whatever=1").0.len(), 3);
}

/// One item of the scale test.
#[derive(Deserialize)]
struct Numbered {
    i: u64,
}

#[test]
fn a_million_items_push_and_read_in_pages_of_any_size() {
    const N: usize = 1_000_000;
    const CHUNK: usize = 250_000;
    let api = Api::start();
    let id = new_dataset(&api, Some("million"));

    let push_started = Instant::now();
    for start in (0..N).step_by(CHUNK) {
        let mut body = String::with_capacity(CHUNK * 16);
        body.push('[');
        for i in start..start + CHUNK {
            if i > start {
                body.push(',');
            }
            body.push_str(&format!("{{\"i\":{i}}}"));
        }
        body.push(']');
        assert!(body.len() < LIMIT);
        push_raw(&api, &id, body.as_bytes()).expect(201);
    }
    let push_time = push_started.elapsed();
    assert_eq!(item_count(&api, &id), N as u64);

    // The items of a page, checked to be consecutive indexes from `first`, ascending or not.
    let (reads, items_read) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let read = |query: &str, first: u64, len: usize, desc: bool| -> Resp {
        reads.set(reads.get() + 1);
        items_read.set(items_read.get() + len);
        let resp = api
            .get(&format!("/v2/datasets/{id}/items?{query}"))
            .expect(200);
        let page: Vec<Numbered> = serde_json::from_slice(&resp.body).unwrap();
        assert_eq!(page.len(), len, "{query}");
        for (k, item) in page.iter().enumerate() {
            let want = if desc {
                first - k as u64
            } else {
                first + k as u64
            };
            assert_eq!(item.i, want, "{query}: item {k}");
        }
        assert_eq!(num_header(&resp, "x-apify-pagination-count"), len as u64);
        assert_eq!(num_header(&resp, "x-apify-pagination-total"), N as u64);
        resp
    };

    let read_started = Instant::now();
    // Pages of 1.
    read("limit=1", 0, 1, false);
    read("offset=500000&limit=1", 500_000, 1, false);
    read("offset=999999&limit=1", 999_999, 1, false);
    read("desc=1&limit=1", 999_999, 1, true);
    read("offset=1000000&limit=1", 0, 0, false);
    // Pages of 1,000.
    read("limit=1000", 0, 1000, false);
    read("offset=123456&limit=1000", 123_456, 1000, false);
    read("offset=999500&limit=1000", 999_500, 500, false);
    read("desc=1&offset=1000&limit=1000", 998_999, 1000, true);
    // Pages of 250,000: the whole dataset in four pages, then an empty one.
    for page in 0..4u64 {
        read(
            &format!("offset={}&limit=250000", page * 250_000),
            page * 250_000,
            250_000,
            false,
        );
    }
    read("offset=1000000&limit=250000", 0, 0, false);
    // All at once (the time includes the test client's schema check of the body).
    let all_started = Instant::now();
    read("", 0, N, false);
    let all_time = all_started.elapsed();
    read("desc=1", N as u64 - 1, N, true);
    // The tail as JSONL: one line per item.
    let jsonl = raw_get(
        &api,
        "/v2/datasets/million/items?format=jsonl&offset=999998",
    )
    .expect(200)
    .text();
    assert_eq!(jsonl, "{\"i\":999998}\n{\"i\":999999}\n");
    let read_time = read_started.elapsed();
    eprintln!(
        "1,000,000 items: pushed in {:.2?} ({} requests of {CHUNK}); read in {:.2?} \
         ({} JSON reads, {} items in all; one read of everything: {:.2?})",
        push_time,
        N / CHUNK,
        read_time,
        reads.get(),
        items_read.get(),
        all_time
    );
}

// ---------------------------------------------------------------- key-value stores

#[test]
fn store_create_get_rename_delete() {
    let api = Api::start();
    let resp = api.post_empty("/v2/key-value-stores").expect(201);
    let unnamed = resp.data();
    let uid = unnamed["id"].as_str().unwrap().to_string();
    assert!(is_platform_id(&uid));
    assert!(unnamed["name"].is_null());
    assert!(resp
        .header("location")
        .is_some_and(|l| l.ends_with(&format!("/v2/key-value-stores/{uid}"))));
    assert!(is_iso_millis(unnamed["createdAt"].as_str().unwrap()));

    let first = api
        .post_empty("/v2/key-value-stores?name=my-store")
        .expect(201)
        .data();
    let id = first["id"].as_str().unwrap().to_string();
    assert_eq!(first["name"], "my-store");
    api.request(
        "PUT",
        &format!("/v2/key-value-stores/{id}/records/k"),
        &[("Content-Type", "text/plain")],
        Some(b"v"),
    )
    .expect(201);
    let again = api
        .post_empty("/v2/key-value-stores?name=my-store")
        .expect(200)
        .data();
    assert_eq!(again["id"], id.as_str());
    for by in ["my-store", "emulator~my-store", id.as_str(), uid.as_str()] {
        api.get(&format!("/v2/key-value-stores/{by}")).expect(200);
    }
    assert_eq!(
        api.get("/v2/key-value-stores/my-store/records/k")
            .expect(200)
            .text(),
        "v"
    );
    let resp = api
        .post_empty(&format!("/v2/key-value-stores?name={}", enc("bad name")))
        .expect(400);
    assert_eq!(resp.error_type(), "invalid-value");

    // Rename, title, clash.
    let other = new_store(&api, Some("other-store"));
    let s = api
        .put_json(
            "/v2/key-value-stores/my-store",
            &json!({"name": "renamed-store", "title": "Renamed"}),
        )
        .expect(200)
        .data();
    assert_eq!(s["name"], "renamed-store");
    assert_eq!(s["title"], "Renamed");
    api.get("/v2/key-value-stores/my-store").expect(404);
    assert_eq!(
        api.get("/v2/key-value-stores/renamed-store")
            .expect(200)
            .data()["id"],
        id.as_str()
    );
    let resp = api
        .put_json(
            &format!("/v2/key-value-stores/{id}"),
            &json!({"name": "other-store"}),
        )
        .expect(400);
    assert_eq!(resp.error_type(), "invalid-value");
    api.put_json(
        &format!("/v2/key-value-stores/{id}"),
        &json!({"name": "-bad"}),
    )
    .expect(400);
    api.put_json(&format!("/v2/key-value-stores/{id}"), &json!("str"))
        .expect(400);
    api.put_json(
        &format!("/v2/key-value-stores/{id}"),
        &json!({"title": ["list"]}),
    )
    .expect(400);
    let s = api
        .put_json(
            &format!("/v2/key-value-stores/{id}"),
            &json!({"title": null}),
        )
        .expect(200)
        .data();
    assert!(s["title"].is_null());
    assert_eq!(s["name"], "renamed-store");

    // Delete: the store and its records are gone; others stay.
    api.delete(&format!("/v2/key-value-stores/{id}"))
        .expect(204);
    for path in [
        format!("/v2/key-value-stores/{id}"),
        format!("/v2/key-value-stores/{id}/keys"),
        format!("/v2/key-value-stores/{id}/records/k"),
        "/v2/key-value-stores/renamed-store".to_string(),
    ] {
        assert_eq!(api.get(&path).expect(404).error_type(), "record-not-found");
    }
    api.delete(&format!("/v2/key-value-stores/{id}"))
        .expect(404);
    api.get(&format!("/v2/key-value-stores/{other}"))
        .expect(200);
    let reborn = api
        .post_empty("/v2/key-value-stores?name=renamed-store")
        .expect(201)
        .data();
    assert_ne!(reborn["id"], id.as_str());
}

#[test]
fn store_list_named_unnamed_and_pages() {
    let api = Api::start();
    let a = new_store(&api, Some("store-a"));
    apart();
    let u = new_store(&api, None);
    apart();
    let b = new_store(&api, Some("store-b"));
    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect()
    };
    let list = api.get("/v2/key-value-stores").expect(200).data();
    assert_eq!(ids(&list), vec![a.clone(), b.clone()]);
    assert_eq!(list["total"], 2);
    let all = api
        .get("/v2/key-value-stores?unnamed=true")
        .expect(200)
        .data();
    assert_eq!(ids(&all), vec![a.clone(), u, b.clone()]);
    let page = api
        .get("/v2/key-value-stores?desc=1&limit=1")
        .expect(200)
        .data();
    assert_eq!(ids(&page), vec![b]);
    let page = api
        .get("/v2/key-value-stores?offset=1&limit=1&desc=true")
        .expect(200)
        .data();
    assert_eq!(ids(&page), vec![a]);
    assert_eq!(
        api.get("/v2/key-value-stores?offset=abc")
            .expect(400)
            .error_type(),
        "invalid-parameter"
    );
}

#[test]
fn store_unknown_ids_of_any_shape_are_404() {
    let api = Api::start();
    new_store(&api, Some("real-store"));
    assert_unknown_ids_are_404(
        &api,
        "/v2/key-value-stores",
        &[
            ("GET", ""),
            ("PUT", ""),
            ("DELETE", ""),
            ("GET", "/keys"),
            ("GET", "/records/key"),
            ("PUT", "/records/key"),
            ("POST", "/records/key"),
            ("DELETE", "/records/key"),
            ("HEAD", "/records/key"),
        ],
    );
    assert_eq!(
        api.get("/v2/key-value-stores").expect(200).data()["total"],
        1
    );
}

/// Puts a record and expects 201.
fn put_record(api: &Api, store: &str, key: &str, content_type: &str, body: &[u8]) {
    let resp = api
        .request(
            "PUT",
            &format!("/v2/key-value-stores/{store}/records/{}", enc(key)),
            &[("Content-Type", content_type)],
            Some(body),
        )
        .expect(201);
    assert!(resp
        .header("location")
        .is_some_and(|l| l.contains("/records/")));
}

/// The keys of one `GET keys` page, and the page.
fn keys_page(api: &Api, store: &str, query: &str) -> (Vec<String>, Value) {
    let page = api
        .get(&format!("/v2/key-value-stores/{store}/keys?{query}"))
        .expect(200)
        .data();
    let keys = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap().to_string())
        .collect();
    (keys, page)
}

#[test]
fn keys_limit_prefix_exclusive_start_and_byte_order() {
    let api = Api::start();
    let s = new_store(&api, None);
    let (keys, page) = keys_page(&api, &s, "");
    assert!(keys.is_empty());
    assert_eq!(page["isTruncated"], false);
    assert!(page["nextExclusiveStartKey"].is_null());

    let all = [
        "b", "a", "B", "A", "_x", "0", "9", "(p)", "!bang", "'q", "-dash", ".dot", "a-1", "a-2",
        "a-10", "ab", "aa", "Z",
    ];
    for (n, k) in all.iter().enumerate() {
        put_record(&api, &s, k, "text/plain", "v".repeat(n + 1).as_bytes());
    }
    let mut sorted: Vec<String> = all.iter().map(|k| k.to_string()).collect();
    sorted.sort(); // byte order
    let (keys, page) = keys_page(&api, &s, "");
    assert_eq!(keys, sorted);
    assert_eq!(page["count"], all.len());
    assert_eq!(page["limit"], 1000);
    assert_eq!(page["isTruncated"], false);
    assert!(page["nextExclusiveStartKey"].is_null());
    // Sizes are the record sizes in bytes.
    for item in page["items"].as_array().unwrap() {
        let key = item["key"].as_str().unwrap();
        let n = all.iter().position(|k| *k == key).unwrap();
        assert_eq!(item["size"], n + 1, "{key}");
        assert!(item["recordPublicUrl"]
            .as_str()
            .unwrap()
            .contains(&format!("/records/{}", enc(key))));
    }

    // Pages of 5; a page that ends exactly at the end says so.
    let (keys, page) = keys_page(&api, &s, "limit=5");
    assert_eq!(keys, sorted[..5]);
    assert_eq!(page["isTruncated"], true);
    assert_eq!(page["nextExclusiveStartKey"], sorted[4].as_str());
    assert_eq!(page["limit"], 5);
    let (keys, page) = keys_page(
        &api,
        &s,
        &format!("limit=3&exclusiveStartKey={}", enc(&sorted[14])),
    );
    assert_eq!(keys, sorted[15..18]);
    assert_eq!(page["isTruncated"], false);
    assert!(page["nextExclusiveStartKey"].is_null());
    assert_eq!(page["exclusiveStartKey"], sorted[14].as_str());
    // A start key that is not stored starts after where it would be.
    let (keys, _) = keys_page(&api, &s, "exclusiveStartKey=aaa&limit=2");
    assert_eq!(keys, vec!["ab", "b"]);
    let (keys, page) = keys_page(&api, &s, "exclusiveStartKey=zzz");
    assert!(keys.is_empty());
    assert!(page["nextExclusiveStartKey"].is_null());

    // Prefix, alone and with a start key before, inside and after its range.
    let (keys, _) = keys_page(&api, &s, "prefix=a-");
    assert_eq!(keys, vec!["a-1", "a-10", "a-2"]);
    let (keys, page) = keys_page(&api, &s, "prefix=a-&limit=2");
    assert_eq!(keys, vec!["a-1", "a-10"]);
    assert_eq!(page["nextExclusiveStartKey"], "a-10");
    let (keys, page) = keys_page(&api, &s, "prefix=a-&limit=2&exclusiveStartKey=a-10");
    assert_eq!(keys, vec!["a-2"]);
    assert!(page["nextExclusiveStartKey"].is_null());
    let (keys, _) = keys_page(&api, &s, "prefix=a-&exclusiveStartKey=0");
    assert_eq!(keys, vec!["a-1", "a-10", "a-2"]);
    let (keys, _) = keys_page(&api, &s, "prefix=a-&exclusiveStartKey=b");
    assert!(keys.is_empty());
    let (keys, _) = keys_page(&api, &s, "prefix=a");
    assert_eq!(keys, vec!["a", "a-1", "a-10", "a-2", "aa", "ab"]);
    let (keys, _) = keys_page(&api, &s, "prefix=nothing");
    assert!(keys.is_empty());
    let (keys, _) = keys_page(&api, &s, &format!("prefix={}", enc("(")));
    assert_eq!(keys, vec!["(p)"]);

    // Limits: 1 and 1000 are fine, above 1000 is capped, 0 and garbage are refused.
    let (keys, page) = keys_page(&api, &s, "limit=1");
    assert_eq!(keys, vec![sorted[0].clone()]);
    assert_eq!(page["isTruncated"], true);
    let (_, page) = keys_page(&api, &s, "limit=1000");
    assert_eq!(page["limit"], 1000);
    let (keys, page) = keys_page(&api, &s, "limit=5000");
    assert_eq!(page["limit"], 1000);
    assert_eq!(keys.len(), all.len());
    for bad in ["limit=0", "limit=-1", "limit=abc"] {
        let resp = api
            .get(&format!("/v2/key-value-stores/{s}/keys?{bad}"))
            .expect(400);
        assert_eq!(resp.error_type(), "invalid-parameter", "{bad}");
    }
}

#[test]
fn keys_paging_through_2500_keys_sees_each_once() {
    let api = Api::start();
    let s = new_store(&api, Some("many-keys"));
    let mut expected = Vec::new();
    for i in 0..2500 {
        // Mixed case and widths, so that byte order is not insertion order.
        let key = if i % 2 == 0 {
            format!("key-{i}")
        } else {
            format!("K{:05}", 2500 - i)
        };
        put_record(
            &api,
            &s,
            &key,
            "application/json",
            format!("{i}").as_bytes(),
        );
        expected.push(key);
    }
    expected.sort();

    for limit in [1000, 999, 333] {
        let mut seen = Vec::new();
        let mut start: Option<String> = None;
        let mut pages = 0;
        loop {
            let q = match &start {
                Some(k) => format!("limit={limit}&exclusiveStartKey={}", enc(k)),
                None => format!("limit={limit}"),
            };
            let (keys, page) = keys_page(&api, "many-keys", &q);
            pages += 1;
            assert!(keys.len() <= limit);
            assert_eq!(page["count"], keys.len());
            seen.extend(keys);
            match page["nextExclusiveStartKey"].as_str() {
                Some(next) => {
                    assert_eq!(page["isTruncated"], true);
                    assert_eq!(Some(next), seen.last().map(String::as_str));
                    start = Some(next.to_string());
                }
                None => {
                    assert_eq!(page["isTruncated"], false);
                    break;
                }
            }
            assert!(pages < 100, "listing does not end");
        }
        assert_eq!(seen, expected, "limit {limit}");
        assert_eq!(pages, 2500usize.div_ceil(limit));
    }
    // Without a limit, a page holds 1000 keys.
    let (keys, page) = keys_page(&api, &s, "");
    assert_eq!(keys.len(), 1000);
    assert_eq!(page["isTruncated"], true);
}

#[test]
fn records_keep_content_type_and_bytes_exactly() {
    let api = Api::start();
    let s = new_store(&api, None);
    let binary: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let png_like: Vec<u8> = [
        &b"\x89PNG\r\n\x1a\n"[..],
        &[0, 0, 0, 13],
        b"IHDR",
        &[0xff; 64],
    ]
    .concat();
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("binary", "application/octet-stream", binary),
        (
            "text",
            "text/plain; charset=utf-8",
            "héllo\r\nwörld 🐎\n".as_bytes().to_vec(),
        ),
        (
            "json",
            "application/json; charset=utf-8",
            br#"{"z": 1,  "a": [1, 2.50]}"#.to_vec(),
        ),
        ("image.png", "image/png", png_like),
        ("html", "text/html", b"<p>x</p>".to_vec()),
        ("empty", "text/plain", Vec::new()),
        (
            "odd-type",
            "application/x-custom+thing; v=2",
            b"\x00\x01".to_vec(),
        ),
    ];
    for (key, ct, bytes) in &cases {
        put_record(&api, &s, key, ct, bytes);
    }
    for (key, ct, bytes) in &cases {
        let resp = api
            .get(&format!("/v2/key-value-stores/{s}/records/{key}"))
            .expect(200);
        assert_eq!(resp.header("content-type"), Some(*ct), "{key}");
        assert_eq!(&resp.body, bytes, "{key}");
        assert!(resp.header("content-encoding").is_none());

        let head = api.request(
            "HEAD",
            &format!("/v2/key-value-stores/{s}/records/{key}"),
            &[],
            None,
        );
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty());
        assert_eq!(head.header("content-type"), Some(*ct));
        assert_eq!(
            head.header("content-length")
                .map(|l| l.parse::<usize>().unwrap()),
            Some(bytes.len()),
            "{key}"
        );
    }

    // POST stores like PUT; a second write replaces bytes and type.
    let resp = api
        .request(
            "POST",
            &format!("/v2/key-value-stores/{s}/records/posted"),
            &[("Content-Type", "text/csv")],
            Some(b"a,b\n1,2\n"),
        )
        .expect(201);
    assert!(resp.header("location").is_some());
    put_record(&api, &s, "json", "text/plain", b"now text");
    let resp = api
        .get(&format!("/v2/key-value-stores/{s}/records/json"))
        .expect(200);
    assert_eq!(resp.header("content-type"), Some("text/plain"));
    assert_eq!(resp.text(), "now text");
    let resp = api
        .get(&format!("/v2/key-value-stores/{s}/records/posted"))
        .expect(200);
    assert_eq!(resp.header("content-type"), Some("text/csv"));
    assert_eq!(resp.text(), "a,b\n1,2\n");

    // A JSON array record (spec defect `json-record-any-value` in tests/common/openapi.rs).
    put_record(&api, &s, "array", "application/json", b"[1,2,3]");
    assert_eq!(
        api.get(&format!("/v2/key-value-stores/{s}/records/array"))
            .expect(200)
            .text(),
        "[1,2,3]"
    );

    // attachment=1 adds Content-Disposition.
    let resp = api
        .get(&format!(
            "/v2/key-value-stores/{s}/records/text?attachment=true"
        ))
        .expect(200);
    assert!(resp
        .header("content-disposition")
        .is_some_and(|d| d.contains("attachment")));

    // Delete: 204, then 404 for every method; other records stay.
    api.delete(&format!("/v2/key-value-stores/{s}/records/binary"))
        .expect(204);
    let resp = api
        .get(&format!("/v2/key-value-stores/{s}/records/binary"))
        .expect(404);
    assert_eq!(resp.error_type(), "record-not-found");
    let head = api.request(
        "HEAD",
        &format!("/v2/key-value-stores/{s}/records/binary"),
        &[],
        None,
    );
    assert_eq!(head.status, 404);
    assert_eq!(
        api.delete(&format!("/v2/key-value-stores/{s}/records/binary"))
            .expect(404)
            .error_type(),
        "record-not-found"
    );
    assert_eq!(
        api.get(&format!("/v2/key-value-stores/{s}/records/never-stored"))
            .expect(404)
            .error_type(),
        "record-not-found"
    );
    let (keys, _) = keys_page(&api, &s, "");
    assert_eq!(
        keys,
        vec![
            "array",
            "empty",
            "html",
            "image.png",
            "json",
            "odd-type",
            "posted",
            "text"
        ]
    );
}

#[test]
fn record_without_content_type_is_octet_stream() {
    let api = Api::start();
    let s = new_store(&api, None);
    api.request(
        "PUT",
        &format!("/v2/key-value-stores/{s}/records/untyped"),
        &[],
        Some(b"\x00raw"),
    )
    .expect(201);
    let resp = api
        .get(&format!("/v2/key-value-stores/{s}/records/untyped"))
        .expect(200);
    assert_eq!(
        resp.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(resp.body, b"\x00raw");
}

#[test]
fn records_with_content_encoding_are_stored_decoded() {
    let api = Api::start();
    let s = new_store(&api, None);
    let text = "compressed text, ".repeat(1000);
    for (key, encoding, body) in [
        ("gz", "gzip", gzip(text.as_bytes())),
        ("zl", "deflate", zlib(text.as_bytes())),
        ("br", "br", brotli(text.as_bytes())),
    ] {
        assert!(body.len() < text.len());
        api.request(
            "PUT",
            &format!("/v2/key-value-stores/{s}/records/{key}"),
            &[
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Encoding", encoding),
            ],
            Some(&body),
        )
        .expect(201);
        let resp = api
            .get(&format!("/v2/key-value-stores/{s}/records/{key}"))
            .expect(200);
        assert_eq!(resp.text(), text, "{key}");
        assert!(resp.header("content-encoding").is_none());
        assert_eq!(
            resp.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
    let (_, page) = keys_page(&api, &s, "");
    for item in page["items"].as_array().unwrap() {
        assert_eq!(item["size"], text.len());
    }
    // Binary data through gzip too.
    let bytes: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 256) as u8).collect();
    api.request(
        "PUT",
        &format!("/v2/key-value-stores/{s}/records/bin"),
        &[
            ("Content-Type", "application/octet-stream"),
            ("Content-Encoding", "gzip"),
        ],
        Some(&gzip(&bytes)),
    )
    .expect(201);
    assert_eq!(
        api.get(&format!("/v2/key-value-stores/{s}/records/bin"))
            .expect(200)
            .body,
        bytes
    );
    // Broken and unknown encodings are refused and store nothing.
    api.request(
        "PUT",
        &format!("/v2/key-value-stores/{s}/records/broken"),
        &[("Content-Type", "text/plain"), ("Content-Encoding", "gzip")],
        Some(b"not gzip"),
    )
    .expect(400);
    let resp = api
        .request(
            "PUT",
            &format!("/v2/key-value-stores/{s}/records/broken"),
            &[("Content-Type", "text/plain"), ("Content-Encoding", "zstd")],
            Some(b"x"),
        )
        .expect(415);
    assert_eq!(resp.error_type(), "unsupported-content-encoding");
    api.get(&format!("/v2/key-value-stores/{s}/records/broken"))
        .expect(404);
}

#[test]
fn invalid_record_keys_are_refused() {
    let api = Api::start();
    let s = new_store(&api, None);
    // The longest and the widest valid keys.
    let longest = "k".repeat(256);
    put_record(&api, &s, &longest, "text/plain", b"long");
    let widest = "azAZ09!-_.'()";
    put_record(&api, &s, widest, "text/plain", b"wide");
    assert_eq!(
        api.get(&format!("/v2/key-value-stores/{s}/records/{}", enc(widest)))
            .expect(200)
            .text(),
        "wide"
    );
    assert_eq!(
        api.get(&format!("/v2/key-value-stores/{s}/records/{longest}"))
            .expect(200)
            .text(),
        "long"
    );

    let too_long = "k".repeat(257);
    let bad_keys = [
        too_long.as_str(),
        "a/b",
        "a b",
        "a?b",
        "a#b",
        "a%b",
        "a~b",
        "a*b",
        "a\"b",
        "ä",
        "a\tb",
        "a+b",
        "a,b",
    ];
    for key in bad_keys {
        let path = format!("/v2/key-value-stores/{s}/records/{}", enc(key));
        for method in ["GET", "PUT", "POST", "DELETE"] {
            let resp = api.request(method, &path, &[("Content-Type", "text/plain")], Some(b"x"));
            assert_eq!(resp.status, 400, "{method} {key:?}: {}", resp.text());
            assert_eq!(resp.error_type(), "invalid-record-key", "{method} {key:?}");
        }
        let head = api.request("HEAD", &path, &[], None);
        assert_eq!(head.status, 400, "HEAD {key:?}");
    }
    // Only the two valid records exist.
    let (keys, _) = keys_page(&api, &s, "");
    let mut want = vec![longest.clone(), widest.to_string()];
    want.sort();
    assert_eq!(keys, want);
}

#[test]
fn oversized_record_is_413_and_nothing_is_lost() {
    let api = Api::start();
    let s = new_store(&api, None);
    put_record(&api, &s, "kept", "text/plain", b"original");

    // At the limit: fine.
    let at_limit = vec![b'a'; LIMIT];
    put_record(&api, &s, "at-limit", "application/octet-stream", &at_limit);
    assert_eq!(
        api.get(&format!("/v2/key-value-stores/{s}/records/at-limit"))
            .expect(200)
            .body
            .len(),
        LIMIT
    );

    // Over the limit: 413, and the record keeps its old value.
    let over = vec![b'b'; LIMIT + 1];
    for method in ["PUT", "POST"] {
        let resp = api
            .request(
                method,
                &format!("/v2/key-value-stores/{s}/records/kept"),
                &[("Content-Type", "text/plain")],
                Some(&over),
            )
            .expect(413);
        assert_eq!(resp.error_type(), "request-too-large");
    }
    let bomb = gzip(&vec![b'c'; LIMIT + 1]);
    let resp = api
        .request(
            "PUT",
            &format!("/v2/key-value-stores/{s}/records/kept"),
            &[("Content-Type", "text/plain"), ("Content-Encoding", "gzip")],
            Some(&bomb),
        )
        .expect(413);
    assert_eq!(resp.error_type(), "request-too-large");
    assert_eq!(
        api.get(&format!("/v2/key-value-stores/{s}/records/kept"))
            .expect(200)
            .text(),
        "original"
    );
    let (keys, _) = keys_page(&api, &s, "");
    assert_eq!(keys, vec!["at-limit", "kept"]);
}

#[test]
fn wrong_methods_on_storage_paths_answer_405() {
    let api = Api::start();
    let ds = new_dataset(&api, None);
    let s = new_store(&api, None);
    // A method the path does not have.
    let resp = api.request("PATCH", &format!("/v2/datasets/{ds}/items"), &[], None);
    assert_eq!(resp.status, 405, "{}", resp.text());
    assert_eq!(resp.error_type(), "method-not-allowed");
    let resp = api.request("POST", &format!("/v2/key-value-stores/{s}/keys"), &[], None);
    assert_eq!(resp.status, 405, "{}", resp.text());
    // The storages are unharmed.
    api.get(&format!("/v2/datasets/{ds}")).expect(200);
    api.get(&format!("/v2/key-value-stores/{s}")).expect(200);
}
