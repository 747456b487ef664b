//! The coverage table in `docs/COVERAGE.md`: every operation of the spec (the reduced copy,
//! `tests/openapi/apify-openapi.json`), the SDK methods that call it, the dedicated C functions
//! (else `apify_request`), and whether the emulator answers it.
//!
//! The methods and functions are found by their doc markers: a line `/// API: `id`, `id2``
//! in the doc comment of a `pub fn` under `src/` (Rust) or of an `apify_*` function under
//! `src/ffi/` (C). The emulator is probed with one request per operation, placeholder path
//! parameters and an empty JSON body: any answer but 501 means it implements the operation.
//!
//! The test fails when the committed table differs from the generated one (regenerate with
//! `APIFY_REGENERATE_COVERAGE=1 cargo test --all-features --test coverage`), on a marker naming
//! an operationId the spec does not have, on a marker that is not on a public function, and on
//! a C function taking a client that has no marker (so a new one cannot be left out).
#![cfg(feature = "emulator")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::Api;
use serde_json::Value;

const REGENERATE: &str = "APIFY_REGENERATE_COVERAGE=1 cargo test --all-features --test coverage";

/// C functions that take a client but send no request of their own kind: the generic ones
/// (their route is `apify_request` itself) and the destructor.
const C_WITHOUT_OPERATION: &[&str] = &["apify_request", "apify_request_bytes", "apify_client_free"];

/// One operation of the spec.
struct Operation {
    id: String,
    method: String,
    template: String,
    tag: String,
}

/// Where a marker was found: the function's name as the table shows it, and the file:line.
#[derive(Debug, Clone)]
struct Marked {
    function: String,
    at: String,
    ids: Vec<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The spec's operations, in its order.
fn operations() -> Vec<Operation> {
    let path = common::openapi::reduced_copy_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let mut out = Vec::new();
    for (template, item) in doc["paths"].as_object().expect("the spec has paths") {
        for (method, op) in item.as_object().expect("a path item is an object") {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let tag = op["tags"][0].as_str().unwrap_or("(untagged)");
            out.push(Operation {
                id: id.to_string(),
                method: method.to_uppercase(),
                template: template.clone(),
                tag: tag.to_string(),
            });
        }
    }
    out
}

/// Every `.rs` file under `dir`, sorted, skipping the directories named in `skip`.
fn rust_files(dir: &Path, skip: &[&str], out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !skip.contains(&name) {
                rust_files(&path, skip, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// The operationIds of a marker line (`API: `a`, `b``), or why it is malformed.
fn marker_ids(rest: &str) -> Result<Vec<String>, String> {
    let ids: Vec<String> = rest
        .split(',')
        .map(|part| {
            let part = part.trim();
            part.strip_prefix('`')
                .and_then(|p| p.strip_suffix('`'))
                .filter(|id| !id.is_empty() && !id.contains('`') && !id.contains(' '))
                .map(str::to_string)
                .ok_or_else(|| format!("`{part}` is not an operationId in backticks"))
        })
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// The type an `impl` line (at the start of a line) is for: `impl<T> Foo<T> {` and
/// `impl Trait for Foo {` both give `Foo`.
fn impl_type(line: &str) -> Option<String> {
    let rest = line.strip_prefix("impl")?;
    let rest = if rest.starts_with('<') {
        let end = rest.find('>')?;
        &rest[end + 1..]
    } else {
        rest
    };
    let rest = rest.split(" for ").last()?.trim();
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The function a line declares (`pub fn x`, `pub unsafe extern "C" fn x`, ...): its name,
/// and whether it is `pub`.
fn declared_fn(line: &str) -> Option<(String, bool)> {
    let trimmed = line.trim_start();
    let idx = trimmed.find("fn ")?;
    let before = &trimmed[..idx];
    let allowed = ["pub", "pub(crate)", "unsafe", "extern", "\"C\"", "const"];
    if !before.split_whitespace().all(|w| allowed.contains(&w)) {
        return None;
    }
    let name: String = trimmed[idx + 3..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    Some((name, before.split_whitespace().next() == Some("pub")))
}

/// The markers of one file. `c_abi`: the file is under `src/ffi/` (functions named bare, and
/// every `apify_*` function taking a client must carry one). Problems go to `problems`.
fn scan(path: &Path, c_abi: bool, problems: &mut Vec<String>) -> Vec<Marked> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let rel = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut current_impl: Option<String> = None;
    // The markers of the doc comment being read: (line number, ids).
    let mut pending: Vec<(usize, Vec<String>)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if line.starts_with("impl") {
            current_impl = impl_type(line);
        }
        if let Some(rest) = trimmed.strip_prefix("/// API:") {
            match marker_ids(rest) {
                Ok(ids) => pending.push((i + 1, ids)),
                Err(e) => problems.push(format!("{rel}:{}: malformed marker: {e}", i + 1)),
            }
            continue;
        }
        if trimmed.starts_with("///") || trimmed.starts_with("#[") {
            continue;
        }
        let declared = declared_fn(line);
        if let Some((name, _)) = &declared {
            // The signature, for the C check below: up to the opening brace.
            let signature: String = lines[i..]
                .iter()
                .take_while(|l| !l.trim_end().ends_with('{'))
                .chain(lines[i..].iter().find(|l| l.trim_end().ends_with('{')))
                .copied()
                .collect();
            let takes_client =
                signature.contains("apify_client") && !signature.contains("*mut *mut apify_client");
            if c_abi
                && name.starts_with("apify_")
                && takes_client
                && pending.is_empty()
                && !C_WITHOUT_OPERATION.contains(&name.as_str())
            {
                problems.push(format!(
                    "{rel}:{}: {name} takes a client but has no `/// API:` marker naming the operations it calls",
                    i + 1
                ));
            }
        }
        if pending.is_empty() {
            continue;
        }
        let at = format!("{rel}:{}", pending[0].0);
        match declared {
            Some((name, true)) if !c_abi || name.starts_with("apify_") => {
                let function = match (&current_impl, line.starts_with(' ')) {
                    _ if c_abi => name,
                    (Some(ty), true) => format!("{ty}::{name}"),
                    _ => name,
                };
                let ids = pending.drain(..).flat_map(|(_, ids)| ids).collect();
                out.push(Marked { function, at, ids });
            }
            _ => {
                problems.push(format!(
                    "{at}: an `API:` marker must be in the doc comment of a public function{}",
                    if c_abi { " named apify_*" } else { "" }
                ));
                pending.clear();
            }
        }
    }
    out
}

/// The Rust markers (under `src/`, not the emulator, the C ABI or the binaries) and the C ones.
fn markers(problems: &mut Vec<String>) -> (Vec<Marked>, Vec<Marked>) {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &["emulator", "ffi", "bin"], &mut files);
    let rust = files
        .iter()
        .flat_map(|f| scan(f, false, problems))
        .collect();
    let mut files = Vec::new();
    rust_files(&root().join("src/ffi"), &["tests"], &mut files);
    let c = files.iter().flat_map(|f| scan(f, true, problems)).collect();
    (rust, c)
}

/// The objects an operation's path names: a finished run of a built-in Actor (with its build
/// and default storages), a task with a finished run, a webhook, a record `rec` and a queued
/// request in each run's storages. The emulator answers 404 for a missing parent before it
/// looks for the route, so the probe needs real ones.
struct World {
    actor: String,
    run: Value,
    task: String,
    task_run: Value,
    webhook: String,
    user: String,
    /// The queued request's id in the run's queue and in the task run's queue.
    request: (String, String),
}

const HELLO: &str = "apify~hello-world";

fn data_str(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{key}` in {v}"))
        .to_string()
}

impl World {
    fn new(api: &Api, n: usize) -> World {
        let run = api.start_run(HELLO, &serde_json::json!({}), "?waitForFinish=60");
        let task = api
            .post_json(
                "/v2/actor-tasks",
                &serde_json::json!({"actId": data_str(&run, "actId"), "name": format!("probe-{n}")}),
            )
            .expect(201)
            .data();
        let task = data_str(&task, "id");
        let task_run = api
            .post_json(
                &format!("/v2/actor-tasks/{task}/runs"),
                &serde_json::json!({}),
            )
            .expect(201)
            .data();
        let task_run = api.wait_run(&data_str(&task_run, "id"));
        // The Actor's last run must be `run`, which its task's run is otherwise.
        let run = api.start_run(HELLO, &serde_json::json!({}), "?waitForFinish=60");
        let run = api.wait_run(&data_str(&run, "id"));
        // On a finished run: it never fires.
        let hook = serde_json::json!({
            "eventTypes": ["ACTOR.RUN.SUCCEEDED"],
            "condition": {"actorRunId": data_str(&run, "id")},
            "requestUrl": "http://127.0.0.1:9/probe",
        });
        let webhook = data_str(
            &api.post_json("/v2/webhooks", &hook).expect(201).data(),
            "id",
        );
        let user = data_str(&api.get("/v2/users/me").expect(200).data(), "id");
        let mut request = Vec::new();
        for r in [&run, &task_run] {
            let store = data_str(r, "defaultKeyValueStoreId");
            api.request(
                "PUT",
                &format!("/v2/key-value-stores/{store}/records/rec"),
                &[("Content-Type", "text/plain")],
                Some(b"probe"),
            )
            .expect(201);
            let queue = data_str(r, "defaultRequestQueueId");
            let added = api
                .post_json(
                    &format!("/v2/request-queues/{queue}/requests"),
                    &serde_json::json!({"url": "https://example.com/probe"}),
                )
                .expect(201)
                .data();
            request.push(data_str(&added, "requestId"));
        }
        World {
            actor: data_str(&run, "actId"),
            run,
            task,
            task_run,
            webhook,
            user,
            request: (request[0].clone(), request[1].clone()),
        }
    }

    /// The value of a path parameter in `template`.
    fn param(&self, name: &str, template: &str) -> String {
        let on_task = template.starts_with("/v2/actor-tasks/");
        let run = if on_task { &self.task_run } else { &self.run };
        match name {
            "actorId" => self.actor.clone(),
            "actorTaskId" => self.task.clone(),
            "runId" | "buildOrRunId" => data_str(&self.run, "id"),
            "buildId" => data_str(&self.run, "buildId"),
            "datasetId" => data_str(run, "defaultDatasetId"),
            "storeId" => data_str(run, "defaultKeyValueStoreId"),
            "queueId" => data_str(run, "defaultRequestQueueId"),
            "requestId" if on_task => self.request.1.clone(),
            "requestId" => self.request.0.clone(),
            "recordKey" => "rec".into(),
            "versionNumber" => "0.0".into(),
            "webhookId" => self.webhook.clone(),
            "userId" => self.user.clone(),
            // Objects the probe does not make (dispatches, schedules, environment variables):
            // a value no route takes for a literal segment (`last`, `me`, `default`).
            other => format!("probe-{other}"),
        }
    }
}

/// Whether the emulator answers each operation (anything but 501), by operationId. Reads share
/// one world; every other operation gets a fresh one, so no deletion or change hides a later
/// operation behind a 404.
fn probe(ops: &[Operation]) -> BTreeMap<String, bool> {
    // Every answer of the walk (success or error) is validated against the spec as it arrives
    // (the harness panics on one that breaks it); the emulator tests check the successes in depth.
    let api = Api::start();
    let shared = World::new(&api, 0);
    let mut answered = BTreeMap::new();
    for (n, op) in ops.iter().enumerate() {
        let fresh;
        let world = if op.method == "GET" || op.method == "HEAD" {
            &shared
        } else {
            fresh = World::new(&api, n + 1);
            &fresh
        };
        let mut path = String::new();
        for seg in op.template.split('/').filter(|s| !s.is_empty()) {
            path.push('/');
            match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => path.push_str(&world.param(name, &op.template)),
                None => path.push_str(seg),
            }
        }
        let resp = api.request(
            &op.method,
            &path,
            &[("Content-Type", "application/json")],
            Some(b"{}"),
        );
        answered.insert(op.id.clone(), resp.status != 501);
    }
    answered
}

/// Table cells: code spans joined, or the fallback.
fn cell(names: &[String], fallback: &str) -> String {
    if names.is_empty() {
        return fallback.to_string();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn render(
    ops: &[Operation],
    rust: &BTreeMap<&str, Vec<String>>,
    c: &BTreeMap<&str, Vec<String>>,
    answered: &BTreeMap<String, bool>,
) -> String {
    let typed = ops
        .iter()
        .filter(|o| rust.contains_key(o.id.as_str()))
        .count();
    let dedicated = ops.iter().filter(|o| c.contains_key(o.id.as_str())).count();
    let answers = ops.iter().filter(|o| answered[&o.id]).count();
    let mut md = String::new();
    md.push_str("# API coverage\n\n");
    md.push_str(
        "Generated by `tests/coverage.rs`; do not edit. Regenerate with\n\
         `APIFY_REGENERATE_COVERAGE=1 cargo test --all-features --test coverage`.\n\n\
         One row per operation of the spec (`tests/openapi/apify-openapi.json`):\n\n\
         - **Rust**: the SDK methods whose doc comment names the operation in an `API:` line\n  \
         (`ActorClient` and `TaskClient` are two types sharing their run code, each method\n  \
         listed under its own; a run's `dataset()` and `key_value_store()` reach the run's\n  \
         default storages through the same methods).\n\
         - **C**: the dedicated functions (their comment in `include/apify.h` has the same\n  \
         `API:` line); any other operation goes through `apify_request` / `apify_request_bytes`.\n\
         - **Emulator**: `yes` when `apify-emulator` answers the operation (one request with\n  \
         placeholder parameters got something other than 501), `501` when it does not implement it.\n\n",
    );
    md.push_str(&format!(
        "operations: {}; typed in Rust: {typed}; dedicated C: {dedicated}; answered by the emulator: {answers}\n",
        ops.len()
    ));
    // One section per tag, in the order tags first appear (the spec interleaves some).
    let mut tags: Vec<&str> = Vec::new();
    for op in ops {
        if !tags.contains(&op.tag.as_str()) {
            tags.push(&op.tag);
        }
    }
    for (tag, op) in tags.iter().flat_map(|t| {
        ops.iter()
            .filter(move |o| o.tag == *t)
            .map(move |o| (*t, o))
    }) {
        if ops
            .iter()
            .find(|o| o.tag == tag)
            .is_some_and(|first| first.id == op.id)
        {
            md.push_str(&format!(
                "\n## {tag}\n\n| operationId | Request | Rust | C | Emulator |\n|---|---|---|---|---|\n"
            ));
        }
        let id = op.id.as_str();
        md.push_str(&format!(
            "| `{id}` | `{} {}` | {} | {} | {} |\n",
            op.method,
            op.template,
            cell(rust.get(id).map_or(&[][..], |v| &v[..]), "—"),
            cell(c.get(id).map_or(&[][..], |v| &v[..]), "`apify_request`"),
            if answered[id] { "yes" } else { "501" },
        ));
    }
    md
}

/// Functions by operationId, each once, in the order found.
fn by_operation(marked: &[Marked]) -> BTreeMap<&str, Vec<String>> {
    let mut map: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for m in marked {
        for id in &m.ids {
            let list = map.entry(id.as_str()).or_default();
            if !list.contains(&m.function) {
                list.push(m.function.clone());
            }
        }
    }
    map
}

#[test]
fn coverage_table_is_current() {
    let ops = operations();
    assert!(!ops.is_empty(), "the spec copy lists no operation");
    let mut problems = Vec::new();
    let (rust, c) = markers(&mut problems);
    for m in rust.iter().chain(&c) {
        for id in &m.ids {
            if !ops.iter().any(|o| &o.id == id) {
                problems.push(format!(
                    "{}: {} names `{id}`, which is not an operationId of the spec",
                    m.at, m.function
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "API markers:\n  {}",
        problems.join("\n  ")
    );
    assert!(!rust.is_empty() && !c.is_empty(), "no API markers found");
    let answered = probe(&ops);
    let table = render(&ops, &by_operation(&rust), &by_operation(&c), &answered);
    let path = root().join("docs/COVERAGE.md");
    if std::env::var_os("APIFY_REGENERATE_COVERAGE").is_some_and(|v| !v.is_empty()) {
        std::fs::create_dir_all(path.parent().unwrap()).expect("docs/ can be created");
        std::fs::write(&path, &table).expect("docs/COVERAGE.md can be written");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != table {
        let first = committed
            .lines()
            .zip(table.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(table.lines().count()));
        panic!(
            "docs/COVERAGE.md is not current (first difference at line {}: committed {:?}, generated {:?}); \
             regenerate it with `{REGENERATE}`",
            first + 1,
            committed.lines().nth(first).unwrap_or("<end>"),
            table.lines().nth(first).unwrap_or("<end>"),
        );
    }
}

#[test]
fn marker_parsing() {
    assert_eq!(
        marker_ids(" `a_get`, `B_post`").unwrap(),
        vec!["a_get".to_string(), "B_post".to_string()]
    );
    assert!(marker_ids(" a_get").is_err());
    assert!(marker_ids(" `a get`").is_err());
    assert!(marker_ids(" ``").is_err());
    assert_eq!(impl_type("impl Client {").as_deref(), Some("Client"));
    assert_eq!(impl_type("impl<T> Foo<T> {").as_deref(), Some("Foo"));
    assert_eq!(
        impl_type("impl Runnable<'_> {").as_deref(),
        Some("Runnable")
    );
    assert_eq!(
        impl_type("impl Iterator for KeyIter {").as_deref(),
        Some("KeyIter")
    );
    assert_eq!(
        declared_fn("pub unsafe extern \"C\" fn apify_run_get(").unwrap(),
        ("apify_run_get".to_string(), true)
    );
    assert_eq!(
        declared_fn("    fn helper(&self)").unwrap(),
        ("helper".to_string(), false)
    );
    assert!(declared_fn("    let f = |x| x; // fn in a comment").is_none());
}
