//! Reads without a token: a signed public URL (`signature`) of dataset items, a store's keys,
//! records archive or one record, storages whose `generalAccess` lets anyone with the id (or
//! name) read them, runs whose `generalAccess` does (the run, its log and its default
//! storages), and a build and its OpenAPI document by the build's id. Only GET and HEAD;
//! everything else still needs a token.

use crate::emulator::context::Ctx;
use crate::emulator::reply::ApiError;
use crate::emulator::signing::{check_content_signature, hmac_signature};
use crate::emulator::state::State;
use crate::emulator::util::now_millis;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dataset,
    Store,
    Queue,
}

/// What a storage read addresses: the kind, the id or name given, and what follows it.
struct Target<'a> {
    kind: Kind,
    given: String,
    rest: &'a [&'a str],
    /// Reached through a run (`/actor-runs/{id}/dataset/...`): only a signature opens it.
    via_run: bool,
}

fn target<'a>(st: &State, segs: &'a [&'a str]) -> Option<Target<'a>> {
    let kind_of = |s: &str| match s {
        "datasets" | "dataset" => Some(Kind::Dataset),
        "key-value-stores" | "key-value-store" => Some(Kind::Store),
        "request-queues" | "request-queue" => Some(Kind::Queue),
        _ => None,
    };
    match segs {
        ["v2", "actor-runs", run, storage, rest @ ..] => {
            let run = st.runs.get(*run)?;
            let kind = kind_of(storage).filter(|_| !storage.ends_with('s'))?;
            let given = match kind {
                Kind::Dataset => run.dataset_id.clone(),
                Kind::Store => run.kvs_id.clone(),
                Kind::Queue => run.queue_id.clone(),
            };
            Some(Target {
                kind,
                given,
                rest,
                via_run: true,
            })
        }
        ["v2", collection, id, rest @ ..] => Some(Target {
            kind: kind_of(collection).filter(|_| collection.ends_with('s'))?,
            given: id.to_string(),
            rest,
            via_run: false,
        }),
        _ => None,
    }
}

/// Whether this tokenless request may read; `Err` when it carries a signature that is wrong.
pub(crate) fn allows(ctx: &Ctx, segs: &[&str]) -> Result<bool, ApiError> {
    if !matches!(ctx.req.method.as_str(), "GET" | "HEAD") {
        return Ok(false);
    }
    let st = ctx.shared.lock();
    // A build and its OpenAPI document: the build's hard-to-guess id is the credential.
    if let ["v2", "actor-builds", id]
    | ["v2", "actor-builds" | "actors" | "acts", .., id, "openapi.json"] = segs
    {
        return Ok(st.builds.iter().any(|b| b.id == *id));
    }
    let run_open = |id: &str| {
        st.runs.get(id).is_some_and(|r| {
            matches!(
                r.extras.general_access.as_deref(),
                Some("ANYONE_WITH_ID_CAN_READ" | "ANYONE_WITH_NAME_CAN_READ")
            )
        })
    };
    if let ["v2", "actor-runs", run] | ["v2", "actor-runs", run, "log"] | ["v2", "logs", run] = segs
    {
        return Ok(run_open(run));
    }
    let Some(t) = target(&st, segs) else {
        return Ok(false);
    };
    let is_read = matches!(
        (t.kind, t.rest),
        (Kind::Dataset, [] | ["items"] | ["statistics"])
            | (Kind::Store, [] | ["keys"] | ["records"] | ["records", _])
            | (Kind::Queue, [] | ["requests"] | ["requests", _] | ["head"])
    );
    if !is_read {
        return Ok(false);
    }
    // A run open to anyone opens its default storages' reads too (the spec says so).
    if t.via_run && run_open(segs[2]) {
        return Ok(true);
    }
    let found = match t.kind {
        Kind::Dataset => st.dataset_id(&t.given).map(|id| {
            (
                st.datasets[&id].general_access.clone(),
                Some(st.datasets[&id].signing_key.clone()),
                id,
            )
        }),
        Kind::Store => st.store_id(&t.given).map(|id| {
            (
                st.stores[&id].general_access.clone(),
                Some(st.stores[&id].signing_key.clone()),
                id,
            )
        }),
        Kind::Queue => st
            .queue_id(&t.given)
            .map(|id| (st.queues[&id].general_access.clone(), None, id)),
    };
    drop(st);
    let Some((access, secret, id)) = found else {
        return Ok(false);
    };
    let open = match access.as_str() {
        "ANYONE_WITH_ID_CAN_READ" => t.given == id,
        "ANYONE_WITH_NAME_CAN_READ" => true,
        _ => false,
    };
    if open && !t.via_run {
        return Ok(true);
    }
    let Some(signature) = ctx.query.get("signature").filter(|s| !s.is_empty()) else {
        return Ok(false);
    };
    let refused = |why: &str| {
        Err(ApiError::new(
            403,
            "invalid-signature",
            format!(
                "The 'signature' does not open {} {}: {why}",
                ctx.req.method, ctx.req.path
            ),
        ))
    };
    let Some(secret) = secret else {
        return refused("request queues have no signed URLs");
    };
    let checked = match (t.kind, t.rest) {
        (Kind::Store, ["records", key]) => {
            if hmac_signature(&secret, key) == signature {
                Ok(())
            } else {
                check_content_signature(&secret, &id, signature, now_millis())
            }
        }
        (Kind::Dataset, ["items"]) | (Kind::Store, ["keys" | "records"]) => {
            check_content_signature(&secret, &id, signature, now_millis())
        }
        _ => Err("this endpoint takes no signature"),
    };
    match checked {
        Ok(()) => Ok(true),
        Err(why) => refused(why),
    }
}
