//! Request dispatch: faults, auth, rate limit, journal, then the route table that hands each
//! request to its resource.

use std::sync::Arc;
use std::time::Duration;

use super::context::Ctx;
use super::faults::{self, FaultAction, FaultTarget};
use super::http::{Delivery, Outcome, Rejection, Request, Response};
use super::journal::JournalEntry;
use super::operations::operations;
use super::reply::{ApiError, ApiResult};
use super::resources::{
    actors, build_ops, datasets, key_value_stores, logs, public_access, request_queues, runs,
    schedules, support, tasks, webhooks,
};
use super::resources::{store, tools, users};
use super::state::Shared;
use super::util::{now_millis, percent_decode, Query};

fn is_support_path(path: &str) -> bool {
    path.starts_with("/_emulator/") || path == "/_emulator"
}

/// The entry point for every request.
pub(crate) fn handle(shared: &Arc<Shared>, req: &Request) -> Outcome {
    let is_support = is_support_path(&req.path);
    let fault = if is_support {
        None
    } else {
        let mut st = shared.lock();
        faults::take(&mut st.faults, FaultTarget::Request, &req.method, &req.path)
    };
    let mut delivery = Delivery::Normal;
    let mut response = None;
    match &fault {
        Some(FaultAction::Reset {}) => {
            delivery = Delivery::Close;
            response = Some(Response::empty(0));
        }
        Some(FaultAction::Status { status }) => response = Some(fault_status_response(*status)),
        Some(FaultAction::Delay { ms }) => {
            super::http::sleep_unless_stopped(Duration::from_millis(*ms), &shared.stop);
        }
        Some(FaultAction::LostResponse {}) => delivery = Delivery::Close,
        Some(FaultAction::Truncate {}) => delivery = Delivery::Truncate,
        // Delivery-only kinds never match a request (`Fault::parse` refuses them).
        Some(FaultAction::Drop {} | FaultAction::Duplicate {}) | None => {}
    }
    let response = response.unwrap_or_else(|| dispatch(shared, req, is_support));
    if !is_support {
        record(shared, req, response.status, fault.map(|f| f.kind()));
    }
    Outcome { response, delivery }
}

fn fault_status_response(status: u16) -> Response {
    let kind = match status {
        429 => "rate-limit-exceeded",
        500..=599 => "internal-server-error",
        404 => "record-not-found",
        401 => "invalid-token",
        408 => "run-timeout-exceeded",
        _ => "invalid-request",
    };
    ApiError::new(
        status,
        kind,
        format!("Injected fault: the emulator answered {status}"),
    )
    .into_response()
}

fn record(shared: &Shared, req: &Request, status: u16, fault: Option<&str>) {
    // Built (capped and masked) before taking the lock.
    let mut entry = JournalEntry::new(
        now_millis(),
        &req.method,
        &req.path,
        &req.query,
        &req.headers,
    );
    entry.body_size = req.body.len();
    entry.status = status;
    entry.fault = fault.map(str::to_string);
    shared.lock().journal.push(entry);
}

/// Journals a request the HTTP layer refused before routing (support paths aside, as above).
pub(crate) fn record_rejection(shared: &Shared, r: &Rejection<'_>) {
    let (path, query) = r.target.split_once('?').unwrap_or((r.target, ""));
    if is_support_path(path) {
        return;
    }
    let mut entry = JournalEntry::new(now_millis(), r.method, path, query, r.headers);
    entry.status = r.status;
    entry.rejected = Some(r.reason);
    shared.lock().journal.push(entry);
}

fn dispatch(shared: &Arc<Shared>, req: &Request, is_support: bool) -> Response {
    let mut ctx = Ctx {
        shared,
        req,
        query: Query::parse(&req.query),
        anonymous: false,
    };
    let segs: Vec<String> = req
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode(s, false))
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    // The spec asks no token of public profiles, browser info and decode-and-verify.
    let open = !is_support
        && (users::is_public_profile(&req.method, &segs)
            || tools::needs_no_token(&req.method, &segs));
    if open {
        // No token is fine there; a wrong one is refused as everywhere else.
        match authenticate(&ctx) {
            Ok(()) => {}
            Err(e) if e.kind == "token-not-provided" => ctx.anonymous = true,
            Err(e) => return e.into_response(),
        }
    } else if let Err(e) = authenticate(&ctx) {
        // Without a token, a signed URL or a storage's `generalAccess` may still allow a read.
        let anonymous = e.kind == "token-not-provided" && !is_support;
        match anonymous.then(|| public_access::allows(&ctx, &segs)) {
            Some(Ok(true)) => ctx.anonymous = true,
            Some(Err(refused)) => return refused.into_response(),
            Some(Ok(false)) | None => return e.into_response(),
        }
    }
    if !is_support {
        if let Err(e) = rate_limit(&ctx) {
            return e.into_response();
        }
    }
    let result = if is_support {
        support::route(&ctx, &segs[1..])
    } else {
        route(&ctx, &segs)
    };
    match result {
        Ok(r) => r,
        Err(e) if e.status == 0 => unrouted(req, &segs),
        Err(e) => e.into_response(),
    }
}

fn authenticate(ctx: &Ctx) -> Result<(), ApiError> {
    let from_header = ctx.req.header("authorization").and_then(|v| {
        let (scheme, token) = v.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string())
    });
    let token = from_header.or_else(|| ctx.query.get("token").map(str::to_string));
    match token {
        None => Err(ApiError::new(
            401,
            "token-not-provided",
            "Authentication token was not provided",
        )),
        Some(t) if t.is_empty() => Err(ApiError::new(
            401,
            "token-not-provided",
            "Authentication token was not provided",
        )),
        Some(t) if ctx.shared.config.tokens.contains(&t) => Ok(()),
        Some(_) => Err(ApiError::new(
            401,
            "invalid-token",
            "Authentication token is not valid",
        )),
    }
}

fn rate_limit(ctx: &Ctx) -> Result<(), ApiError> {
    let Some(limit) = ctx.shared.config.rate_limit else {
        return Ok(());
    };
    let second = now_millis() / 1000;
    let mut st = ctx.shared.lock();
    let entry = st.rate.entry(ctx.req.path.clone()).or_insert((second, 0));
    if entry.0 != second {
        *entry = (second, 0);
    }
    entry.1 += 1;
    if entry.1 > limit {
        return Err(ApiError::new(
            429,
            "rate-limit-exceeded",
            format!(
                "More than {limit} requests per second to {}; slow down and retry",
                ctx.req.path
            ),
        ));
    }
    Ok(())
}

/// The request matched no implemented route: 501 for a known operation, 405 for a known path with
/// another method, 404 otherwise.
fn unrouted(req: &Request, segs: &[&str]) -> Response {
    let path_matches = |template: &str| {
        let t: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
        t.len() == segs.len()
            && t.iter()
                .zip(segs)
                .all(|(t, s)| t.starts_with('{') || *t == *s || (*t == "actors" && *s == "acts"))
    };
    let mut known_path = false;
    for o in operations() {
        let (method, template, op) = (o.method, o.template, o.id);
        if path_matches(template) {
            known_path = true;
            if method == req.method {
                return ApiError::new(
                    501,
                    "not-implemented",
                    format!(
                        "The emulator does not implement the operation {op} ({method} {template})"
                    ),
                )
                .into_response();
            }
        }
    }
    if known_path {
        ApiError::new(
            405,
            "method-not-allowed",
            format!("Method {} is not allowed for {}", req.method, req.path),
        )
        .into_response()
    } else {
        ApiError::new(
            404,
            "page-not-found",
            format!("No API endpoint at {} {}", req.method, req.path),
        )
        .into_response()
    }
}

/// The route table of the implemented API.
fn route(ctx: &Ctx, segs: &[&str]) -> ApiResult {
    let m = ctx.req.method.as_str();
    let Some((&"v2", rest)) = segs.split_first() else {
        return Err(ApiError::no_route());
    };
    let Some((&resource, rest)) = rest.split_first() else {
        return Err(ApiError::no_route());
    };
    match resource {
        "users" => users::route(ctx, m, rest),
        "store" if rest.is_empty() && m == "GET" => store::list(ctx),
        "browser-info" => tools::route_browser_info(ctx, m, rest),
        "tools" => tools::route_tools(ctx, m, rest),
        "actors" | "acts" | "actor-tasks" if matches!(rest, [_, "webhooks"]) => {
            if resource == "actor-tasks" {
                webhooks::task_webhooks(ctx, m, rest[0])
            } else {
                webhooks::actor_webhooks(ctx, m, rest[0])
            }
        }
        "actors" | "acts" => actors::route_actor(ctx, m, rest),
        "actor-tasks" => tasks::route_task(ctx, m, rest),
        "actor-runs" => runs::route_runs(ctx, m, rest),
        "actor-builds" => build_ops::route_builds(ctx, m, rest),
        "logs" => match (m, rest) {
            // A run's log, or a build's (`log_get` takes either id).
            ("GET", [id]) => match runs::existing_run(ctx, id) {
                Ok(run_id) => logs::log_response(ctx, &run_id),
                Err(not_a_run) => {
                    let is_build = ctx.shared.lock().builds.iter().any(|b| b.id == *id);
                    if !is_build {
                        return Err(not_a_run);
                    }
                    logs::log_response_of(ctx, logs::LogOf::Build(id.to_string()))
                }
            },
            _ => Err(ApiError::no_route()),
        },
        "datasets" => datasets::route_datasets(ctx, m, rest),
        "key-value-stores" => key_value_stores::route_stores(ctx, m, rest),
        "request-queues" => request_queues::route_queues(ctx, m, rest),
        "webhooks" => webhooks::route_webhooks(ctx, m, rest),
        "webhook-dispatches" => webhooks::route_dispatches(ctx, m, rest),
        "schedules" => schedules::route_schedules(ctx, m, rest),
        _ => Err(ApiError::no_route()),
    }
}
