//! The built-in programs that runs execute, and the workers that run them: abort, timeout,
//! restartOnError and takeover by a resurrect are all checked here.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::registry::Program;
use super::state::{Item, Shared, State, Status};
use super::util::now_millis;
use super::webhook_delivery;

/// How often `restartOnError` restarts a failed run before it stays FAILED.
const MAX_RESTARTS_ON_ERROR: u64 = 2;

/// Marks a run terminal. The caller notifies waiters and fires webhooks after unlocking.
pub(crate) fn finish_run(st: &mut State, run_id: &str, status: Status, exit_code: Option<i64>) {
    let Some(run) = st.runs.get_mut(run_id) else {
        return;
    };
    run.status = status;
    run.finished_at = Some(now_millis());
    run.exit_code = exit_code;
    run.is_status_message_terminal = true;
    if run.status_message.is_none() {
        run.status_message = Some(
            match status {
                Status::Succeeded => "Finished!",
                Status::Failed => "The Actor failed.",
                Status::TimedOut => "The run timed out.",
                _ => "The run was aborted.",
            }
            .to_string(),
        );
    }
    let line = format!("ACTOR: Run finished with status {}.", status.as_str());
    st.log(run_id, &line);
}

/// Why a worker stopped before its program ended.
enum Interrupt {
    Aborted,
    TimedOut,
    /// The emulator stopped, or a resurrect or abort took the run over.
    Gone,
}

struct Worker {
    shared: Arc<Shared>,
    run_id: String,
    generation: u64,
    timeout_at: Option<Instant>,
}

impl Worker {
    /// Checks for abort, timeout and takeover; `Ok` when the program may go on.
    fn check(&self, st: &State) -> Result<(), Interrupt> {
        if self.shared.stop.load(Ordering::SeqCst) {
            return Err(Interrupt::Gone);
        }
        let Some(run) = st.runs.get(&self.run_id) else {
            return Err(Interrupt::Gone);
        };
        if run.generation != self.generation || run.status.is_terminal() {
            return Err(Interrupt::Gone);
        }
        if run.abort_requested.is_some() {
            return Err(Interrupt::Aborted);
        }
        if self.timeout_at.is_some_and(|t| Instant::now() >= t) {
            return Err(Interrupt::TimedOut);
        }
        Ok(())
    }

    /// Sleeps until `until`, waking for abort, timeout and takeover.
    fn sleep_until(&self, until: Instant) -> Result<(), Interrupt> {
        loop {
            {
                let st = self.shared.lock();
                self.check(&st)?;
                let now = Instant::now();
                if now >= until {
                    return Ok(());
                }
                let mut wake = until;
                if let Some(t) = self.timeout_at {
                    wake = wake.min(t);
                }
                // Woken by notify (abort) or at the deadline.
                let _st = self.shared.wait_until(st, wake, |st| {
                    st.runs.get(&self.run_id).is_none_or(|r| {
                        r.abort_requested.is_some() || r.generation != self.generation
                    })
                });
            }
        }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> Result<T, Interrupt> {
        let mut st = self.shared.lock();
        self.check(&st)?;
        Ok(f(&mut st))
    }
}

pub(crate) fn spawn_worker(
    shared: &Arc<Shared>,
    run_id: &str,
    generation: u64,
    program: Program,
    input: Value,
) {
    let shared = shared.clone();
    let run_id = run_id.to_string();
    let _ = thread::Builder::new()
        .name("emulator-run".into())
        .spawn(move || run_worker(shared, run_id, generation, program, input));
}

fn run_worker(
    shared: Arc<Shared>,
    run_id: String,
    generation: u64,
    program: Program,
    input: Value,
) {
    let timeout_secs = {
        let mut st = shared.lock();
        let Some(run) = st.runs.get_mut(&run_id) else {
            return;
        };
        if run.generation != generation || run.status.is_terminal() {
            return;
        }
        // A graceful abort that came while the run was READY keeps it ABORTING; the program's
        // first check then ends it.
        if run.abort_requested.is_none() {
            run.status = Status::Running;
        }
        let t = run.options.timeout_secs;
        st.log(&run_id, "ACTOR: Run started.");
        t
    };
    shared.notify();
    let worker = Worker {
        timeout_at: (timeout_secs > 0).then(|| Instant::now() + Duration::from_secs(timeout_secs)),
        shared,
        run_id,
        generation,
    };
    let outcome = loop {
        let result = match program {
            Program::HelloWorld => hello_world(&worker, &input),
            Program::Generator => generator(&worker, &input),
        };
        // restartOnError: a failed run starts over, up to MAX_RESTARTS_ON_ERROR times.
        if let Ok(Status::Failed) = result {
            let restarted = worker.with_state(|st| {
                let run = st.runs.get_mut(&worker.run_id).expect("run exists");
                if run.options.restart_on_error && run.restart_count < MAX_RESTARTS_ON_ERROR {
                    run.restart_count += 1;
                    st.log(
                        &worker.run_id,
                        "ACTOR: The run failed; restarting it (restartOnError).",
                    );
                    true
                } else {
                    false
                }
            });
            if restarted.unwrap_or(false) {
                continue;
            }
        }
        break result;
    };
    let (status, exit_code) = match outcome {
        Ok(Status::Succeeded) => (Status::Succeeded, Some(0)),
        Ok(_) => (Status::Failed, Some(1)),
        Err(Interrupt::Aborted) => (Status::Aborted, None),
        Err(Interrupt::TimedOut) => {
            // Not through `with_state`: its check reports the (passed) timeout again and the
            // run would stay RUNNING for ever. Only a takeover or an abort stops us here.
            {
                let mut st = worker.shared.lock();
                let run = match st.runs.get_mut(&worker.run_id) {
                    Some(r) if r.generation == worker.generation && !r.status.is_terminal() => r,
                    _ => return,
                };
                if run.abort_requested.is_none() {
                    run.status = Status::TimingOut;
                    st.log(
                        &worker.run_id,
                        "ACTOR: The run exceeded its timeout; timing out.",
                    );
                }
            }
            worker.shared.notify();
            thread::sleep(Duration::from_millis(50));
            (Status::TimedOut, None)
        }
        Err(Interrupt::Gone) => return,
    };
    {
        let mut st = worker.shared.lock();
        let Some(run) = st.runs.get(&worker.run_id) else {
            return;
        };
        if run.generation != worker.generation || run.status.is_terminal() {
            return;
        }
        // A graceful abort that arrived while the program was finishing still wins.
        let status = if run.abort_requested.is_some() {
            Status::Aborted
        } else {
            status
        };
        finish_run(&mut st, &worker.run_id, status, exit_code);
    }
    worker.shared.notify();
    let event = {
        let st = worker.shared.lock();
        // Deleted as soon as it finished: no event then.
        st.runs
            .get(&worker.run_id)
            .and_then(|r| r.status.event_type())
    };
    if let Some(event) = event {
        webhook_delivery::fire(&worker.shared, &worker.run_id, event);
    }
}

fn hello_world(w: &Worker, input: &Value) -> Result<Status, Interrupt> {
    let message = input
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("Hello, world!");
    let item = json!({ "message": message });
    w.with_state(|st| {
        let run = &st.runs[&w.run_id];
        let (ds, kvs) = (run.dataset_id.clone(), run.kvs_id.clone());
        let obj = item.as_object().expect("object");
        st.push_items(&ds, vec![Item::from_object(obj)]);
        let _ = st.put_record(
            &kvs,
            "OUTPUT",
            item.to_string().into_bytes(),
            "application/json; charset=utf-8".into(),
        );
        st.log(&w.run_id, &format!("apify/hello-world: {message}"));
    })?;
    Ok(Status::Succeeded)
}

fn generator(w: &Worker, input: &Value) -> Result<Status, Interrupt> {
    let u = |k: &str, d: u64| input.get(k).and_then(Value::as_u64).unwrap_or(d);
    let count = u("count", 10);
    let item_bytes = u("itemBytes", 0) as usize;
    let empty_every = u("emptyEvery", 0);
    let hidden = input
        .get("hidden")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let duration = input
        .get("durationSecs")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let failed = input.get("outcome").and_then(Value::as_str) == Some("FAILED");
    let records = u("records", 0);
    let log_lines = u("logLines", 3);
    let text = "x".repeat(item_bytes);
    let make_item = |i: u64| -> Item {
        if empty_every > 0 && (i + 1) % empty_every == 0 {
            return Item {
                json: "{}".into(),
                empty: true,
                hidden: false,
            };
        }
        let json = if hidden {
            format!("{{\"index\":{i},\"text\":\"{text}\",\"#debug\":{{\"index\":{i}}}}}")
        } else {
            format!("{{\"index\":{i},\"text\":\"{text}\"}}")
        };
        Item {
            json: json.into(),
            empty: false,
            hidden,
        }
    };
    let (dataset_id, kvs_id) = w.with_state(|st| {
        let run = st.runs.get_mut(&w.run_id).expect("run exists");
        if let Some(m) = input.get("statusMessage").and_then(Value::as_str) {
            run.status_message = Some(m.to_string());
        }
        let ids = (run.dataset_id.clone(), run.kvs_id.clone());
        for i in 0..log_lines {
            st.log(&w.run_id, &format!("emulator/generator: log line {i}"));
        }
        ids
    })?;
    w.shared.notify();
    let started = Instant::now();
    if duration <= 0.0 {
        const BATCH: u64 = 10_000;
        let mut i = 0;
        while i < count {
            let end = (i + BATCH).min(count);
            let batch: Vec<Item> = (i..end).map(make_item).collect();
            w.with_state(|st| st.push_items(&dataset_id, batch))?;
            i = end;
        }
    } else {
        let total = Duration::from_secs_f64(duration);
        for i in 0..count {
            let at = started + total.mul_f64((i + 1) as f64 / count as f64);
            w.sleep_until(at)?;
            let item = make_item(i);
            w.with_state(|st| st.push_items(&dataset_id, vec![item]))?;
        }
        w.sleep_until(started + total)?;
    }
    let output = match (
        input.get("outputText").and_then(Value::as_str),
        input.get("output"),
    ) {
        (Some(t), _) => (
            t.as_bytes().to_vec(),
            input
                .get("outputContentType")
                .and_then(Value::as_str)
                .unwrap_or("text/plain; charset=utf-8")
                .to_string(),
        ),
        (None, Some(v)) if !v.is_null() => (
            v.to_string().into_bytes(),
            "application/json; charset=utf-8".to_string(),
        ),
        _ => (
            json!({ "count": count }).to_string().into_bytes(),
            "application/json; charset=utf-8".to_string(),
        ),
    };
    w.with_state(|st| {
        for r in 0..records {
            let _ = st.put_record(
                &kvs_id,
                &format!("record-{r:05}"),
                json!({ "index": r }).to_string().into_bytes(),
                "application/json; charset=utf-8".into(),
            );
        }
        let _ = st.put_record(&kvs_id, "OUTPUT", output.0, output.1);
        let pushed = st.datasets.get(&dataset_id).map_or(0, |d| d.items.len());
        st.log(
            &w.run_id,
            &format!("emulator/generator: dataset holds {pushed} items; done."),
        );
    })?;
    Ok(if failed {
        Status::Failed
    } else {
        Status::Succeeded
    })
}
