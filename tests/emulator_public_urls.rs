//! Signed public URLs and `generalAccess` of datasets and key-value stores, the store's records
//! archive and dataset statistics, over real HTTP on 127.0.0.1.
#![cfg(feature = "emulator")]

mod common;

use common::Api;
use serde_json::{json, Value};

fn new_storage(api: &Api, collection: &str, name: &str) -> Value {
    api.post_empty(&format!("/v2/{collection}?name={name}"))
        .expect(201)
        .data()
}

/// Path and query of an absolute URL the emulator gave out.
fn local(api: &Api, url: &str) -> String {
    url.strip_prefix(&api.base)
        .expect("a URL of this emulator")
        .to_string()
}

#[test]
fn signed_urls_open_items_keys_and_records_without_a_token() {
    let api = Api::start();
    let anonymous = api.with_token(None);
    let ds = new_storage(&api, "datasets", "signed-ds");
    let ds_id = ds["id"].as_str().unwrap();
    assert!(ds["urlSigningSecretKey"].is_string());
    api.post_json(
        &format!("/v2/datasets/{ds_id}/items"),
        &json!([{"a": 1}, {"a": 2}]),
    )
    .expect(201);
    let items_url = local(&api, ds["itemsPublicUrl"].as_str().unwrap());
    assert!(items_url.contains("signature="), "{items_url}");
    let items = anonymous.get(&items_url).expect(200).json();
    assert_eq!(items, json!([{"a": 1}, {"a": 2}]));
    // Without a signature or with a wrong one: refused.
    anonymous
        .get(&format!("/v2/datasets/{ds_id}/items"))
        .expect(401);
    let r = anonymous
        .get(&format!("/v2/datasets/{ds_id}/items?signature=MC4wLmFiYw"))
        .expect(403);
    assert_eq!(r.error_type(), "invalid-signature");
    // The dataset's signature opens its items only, not another dataset's nor writes.
    let other = new_storage(&api, "datasets", "other-ds");
    let sig = items_url.split("signature=").nth(1).unwrap();
    anonymous
        .get(&format!(
            "/v2/datasets/{}/items?signature={sig}",
            other["id"].as_str().unwrap()
        ))
        .expect(403);
    anonymous
        .request(
            "POST",
            &format!("/v2/datasets/{ds_id}/items?signature={sig}"),
            &[("Content-Type", "application/json")],
            Some(b"{}"),
        )
        .expect(401);

    let store = new_storage(&api, "key-value-stores", "signed-kvs");
    let s_id = store["id"].as_str().unwrap();
    api.request(
        "PUT",
        &format!("/v2/key-value-stores/{s_id}/records/greeting"),
        &[("Content-Type", "text/plain")],
        Some(b"hello"),
    )
    .expect(201);
    // The keys listing gives each record's signed URL.
    let keys = api
        .get(&format!("/v2/key-value-stores/{s_id}/keys"))
        .expect(200)
        .data();
    let record_url = local(&api, keys["items"][0]["recordPublicUrl"].as_str().unwrap());
    assert_eq!(anonymous.get(&record_url).expect(200).text(), "hello");
    let r = anonymous
        .get(&format!(
            "/v2/key-value-stores/{s_id}/records/greeting?signature=abc"
        ))
        .expect(403);
    assert_eq!(r.error_type(), "invalid-signature");
    let keys_url = local(&api, store["keysPublicUrl"].as_str().unwrap());
    let listed = anonymous.get(&keys_url).expect(200).data();
    assert_eq!(listed["items"][0]["key"], "greeting");
    // The records archive: one file per record, readable with the signed URL too.
    let records_url = local(&api, store["recordsPublicUrl"].as_str().unwrap());
    let zip = anonymous.get(&records_url).expect(200);
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    assert_eq!(&zip.body[..4], b"PK\x03\x04");
    assert!(zip.body.windows(8).any(|w| w == b"greeting"));
    assert!(zip.body.windows(5).any(|w| w == b"hello"));
}

#[test]
fn general_access_opens_reads_by_id_or_name_as_set() {
    let api = Api::start();
    let anonymous = api.with_token(None);
    let store = new_storage(&api, "key-value-stores", "shared");
    let id = store["id"].as_str().unwrap();
    api.request(
        "PUT",
        &format!("/v2/key-value-stores/{id}/records/r"),
        &[("Content-Type", "text/plain")],
        Some(b"x"),
    )
    .expect(201);
    let record = format!("/v2/key-value-stores/{id}/records/r");
    let by_name = "/v2/key-value-stores/emulator~shared/records/r";
    anonymous.get(&record).expect(401);
    api.put_json(
        &format!("/v2/key-value-stores/{id}"),
        &json!({"generalAccess": "ANYONE_WITH_ID_CAN_READ"}),
    )
    .expect(200);
    anonymous.get(&record).expect(200);
    anonymous.get(by_name).expect(401);
    // An anonymous reader never sees the signing secret.
    let seen = anonymous
        .get(&format!("/v2/key-value-stores/{id}"))
        .expect(200)
        .data();
    assert_eq!(seen["id"], id);
    assert!(seen.get("urlSigningSecretKey").is_none(), "{seen}");
    api.put_json(
        &format!("/v2/key-value-stores/{id}"),
        &json!({"generalAccess": "ANYONE_WITH_NAME_CAN_READ"}),
    )
    .expect(200);
    anonymous.get(by_name).expect(200);
    // Writes still need a token.
    anonymous
        .request(
            "PUT",
            &record,
            &[("Content-Type", "text/plain")],
            Some(b"y"),
        )
        .expect(401);
    api.put_json(
        &format!("/v2/key-value-stores/{id}"),
        &json!({"generalAccess": "RESTRICTED"}),
    )
    .expect(200);
    anonymous.get(&record).expect(401);
    // A wrong token is refused whatever the access.
    api.with_token(Some("wrong")).get(&record).expect(401);
}

#[test]
fn dataset_statistics_and_the_collections_of_datasets_and_stores() {
    let api = Api::start();
    let ds = new_storage(&api, "datasets", "stats");
    let id = ds["id"].as_str().unwrap();
    let stats = api
        .get(&format!("/v2/datasets/{id}/statistics"))
        .expect(200)
        .data();
    assert!(stats["fieldStatistics"].is_null());
    // Get-or-create by name, list, rename and delete.
    let same = api.post_empty("/v2/datasets?name=stats").expect(200).data();
    assert_eq!(same["id"], id);
    let renamed = api
        .put_json(
            &format!("/v2/datasets/{id}"),
            &json!({"name": "stats-2", "generalAccess": "RESTRICTED"}),
        )
        .expect(200)
        .data();
    assert_eq!(renamed["name"], "stats-2");
    assert_eq!(renamed["generalAccess"], "RESTRICTED");
    let list = api.get("/v2/datasets?desc=1").expect(200).data();
    assert_eq!(list["items"][0]["name"], "stats-2");
    api.delete(&format!("/v2/datasets/{id}")).expect(204);
    api.get(&format!("/v2/datasets/{id}/statistics"))
        .expect(404);
    // The records archive refuses a collection (emulated stores have no schema).
    let s = new_storage(&api, "key-value-stores", "zipped");
    let r = api
        .get(&format!(
            "/v2/key-value-stores/{}/records?collection=x",
            s["id"].as_str().unwrap()
        ))
        .expect(400);
    assert_eq!(r.error_type(), "invalid-collection");
}
