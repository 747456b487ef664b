//! `GET /v2/store`: the public Actors (the built-in ones and every Actor made public with
//! `isPublic`), searched, filtered, sorted and paged as the Store's query parameters say, with
//! stats counted from the builds and runs the emulator holds.

use std::cmp::Reverse;

use serde_json::{json, Map, Value};

use crate::emulator::context::Ctx;
use crate::emulator::registry::Actor;
use crate::emulator::reply::{data_response, ApiError, ApiResult};
use crate::emulator::state::{State, Status};
use crate::emulator::util::iso_millis;

/// The most Actors one page holds (also the default page size).
const MAX_LIMIT: u64 = 1000;
const SORTS: [&str; 4] = ["relevance", "popularity", "newest", "lastUpdate"];
const PRICING_MODELS: [&str; 4] = [
    "FREE",
    "FLAT_PRICE_PER_MONTH",
    "PRICE_PER_DATASET_ITEM",
    "PAY_PER_EVENT",
];
const DAY_MS: u64 = 86_400_000;

/// What the query asks for, checked.
struct Query {
    search: Option<String>,
    sort: &'static str,
    category: Option<String>,
    username: Option<String>,
    pricing_model: Option<&'static str>,
    agentic: Option<bool>,
    agent_format: bool,
    offset: u64,
    limit: u64,
}

fn one_of(
    ctx: &Ctx,
    name: &str,
    allowed: &[&'static str],
) -> Result<Option<&'static str>, ApiError> {
    match ctx.query.get(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => allowed
            .iter()
            .find(|a| **a == v)
            .copied()
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_parameter(format!(
                    "Query parameter '{name}' must be one of {}, got '{v}'",
                    allowed.join(", ")
                ))
            }),
    }
}

fn parse_query(ctx: &Ctx) -> Result<Query, ApiError> {
    let text = |name: &str| {
        ctx.query
            .get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let limit = match ctx.q_number("limit")? {
        None => MAX_LIMIT,
        Some(l) if l.fract() == 0.0 && (1.0..=MAX_LIMIT as f64).contains(&l) => l as u64,
        Some(l) => {
            return Err(ApiError::bad_parameter(format!(
                "Query parameter 'limit' must be a whole number from 1 to {MAX_LIMIT}, got {l}"
            )))
        }
    };
    let offset = match ctx.q_number("offset")? {
        None => 0,
        Some(o) if o.fract() == 0.0 => o as u64,
        Some(o) => {
            return Err(ApiError::bad_parameter(format!(
                "Query parameter 'offset' must be a whole number, got {o}"
            )))
        }
    };
    // Every emulator Actor is safe to run; the parameter is still checked.
    ctx.q_bool("includeUnrunnableActors")?;
    Ok(Query {
        search: text("search").map(|s| s.to_lowercase()),
        sort: one_of(ctx, "sortBy", &SORTS)?.unwrap_or("relevance"),
        category: text("category"),
        username: text("username"),
        pricing_model: one_of(ctx, "pricingModel", &PRICING_MODELS)?,
        agentic: ctx.q_bool("allowsAgenticUsers")?,
        agent_format: one_of(ctx, "responseFormat", &["full", "agent"])? == Some("agent"),
        offset,
        limit,
    })
}

/// An Actor's counts from the emulator's builds and runs.
#[derive(Default)]
struct Counts {
    builds: u64,
    runs: u64,
    last_run: Option<u64>,
    /// Runs in the last 30 days by terminal status.
    by_status_30: [u64; 4],
    runs_7: u64,
    runs_30: u64,
    runs_90: u64,
}

fn counts(st: &State, actor: &Actor, now: u64) -> Counts {
    let mut c = Counts {
        builds: st.builds.iter().filter(|b| b.act_id == actor.id).count() as u64,
        ..Counts::default()
    };
    for run in st.runs.values().filter(|r| r.act_id == actor.id) {
        c.runs += 1;
        c.last_run = c.last_run.max(Some(run.started_at));
        let age = now.saturating_sub(run.started_at);
        c.runs_7 += u64::from(age < 7 * DAY_MS);
        c.runs_30 += u64::from(age < 30 * DAY_MS);
        c.runs_90 += u64::from(age < 90 * DAY_MS);
        if age < 30 * DAY_MS {
            let slot = match run.status {
                Status::Aborted => Some(0),
                Status::Failed => Some(1),
                Status::Succeeded => Some(2),
                Status::TimedOut => Some(3),
                _ => None,
            };
            if let Some(i) = slot {
                c.by_status_30[i] += 1;
            }
        }
    }
    c
}

/// The Actor's current pricing model: the last of its `pricingInfos`, else free.
fn pricing_model(actor: &Actor) -> String {
    actor
        .extra
        .get("pricingInfos")
        .and_then(Value::as_array)
        .and_then(|list| list.last())
        .and_then(|p| p.get("pricingModel"))
        .and_then(Value::as_str)
        .unwrap_or("FREE")
        .to_string()
}

fn categories(actor: &Actor) -> Vec<String> {
    actor
        .extra
        .get("categories")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn allows_agentic_users(actor: &Actor) -> bool {
    actor
        .extra
        .get("allowsAgenticUsers")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The readme of the Actor's `latest` build, if it has one.
fn readme<'a>(st: &'a State, actor: &Actor) -> Option<&'a str> {
    let id = actor.tagged_builds.get("latest")?;
    st.builds.iter().find(|b| &b.id == id)?.readme.as_deref()
}

/// How well an Actor matches the search: 3 in its name or title, 2 in its description or
/// username, 1 only in its readme; 0 not at all.
fn relevance(st: &State, actor: &Actor, search: &str) -> u8 {
    let has = |s: Option<&str>| s.is_some_and(|s| s.to_lowercase().contains(search));
    if has(Some(&actor.name)) || has(actor.title.as_deref()) {
        3
    } else if has(actor.description.as_deref()) || has(Some(&actor.username)) {
        2
    } else if has(readme(st, actor)) {
        1
    } else {
        0
    }
}

fn item(st: &State, base_url: &str, actor: &Actor, c: &Counts, agent: bool) -> Value {
    let title = actor.title.clone().unwrap_or_else(|| actor.name.clone());
    let mut out = json!({
        "id": actor.id,
        "title": title,
        "name": actor.name,
        "username": actor.username,
        "description": actor.description,
        "notice": "NONE",
        "badge": null,
        "categories": categories(actor),
    });
    if agent {
        out["stats"] = json!({"totalUsers": u64::from(c.runs > 0), "totalRuns": c.runs});
        return out;
    }
    let users = |n: u64| u64::from(n > 0);
    let mut stats = json!({
        "totalBuilds": c.builds,
        "totalRuns": c.runs,
        "totalUsers": users(c.runs),
        "totalUsers7Days": users(c.runs_7),
        "totalUsers30Days": users(c.runs_30),
        "totalUsers90Days": users(c.runs_90),
        "totalMetamorphs": 0,
        "actorReviewCount": 0,
        "actorReviewRating": 0,
        "bookmarkCount": 0,
        "publicActorRunStats30Days": {
            "ABORTED": c.by_status_30[0],
            "FAILED": c.by_status_30[1],
            "SUCCEEDED": c.by_status_30[2],
            "TIMED-OUT": c.by_status_30[3],
            "TOTAL": c.runs_30,
        },
    });
    if let Some(at) = c.last_run {
        stats["lastRunStartedAt"] = json!(iso_millis(at));
    }
    let readme_summary = readme(st, actor)
        .and_then(|r| {
            r.lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'))
        })
        .unwrap_or_default();
    let full: Map<String, Value> = json!({
        "userFullName": if actor.username == st.user.username { json!("Emulator user") } else { json!(actor.username) },
        "pictureUrl": null,
        "userPictureUrl": null,
        "url": format!("{base_url}/v2/acts/{}", actor.full_name()),
        "stats": stats,
        "currentPricingInfo": {"pricingModel": pricing_model(actor)},
        "isWhiteListedForAgenticPayments": allows_agentic_users(actor),
        "actorReviewCount": 0,
        "actorReviewRating": 0,
        "bookmarkCount": 0,
        "readmeSummary": readme_summary,
        "createdAt": iso_millis(actor.created_at),
        "modifiedAt": iso_millis(actor.modified_at),
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    for (k, v) in full {
        out[k] = v;
    }
    out
}

/// `GET /v2/store`.
pub(crate) fn list(ctx: &Ctx) -> ApiResult {
    let q = parse_query(ctx)?;
    let now = crate::emulator::util::now_millis();
    let st = ctx.shared.lock();
    let mut found: Vec<(&Actor, Counts, u8)> = st
        .actors
        .iter()
        .filter(|a| a.is_public)
        .filter(|a| q.username.as_deref().is_none_or(|u| a.username == u))
        .filter(|a| {
            q.category
                .as_deref()
                .is_none_or(|want| categories(a).iter().any(|c| c.eq_ignore_ascii_case(want)))
        })
        .filter(|a| q.pricing_model.is_none_or(|m| pricing_model(a) == m))
        .filter(|a| q.agentic.is_none_or(|b| allows_agentic_users(a) == b))
        .filter_map(|a| {
            let score = match &q.search {
                Some(s) => relevance(&st, a, s),
                None => 1,
            };
            (score > 0).then(|| (a, counts(&st, a, now), score))
        })
        .collect();
    // Stable sorts: ties keep the catalogue's (creation) order, except by time, where the Actor
    // created later counts as the newer one (timestamps tie within a millisecond).
    if matches!(q.sort, "newest" | "lastUpdate") {
        found.reverse();
    }
    match q.sort {
        "newest" => found.sort_by_key(|f| Reverse(f.0.created_at)),
        "lastUpdate" => found.sort_by_key(|f| Reverse(f.0.modified_at)),
        "popularity" => found.sort_by_key(|f| Reverse(f.1.runs)),
        _ => found.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.runs.cmp(&a.1.runs))),
    }
    let total = found.len();
    let page: Vec<Value> = found
        .iter()
        .skip(q.offset.min(usize::MAX as u64) as usize)
        .take(q.limit as usize)
        .map(|(a, c, _)| item(&st, &ctx.shared.base_url, a, c, q.agent_format))
        .collect();
    Ok(data_response(
        200,
        json!({
            "total": total,
            "offset": q.offset,
            "limit": q.limit,
            "desc": false,
            "count": page.len(),
            "items": page,
        }),
    ))
}
