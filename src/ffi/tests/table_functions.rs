//! The argument-check table: every fallible function of the C ABI with its pointer parameters
//! (as the header names them) and what each is. `header` checks it against the header.

use self::Param::*;
use super::helpers::*;

/// What a parameter of an `extern "C"` function is, for the argument checks.
#[derive(Clone, Copy, Debug)]
pub(super) enum Param {
    /// `const apify_client *`.
    Client,
    /// A required UTF-8 string; a valid value.
    Text(&'static str),
    /// A UTF-8 string that may be NULL; a valid value (given in the valid call).
    OptText(&'static str),
    /// JSON text that may be NULL (NULL in the valid call).
    OptJson(Shape),
    /// JSON text that must be present; a valid value.
    Json(Shape, &'static str),
    /// An out-parameter (`T **`, `int *`).
    Out,
    /// `apify_dataset_iter *`.
    DatasetIter,
    /// `apify_key_iter *`.
    KeyIter,
    /// `const uint8_t *` with a non-zero length.
    Bytes,
    /// `const apify_callbacks *` that may be NULL (a valid struct in the valid call); version 0
    /// is refused.
    OptCallbacks,
    /// `const apify_callbacks *` that must be given, with a `log` callback; version 0 is refused.
    LogCallbacks,
    /// A function pointer that must not be NULL (`apify_write_fn`).
    WriteFn,
    /// `void *userdata`: handed to the callbacks, never read; NULL in the valid call.
    Userdata,
    /// The log handler, a function pointer that may be NULL (NULL in the valid call).
    LogHandler,
}

impl Param {
    /// Whether NULL is a valid value.
    pub(super) fn optional(self) -> bool {
        matches!(
            self,
            Param::OptText(_)
                | Param::OptJson(_)
                | Param::OptCallbacks
                | Param::Userdata
                | Param::LogHandler
        )
    }

    /// Whether the argument is text, checked for UTF-8.
    pub(super) fn is_text(self) -> bool {
        matches!(
            self,
            Param::Text(_) | Param::OptText(_) | Param::Json(..) | Param::OptJson(_)
        )
    }
}

/// What a JSON argument must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// An options object with a fixed set of keys.
    Options,
    /// A run input: an object.
    Input,
    /// `apify_request`'s query: an object of scalars.
    Query,
    /// Any JSON document (`apify_request`'s body, `apify_json_get`'s document).
    Any,
    /// Dataset items: an object or an array of objects.
    Items,
    /// A queue request: an object with a string `url`.
    Request,
    /// Queue requests: an array of request objects.
    Requests,
}

/// An `extern "C"` function with its pointer parameters in order (names as in the header) and a
/// caller that takes them as `void *`s (non-pointer arguments are fixed in the caller).
pub(super) struct Func {
    pub(super) name: &'static str,
    pub(super) params: Vec<(&'static str, Param)>,
    pub(super) call: fn(&[*mut c_void]) -> apify_status,
}

/// The bytes of a `Bytes` argument (its length is fixed in the caller).
pub(super) const BYTES: &[u8] = b"abc";

/// The argument-check table: `name(args) => [params];` a function. An argument is the index of
/// a pointer parameter in `params`, `(write index)` or `(handler index)` for a function pointer
/// one, or `{a fixed value}` for a non-pointer one. (Braces keep rustfmt from spreading the table
/// out.)
macro_rules! table {
    ($($f:ident($($arg:tt),*) => [$($param:expr),* $(,)?];)*) => {
        vec![$(Func {
            name: stringify!($f),
            params: vec![$($param),*],
            call: |p| unsafe { $f($(arg!(p, $arg)),*) },
        }),*]
    };
}

/// One argument of a table entry's caller (see `table!`).
macro_rules! arg {
    ($p:ident, {$value:expr}) => {
        $value
    };
    ($p:ident, (write $i:literal)) => {
        std::mem::transmute::<*mut c_void, apify_write_fn>($p[$i])
    };
    ($p:ident, (handler $i:literal)) => {
        std::mem::transmute::<*mut c_void, LogHandlerPtr>($p[$i])
    };
    ($p:ident, $i:literal) => {
        $p[$i].cast()
    };
}

/// `apify_set_log_handler`'s handler (the header declares it inline, without a typedef).
type LogHandlerPtr = Option<unsafe extern "C" fn(c_int, *const c_char, *mut c_void)>;

const C: (&str, Param) = ("c", Client);
const ACTOR: (&str, Param) = ("actor_id", Text("apify/hello-world"));
const TASK: (&str, Param) = ("task_id", Text("user~task"));
const RUN: (&str, Param) = ("run_id", Text("runId12345678901"));
const DATASET: (&str, Param) = ("dataset_id", Text("datasetId"));
const STORE: (&str, Param) = ("store_id", Text("storeId"));
const KEY: (&str, Param) = ("key", Text("OUTPUT"));
const INPUT: (&str, Param) = ("input_json", OptJson(Shape::Input));
const OPTIONS: (&str, Param) = ("options_json", OptJson(Shape::Options));
const CALLBACKS: (&str, Param) = ("callbacks", OptCallbacks);
const NAME: (&str, Param) = ("name", OptText("ffi-table"));
const METHOD: (&str, Param) = ("method", Text("GET"));
const PATH: (&str, Param) = ("path", Text("/v2/users/me"));
const QUERY: (&str, Param) = ("query_json", OptJson(Shape::Query));
const QUEUE: (&str, Param) = ("queue_id", Text("queueId"));
const REQUEST_ID: (&str, Param) = ("request_id", Text("requestId"));

const OUT_RUN: (&str, Param) = ("out_run_json", Out);
const OUT_ITEMS: (&str, Param) = ("out_items_json", Out);

const fn out(name: &'static str) -> (&'static str, Param) {
    (name, Out)
}

/// Every fallible function of the C ABI.
pub(super) fn functions() -> Vec<Func> {
    let items = ("items_json", Json(Shape::Items, r#"[{"a": 1}]"#));
    let document = ("json", Json(Shape::Any, r#"{"a": {"b": [1, "two"]}}"#));
    let body_json = ("body_json", OptJson(Shape::Any));
    let request = (
        "request_json",
        Json(Shape::Request, r#"{"url": "https://example.com/"}"#),
    );
    let requests = (
        "requests_json",
        Json(
            Shape::Requests,
            r#"[{"url": "https://example.com/", "uniqueKey": "k"}]"#,
        ),
    );
    let format = ("format", Text("csv"));
    let (write, userdata) = (("write", WriteFn), ("userdata", Userdata));
    let log_callbacks = ("callbacks", LogCallbacks);
    let (data, text_type) = (("data", Bytes), ("content_type", Text("text/plain")));
    let (body, opt_type) = (("body", Bytes), ("content_type", OptText("text/plain")));
    let (out_response, out_response_json) = (out("out_response"), out("out_response_json"));
    table! {
        apify_client_new(0, 1) => [OPTIONS, out("out_client")];
        apify_json_get(0, 1, 2) => [document, ("pointer", Text("/a/b/1")), out("out_text")];
        apify_webhook_parse(0, 1) => [
            ("body", Text(r#"{"eventType": "ACTOR.RUN.SUCCEEDED", "eventData": {"actorRunId": "r"}}"#)),
            out("out_event_json"),
        ];
        // Actors.
        apify_actor_start(0, 1, 2, 3, 4) => [C, ACTOR, INPUT, OPTIONS, OUT_RUN];
        apify_actor_call(0, 1, 2, 3, 4) => [C, ACTOR, INPUT, OPTIONS, OUT_RUN];
        apify_actor_call_with(0, 1, 2, 3, 4, 5) => [C, ACTOR, INPUT, OPTIONS, CALLBACKS, OUT_RUN];
        apify_actor_run_sync(0, 1, 2, 3, 4) => [C, ACTOR, INPUT, OPTIONS, out("out_output")];
        apify_actor_run_sync_get_items(0, 1, 2, 3, 4) => [C, ACTOR, INPUT, OPTIONS, OUT_ITEMS];
        apify_actor_last_run(0, 1, 2, 3) => [C, ACTOR, OPTIONS, OUT_RUN];
        apify_actor_list_runs(0, 1, 2, 3) => [C, ACTOR, OPTIONS, out("out_page_json")];
        apify_actor_validate_input(0, 1, 2, 3, 4) => [C, ACTOR, INPUT, OPTIONS, out("out_report_json")];
        apify_actor_build_and_wait(0, 1, 2, 3) => [C, ACTOR, OPTIONS, out("out_build_json")];
        // Runs.
        apify_run_get(0, 1, 2) => [C, RUN, OUT_RUN];
        apify_run_wait(0, 1, {-1}, 2) => [C, RUN, OUT_RUN];
        apify_run_wait_with(0, 1, {-1}, 2, 3) => [C, RUN, CALLBACKS, OUT_RUN];
        apify_run_abort(0, 1, {1}, 2) => [C, RUN, OUT_RUN];
        apify_run_resurrect(0, 1, 2) => [C, RUN, OUT_RUN];
        apify_run_get_log(0, 1, 2) => [C, RUN, out("out_text")];
        apify_run_follow_log(0, 1, 2) => [C, RUN, log_callbacks];
        apify_run_metamorph(0, 1, 2, 3, 4, 5) => [
            C, RUN, ("target_actor_id", Text("apify/hello-world")), INPUT, OPTIONS, OUT_RUN,
        ];
        apify_run_reboot(0, 1, 2) => [C, RUN, OUT_RUN];
        apify_run_charge(0, 1, 2) => [
            C, RUN, ("options_json", Json(Shape::Options, r#"{"eventName": "page"}"#)),
        ];
        apify_run_set_status_message(0, 1, 2, {0}, 3) => [C, RUN, ("message", Text("busy")), OUT_RUN];
        apify_runs_list(0, 1, 2) => [C, OPTIONS, out("out_page_json")];
        // Tasks.
        apify_task_start(0, 1, 2, 3, 4) => [C, TASK, INPUT, OPTIONS, OUT_RUN];
        apify_task_call(0, 1, 2, 3, 4) => [C, TASK, INPUT, OPTIONS, OUT_RUN];
        apify_task_call_with(0, 1, 2, 3, 4, 5) => [C, TASK, INPUT, OPTIONS, CALLBACKS, OUT_RUN];
        apify_task_run_sync(0, 1, 2, 3, 4) => [C, TASK, INPUT, OPTIONS, out("out_output")];
        apify_task_run_sync_get_items(0, 1, 2, 3, 4) => [C, TASK, INPUT, OPTIONS, OUT_ITEMS];
        // Datasets.
        apify_dataset_list_items(0, 1, 2, 3) => [C, DATASET, OPTIONS, out("out_page_json")];
        apify_dataset_iter_new(0, 1, 2, 3) => [C, DATASET, OPTIONS, out("out_iter")];
        apify_dataset_iter_next(0, 1) => [("it", DatasetIter), out("out_item_json")];
        apify_dataset_iter_next_view(0, 1, 2) => [("it", DatasetIter), out("out_item"), out("out_len")];
        apify_dataset_push_items(0, 1, 2) => [C, DATASET, items];
        apify_dataset_export(0, 1, 2, 3, (write 4), 5) =>
            [C, DATASET, format, OPTIONS, write, userdata];
        apify_dataset_get(0, 1, 2) => [C, DATASET, out("out_json")];
        apify_dataset_get_or_create(0, 1, 2) => [C, NAME, out("out_json")];
        apify_dataset_delete(0, 1) => [C, DATASET];
        // Key-value stores.
        apify_kvs_get_record(0, 1, 2, 3) => [C, STORE, KEY, out("out_record")];
        apify_kvs_record_exists(0, 1, 2, 3) => [C, STORE, KEY, out("out_exists")];
        apify_kvs_set_record(0, 1, 2, 3, {BYTES.len()}, 4) => [C, STORE, KEY, data, text_type];
        apify_kvs_delete_record(0, 1, 2) => [C, STORE, KEY];
        apify_kvs_list_keys(0, 1, 2, 3) => [C, STORE, OPTIONS, out("out_page_json")];
        apify_key_iter_new(0, 1, 2, 3) => [C, STORE, OPTIONS, out("out_iter")];
        apify_key_iter_next(0, 1) => [("it", KeyIter), out("out_key")];
        apify_kvs_get(0, 1, 2) => [C, STORE, out("out_json")];
        apify_kvs_get_or_create(0, 1, 2) => [C, NAME, out("out_json")];
        apify_kvs_delete(0, 1) => [C, STORE];
        // Request queues.
        apify_rq_get_or_create(0, 1, 2) => [C, NAME, out("out_json")];
        apify_rq_add(0, 1, 2, {1}, 3) => [C, QUEUE, request, out("out_json")];
        apify_rq_add_batch(0, 1, 2, {0}, 3) => [C, QUEUE, requests, out("out_json")];
        apify_rq_lock_head(0, 1, {2.5}, {10}, 2) => [C, QUEUE, out("out_json")];
        apify_rq_mark_handled(0, 1, 2) => [C, QUEUE, REQUEST_ID];
        apify_rq_delete_lock(0, 1, 2, {1}) => [C, QUEUE, REQUEST_ID];
        apify_rq_delete(0, 1) => [C, QUEUE];
        // Any operation.
        apify_request(0, 1, 2, 3, 4, 5) => [C, METHOD, PATH, QUERY, body_json, out_response_json];
        apify_request_bytes(0, 1, 2, 3, 4, {BYTES.len()}, 5, 6) =>
            [C, METHOD, PATH, QUERY, body, opt_type, out_response];
        // The log: both arguments may be NULL, so no argument check applies (see `log`).
        apify_set_log_handler((handler 0), 1) => [("handler", LogHandler), ("userdata", Userdata)];
    }
}

/// The functions of the header that return no status (checked by their own tests).
pub(super) const INFALLIBLE: &[&str] = &[
    "apify_version",
    "apify_status_name",
    "apify_last_error_message",
    "apify_last_error_json",
    "apify_string_free",
    "apify_client_free",
    "apify_dataset_iter_free",
    "apify_key_iter_free",
    "apify_record_data",
    "apify_record_len",
    "apify_record_content_type",
    "apify_record_free",
];
