//! Actor pricing: the `pricingInfos` an Actor is created or updated with (checked and completed
//! here so that every Actor and run shows them as the spec has them), and the price of a
//! pay-per-event charge.

use serde_json::{json, Map, Value};

use super::util::iso_millis;

/// The pricing models the spec knows.
const MODELS: [&str; 4] = [
    "PAY_PER_EVENT",
    "PRICE_PER_DATASET_ITEM",
    "FLAT_PRICE_PER_MONTH",
    "FREE",
];

/// Apify's share when a pricing info does not say (the platform's usual 20 %).
const DEFAULT_MARGIN: f64 = 0.2;

/// The subscription tier of the emulated user: tiered event prices are read at this tier.
pub(crate) const USER_TIER: &str = "FREE";

/// Checks a `pricingInfos` value and completes each entry with the fields the spec requires
/// (`apifyMarginPercentage`, `createdAt`, `startedAt`). `null` clears the pricing.
pub(crate) fn check_pricing_infos(v: &Value, now: u64) -> Result<Value, String> {
    let list = match v {
        Value::Null => return Ok(Value::Null),
        Value::Array(list) => list,
        _ => return Err("Field 'pricingInfos' must be an array of pricing objects".into()),
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        let Value::Object(o) = entry else {
            return Err(format!("pricingInfos[{i}] must be an object"));
        };
        let model = o.get("pricingModel").and_then(Value::as_str).unwrap_or("");
        if !MODELS.contains(&model) {
            return Err(format!(
                "pricingInfos[{i}].pricingModel must be one of {}, got {}",
                MODELS.join(", "),
                o.get("pricingModel").unwrap_or(&Value::Null)
            ));
        }
        let mut o = o.clone();
        match o.get("apifyMarginPercentage") {
            None => {
                o.insert("apifyMarginPercentage".into(), json!(DEFAULT_MARGIN));
            }
            Some(m) if m.as_f64().is_some_and(|m| (0.0..=1.0).contains(&m)) => {}
            Some(m) => {
                return Err(format!(
                    "pricingInfos[{i}].apifyMarginPercentage must be a number from 0 to 1, got {m}"
                ))
            }
        }
        for k in ["createdAt", "startedAt"] {
            match o.get(k) {
                None | Some(Value::Null) => {
                    o.insert(k.into(), json!(iso_millis(now)));
                }
                Some(Value::String(s)) if crate::emulator::run_extras::parse_iso(s).is_some() => {}
                Some(other) => {
                    return Err(format!(
                        "pricingInfos[{i}].{k} must be an ISO 8601 date-time, got {other}"
                    ))
                }
            }
        }
        if model == "PAY_PER_EVENT" {
            check_events(i, &o)?;
        }
        out.push(Value::Object(o));
    }
    Ok(Value::Array(out))
}

fn check_events(i: usize, o: &Map<String, Value>) -> Result<(), String> {
    let events = o
        .get("pricingPerEvent")
        .and_then(|p| p.get("actorChargeEvents"))
        .and_then(Value::as_object)
        .ok_or_else(|| {
            format!("pricingInfos[{i}]: a PAY_PER_EVENT pricing needs pricingPerEvent.actorChargeEvents (an object of events)")
        })?;
    for (name, e) in events {
        let at = format!("pricingInfos[{i}].pricingPerEvent.actorChargeEvents.{name}");
        let Value::Object(e) = e else {
            return Err(format!("{at} must be an object"));
        };
        for k in ["eventTitle", "eventDescription"] {
            if !e.get(k).is_some_and(Value::is_string) {
                return Err(format!("{at}.{k} is required (a string)"));
            }
        }
        match (e.get("eventPriceUsd"), e.get("eventTieredPricingUsd")) {
            (Some(p), None) if p.as_f64().is_some_and(|p| p >= 0.0) => {}
            (None, Some(Value::Object(tiers))) if !tiers.is_empty() => {
                for (tier, t) in tiers {
                    let ok = t
                        .get("tieredEventPriceUsd")
                        .and_then(Value::as_f64)
                        .is_some_and(|p| p >= 0.0);
                    if !ok {
                        return Err(format!(
                            "{at}.eventTieredPricingUsd.{tier}.tieredEventPriceUsd must be a number >= 0"
                        ));
                    }
                }
            }
            _ => {
                return Err(format!(
                    "{at} needs either eventPriceUsd (a number >= 0) or eventTieredPricingUsd, not both"
                ))
            }
        }
    }
    Ok(())
}

/// The pricing in effect at `now`: the entry with the latest `startedAt` not after it.
pub(crate) fn current(pricing_infos: Option<&Value>, now: u64) -> Option<&Value> {
    pricing_infos?
        .as_array()?
        .iter()
        .filter_map(|p| {
            let at = p
                .get("startedAt")
                .and_then(Value::as_str)
                .and_then(crate::emulator::run_extras::parse_iso)?;
            (at <= now).then_some((at, p))
        })
        .max_by_key(|(at, _)| *at)
        .map(|(_, p)| p)
}

/// Why a charge cannot be priced: the API error type and a message.
pub(crate) type PriceError = (&'static str, String);

/// The price in USD of one `event` under `pricing` (a pay-per-event pricing info).
pub(crate) fn event_price(pricing: Option<&Value>, event: &str) -> Result<f64, PriceError> {
    let model = pricing
        .and_then(|p| p.get("pricingModel"))
        .and_then(Value::as_str)
        .unwrap_or("FREE");
    if model != "PAY_PER_EVENT" {
        return Err((
            "cannot-charge-non-pay-per-event-actor",
            format!("The Actor's pricing model is {model}, not PAY_PER_EVENT: its runs cannot charge events"),
        ));
    }
    let events = pricing
        .and_then(|p| p.pointer("/pricingPerEvent/actorChargeEvents"))
        .and_then(Value::as_object);
    let Some(e) = events.and_then(|ev| ev.get(event)) else {
        if event.starts_with("apify-") {
            return Err((
                "cannot-charge-apify-event",
                format!("The event '{event}' is charged by the platform itself, not through this endpoint"),
            ));
        }
        let known: Vec<&str> = events
            .map(|ev| ev.keys().map(String::as_str).collect())
            .unwrap_or_default();
        return Err((
            "invalid-input",
            format!(
                "The Actor has no charge event '{event}'; its events: {}",
                known.join(", ")
            ),
        ));
    };
    if let Some(p) = e.get("eventPriceUsd").and_then(Value::as_f64) {
        return Ok(p);
    }
    let tiers = e.get("eventTieredPricingUsd").and_then(Value::as_object);
    tiers
        .and_then(|t| t.get(USER_TIER).or_else(|| t.values().next()))
        .and_then(|t| t.get("tieredEventPriceUsd"))
        .and_then(Value::as_f64)
        .ok_or_else(|| {
            (
                "invalid-input",
                format!("The charge event '{event}' has no price"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ppe(events: Value) -> Value {
        json!([{"pricingModel": "PAY_PER_EVENT", "pricingPerEvent": {"actorChargeEvents": events}}])
    }

    #[test]
    fn pricing_infos_are_checked_and_completed() {
        let v = check_pricing_infos(
            &ppe(json!({"page": {"eventTitle": "Page", "eventDescription": "One page", "eventPriceUsd": 0.5}})),
            0,
        )
        .unwrap();
        assert_eq!(v[0]["apifyMarginPercentage"], 0.2);
        assert_eq!(v[0]["startedAt"], "1970-01-01T00:00:00.000Z");
        for bad in [
            json!({}),
            json!([{"pricingModel": "BOGUS"}]),
            json!([{"pricingModel": "PAY_PER_EVENT"}]),
            ppe(json!({"page": {"eventTitle": "Page", "eventDescription": "d"}})),
            ppe(
                json!({"page": {"eventTitle": "Page", "eventDescription": "d", "eventPriceUsd": -1}}),
            ),
            json!([{"pricingModel": "FREE", "apifyMarginPercentage": 2}]),
        ] {
            assert!(check_pricing_infos(&bad, 0).is_err(), "{bad}");
        }
    }

    #[test]
    fn prices_come_from_the_current_pricing() {
        let infos = check_pricing_infos(
            &json!([
                {"pricingModel": "FREE", "startedAt": "2020-01-01T00:00:00.000Z"},
                {"pricingModel": "PAY_PER_EVENT", "startedAt": "2021-01-01T00:00:00.000Z",
                 "pricingPerEvent": {"actorChargeEvents": {
                    "flat": {"eventTitle": "F", "eventDescription": "f", "eventPriceUsd": 0.25},
                    "tiered": {"eventTitle": "T", "eventDescription": "t",
                               "eventTieredPricingUsd": {"FREE": {"tieredEventPriceUsd": 2.0}}}}}}
            ]),
            0,
        )
        .unwrap();
        let before = parse("2020-06-01T00:00:00Z");
        let after = parse("2022-01-01T00:00:00Z");
        let now = current(Some(&infos), after);
        assert_eq!(event_price(now, "flat"), Ok(0.25));
        assert_eq!(event_price(now, "tiered"), Ok(2.0));
        assert_eq!(event_price(now, "nope").unwrap_err().0, "invalid-input");
        assert_eq!(
            event_price(now, "apify-actor-start").unwrap_err().0,
            "cannot-charge-apify-event"
        );
        let then = current(Some(&infos), before);
        assert_eq!(
            event_price(then, "flat").unwrap_err().0,
            "cannot-charge-non-pay-per-event-actor"
        );
        assert_eq!(
            event_price(None, "flat").unwrap_err().0,
            "cannot-charge-non-pay-per-event-actor"
        );
    }

    fn parse(s: &str) -> u64 {
        crate::emulator::run_extras::parse_iso(s).unwrap()
    }
}
