//! The API's JSON views of runs and storages, as the platform shows them.

use serde_json::{json, Value};

use super::rq_state::{QueueRequest, RequestQueue};
use super::signing::content_signature;
use super::state::{Dataset, KeyValueStore, Run, State};
use super::util::{iso_millis, now_millis};

impl State {
    pub(crate) fn run_json(&self, run: &Run) -> Value {
        let now = now_millis();
        let end = run.finished_at.unwrap_or(now);
        let duration = end.saturating_sub(run.started_at);
        let item_count = self
            .datasets
            .get(&run.dataset_id)
            .map(|d| d.items.len())
            .unwrap_or(0);
        let mut options = json!({
            "build": run.options.build,
            "timeoutSecs": run.options.timeout_secs,
            "memoryMbytes": run.options.memory_mbytes,
            "diskMbytes": run.options.memory_mbytes * 2,
        });
        if let Some(max) = run.options.max_items {
            options["maxItems"] = json!(max);
        }
        if let Some(max) = run.options.max_total_charge_usd {
            options["maxTotalChargeUsd"] = json!(max);
        }
        let mut out = json!({
            "id": run.id,
            "actId": run.act_id,
            "userId": self.user.id,
            "actorTaskId": run.task_id,
            "startedAt": iso_millis(run.started_at),
            "finishedAt": run.finished_at.map(iso_millis),
            "status": run.status.as_str(),
            "statusMessage": run.status_message,
            "isStatusMessageTerminal": run.is_status_message_terminal,
            "meta": self.run_meta(run),
            "stats": {
                "inputBodyLen": run.input_body_len,
                "migrationCount": 0,
                "rebootCount": 0,
                "restartCount": run.restart_count,
                "resurrectCount": run.resurrect_count,
                "memAvgBytes": 0,
                "memMaxBytes": 0,
                "memCurrentBytes": 0,
                "cpuAvgUsage": 0,
                "cpuMaxUsage": 0,
                "cpuCurrentUsage": 0,
                "netRxBytes": 0,
                "netTxBytes": 0,
                "durationMillis": duration,
                "runTimeSecs": duration as f64 / 1000.0,
                "metamorph": 0,
                "computeUnits": 0,
                "datasetItemCount": item_count,
            },
            "options": options,
            "buildId": run.build_id,
            "buildNumber": run.build_number,
            "exitCode": run.exit_code,
            "defaultKeyValueStoreId": run.kvs_id,
            "defaultDatasetId": run.dataset_id,
            "defaultRequestQueueId": run.queue_id,
            "generalAccess": "FOLLOW_USER_SETTING",
            "usageTotalUsd": 0,
            "usage": {},
        });
        run.extras.show(&mut out, self.run_pricing(run));
        out
    }

    /// The pricing in effect for a run now: its Actor's current `pricingInfos` entry.
    pub(crate) fn run_pricing(&self, run: &Run) -> Option<&Value> {
        let actor = self.actors.iter().find(|a| a.id == run.act_id)?;
        super::pricing::current(actor.extra.get("pricingInfos"), now_millis())
    }

    /// A run's `meta`: started through the API, or by a schedule (which it names).
    fn run_meta(&self, run: &Run) -> Value {
        let mut meta = json!({
            "origin": "API",
            "clientIp": run.client_ip,
            "userAgent": run.user_agent,
        });
        if let Some(s) = self.scheduled_runs.get(&run.id) {
            meta["origin"] = json!("SCHEDULER");
            meta["scheduleId"] = json!(s.schedule_id);
            meta["scheduledAt"] = json!(iso_millis(s.scheduled_at));
        }
        meta
    }

    pub(crate) fn run_short_json(&self, run: &Run) -> Value {
        json!({
            "id": run.id,
            "actId": run.act_id,
            "actorTaskId": run.task_id,
            "userId": self.user.id,
            "status": run.status.as_str(),
            "startedAt": iso_millis(run.started_at),
            "finishedAt": run.finished_at.map(iso_millis),
            "buildId": run.build_id,
            "buildNumber": run.build_number,
            "meta": self.run_meta(run),
            "usageTotalUsd": super::run_extras::round_usd(run.extras.charged_usd),
            "defaultKeyValueStoreId": run.kvs_id,
            "defaultDatasetId": run.dataset_id,
            "defaultRequestQueueId": run.queue_id,
        })
    }

    pub(crate) fn dataset_json(&self, ds: &Dataset, console_base: &str) -> Value {
        json!({
            "id": ds.id,
            "name": ds.name,
            "title": ds.title,
            "userId": self.user.id,
            "username": self.user.username,
            "createdAt": iso_millis(ds.created_at),
            "modifiedAt": iso_millis(ds.modified_at),
            "accessedAt": iso_millis(ds.accessed_at),
            "itemCount": ds.items.len(),
            "cleanItemCount": ds.items.iter().filter(|i| !i.empty).count(),
            "actId": ds.act_id,
            "actRunId": ds.act_run_id,
            "fields": Value::Null,
            "consoleUrl": format!("{console_base}/storage/datasets/{}", ds.id),
            "itemsPublicUrl": format!(
                "{console_base}/v2/datasets/{}/items?signature={}",
                ds.id,
                content_signature(&ds.signing_key, &ds.id, 0)
            ),
            "urlSigningSecretKey": ds.signing_key,
            "generalAccess": ds.general_access,
            "stats": {
                "readCount": ds.read_count,
                "writeCount": ds.write_count,
                "storageBytes": ds.items.iter().map(|i| i.json.len()).sum::<usize>(),
            },
        })
    }

    pub(crate) fn store_json(&self, st: &KeyValueStore, console_base: &str) -> Value {
        json!({
            "id": st.id,
            "name": st.name,
            "title": st.title,
            "userId": self.user.id,
            "username": self.user.username,
            "createdAt": iso_millis(st.created_at),
            "modifiedAt": iso_millis(st.modified_at),
            "accessedAt": iso_millis(st.accessed_at),
            "actId": st.act_id,
            "actRunId": st.act_run_id,
            "consoleUrl": format!("{console_base}/storage/key-value-stores/{}", st.id),
            "keysPublicUrl": format!(
                "{console_base}/v2/key-value-stores/{}/keys?signature={}",
                st.id,
                content_signature(&st.signing_key, &st.id, 0)
            ),
            "recordsPublicUrl": format!(
                "{console_base}/v2/key-value-stores/{}/records?signature={}",
                st.id,
                content_signature(&st.signing_key, &st.id, 0)
            ),
            "urlSigningSecretKey": st.signing_key,
            "generalAccess": st.general_access,
            "stats": {
                "readCount": st.read_count,
                "writeCount": st.write_count,
                "deleteCount": st.delete_count,
                "listCount": st.list_count,
                "storageBytes": st.records.values().map(|r| r.data.len()).sum::<usize>(),
            },
        })
    }

    pub(crate) fn queue_json(&self, q: &RequestQueue, console_base: &str) -> Value {
        json!({
            "id": q.id,
            "name": q.name,
            "title": q.title,
            "userId": self.user.id,
            "username": self.user.username,
            "createdAt": iso_millis(q.created_at),
            "modifiedAt": iso_millis(q.modified_at),
            "accessedAt": iso_millis(q.accessed_at),
            "totalRequestCount": q.total_count(),
            "handledRequestCount": q.handled_count(),
            "pendingRequestCount": q.pending_count(),
            "hadMultipleClients": q.had_multiple_clients,
            "actId": q.act_id,
            "actRunId": q.act_run_id,
            "consoleUrl": format!("{console_base}/storage/request-queues/{}", q.id),
            "generalAccess": q.general_access,
            "stats": {
                "readCount": q.stats.read_count,
                "writeCount": q.stats.write_count,
                "deleteCount": q.stats.delete_count,
                "headItemReadCount": q.stats.head_item_read_count,
                "storageBytes": q.storage_bytes(),
            },
        })
    }
}

/// A request as the API shows it: its fields, id, uniqueKey and (when handled) handledAt.
pub(crate) fn request_json(r: &QueueRequest) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("id".into(), json!(r.id));
    out.insert("uniqueKey".into(), json!(r.unique_key));
    for (k, v) in &r.fields {
        out.insert(k.clone(), v.clone());
    }
    if let Some(at) = &r.handled_at {
        out.insert("handledAt".into(), json!(at));
    }
    Value::Object(out)
}

/// A request in a queue head: the few fields a crawler needs to pick it.
pub(crate) fn head_json(r: &QueueRequest) -> Value {
    json!({
        "id": r.id,
        "uniqueKey": r.unique_key,
        "url": r.fields.get("url"),
        "method": r.fields.get("method"),
        "retryCount": r.fields.get("retryCount"),
    })
}
