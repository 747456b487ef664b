//! Run helpers the emulator's run-operation tests share.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Api, Resp};

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

pub fn get_run(api: &Api, run_id: &str) -> Value {
    api.get(&format!("/v2/actor-runs/{run_id}"))
        .expect(200)
        .data()
}

/// Starts a run and returns it once it is RUNNING.
pub fn running(api: &Api, actor: &str, input: &Value, query: &str) -> Value {
    let run = api.start_run(actor, input, query);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let run = get_run(api, &id(&run));
        if run["status"] == "RUNNING" {
            return run;
        }
        assert!(Instant::now() < deadline, "never RUNNING: {run}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn error(r: &Resp) -> (String, String) {
    let e = &r.json()["error"];
    (
        e["type"].as_str().unwrap().to_string(),
        e["message"].as_str().unwrap().to_string(),
    )
}

pub fn actor_id(api: &Api, name: &str) -> String {
    id(&api.get(&format!("/v2/acts/{name}")).expect(200).data())
}

/// A record of the run's default key-value store.
pub fn record(api: &Api, run: &Value, key: &str) -> Resp {
    let kvs = run["defaultKeyValueStoreId"].as_str().unwrap();
    api.get(&format!("/v2/key-value-stores/{kvs}/records/{key}"))
}

/// How many runs the account has.
pub fn total_runs(api: &Api) -> u64 {
    api.get("/v2/actor-runs").expect(200).data()["total"]
        .as_u64()
        .unwrap()
}
