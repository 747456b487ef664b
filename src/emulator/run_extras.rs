//! What the run operations beyond start, wait and abort keep on a run: its metamorphs, reboots,
//! charged events and general access, and how they show in the run's JSON.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::util::iso_millis;

/// One metamorph of a run, as the spec's `Metamorph` has it: the Actor and build the run became
/// and the record its new input went to.
#[derive(Debug, Clone)]
pub(crate) struct Metamorph {
    pub created_at: u64,
    pub actor_id: String,
    pub build_id: String,
    pub input_key: String,
}

/// A run's state from the run operations (all empty for a run just started).
#[derive(Debug, Clone, Default)]
pub(crate) struct RunExtras {
    pub metamorphs: Vec<Metamorph>,
    pub reboot_count: u64,
    /// Event name -> count, in the order first charged.
    pub charged_event_counts: Map<String, Value>,
    /// The USD charged for events so far.
    pub charged_usd: f64,
    /// Idempotency keys of the charges made, so that a retried charge counts once.
    pub idempotency_keys: HashSet<String>,
    /// `None`: `FOLLOW_USER_SETTING`.
    pub general_access: Option<String>,
}

impl RunExtras {
    /// The key-value record the run's current program reads its input from.
    pub(crate) fn input_key(&self) -> &str {
        self.metamorphs
            .last()
            .map_or("INPUT", |m| m.input_key.as_str())
    }

    /// Adds the extras' fields to a run's JSON (`stats` must already be there).
    pub(crate) fn show(&self, out: &mut Value, pricing_info: Option<&Value>) {
        out["generalAccess"] = json!(self
            .general_access
            .as_deref()
            .unwrap_or("FOLLOW_USER_SETTING"));
        out["usageTotalUsd"] = json!(round_usd(self.charged_usd));
        out["stats"]["rebootCount"] = json!(self.reboot_count);
        out["stats"]["metamorph"] = json!(self.metamorphs.len());
        if !self.metamorphs.is_empty() {
            out["metamorphs"] = self
                .metamorphs
                .iter()
                .map(|m| {
                    json!({
                        "createdAt": iso_millis(m.created_at),
                        "actorId": m.actor_id,
                        "buildId": m.build_id,
                        "inputKey": m.input_key,
                    })
                })
                .collect();
        }
        if let Some(p) = pricing_info {
            out["pricingInfo"] = p.clone();
            out["chargedEventCounts"] = Value::Object(self.charged_event_counts.clone());
        }
    }
}

/// USD amounts to a millionth of a cent, so sums of prices like 0.1 print as written.
pub(crate) fn round_usd(v: f64) -> f64 {
    (v * 1e8).round() / 1e8
}

/// Parses an ISO 8601 UTC date-time (`2026-11-29T12:00:00.000Z`, fraction optional, `Z` or
/// `+00:00`) to epoch milliseconds.
pub(crate) fn parse_iso(s: &str) -> Option<u64> {
    let s = s.strip_suffix('Z').or_else(|| s.strip_suffix("+00:00"))?;
    let (date, time) = s.split_once('T')?;
    let num = |p: &str, len: usize| -> Option<i64> {
        (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let mut d = date.split('-');
    let (y, m, day) = (num(d.next()?, 4)?, num(d.next()?, 2)?, num(d.next()?, 2)?);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':');
    let (hh, mm, ss) = (num(t.next()?, 2)?, num(t.next()?, 2)?, num(t.next()?, 2)?);
    if d.next().is_some() || t.next().is_some() {
        return None;
    }
    let valid = (1..=12).contains(&m)
        && (1..=31).contains(&day)
        && hh < 24
        && mm < 60
        && ss < 61
        && !frac.is_empty()
        && frac.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    let ms: i64 = format!("{frac:0<3}")[..3].parse().ok()?;
    // Days from civil (Howard Hinnant), proleptic Gregorian.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from((((days * 24 + hh) * 60 + mm) * 60 + ss) * 1000 + ms).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_date_times_parse_and_round_trip() {
        for ms in [0, 951_782_400_000, 1_795_953_600_123] {
            assert_eq!(parse_iso(&iso_millis(ms)), Some(ms));
        }
        assert_eq!(parse_iso("2000-02-29T00:00:00Z"), Some(951_782_400_000));
        assert_eq!(
            parse_iso("2000-02-29T00:00:00.5+00:00"),
            Some(951_782_400_500)
        );
        for bad in [
            "",
            "2000-02-29",
            "2000-02-29T00:00:00",
            "2000-13-01T00:00:00Z",
            "2000-02-29T25:00:00Z",
            "2000-02-29T00:00:00.Z",
            "20-02-29T00:00:00Z",
            "2000-02-29T00:00:00+01:00",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_input_key_follows_the_last_metamorph() {
        let mut x = RunExtras::default();
        assert_eq!(x.input_key(), "INPUT");
        x.metamorphs.push(Metamorph {
            created_at: 0,
            actor_id: "a".into(),
            build_id: "b".into(),
            input_key: "INPUT-METAMORPH-1".into(),
        });
        assert_eq!(x.input_key(), "INPUT-METAMORPH-1");
    }
}
