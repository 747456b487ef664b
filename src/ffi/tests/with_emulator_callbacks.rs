//! `apify_callbacks` against the emulator: the waiting calls with callbacks
//! (`apify_actor_call_with`, `apify_task_call_with`, `apify_run_wait_with`), `apify_run_follow_log`
//! and `apify_run_get_log`; version 0 refused, a non-zero answer cancels.

use super::helpers::*;
use super::live::*;

/// What the callbacks saw, through `userdata`. The callbacks never panic (a panic cannot unwind
/// through C): what is wrong goes to `problems`.
#[derive(Default)]
struct Seen {
    /// The run JSON of every progress call.
    progress: Vec<String>,
    /// The log text, as delivered.
    log: Vec<u8>,
    log_calls: usize,
    /// Answer non-zero from this progress call on (1-based).
    stop_progress_at: Option<usize>,
    /// Answer non-zero from this log call on (1-based).
    stop_log_at: Option<usize>,
    problems: Vec<String>,
}

unsafe extern "C" fn on_progress(run_json: *const c_char, userdata: *mut c_void) -> c_int {
    let seen = unsafe { &mut *userdata.cast::<Seen>() };
    match unsafe { CStr::from_ptr(run_json) }.to_str() {
        Ok(text) => seen.progress.push(text.to_owned()),
        Err(e) => seen.problems.push(format!("progress: not UTF-8: {e}")),
    }
    c_int::from(
        seen.stop_progress_at
            .is_some_and(|n| seen.progress.len() >= n),
    )
}

unsafe extern "C" fn on_log(text: *const c_char, len: usize, userdata: *mut c_void) -> c_int {
    let seen = unsafe { &mut *userdata.cast::<Seen>() };
    let bytes = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len + 1) };
    if bytes[len] != 0 {
        seen.problems
            .push("log: the text is not NUL-terminated".into());
    }
    seen.log.extend_from_slice(&bytes[..len]);
    seen.log_calls += 1;
    c_int::from(seen.stop_log_at.is_some_and(|n| seen.log_calls >= n))
}

impl Seen {
    /// Callbacks that record into `self` (`progress` and `log` as asked).
    fn callbacks(&mut self, progress: bool, log: bool) -> apify_callbacks {
        apify_callbacks {
            version: APIFY_CALLBACKS_VERSION,
            userdata: ptr::from_mut(self).cast(),
            progress: progress.then_some(on_progress as unsafe extern "C" fn(_, _) -> _),
            log: log.then_some(on_log as unsafe extern "C" fn(_, _, _) -> _),
        }
    }

    fn log_text(&self) -> String {
        assert!(self.problems.is_empty(), "{:?}", self.problems);
        String::from_utf8(self.log.clone()).expect("the log is UTF-8")
    }
}

/// `apify_actor_call_with` of the generator.
fn call_with(
    c: *const apify_client,
    input: &str,
    options: &str,
    cb: *const apify_callbacks,
) -> Result<String, apify_status> {
    let (actor, input, options) = (cs(GENERATOR), cs(input), cs(options));
    text_call(|out| unsafe {
        apify_actor_call_with(c, actor.as_ptr(), input.as_ptr(), options.as_ptr(), cb, out)
    })
}

fn wait_with(
    c: *const apify_client,
    run_id: &str,
    wait_secs: i64,
    cb: *const apify_callbacks,
) -> Result<String, apify_status> {
    let run_id = cs(run_id);
    text_call(|out| unsafe { apify_run_wait_with(c, run_id.as_ptr(), wait_secs, cb, out) })
}

fn follow_log(c: *const apify_client, run_id: &str, cb: *const apify_callbacks) -> apify_status {
    let run_id = cs(run_id);
    unsafe { apify_run_follow_log(c, run_id.as_ptr(), cb) }
}

/// Starts the generator with `input`; the run's id.
fn start(c: *const apify_client, input: &str) -> String {
    let run = run_json(apify_actor_start, c, GENERATOR, Some(input), None);
    run["id"].as_str().unwrap().to_owned()
}

/// Creates a task of the generator; its id.
fn generator_task(c: *const apify_client) -> String {
    let body = r#"{"actId": "emulator~generator", "name": "ffi-callbacks", "input": {"count": 1}}"#;
    let task = request_json(c, "POST", "/v2/actor-tasks", Some(body));
    task["data"]["id"].as_str().unwrap().to_owned()
}

#[test]
fn callbacks_of_version_0_are_refused() {
    let live = Live::new();
    let c = live.client;
    let mut seen = Seen::default();
    let mut cb = seen.callbacks(true, true);
    cb.version = 0;
    let task = generator_task(c);
    let before = journal(c);
    let r = call_with(c, "{}", "{}", &cb);
    expect_failure(r.unwrap_err(), APIFY_STATUS_INVALID_ARGUMENT, "'callbacks'");
    let (task, empty) = (cs(&task), c"{}".as_ptr());
    let r =
        text_call(|out| unsafe { apify_task_call_with(c, task.as_ptr(), empty, empty, &cb, out) });
    expect_failure(
        r.unwrap_err(),
        APIFY_STATUS_INVALID_ARGUMENT,
        "APIFY_CALLBACKS_VERSION",
    );
    let r = wait_with(c, "someRunId123", -1, &cb);
    expect_failure(r.unwrap_err(), APIFY_STATUS_INVALID_ARGUMENT, "'callbacks'");
    let st = follow_log(c, "someRunId123", &cb);
    expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "'callbacks'");
    assert_eq!(journal(c), before, "a refused call reached the server");
    assert!(seen.progress.is_empty() && seen.log.is_empty());
    // follow_log needs its callbacks, with a log callback.
    let st = follow_log(c, "someRunId123", ptr::null());
    expect_failure(st, APIFY_STATUS_NULL_ARGUMENT, "'callbacks'");
    let st = follow_log(c, "someRunId123", &seen.callbacks(true, false));
    expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "'callbacks'");
}

#[test]
fn a_progress_callback_answering_non_zero_cancels_the_wait() {
    let live = Live::new();
    let c = live.client;
    let long = r#"{"durationSecs": 60}"#;
    // The first status answer cancels (polling, so that the first answer comes at once).
    let mut seen = Seen {
        stop_progress_at: Some(1),
        ..Seen::default()
    };
    let cb = seen.callbacks(true, false);
    let r = call_with(c, long, r#"{"pollIntervalSecs": 0.1}"#, &cb);
    // text_call checked that the out-parameter was left alone.
    let err = expect_failure(r.unwrap_err(), APIFY_STATUS_CANCELLED, "");
    assert_eq!(seen.progress.len(), 1, "progress called after it cancelled");
    // The run goes on; the last error names it and the status it had.
    let id = json_get(&seen.progress[0], "/id").unwrap();
    let status = json_get(&seen.progress[0], "/status").unwrap();
    assert_eq!(err["runId"], id.as_str(), "{err}");
    assert_eq!(err["runStatus"], status.as_str(), "{err}");
    assert!(err["message"].as_str().unwrap().contains(&id), "{err}");
    let run = id_json(apify_run_get, c, &id);
    assert!(
        matches!(run["status"].as_str(), Some("READY" | "RUNNING")),
        "{run}"
    );

    // The same for a wait (with a log callback as well) and for a task.
    let mut seen = Seen {
        stop_progress_at: Some(1),
        ..Seen::default()
    };
    let cb = seen.callbacks(true, true);
    expect_failure(
        wait_with(c, &id, 1, &cb).unwrap_err(),
        APIFY_STATUS_CANCELLED,
        "",
    );
    assert_eq!(seen.progress.len(), 1);
    let (task, options) = (cs(&generator_task(c)), cs(r#"{"pollIntervalSecs": 0.1}"#));
    let mut seen = Seen {
        stop_progress_at: Some(1),
        ..Seen::default()
    };
    let cb = seen.callbacks(true, false);
    let input = cs(long);
    let r = text_call(|out| unsafe {
        apify_task_call_with(c, task.as_ptr(), input.as_ptr(), options.as_ptr(), &cb, out)
    });
    expect_failure(r.unwrap_err(), APIFY_STATUS_CANCELLED, "");
    assert_eq!(seen.progress.len(), 1);
    let task_run = json_get(&seen.progress[0], "/id").unwrap();
    for id in [id, task_run] {
        let id = cs(&id);
        text_call(|out| unsafe { apify_run_abort(c, id.as_ptr(), 0, out) }).unwrap();
    }
}

#[test]
fn follow_log_delivers_exactly_the_log() {
    let live = Live::new();
    let c = live.client;
    let id = start(c, r#"{"logLines": 10, "durationSecs": 1}"#);
    let mut seen = Seen::default();
    expect_ok(
        follow_log(c, &id, &seen.callbacks(false, true)),
        "apify_run_follow_log",
    );
    let followed = seen.log_text();
    // It returned once the run ended; the log is complete.
    assert_eq!(id_json(apify_run_get, c, &id)["status"], "SUCCEEDED");
    let log = id_text(apify_run_get_log, c, Some(&id)).unwrap();
    assert_eq!(followed, log, "the followed log differs from the run's log");
    for i in 0..10 {
        assert!(log.contains(&format!("log line {i}")), "{log}");
    }
    // Following a finished run's log delivers all of it again.
    let mut again = Seen::default();
    expect_ok(
        follow_log(c, &id, &again.callbacks(false, true)),
        "follow again",
    );
    assert_eq!(again.log_text(), log);
    // A non-zero answer stops with CANCELLED.
    let mut stop = Seen {
        stop_log_at: Some(1),
        ..Seen::default()
    };
    let st = follow_log(c, &id, &stop.callbacks(false, true));
    expect_failure(st, APIFY_STATUS_CANCELLED, "");
    assert_eq!(stop.log_calls, 1, "log called after it cancelled");
}

#[test]
fn waiting_with_callbacks_sees_progress_and_the_log() {
    let live = Live::new();
    let c = live.client;
    let input = r#"{"logLines": 10, "durationSecs": 1, "count": 2}"#;
    let mut seen = Seen::default();
    let run = call_with(c, input, "{}", &seen.callbacks(true, true)).unwrap();
    let id = json_get(&run, "/id").unwrap();
    assert_eq!(json_get(&run, "/status").unwrap(), "SUCCEEDED");
    let log = id_text(apify_run_get_log, c, Some(&id)).unwrap();
    assert_eq!(seen.log_text(), log);
    // Every progress call had this run; the last one the final status.
    assert!(!seen.progress.is_empty());
    for p in &seen.progress {
        assert_eq!(json_get(p, "/id").unwrap(), id, "{p}");
    }
    assert_eq!(
        json_get(seen.progress.last().unwrap(), "/status").unwrap(),
        "SUCCEEDED"
    );

    // apify_run_wait_with on a started run; NULL callbacks are the same as none.
    let id = start(c, input);
    let mut seen = Seen::default();
    let run = wait_with(c, &id, -1, &seen.callbacks(true, true)).unwrap();
    assert_eq!(json_get(&run, "/status").unwrap(), "SUCCEEDED");
    assert_eq!(
        seen.log_text(),
        id_text(apify_run_get_log, c, Some(&id)).unwrap()
    );
    let run = wait_with(c, &id, -1, ptr::null()).unwrap();
    assert_eq!(json_get(&run, "/status").unwrap(), "SUCCEEDED");
    // A log callback that stops only stops the log: the wait goes on to the end.
    let id = start(c, input);
    let mut seen = Seen {
        stop_log_at: Some(1),
        ..Seen::default()
    };
    let run = wait_with(c, &id, -1, &seen.callbacks(false, true)).unwrap();
    assert_eq!(json_get(&run, "/status").unwrap(), "SUCCEEDED");
    assert_eq!(seen.log_calls, 1);
}
