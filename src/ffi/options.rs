//! The JSON option objects of the C ABI, with the JS client's names. Unknown keys and wrong
//! types are refused with a message that names them, so a typo never passes silently.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::errors::Failure;
use crate::{
    CallOptions, Client, ItemsOptions, KeysOptions, ReadOptions, StartOptions, WaitOptions,
    WaitStrategy, Webhook, WebhookWait, MAX_ITEMS_PER_REQUEST,
};

/// An options object type and the keys it takes.
pub(super) trait Keys: DeserializeOwned + Default {
    /// The option names, in groups.
    const KEYS: &'static [&'static [&'static str]];
}

const ITEMS_KEYS: &[&str] = &[
    "offset",
    "limit",
    "desc",
    "fields",
    "omit",
    "unwind",
    "flatten",
    "clean",
    "skipEmpty",
    "skipHidden",
    "view",
    "chunkSize",
    "pageBytes",
    "prefetchPages",
];

/// Parses an options object (NULL = all defaults), refusing keys the call does not take.
pub(super) fn parse_object<T: Keys>(v: Option<Value>, what: &str) -> Result<T, Failure> {
    match v {
        None | Some(Value::Null) => Ok(T::default()),
        Some(Value::Object(m)) => {
            let known = || T::KEYS.iter().flat_map(|g| g.iter());
            if let Some(k) = m.keys().find(|k| !known().any(|n| n == k)) {
                let names: Vec<&str> = known().copied().collect();
                return Err(Failure::invalid(format!(
                    "{what}: unknown option '{k}' (known: {})",
                    names.join(", ")
                )));
            }
            serde_json::from_value(Value::Object(m.clone())).map_err(|e| {
                // serde does not say which field had the wrong type: try them one by one.
                let culprit = m.iter().find_map(|(k, v)| {
                    let single = Value::Object([(k.clone(), v.clone())].into_iter().collect());
                    serde_json::from_value::<T>(single).err().map(|e| (k, e))
                });
                match culprit {
                    Some((k, e)) => Failure::invalid(format!("{what}: option '{k}' {e}")),
                    None => Failure::invalid(format!("{what}: {e}")),
                }
            })
        }
        Some(_) => Err(Failure::invalid(format!("{what} must be a JSON object"))),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ClientOpts {
    token: Option<String>,
    base_url: Option<String>,
    max_retries: Option<u32>,
    min_delay_between_retries_millis: Option<u64>,
    timeout_secs: Option<f64>,
    connect_timeout_secs: Option<f64>,
    user_agent_suffix: Option<String>,
    reconcile_window_secs: Option<f64>,
    proxy: Option<String>,
    ca_file: Option<String>,
    ca_pem: Option<String>,
    max_record_bytes: Option<u64>,
    max_page_bytes: Option<u64>,
}

impl Keys for ClientOpts {
    const KEYS: &'static [&'static [&'static str]] = &[&[
        "token",
        "baseUrl",
        "maxRetries",
        "minDelayBetweenRetriesMillis",
        "timeoutSecs",
        "connectTimeoutSecs",
        "userAgentSuffix",
        "reconcileWindowSecs",
        "proxy",
        "caFile",
        "caPem",
        "maxRecordBytes",
        "maxPageBytes",
    ]];
}

impl ClientOpts {
    pub(super) fn build(self) -> Result<Client, Failure> {
        let mut b = Client::builder();
        if let Some(t) = self.token {
            b = b.token(t);
        }
        if let Some(u) = self.base_url {
            b = b.base_url(u);
        }
        if let Some(n) = self.max_retries {
            b = b.max_retries(n);
        }
        if let Some(ms) = self.min_delay_between_retries_millis {
            b = b.min_retry_delay(Duration::from_millis(ms));
        }
        if let Some(t) = secs("timeoutSecs", self.timeout_secs, false, DAY)? {
            b = b.timeout(t);
        }
        if let Some(t) = secs("connectTimeoutSecs", self.connect_timeout_secs, false, DAY)? {
            b = b.connect_timeout(t);
        }
        if let Some(s) = self.user_agent_suffix {
            b = b.user_agent_suffix(s);
        }
        if let Some(t) = secs("reconcileWindowSecs", self.reconcile_window_secs, true, DAY)? {
            b = b.reconcile_window(t);
        }
        if let Some(p) = &self.proxy {
            b = b.proxy((!p.is_empty()).then_some(p.as_str()));
        }
        if let Some(path) = &self.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| Failure::invalid(format!("caFile: cannot read '{path}': {e}")))?;
            b = b.add_root_certificate_pem(pem);
        }
        if let Some(pem) = self.ca_pem {
            b = b.add_root_certificate_pem(pem.into_bytes());
        }
        if let Some(n) = self.max_record_bytes {
            b = b.max_record_bytes(n);
        }
        if let Some(n) = self.max_page_bytes {
            b = b.max_page_bytes(n);
        }
        Ok(b.build()?)
    }
}

/// A day: the largest duration an option takes (a longer one is a mistake, not a setting).
const DAY: f64 = 86_400.0;

/// A duration option in seconds, refused with its name when it is not a finite number in range
/// (0 allowed only with `zero_ok`).
pub(super) fn secs(
    name: &str,
    value: Option<f64>,
    zero_ok: bool,
    max: f64,
) -> Result<Option<Duration>, Failure> {
    let Some(v) = value else { return Ok(None) };
    let low_ok = if zero_ok { v >= 0.0 } else { v > 0.0 };
    if !(v.is_finite() && low_ok && v <= max) {
        let low = if zero_ok { "from 0" } else { "above 0" };
        return Err(Failure::invalid(format!(
            "option {name} must be a number of seconds {low} up to {max}, got {v}"
        )));
    }
    Ok(Some(Duration::from_secs_f64(v)))
}

/// A list option: a JSON array of strings or one comma-separated string.
pub(super) enum List {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for List {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(List::One(s)),
            Value::Array(items) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(()),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(List::Many)
                .map_err(|_| serde::de::Error::custom("must be an array of strings")),
            _ => Err(serde::de::Error::custom(
                "must be a comma-separated string or an array of strings",
            )),
        }
    }
}

impl List {
    fn into_vec(self) -> Vec<String> {
        match self {
            List::One(s) => s
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
            List::Many(v) => v,
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ItemsOpts {
    offset: Option<u64>,
    limit: Option<u64>,
    desc: Option<bool>,
    fields: Option<List>,
    omit: Option<List>,
    unwind: Option<List>,
    flatten: Option<List>,
    clean: Option<bool>,
    skip_empty: Option<bool>,
    skip_hidden: Option<bool>,
    view: Option<String>,
    chunk_size: Option<u64>,
    page_bytes: Option<u64>,
    prefetch_pages: Option<u32>,
}

impl Keys for ItemsOpts {
    const KEYS: &'static [&'static [&'static str]] = &[ITEMS_KEYS];
}

impl ItemsOpts {
    /// How an iterator reads: `chunkSize` (exactly that many items a page), else pages of
    /// about `pageBytes`; `prefetchPages` read ahead.
    pub(super) fn read_options(&self) -> Result<ReadOptions, Failure> {
        let mut read = ReadOptions::default();
        match self.chunk_size {
            Some(0) => return Err(Failure::invalid("option chunkSize must be at least 1")),
            Some(n) if n > MAX_ITEMS_PER_REQUEST => {
                return Err(Failure::invalid(format!(
                    "option chunkSize must be at most {MAX_ITEMS_PER_REQUEST} (the API's most items per request), got {n}"
                )))
            }
            Some(n) => read.page_size = Some(n),
            None => {}
        }
        match self.page_bytes {
            Some(n) if !(1024..=(1 << 30)).contains(&n) => {
                return Err(Failure::invalid(format!(
                    "option pageBytes must be from 1024 to 1073741824, got {n}"
                )))
            }
            Some(_) if self.chunk_size.is_some() => {
                return Err(Failure::invalid(
                    "options chunkSize and pageBytes do not go together (a fixed page size or one by bytes)",
                ))
            }
            Some(n) => read.page_bytes = n,
            None => {}
        }
        match self.prefetch_pages {
            Some(n) if n > 64 => {
                return Err(Failure::invalid(format!(
                    "option prefetchPages must be at most 64, got {n}"
                )))
            }
            Some(n) => read.prefetch_pages = n as usize,
            None => {}
        }
        Ok(read)
    }

    pub(super) fn items_options(self) -> ItemsOptions {
        let list = |l: Option<List>| l.map(List::into_vec).unwrap_or_default();
        ItemsOptions {
            offset: self.offset,
            limit: self.limit,
            desc: self.desc.unwrap_or(false),
            fields: list(self.fields),
            omit: list(self.omit),
            unwind: list(self.unwind),
            flatten: list(self.flatten),
            clean: self.clean.unwrap_or(false),
            skip_empty: self.skip_empty.unwrap_or(false),
            skip_hidden: self.skip_hidden.unwrap_or(false),
            view: self.view,
        }
    }
}

/// Run options for start, call and the synchronous runs (which also take the items options).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CallOpts {
    build: Option<String>,
    memory: Option<u32>,
    timeout: Option<u64>,
    max_items: Option<u64>,
    max_total_charge_usd: Option<f64>,
    restart_on_error: Option<bool>,
    wait_for_finish: Option<u64>,
    webhooks: Option<Vec<Webhook>>,
    wait_secs: Option<f64>,
    poll_interval_secs: Option<f64>,
    wait_strategy: Option<String>,
    webhook_listen: Option<String>,
    webhook_public_url: Option<String>,
    webhook_fallback_secs: Option<f64>,
    reruns_on_failure: Option<u32>,
    validate_input: Option<bool>,
    pub(super) output_record_key: Option<String>,
    #[serde(flatten)]
    pub(super) items: ItemsOpts,
}

impl Keys for CallOpts {
    const KEYS: &'static [&'static [&'static str]] = &[
        &[
            "build",
            "memory",
            "timeout",
            "maxItems",
            "maxTotalChargeUsd",
            "restartOnError",
            "waitForFinish",
            "webhooks",
            "waitSecs",
            "pollIntervalSecs",
            "waitStrategy",
            "webhookListen",
            "webhookPublicUrl",
            "webhookFallbackSecs",
            "rerunsOnFailure",
            "validateInput",
            "outputRecordKey",
        ],
        ITEMS_KEYS,
    ];
}

impl CallOpts {
    pub(super) fn start_options(&self) -> Result<StartOptions, Failure> {
        Ok(StartOptions {
            build: self.build.clone(),
            memory_mbytes: self.memory,
            timeout: self.timeout.map(Duration::from_secs),
            max_items: self.max_items,
            max_total_charge_usd: self.max_total_charge_usd,
            restart_on_error: self.restart_on_error,
            wait_for_finish: self.wait_for_finish.map(Duration::from_secs),
            webhooks: self.webhooks.clone().unwrap_or_default(),
            validate_input: self.validate_input.unwrap_or(false),
        })
    }

    pub(super) fn call_options(&self) -> Result<CallOptions, Failure> {
        Ok(CallOptions {
            start: self.start_options()?,
            wait: self.wait()?,
            reruns_on_failure: self.reruns_on_failure.unwrap_or(0),
        })
    }

    /// The wait: `waitSecs`, and `waitStrategy` (`longPoll` default, `poll` with
    /// `pollIntervalSecs`, `webhook` with `webhookListen`, `webhookPublicUrl`,
    /// `webhookFallbackSecs`).
    fn wait(&self) -> Result<WaitOptions, Failure> {
        let mut wait = wait_options(self.wait_secs, self.poll_interval_secs)?;
        let webhook_keys = self.webhook_listen.is_some()
            || self.webhook_public_url.is_some()
            || self.webhook_fallback_secs.is_some();
        match self.wait_strategy.as_deref() {
            None | Some("longPoll") | Some("poll") if webhook_keys => Err(Failure::invalid(
                "options webhookListen, webhookPublicUrl and webhookFallbackSecs go with waitStrategy \"webhook\"",
            )),
            None => Ok(wait),
            Some("longPoll") if self.poll_interval_secs.is_some() => Err(Failure::invalid(
                "option pollIntervalSecs goes with waitStrategy \"poll\", not \"longPoll\"",
            )),
            Some("longPoll") => Ok(wait),
            Some("poll") => {
                if self.poll_interval_secs.is_none() {
                    wait.strategy = WaitStrategy::Poll {
                        interval: Duration::from_secs(1),
                    };
                }
                Ok(wait)
            }
            Some("webhook") => {
                if self.poll_interval_secs.is_some() {
                    return Err(Failure::invalid(
                        "option pollIntervalSecs goes with waitStrategy \"poll\", not \"webhook\"",
                    ));
                }
                let mut hook = WebhookWait::default();
                if let Some(listen) = &self.webhook_listen {
                    if listen.parse::<std::net::SocketAddr>().is_err() {
                        return Err(Failure::invalid(format!(
                            "option webhookListen must be an address and port such as 127.0.0.1:0, got '{listen}'"
                        )));
                    }
                    hook.listen = listen.clone();
                }
                if let Some(url) = &self.webhook_public_url {
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        return Err(Failure::invalid(format!(
                            "option webhookPublicUrl must start with http:// or https://, got '{url}'"
                        )));
                    }
                    hook.public_url = Some(url.clone());
                }
                if let Some(f) = secs("webhookFallbackSecs", self.webhook_fallback_secs, false, DAY)? {
                    hook.fallback = f;
                }
                wait.strategy = WaitStrategy::Webhook(hook);
                Ok(wait)
            }
            Some(other) => Err(Failure::invalid(format!(
                "option waitStrategy must be \"longPoll\", \"poll\" or \"webhook\", got \"{other}\""
            ))),
        }
    }
}

/// Wait options from `waitSecs` (negative or absent: no limit) and `pollIntervalSecs` (plain
/// polling at that interval instead of long polling).
pub(super) fn wait_options(
    wait_secs: Option<f64>,
    poll_interval_secs: Option<f64>,
) -> Result<WaitOptions, Failure> {
    let budget = match wait_secs {
        Some(s) if s < 0.0 && s.is_finite() => None,
        other => secs("waitSecs", other, true, 366.0 * DAY)?,
    };
    let mut wait = WaitOptions {
        budget,
        ..WaitOptions::default()
    };
    if let Some(interval) = secs("pollIntervalSecs", poll_interval_secs, false, 3600.0)? {
        wait.strategy = WaitStrategy::Poll { interval };
    }
    Ok(wait)
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KeysOpts {
    limit: Option<u32>,
    exclusive_start_key: Option<String>,
    prefix: Option<String>,
    collection: Option<String>,
}

impl Keys for KeysOpts {
    const KEYS: &'static [&'static [&'static str]] =
        &[&["limit", "exclusiveStartKey", "prefix", "collection"]];
}

impl KeysOpts {
    pub(super) fn keys_options(self) -> KeysOptions {
        KeysOptions {
            limit: self.limit,
            exclusive_start_key: self.exclusive_start_key,
            prefix: self.prefix,
            collection: self.collection,
        }
    }
}

/// Options of the run lists: offset, limit (default 100), desc, status (one, or several
/// separated by commas), startedAfter, startedBefore (ISO 8601 UTC).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RunsOpts {
    offset: Option<u64>,
    limit: Option<u64>,
    desc: Option<bool>,
    status: Option<String>,
    started_after: Option<String>,
    started_before: Option<String>,
}

impl Keys for RunsOpts {
    const KEYS: &'static [&'static [&'static str]] = &[&[
        "offset",
        "limit",
        "desc",
        "status",
        "startedAfter",
        "startedBefore",
    ]];
}

impl RunsOpts {
    /// The Rust options (checked when the list is requested).
    pub(super) fn runs_options(self) -> crate::RunsOptions {
        let mut o = crate::RunsOptions::default()
            .offset(self.offset.unwrap_or(0))
            .limit(self.limit.unwrap_or(100))
            .desc(self.desc.unwrap_or(false))
            .statuses(
                self.status
                    .iter()
                    .flat_map(|s| s.split(','))
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| crate::RunStatus::parse(s.trim())),
            );
        o.started_after = self.started_after;
        o.started_before = self.started_before;
        o
    }
}

/// Options of the last run.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LastRunOpts {
    pub(super) status: Option<String>,
}

impl Keys for LastRunOpts {
    const KEYS: &'static [&'static [&'static str]] = &[&["status"]];
}

/// Options of a metamorph: build (the target Actor's tag or number).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MetamorphOpts {
    build: Option<String>,
}

impl Keys for MetamorphOpts {
    const KEYS: &'static [&'static [&'static str]] = &[&["build"]];
}

impl MetamorphOpts {
    pub(super) fn metamorph_options(self) -> crate::MetamorphOptions {
        crate::MetamorphOptions { build: self.build }
    }
}

/// A charge: eventName (required), count (default 1), idempotencyKey (default: a new one).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ChargeOpts {
    event_name: Option<String>,
    count: Option<u64>,
    idempotency_key: Option<String>,
}

impl Keys for ChargeOpts {
    const KEYS: &'static [&'static [&'static str]] = &[&["eventName", "count", "idempotencyKey"]];
}

impl ChargeOpts {
    pub(super) fn charge_options(self) -> Result<crate::ChargeOptions, Failure> {
        let name = self
            .event_name
            .ok_or_else(|| Failure::invalid("charge options: 'eventName' is required"))?;
        let mut o = crate::ChargeOptions::new(name).count(self.count.unwrap_or(1));
        o.idempotency_key = self.idempotency_key;
        Ok(o)
    }
}
