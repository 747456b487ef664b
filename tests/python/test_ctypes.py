#!/usr/bin/env python3
"""libapify's C ABI from Python through ctypes (standard library only).

Environment:
  APIFY_LIB           path of libapify.so (required)
  APIFY_API_BASE_URL  the API's base URL (an emulator on 127.0.0.1)
  APIFY_TOKEN         the API token
  APIFY_EXPECTED_VERSION  the crate version apify_version must answer

Every char* the library returns is declared c_void_p (not c_char_p) so that the pointer itself is
kept and handed back to apify_string_free; the text is read with ctypes.string_at. Strings the
library owns (apify_version, apify_status_name, apify_record_content_type) are c_char_p and never
freed. Prints "N passed, 0 failed" at the end; exits non-zero on any failure.
"""

import ctypes
import json
import os
import sys
import time
import traceback
from ctypes import (
    POINTER,
    byref,
    c_char_p,
    c_int32,
    c_int64,
    c_size_t,
    c_uint8,
    c_void_p,
)

OK = 0
NULL_ARGUMENT = 1
INVALID_JSON = 3
INVALID_ARGUMENT = 4
API_ERROR = 10
NOT_FOUND = 11
UNAUTHORIZED = 12

LIB = ctypes.CDLL(os.environ["APIFY_LIB"])
BASE_URL = os.environ["APIFY_API_BASE_URL"]
TOKEN = os.environ["APIFY_TOKEN"]

status_t = c_int32
client_p = c_void_p  # apify_client*
iter_p = c_void_p  # apify_dataset_iter* / apify_key_iter*
record_p = c_void_p  # apify_record*


def declare(name, restype, *argtypes):
    fn = getattr(LIB, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


apify_version = declare("apify_version", c_char_p)
apify_status_name = declare("apify_status_name", c_char_p, c_int32)
apify_last_error_message = declare("apify_last_error_message", c_void_p)
apify_last_error_json = declare("apify_last_error_json", c_void_p)
apify_string_free = declare("apify_string_free", None, c_void_p)
apify_client_new = declare("apify_client_new", status_t, c_char_p, POINTER(client_p))
apify_client_free = declare("apify_client_free", None, client_p)
_run_args = (client_p, c_char_p, c_char_p, c_char_p)
apify_actor_call = declare("apify_actor_call", status_t, *_run_args, POINTER(c_void_p))
apify_actor_run_sync = declare("apify_actor_run_sync", status_t, *_run_args, POINTER(record_p))
apify_actor_run_sync_get_items = declare(
    "apify_actor_run_sync_get_items", status_t, *_run_args, POINTER(c_void_p)
)
apify_actor_build_and_wait = declare(
    "apify_actor_build_and_wait", status_t, client_p, c_char_p, c_char_p, POINTER(c_void_p)
)
apify_run_get = declare("apify_run_get", status_t, client_p, c_char_p, POINTER(c_void_p))
apify_run_wait = declare(
    "apify_run_wait", status_t, client_p, c_char_p, c_int64, POINTER(c_void_p)
)
apify_dataset_list_items = declare(
    "apify_dataset_list_items", status_t, client_p, c_char_p, c_char_p, POINTER(c_void_p)
)
apify_dataset_iter_new = declare(
    "apify_dataset_iter_new", status_t, client_p, c_char_p, c_char_p, POINTER(iter_p)
)
apify_dataset_iter_next = declare(
    "apify_dataset_iter_next", status_t, iter_p, POINTER(c_void_p)
)
apify_dataset_iter_free = declare("apify_dataset_iter_free", None, iter_p)
apify_kvs_get_record = declare(
    "apify_kvs_get_record", status_t, client_p, c_char_p, c_char_p, POINTER(record_p)
)
apify_record_data = declare("apify_record_data", POINTER(c_uint8), record_p)
apify_record_len = declare("apify_record_len", c_size_t, record_p)
apify_record_content_type = declare("apify_record_content_type", c_char_p, record_p)
apify_record_free = declare("apify_record_free", None, record_p)
apify_request = declare(
    "apify_request",
    status_t,
    client_p,
    c_char_p,
    c_char_p,
    c_char_p,
    c_char_p,
    POINTER(c_void_p),
)

apify_actor_start = declare("apify_actor_start", status_t, *_run_args, POINTER(c_void_p))
apify_run_set_status_message = declare(
    "apify_run_set_status_message", status_t, client_p, c_char_p, c_char_p, c_int32, POINTER(c_void_p)
)
apify_run_reboot = declare("apify_run_reboot", status_t, client_p, c_char_p, POINTER(c_void_p))
apify_run_metamorph = declare(
    "apify_run_metamorph", status_t, client_p, c_char_p, c_char_p, c_char_p, c_char_p, POINTER(c_void_p)
)
apify_run_charge = declare("apify_run_charge", status_t, client_p, c_char_p, c_char_p)
apify_runs_list = declare("apify_runs_list", status_t, client_p, c_char_p, POINTER(c_void_p))

# How many library strings were freed (reported at the end).
STRINGS_FREED = 0


def take_string(ptr):
    """Reads a library-owned char* (a c_void_p or int), frees it, answers the text (None for NULL)."""
    global STRINGS_FREED
    address = ptr.value if isinstance(ptr, c_void_p) else ptr
    if not address:
        return None
    try:
        return ctypes.string_at(address).decode("utf-8")
    finally:
        apify_string_free(address)
        STRINGS_FREED += 1


def enc(s):
    return None if s is None else s.encode("utf-8")


def status_name(status):
    return apify_status_name(status).decode("ascii")


def last_error():
    """The thread's last error as (message, parsed JSON); both None after a success."""
    message = take_string(apify_last_error_message())
    text = take_string(apify_last_error_json())
    return message, (None if text is None else json.loads(text))


class Failed(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failed(what)


def expect_status(actual, expected, call):
    if actual != expected:
        message, _ = last_error()
        raise Failed(
            f"{call}: expected {status_name(expected)}, got {status_name(actual)} ({actual}): {message}"
        )


def new_client(options):
    out = client_p()
    st = apify_client_new(enc(json.dumps(options)), byref(out))
    expect_status(st, OK, "apify_client_new")
    check(out.value, "apify_client_new gave NULL on OK")
    return out


CLIENT = None


# ---------------------------------------------------------------- tests


def test_version_and_status_names():
    version = apify_version().decode()
    check(version == os.environ["APIFY_EXPECTED_VERSION"], f"apify_version is {version}")
    check(status_name(OK) == "OK", "status name of 0")
    check(status_name(NOT_FOUND) == "NOT_FOUND", "status name of 11")
    check(status_name(12345) == "UNKNOWN", "status name of an unknown status")


def test_client_new_rejects_bad_json_and_leaves_out_untouched():
    sentinel = 0x1234
    out = client_p(sentinel)
    st = apify_client_new(b"{not json", byref(out))
    expect_status(st, INVALID_JSON, "apify_client_new(malformed)")
    check(out.value == sentinel, "out_client was written on failure")
    message, err = last_error()
    check(message and "options_json" in message, f"message does not name the argument: {message}")
    check(err["status"] == INVALID_JSON and err["statusName"] == "INVALID_JSON", f"bad json: {err}")
    st = apify_client_new(None, None)
    expect_status(st, NULL_ARGUMENT, "apify_client_new(NULL out)")
    message, _ = last_error()
    check("out_client" in message, f"message does not name out_client: {message}")


def test_run_sync_get_items():
    out = c_void_p()
    st = apify_actor_run_sync_get_items(
        CLIENT, b"apify/hello-world", enc(json.dumps({"message": "from ctypes"})), None, byref(out)
    )
    expect_status(st, OK, "apify_actor_run_sync_get_items")
    items = json.loads(take_string(out))
    check(items == [{"message": "from ctypes"}], f"items: {items}")
    check(last_error() == (None, None), "last error not cleared by a success")

    # Default message, and a non-ASCII one round-trips as UTF-8.
    out = c_void_p()
    st = apify_actor_run_sync_get_items(CLIENT, b"apify/hello-world", None, None, byref(out))
    expect_status(st, OK, "apify_actor_run_sync_get_items(NULL input)")
    check(json.loads(take_string(out)) == [{"message": "Hello, world!"}], "default message")
    out = c_void_p()
    st = apify_actor_run_sync_get_items(
        CLIENT, b"apify/hello-world", enc(json.dumps({"message": "h\u00e9llo \u2603"})), None, byref(out)
    )
    expect_status(st, OK, "apify_actor_run_sync_get_items(unicode)")
    check(json.loads(take_string(out)) == [{"message": "h\u00e9llo \u2603"}], "unicode message")


def test_run_sync_record():
    rec = record_p()
    st = apify_actor_run_sync(
        CLIENT, b"apify/hello-world", enc(json.dumps({"message": "record"})), None, byref(rec)
    )
    expect_status(st, OK, "apify_actor_run_sync")
    try:
        length = apify_record_len(rec)
        data = ctypes.string_at(apify_record_data(rec), length)
        content_type = apify_record_content_type(rec).decode()
        check(length == len(data) and length > 0, f"record length {length}")
        check(content_type.startswith("application/json"), f"content type {content_type}")
        check(json.loads(data) == {"message": "record"}, f"record data {data!r}")
    finally:
        apify_record_free(rec)

    # A non-JSON OUTPUT keeps its bytes and content type.
    rec = record_p()
    st = apify_actor_run_sync(
        CLIENT,
        b"emulator/generator",
        enc(json.dumps({"count": 1, "outputText": "plain\nbytes", "outputContentType": "text/x-test"})),
        None,
        byref(rec),
    )
    expect_status(st, OK, "apify_actor_run_sync(generator text)")
    try:
        data = ctypes.string_at(apify_record_data(rec), apify_record_len(rec))
        check(data == b"plain\nbytes", f"record data {data!r}")
        ct = apify_record_content_type(rec).decode()
        check(ct.startswith("text/x-test"), f"content type {ct}")
    finally:
        apify_record_free(rec)


def test_call_and_iterate_dataset():
    count = 25
    out = c_void_p()
    st = apify_actor_call(
        CLIENT, b"emulator/generator", enc(json.dumps({"count": count, "itemBytes": 3})), None, byref(out)
    )
    expect_status(st, OK, "apify_actor_call")
    run = json.loads(take_string(out))
    check(run["status"] == "SUCCEEDED", f"run status {run['status']}")
    dataset_id = run["defaultDatasetId"]
    check(isinstance(dataset_id, str) and dataset_id, f"defaultDatasetId {dataset_id!r}")

    # The run again, by id.
    out = c_void_p()
    expect_status(apify_run_get(CLIENT, enc(run["id"]), byref(out)), OK, "apify_run_get")
    check(json.loads(take_string(out))["id"] == run["id"], "apify_run_get answered another run")
    out = c_void_p()
    expect_status(apify_run_wait(CLIENT, enc(run["id"]), 0, byref(out)), OK, "apify_run_wait")
    check(json.loads(take_string(out))["status"] == "SUCCEEDED", "apify_run_wait status")

    # Iterate in chunks of 7 so that several pages are fetched.
    it = iter_p()
    st = apify_dataset_iter_new(CLIENT, enc(dataset_id), b'{"chunkSize": 7}', byref(it))
    expect_status(st, OK, "apify_dataset_iter_new")
    check(it.value, "apify_dataset_iter_new gave NULL on OK")
    items = []
    try:
        while True:
            item = c_void_p(0xBAD)
            expect_status(apify_dataset_iter_next(it, byref(item)), OK, "apify_dataset_iter_next")
            text = take_string(item)
            if text is None:
                break
            items.append(json.loads(text))
            check(len(items) <= count, "the iterator goes past the dataset's end")
        # After the end: OK and NULL again.
        for _ in range(2):
            item = c_void_p(0xBAD)
            expect_status(apify_dataset_iter_next(it, byref(item)), OK, "apify_dataset_iter_next(end)")
            check(item.value is None, "apify_dataset_iter_next after the end did not write NULL")
    finally:
        apify_dataset_iter_free(it)
    check(len(items) == count, f"iterated {len(items)} items, expected {count}")
    check([i["index"] for i in items] == list(range(count)), "items out of order")
    check(all(i["text"] == "xxx" for i in items), "item text")

    # Options apply to the iterator: offset, limit and desc.
    it = iter_p()
    st = apify_dataset_iter_new(
        CLIENT, enc(dataset_id), b'{"offset": 5, "limit": 4, "desc": true, "chunkSize": 3}', byref(it)
    )
    expect_status(st, OK, "apify_dataset_iter_new(options)")
    got = []
    try:
        while True:
            item = c_void_p()
            expect_status(apify_dataset_iter_next(it, byref(item)), OK, "apify_dataset_iter_next")
            text = take_string(item)
            if text is None:
                break
            got.append(json.loads(text)["index"])
    finally:
        apify_dataset_iter_free(it)
    check(got == [19, 18, 17, 16], f"desc offset 5 limit 4: {got}")

    # One page.
    out = c_void_p()
    st = apify_dataset_list_items(CLIENT, enc(dataset_id), b'{"limit": 10, "offset": 20}', byref(out))
    expect_status(st, OK, "apify_dataset_list_items")
    page = json.loads(take_string(out))
    check([i["index"] for i in page["items"]] == [20, 21, 22, 23, 24], f"page items {page}")
    check(page["total"] == count and page["offset"] == 20 and page["count"] == 5, f"page {page}")


def test_unknown_dataset_is_not_found():
    sentinel = 0x5EED
    out = c_void_p(sentinel)
    st = apify_dataset_list_items(CLIENT, b"noSuchDataset1234", None, byref(out))
    expect_status(st, NOT_FOUND, "apify_dataset_list_items(unknown)")
    check(out.value == sentinel, "out_page_json was written on failure")
    message, err = last_error()
    check(message, "no last error message")
    check(err["status"] == NOT_FOUND and err["statusName"] == "NOT_FOUND", f"error {err}")
    check(err["httpStatus"] == 404, f"httpStatus {err}")
    check(err["type"] == "record-not-found", f"type {err}")
    check(err["method"] == "GET" and "noSuchDataset1234" in err["path"], f"method/path {err}")
    check(isinstance(err["attempt"], int) and err["attempt"] >= 1, f"attempt {err}")

    # The iterator is lazy: it fails on the first next, leaving the out-parameter alone.
    it = iter_p()
    expect_status(
        apify_dataset_iter_new(CLIENT, b"noSuchDataset1234", None, byref(it)), OK, "iter_new(unknown)"
    )
    try:
        item = c_void_p(sentinel)
        st = apify_dataset_iter_next(it, byref(item))
        expect_status(st, NOT_FOUND, "apify_dataset_iter_next(unknown)")
        check(item.value == sentinel, "out_item_json was written on failure")
        _, err = last_error()
        check(err["httpStatus"] == 404 and err["type"] == "record-not-found", f"iter error {err}")
    finally:
        apify_dataset_iter_free(it)

    # A success clears the last error.
    out = c_void_p()
    expect_status(apify_request(CLIENT, b"GET", b"/v2/users/me", None, None, byref(out)), OK, "users/me")
    take_string(out)
    check(last_error() == (None, None), "a success did not clear the last error")


def test_missing_record_and_wrong_token():
    rec = record_p(0x77)
    st = apify_kvs_get_record(CLIENT, b"noSuchStore12345", b"OUTPUT", byref(rec))
    expect_status(st, NOT_FOUND, "apify_kvs_get_record(unknown)")
    check(rec.value == 0x77, "out_record was written on failure")
    last_error()

    bad = new_client({"baseUrl": BASE_URL, "token": "wrong-token", "maxRetries": 0})
    try:
        out = c_void_p()
        st = apify_actor_run_sync_get_items(bad, b"apify/hello-world", None, None, byref(out))
        expect_status(st, UNAUTHORIZED, "run_sync_get_items(wrong token)")
        check(out.value is None, "out written on failure")
        _, err = last_error()
        check(err["httpStatus"] == 401 and err["type"] == "invalid-token", f"error {err}")
        check("wrong-token" not in json.dumps(err), "the token leaked into the error")
    finally:
        apify_client_free(bad)


def test_request():
    out = c_void_p()
    st = apify_request(
        CLIENT, b"GET", b"/v2/acts/apify~hello-world", None, None, byref(out)
    )
    expect_status(st, OK, "apify_request")
    body = json.loads(take_string(out))
    check(body["data"]["name"] == "hello-world", f"body {body}")


def test_build_and_wait_then_run_by_tag():
    schema = {"title": "In", "type": "object", "schemaVersion": 1,
              "properties": {"count": {"title": "Count", "type": "integer", "editor": "number",
                                       "maximum": 4}}}
    actor_json = {"actorSpecification": 1, "name": "py-built", "emulatorProgram": "generator",
                  "input": "./input_schema.json"}
    version = {"versionNumber": "0.0", "sourceFiles": [
        {"name": ".actor/actor.json", "format": "TEXT", "content": json.dumps(actor_json)},
        {"name": ".actor/input_schema.json", "format": "TEXT", "content": json.dumps(schema)}]}
    out = c_void_p()
    body = enc(json.dumps({"name": "py-built", "versions": [version]}))
    expect_status(apify_request(CLIENT, b"POST", b"/v2/acts", None, body, byref(out)), OK,
                  "apify_request POST /v2/acts")
    take_string(out)
    out = c_void_p()
    st = apify_actor_build_and_wait(
        CLIENT, b"emulator/py-built", enc(json.dumps({"version": "0.0", "tag": "py"})), byref(out)
    )
    expect_status(st, OK, "apify_actor_build_and_wait")
    build = json.loads(take_string(out))
    check(build["status"] == "SUCCEEDED", f"build status {build['status']}")
    out = c_void_p()
    st = apify_actor_call(CLIENT, b"emulator/py-built", enc(json.dumps({"count": 3})),
                          enc(json.dumps({"build": "py"})), byref(out))
    expect_status(st, OK, "apify_actor_call by the new tag")
    run = json.loads(take_string(out))
    check(run["buildId"] == build["id"], f"run of build {run['buildId']}, not {build['id']}")
    out = c_void_p()
    st = apify_actor_build_and_wait(CLIENT, b"emulator/py-built", b"{}", byref(out))
    expect_status(st, INVALID_ARGUMENT, "apify_actor_build_and_wait without a version")
    check(out.value is None, "the out-parameter was written by a failing call")


def request_json(method, path, query=None, body=None):
    """apify_request with JSON in and out; answers (status, parsed body or None)."""
    out = c_void_p()
    st = apify_request(
        CLIENT,
        enc(method),
        enc(path),
        None if query is None else enc(json.dumps(query)),
        None if body is None else enc(json.dumps(body)),
        byref(out),
    )
    text = take_string(out)
    return st, (None if text is None else json.loads(text))


def test_task_and_schedule_through_apify_request():
    # A task, and a schedule for it that runs on weekday mornings in a zone east of UTC.
    st, task = request_json("POST", "/v2/actor-tasks", body={
        "actId": "apify~hello-world", "name": "py-task", "input": {"message": "from python"}})
    expect_status(st, OK, "create task")
    task_id = task["data"]["id"]
    st, sched = request_json("POST", "/v2/schedules", body={
        "name": "py-schedule", "cronExpression": "30 6 * * 1-5", "timezone": "+01:00",
        "actions": [{"type": "RUN_ACTOR_TASK", "actorTaskId": task_id}]})
    expect_status(st, OK, "create schedule")
    sched_id = sched["data"]["id"]
    check(sched["data"]["nextRunAt"].endswith("T05:30:00.000Z"), f"nextRunAt {sched}")
    st, page = request_json("GET", "/v2/schedules", query={"limit": 10, "desc": True})
    expect_status(st, OK, "list schedules")
    check(page["data"]["items"][0]["id"] == sched_id, f"list {page}")
    # A bad cron expression is the API's 400, named in the error.
    st, _ = request_json("PUT", f"/v2/schedules/{sched_id}", body={"cronExpression": "0 0 * *"})
    check(st != OK, "a bad cron expression was accepted")
    _, err = last_error()
    check(err["httpStatus"] == 400 and err["type"] == "cron-expression-invalid", f"error {err}")
    # The task's GET form of a synchronous run uses its saved input.
    st, output = request_json("GET", f"/v2/actor-tasks/{task_id}/run-sync")
    expect_status(st, OK, "task run-sync GET")
    check(output == {"message": "from python"}, f"output {output}")
    for path in (f"/v2/schedules/{sched_id}", f"/v2/actor-tasks/{task_id}"):
        st, _ = request_json("DELETE", path)
        expect_status(st, OK, f"DELETE {path}")
    st, _ = request_json("GET", f"/v2/schedules/{sched_id}")
    expect_status(st, NOT_FOUND, "deleted schedule")
    last_error()


def test_free_null_is_a_noop():
    apify_string_free(None)
    apify_client_free(None)
    apify_dataset_iter_free(None)
    apify_record_free(None)
    check(apify_record_len(None) == 0, "apify_record_len(NULL)")
    check(not apify_record_data(None), "apify_record_data(NULL)")
    check(apify_record_content_type(None) is None, "apify_record_content_type(NULL)")


def _json_out(fn, *args):
    out = c_void_p()
    expect_status(fn(*args, byref(out)), OK, fn.__name__)
    return json.loads(take_string(out))


def test_run_operations():
    run = _json_out(
        apify_actor_start, CLIENT, b"emulator/generator", b'{"durationSecs": 30, "count": 1}', None
    )
    run_id = enc(run["id"])
    for _ in range(1500):
        if _json_out(apify_run_get, CLIENT, run_id)["status"] == "RUNNING":
            break
        time.sleep(0.02)
    got = _json_out(apify_run_set_status_message, CLIENT, run_id, "Working (ctypes)".encode(), 0)
    check(got["statusMessage"] == "Working (ctypes)", f"status message {got['statusMessage']!r}")
    got = _json_out(apify_run_reboot, CLIENT, run_id)
    check(got["stats"]["rebootCount"] == 1, f"rebootCount {got['stats']}")
    # Not a pay-per-event Actor: the platform's error, nothing charged.
    st = apify_run_charge(CLIENT, run_id, b'{"eventName": "page"}')
    expect_status(st, API_ERROR, "apify_run_charge")
    _, err = last_error()
    check(err["type"] == "cannot-charge-non-pay-per-event-actor", f"charge error {err}")
    got = _json_out(
        apify_run_metamorph, CLIENT, run_id, b"apify/hello-world", b'{"message": "ctypes"}', None
    )
    check(got["metamorphs"][0]["inputKey"] == "INPUT-METAMORPH-1", f"metamorphs {got.get('metamorphs')}")
    done = _json_out(apify_run_wait, CLIENT, run_id, 60)
    check(done["status"] == "SUCCEEDED", f"status after the metamorph {done['status']}")
    page = _json_out(apify_runs_list, CLIENT, b'{"status": "SUCCEEDED", "desc": true, "limit": 5}')
    check(page["desc"] is True and page["limit"] == 5, f"page {page}")
    check(run["id"] in [r["id"] for r in page["items"]], "the metamorphed run is listed as SUCCEEDED")
    out = c_void_p(0x5EED)
    st = apify_runs_list(CLIENT, b'{"startedAfter": "soon"}', byref(out))
    expect_status(st, INVALID_ARGUMENT, "apify_runs_list(bad startedAfter)")
    check(out.value == 0x5EED, "a failing apify_runs_list wrote its out-parameter")


def main():
    global CLIENT
    tests = [(name, fn) for name, fn in globals().items() if name.startswith("test_") and callable(fn)]
    CLIENT = new_client({"baseUrl": BASE_URL, "token": TOKEN, "minDelayBetweenRetriesMillis": 20})
    passed = failed = 0
    try:
        for name, fn in tests:
            try:
                fn()
            except Exception:  # noqa: BLE001 - report every failure and go on
                failed += 1
                print(f"FAIL {name}", flush=True)
                traceback.print_exc(file=sys.stdout)
            else:
                passed += 1
                print(f"ok   {name}", flush=True)
    finally:
        apify_client_free(CLIENT)
        CLIENT = None
    print(f"{STRINGS_FREED} library strings freed through apify_string_free")
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
