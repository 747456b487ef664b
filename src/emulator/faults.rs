//! Injected faults (`/_emulator/faults`): what a fault is, how a body describing one is checked,
//! and which fault a request or a webhook delivery takes.
//!
//! A fault fires on its next `times` matches, or, with a `probability`, on each match with that
//! chance drawn from its own generator seeded by `seed`: the same seed gives the same sequence of
//! hits and misses over the same sequence of matching requests.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::util::{glob_matches, new_id, now_millis};

/// What a fault does. Request faults: `status`, `reset`, `truncate`, `delay`, `lostResponse`;
/// webhook delivery faults: `drop`, `delay`, `duplicate`. (Kinds without fields are empty struct
/// variants so that unknown fields are refused for them too.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub(crate) enum FaultAction {
    /// Answer this status with an error envelope and do nothing.
    Status { status: u16 },
    /// Close the connection before doing anything.
    Reset {},
    /// Do the work, send the head and part of the body, close.
    Truncate {},
    /// Wait, then go on normally (a request or a delivery attempt).
    Delay { ms: u64 },
    /// Do the work, close without answering.
    LostResponse {},
    /// A delivery attempt is not sent; it counts as failed (and is retried as any failure).
    Drop {},
    /// A delivery attempt is sent twice.
    Duplicate {},
}

impl FaultAction {
    /// The `kind` as in JSON (the journal's `fault`).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            FaultAction::Status { .. } => "status",
            FaultAction::Reset {} => "reset",
            FaultAction::Truncate {} => "truncate",
            FaultAction::Delay { .. } => "delay",
            FaultAction::LostResponse {} => "lostResponse",
            FaultAction::Drop {} => "drop",
            FaultAction::Duplicate {} => "duplicate",
        }
    }

    fn applies_to(&self, on: FaultTarget) -> bool {
        match self {
            FaultAction::Delay { .. } => true,
            FaultAction::Drop {} | FaultAction::Duplicate {} => on == FaultTarget::WebhookDelivery,
            _ => on == FaultTarget::Request,
        }
    }
}

const REQUEST_KINDS: &str = "status, reset, truncate, delay, lostResponse";
const DELIVERY_KINDS: &str = "drop, delay, duplicate";
const FIELDS: &[&str] = &[
    "method",
    "path",
    "times",
    "probability",
    "seed",
    "on",
    "action",
];

/// What a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum FaultTarget {
    /// API requests (the default); `path` matches the request path.
    Request,
    /// Webhook delivery attempts; `path` matches the path of the webhook's request URL.
    WebhookDelivery,
}

/// A fault injected through `/_emulator/faults`.
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    pub id: String,
    pub method: String,
    pub path: String,
    /// Hits left; `None` = no limit (a probabilistic fault without `times`).
    pub remaining: Option<u64>,
    pub probability: Option<f64>,
    pub seed: u64,
    /// The generator's state (splitmix64).
    rng: u64,
    pub hits: u64,
    pub on: FaultTarget,
    pub action: FaultAction,
}

impl Fault {
    /// Checks a fault body: the same JSON as before the actions were typed, plus `probability`,
    /// `seed` and `on`. Errors name the field that is wrong.
    pub(crate) fn parse(body: &Map<String, Value>) -> Result<Fault, String> {
        if let Some(k) = body.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(format!(
                "unknown field '{k}' in the fault; fields: {}",
                FIELDS.join(", ")
            ));
        }
        let on = match body.get("on") {
            None | Some(Value::Null) => FaultTarget::Request,
            Some(Value::String(s)) if s == "request" => FaultTarget::Request,
            Some(Value::String(s)) if s == "webhookDelivery" => FaultTarget::WebhookDelivery,
            Some(other) => {
                return Err(format!(
                    "'on' must be \"request\" or \"webhookDelivery\", got {other}"
                ))
            }
        };
        let method = match body.get("method") {
            None | Some(Value::Null) => "*".to_string(),
            Some(Value::String(s)) => s.to_ascii_uppercase(),
            Some(_) => return Err("'method' must be a string".into()),
        };
        let Some(path) = body.get("path").and_then(Value::as_str) else {
            return Err("'path' (a glob where * is one path segment) is required".into());
        };
        let probability =
            match body.get("probability") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_f64().filter(|p| (0.0..=1.0).contains(p)).ok_or_else(
                    || format!("'probability' must be a number from 0 to 1, got {v}"),
                )?),
            };
        let seed = match body.get("seed") {
            None | Some(Value::Null) => now_millis() ^ 0x5EED,
            Some(v) => v
                .as_u64()
                .ok_or_else(|| format!("'seed' must be a non-negative integer, got {v}"))?,
        };
        let remaining = match body.get("times") {
            None | Some(Value::Null) if probability.is_some() => None,
            None | Some(Value::Null) => Some(1),
            Some(v) => Some(
                v.as_u64()
                    .filter(|t| *t > 0)
                    .ok_or_else(|| "'times' must be a positive integer".to_string())?,
            ),
        };
        let action = parse_action(body.get("action").cloned().unwrap_or(Value::Null))?;
        if !action.applies_to(on) {
            let (target, kinds) = match on {
                FaultTarget::Request => ("requests", REQUEST_KINDS),
                FaultTarget::WebhookDelivery => ("webhook deliveries", DELIVERY_KINDS),
            };
            return Err(format!(
                "'action.kind' '{}' does not apply to {target} (\"on\"); kinds for them: {kinds}",
                action.kind()
            ));
        }
        Ok(Fault {
            id: new_id(),
            method,
            path: path.to_string(),
            remaining,
            probability,
            seed,
            rng: seed,
            hits: 0,
            on,
            action,
        })
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "on": self.on,
            "method": self.method,
            "path": self.path,
            "times": self.remaining,
            "probability": self.probability,
            "seed": self.seed,
            "hits": self.hits,
            "action": self.action,
        })
    }

    /// Whether this match is a hit: always without a probability, else a draw.
    fn draw(&mut self) -> bool {
        let Some(p) = self.probability else {
            return true;
        };
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// The typed action, with serde's complaint turned into one that names the field.
fn parse_action(action: Value) -> Result<FaultAction, String> {
    let kind = action.get("kind").cloned().unwrap_or(Value::Null);
    let known = format!("requests: {REQUEST_KINDS}; webhook deliveries: {DELIVERY_KINDS}");
    match serde_json::from_value::<FaultAction>(action) {
        Ok(FaultAction::Status { status }) if !(100..=599).contains(&status) => {
            Err("'action.status' must be an HTTP status code (100..599)".into())
        }
        Ok(a) => Ok(a),
        Err(e) => {
            let e = e.to_string();
            let field = e.split('`').nth(1).unwrap_or("");
            Err(if e.starts_with("unknown variant") || field == "kind" {
                format!("'action.kind' must be one of {known}, got {kind}")
            } else if e.starts_with("missing field") {
                format!("'action.{field}' is required for kind {kind}")
            } else if e.starts_with("unknown field") {
                format!("'action.{field}' is not a field of kind {kind} ({e})")
            } else if let Some(field) = ["status", "ms"].iter().find(|f| e.contains(*f)) {
                format!("'action.{field}' is invalid: {e}")
            } else {
                format!("'action' is invalid: {e}; it is an object with a 'kind' ({known})")
            })
        }
    }
}

/// Takes one hit of the first fault on `on` whose method and path glob match (a probabilistic
/// fault that draws a miss lets the next one try); a fault with no hits left is removed.
pub(crate) fn take(
    faults: &mut Vec<Fault>,
    on: FaultTarget,
    method: &str,
    path: &str,
) -> Option<FaultAction> {
    let idx = faults.iter_mut().position(|f| {
        f.on == on
            && (f.method == "*" || f.method == method)
            && glob_matches(&f.path, path)
            && f.draw()
    })?;
    let fault = &mut faults[idx];
    fault.hits += 1;
    let action = fault.action.clone();
    if let Some(left) = &mut fault.remaining {
        *left -= 1;
        if *left == 0 {
            faults.remove(idx);
        }
    }
    Some(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<Fault, String> {
        Fault::parse(v.as_object().unwrap())
    }

    #[test]
    fn the_same_seed_gives_the_same_hits() {
        let run = |seed: u64| {
            let mut faults = vec![parse(json!({"path": "/x", "probability": 0.2, "seed": seed,
                "action": {"kind": "status", "status": 503}}))
            .unwrap()];
            (0..1000)
                .map(|_| take(&mut faults, FaultTarget::Request, "GET", "/x").is_some())
                .collect::<Vec<bool>>()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        assert_ne!(a, run(8));
        let hits = a.iter().filter(|h| **h).count();
        assert!((150..250).contains(&hits), "{hits}");
    }

    #[test]
    fn bad_faults_name_what_is_wrong() {
        for (body, needle) in [
            (
                json!({"path": "/x", "action": {"kind": "reset", "x": 1}}),
                "'action.x'",
            ),
            (
                json!({"path": "/x", "action": {"kind": "delay"}}),
                "'action.ms'",
            ),
            (
                json!({"path": "/x", "action": {"kind": "boom"}}),
                "'action.kind'",
            ),
            (
                json!({"path": "/x", "action": {"kind": "drop"}}),
                "does not apply",
            ),
            (
                json!({"path": "/x", "probability": 2, "action": {"kind": "reset"}}),
                "'probability'",
            ),
            (
                json!({"path": "/x", "seed": -1, "action": {"kind": "reset"}}),
                "'seed'",
            ),
            (
                json!({"path": "/x", "extra": 1, "action": {"kind": "reset"}}),
                "'extra'",
            ),
            (
                json!({"path": "/x", "on": "moon", "action": {"kind": "reset"}}),
                "'on'",
            ),
        ] {
            let e = parse(body).unwrap_err();
            assert!(e.contains(needle), "{needle}: {e}");
        }
        let f =
            parse(json!({"path": "/h", "on": "webhookDelivery", "action": {"kind": "duplicate"}}))
                .unwrap();
        assert_eq!(f.action, FaultAction::Duplicate {});
        assert_eq!(f.to_json()["action"], json!({"kind": "duplicate"}));
    }
}
