//! The user: private data (`users/me`), public profiles (`users/{id}`), monthly usage counted
//! from the runs the emulator holds (and kept for those deleted), and the account limits (two of
//! which the user may change).
//!
//! Usage cycles are calendar months (UTC). A run counts in the cycle and on the day it started:
//! compute units are its memory in GB times its hours so far, dataset and key-value store
//! writes the items and records in its default storages, and the events a pay-per-event run
//! charged go on a `PAY_PER_EVENT` line (quantity: events; amount: the USD charged, as the
//! run's `usageTotalUsd` has it; no unit price, as events are priced each by their Actor).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::emulator::context::Ctx;
use crate::emulator::reply::{data_response, json_kind, json_response, ApiError, ApiResult};
use crate::emulator::run_extras::round_usd;
use crate::emulator::state::{Run, State, Used};
use crate::emulator::util::{civil_from_days, iso_millis, now_millis};

const DAY_MS: u64 = 86_400_000;
/// The most a user may set as the monthly usage limit.
const MAX_USAGE_LIMIT_USD: f64 = 1_000_000.0;
/// Data retention may be set from 1 day to a year.
const RETENTION_DAYS: std::ops::RangeInclusive<u64> = 1..=365;

/// Price of one unit of each service the emulator counts, in USD.
const SERVICES: [(&str, f64); 3] = [
    ("ACTOR_COMPUTE_UNITS", 0.4),
    ("DATASET_WRITES", 0.000_005),
    ("KEY_VALUE_STORE_WRITES", 0.000_05),
];

pub(crate) fn route(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET", ["me"]) => Ok(data_response(200, user_me(ctx))),
        ("GET", ["me", "usage", "monthly"]) => monthly_usage(ctx),
        ("GET", ["me", "limits"]) => Ok(data_response(200, limits(ctx))),
        ("PUT", ["me", "limits"]) => update_limits(ctx),
        ("GET", [id]) => public_user(ctx, id),
        _ => Err(ApiError::no_route()),
    }
}

/// Whether `GET /v2/users/{id}` (a public profile, no token needed) is asked for.
pub(crate) fn is_public_profile(method: &str, segs: &[&str]) -> bool {
    method == "GET" && matches!(segs, ["v2", "users", id] if *id != "me")
}

fn user_me(ctx: &Ctx) -> Value {
    let st = ctx.shared.lock();
    let feature = json!({"isEnabled": true, "disabledReason": null, "disabledReasonType": null,
                         "isTrial": false, "trialExpirationAt": null});
    let features: Map<String, Value> = [
        "ACTORS",
        "STORAGE",
        "SCHEDULER",
        "PROXY",
        "PROXY_EXTERNAL_ACCESS",
        "PROXY_RESIDENTIAL",
        "PROXY_SERPS",
        "WEBHOOKS",
        "ACTORS_PUBLIC_ALL",
        "ACTORS_PUBLIC_DEVELOPER",
    ]
    .iter()
    .map(|k| (k.to_string(), feature.clone()))
    .collect();
    let mut plan = json!({"id": "EMULATOR", "description": "Local emulator", "isEnabled": true,
                          "availableProxyGroups": {}});
    // The plan names two of the limits differently.
    for (k, v) in plan_limits(&st) {
        let k = match k.as_str() {
            "maxConcurrentActorJobs" => "maxConcurrentActorRuns".to_string(),
            "maxTeamAccountSeatCount" => "teamAccountSeatCount".to_string(),
            _ => k,
        };
        plan[k] = v;
    }
    json!({
        "id": st.user.id,
        "username": st.user.username,
        "profile": profile(&st, &st.user.username),
        "email": "emulator@localhost.invalid",
        "proxy": {"password": "emulator", "groups": []},
        "plan": plan,
        "effectivePlatformFeatures": features,
        "createdAt": iso_millis(st.user.created_at),
        "isPaying": false,
    })
}

fn profile(st: &State, username: &str) -> Value {
    let name = if username == st.user.username {
        "Emulator user"
    } else {
        username
    };
    json!({"name": name, "bio": null, "pictureUrl": null, "githubUsername": null,
           "websiteUrl": null, "twitterUsername": null})
}

/// `GET /v2/users/{id}`: the emulator's user by id or username, or the owner of a public
/// Actor (`apify`, `emulator`) by username; public fields only.
fn public_user(ctx: &Ctx, id: &str) -> ApiResult {
    let st = ctx.shared.lock();
    let username = if id == st.user.id || id == st.user.username {
        Some(st.user.username.clone())
    } else {
        st.actors
            .iter()
            .find(|a| a.is_public && a.username == id)
            .map(|a| a.username.clone())
    };
    let username = username.ok_or_else(|| ApiError::not_found("User", id))?;
    Ok(data_response(
        200,
        json!({"username": username, "profile": profile(&st, &username)}),
    ))
}

// ---------------------------------------------------------------- usage

/// Days since the epoch of a civil date (the inverse of `civil_from_days`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A `YYYY-MM-DD` date as days since the epoch; `None` for anything else.
fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d == 0 || y < 1970 {
        return None;
    }
    let days = days_from_civil(i64::from(y), m, d);
    // A day past the month's end (2026-02-30) comes back as another date.
    (civil_from_days(days) == (i64::from(y), m, d)).then_some(days)
}

/// The calendar month holding `day` (days since the epoch): its first and last millisecond.
fn cycle_of(day: i64) -> (u64, u64) {
    let (y, m, _) = civil_from_days(day);
    let start = days_from_civil(y, m, 1);
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let end = days_from_civil(ny, nm, 1);
    (start as u64 * DAY_MS, end as u64 * DAY_MS - 1)
}

/// The service line of pay-per-event charges (not in `SERVICES`: each event has its own price).
const PAY_PER_EVENT: &str = "PAY_PER_EVENT";

/// What `run` used so far (its default storages' items and records count as writes).
fn run_used(st: &State, run: &Run, now: u64) -> Used {
    let ms = run
        .finished_at
        .unwrap_or(now)
        .saturating_sub(run.started_at);
    let cu = run.options.memory_mbytes as f64 / 1024.0 * ms as f64 / 3_600_000.0;
    let items = st
        .datasets
        .get(&run.dataset_id)
        .map_or(0, |d| d.items.len());
    let records = st.stores.get(&run.kvs_id).map_or(0, |s| s.records.len());
    let events: u64 = run
        .extras
        .charged_event_counts
        .values()
        .filter_map(Value::as_u64)
        .sum();
    Used {
        services: [cu, items as f64, records as f64],
        events: events as f64,
        charged_usd: run.extras.charged_usd,
    }
}

/// Keeps what the run `run_id` used in the user's account before the run (and its default
/// storages) are deleted.
pub(crate) fn keep_usage_of_deleted_run(st: &mut State, run_id: &str) {
    let Some(run) = st.runs.get(run_id) else {
        return;
    };
    let (day, used) = (run.started_at / DAY_MS, run_used(st, run, now_millis()));
    st.user
        .deleted_runs_usage
        .entry(day)
        .or_default()
        .add(&used);
}

/// What each day (days since the epoch) of a cycle used: its runs, and the deleted ones.
fn daily_quantities(st: &State, (start, end): (u64, u64), now: u64) -> BTreeMap<u64, Used> {
    let mut days: BTreeMap<u64, Used> = BTreeMap::new();
    for run in st.runs.values() {
        if run.started_at < start || run.started_at > end {
            continue;
        }
        days.entry(run.started_at / DAY_MS)
            .or_default()
            .add(&run_used(st, run, now));
    }
    for (day, used) in st
        .user
        .deleted_runs_usage
        .range(start / DAY_MS..=end / DAY_MS)
    {
        days.entry(*day).or_default().add(used);
    }
    days
}

fn usage_items(used: &Used) -> (Map<String, Value>, f64) {
    let mut out = Map::new();
    let mut total = 0.0;
    for ((service, price), quantity) in SERVICES.iter().zip(&used.services) {
        let amount = quantity * price;
        total += amount;
        out.insert(
            service.to_string(),
            json!({"quantity": quantity, "baseAmountUsd": amount, "baseUnitPriceUsd": price,
                   "amountAfterVolumeDiscountUsd": amount}),
        );
    }
    // Only when something was charged: most users run no pay-per-event Actor.
    if used.events > 0.0 {
        let amount = round_usd(used.charged_usd);
        total += amount;
        out.insert(
            PAY_PER_EVENT.to_string(),
            json!({"quantity": used.events, "baseAmountUsd": amount,
                   "amountAfterVolumeDiscountUsd": amount}),
        );
    }
    (out, total)
}

/// The usage of the cycle holding `day`: per service for the cycle, per day, and the total.
fn usage(st: &State, day: i64, now: u64) -> Value {
    let cycle = cycle_of(day);
    let days = daily_quantities(st, cycle, now);
    let mut month = Used::default();
    let mut daily = Vec::new();
    for (day, used) in &days {
        month.add(used);
        let (services, total) = usage_items(used);
        let (y, m, d) = civil_from_days(*day as i64);
        daily.push(
            json!({"date": format!("{y:04}-{m:02}-{d:02}"), "serviceUsage": services,
                          "totalUsageCreditsUsd": total}),
        );
    }
    let (services, total) = usage_items(&month);
    json!({
        "usageCycle": {"startAt": iso_millis(cycle.0), "endAt": iso_millis(cycle.1)},
        "monthlyServiceUsage": services,
        "dailyServiceUsages": daily,
        "totalUsageCreditsUsdBeforeVolumeDiscount": total,
        "totalUsageCreditsUsdAfterVolumeDiscount": total,
    })
}

/// `GET /v2/users/me/usage/monthly?date=YYYY-MM-DD` (default: today).
fn monthly_usage(ctx: &Ctx) -> ApiResult {
    let now = now_millis();
    let day = match ctx.query.get("date").filter(|d| !d.is_empty()) {
        None => (now / DAY_MS) as i64,
        Some(d) => parse_date(d).ok_or_else(|| {
            ApiError::bad_parameter(format!(
                "Query parameter 'date' must be a date in the YYYY-MM-DD format, got '{d}'"
            ))
        })?,
    };
    let st = ctx.shared.lock();
    Ok(data_response(200, usage(&st, day, now)))
}

// ---------------------------------------------------------------- limits

/// The emulated plan's limits, with the two the user sets.
fn plan_limits(st: &State) -> Map<String, Value> {
    json!({
        "maxMonthlyUsageUsd": st.user.max_monthly_usage_usd,
        "maxMonthlyActorComputeUnits": 250,
        "maxMonthlyExternalDataTransferGbytes": 50,
        "maxMonthlyProxySerps": 5000,
        "maxMonthlyResidentialProxyGbytes": 2,
        "maxActorMemoryGbytes": 32,
        "maxActorCount": 500,
        "maxActorTaskCount": 5000,
        "maxConcurrentActorJobs": 32,
        "maxTeamAccountSeatCount": 1,
        "dataRetentionDays": st.user.data_retention_days,
        "maxScheduleCount": 100,
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

fn limits(ctx: &Ctx) -> Value {
    let now = now_millis();
    let st = ctx.shared.lock();
    let today = (now / DAY_MS) as i64;
    let cycle = cycle_of(today);
    let mut month = Used::default();
    for used in daily_quantities(&st, cycle, now).values() {
        month.add(used);
    }
    let (_, usage_usd) = usage_items(&month);
    let active: Vec<_> = st
        .runs
        .values()
        .filter(|r| !r.status.is_terminal())
        .collect();
    let memory_gb: f64 = active
        .iter()
        .map(|r| r.options.memory_mbytes as f64 / 1024.0)
        .sum();
    let username = &st.user.username;
    json!({
        "monthlyUsageCycle": {"startAt": iso_millis(cycle.0), "endAt": iso_millis(cycle.1)},
        "limits": plan_limits(&st),
        "current": {
            "monthlyUsageUsd": usage_usd,
            "monthlyActorComputeUnits": month.services[0],
            "monthlyExternalDataTransferGbytes": 0,
            "monthlyProxySerps": 0,
            "monthlyResidentialProxyGbytes": 0,
            "actorMemoryGbytes": memory_gb,
            // The built-in Actors are the platform's, whoever is named as their owner.
            "actorCount": st.actors.iter().filter(|a| !a.built_in && &a.username == username).count(),
            "actorTaskCount": st.tasks.len(),
            "activeActorJobCount": active.len(),
            "teamAccountSeatCount": 1,
        },
    })
}

/// `PUT /v2/users/me/limits`: only `maxMonthlyUsageUsd` and `dataRetentionDays`, in range.
fn update_limits(ctx: &Ctx) -> ApiResult {
    let body = ctx.json_object_body()?;
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "The limits update changes nothing: set maxMonthlyUsageUsd or dataRetentionDays",
        ));
    }
    let (mut usage, mut retention) = (None, None);
    for (key, value) in &body {
        match key.as_str() {
            "maxMonthlyUsageUsd" => match value.as_f64() {
                Some(n) if (0.0..=MAX_USAGE_LIMIT_USD).contains(&n) => usage = Some(n),
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "Field 'maxMonthlyUsageUsd' must be a number from 0 to {MAX_USAGE_LIMIT_USD}, got {value}"
                    )))
                }
            },
            "dataRetentionDays" => match value.as_u64() {
                Some(n) if RETENTION_DAYS.contains(&n) => retention = Some(n),
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "Field 'dataRetentionDays' must be a whole number from {} to {}, got {}",
                        RETENTION_DAYS.start(),
                        RETENTION_DAYS.end(),
                        if value.is_number() { value.to_string() } else { json_kind(value).to_string() }
                    )))
                }
            },
            other => {
                return Err(ApiError::bad_request(format!(
                    "Field '{other}' cannot be changed; the limits that can are maxMonthlyUsageUsd and dataRetentionDays"
                )))
            }
        }
    }
    let mut st = ctx.shared.lock();
    if let Some(n) = usage {
        st.user.max_monthly_usage_usd = n;
    }
    if let Some(n) = retention {
        st.user.data_retention_days = n;
    }
    Ok(json_response(201, &json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_only_when_real() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2024-02-29"), Some(days_from_civil(2024, 2, 29)));
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1-01",
            "20260101",
            "2026-01-00",
            "x",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn cycles_are_calendar_months() {
        let (start, end) = cycle_of(days_from_civil(2024, 2, 14));
        assert_eq!(iso_millis(start), "2024-02-01T00:00:00.000Z");
        assert_eq!(iso_millis(end), "2024-02-29T23:59:59.999Z");
        let (start, end) = cycle_of(days_from_civil(2026, 12, 31));
        assert_eq!(iso_millis(start), "2026-12-01T00:00:00.000Z");
        assert_eq!(iso_millis(end), "2026-12-31T23:59:59.999Z");
    }

    #[test]
    fn charges_have_their_own_line_and_count_in_the_total() {
        let used = Used {
            services: [0.5, 10.0, 2.0],
            events: 3.0,
            charged_usd: 0.75,
        };
        let (items, total) = usage_items(&used);
        let ppe = &items[PAY_PER_EVENT];
        assert_eq!(ppe["quantity"], json!(3.0));
        assert_eq!(ppe["baseAmountUsd"], json!(0.75));
        let sum: f64 = items
            .values()
            .map(|i| i["baseAmountUsd"].as_f64().unwrap())
            .sum();
        assert!((sum - total).abs() < 1e-12 && total > 0.75, "{total}");
        // No charges: no line.
        let (items, _) = usage_items(&Used {
            events: 0.0,
            charged_usd: 0.0,
            ..used
        });
        assert!(!items.contains_key(PAY_PER_EVENT));
        assert_eq!(items.len(), SERVICES.len());
    }
}
